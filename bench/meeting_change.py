"""A staff change of time to a meeting with N confirmed registrants and 20 facilitators, through
gunicorn on production settings and PostgreSQL, with a real Celery worker on Redis sending every
notice to a local stand-in SES.

Per size (20 and 2,000 registrants by default):
- `changes in a row`: REPEATS changes of time, half a second apart, each superseding the last
  while the worker fans out and sends. The request figures: the POST of the meeting's edit form
  until its redirect. Then the last change must reach everyone exactly once.
- `one change`: the time until every notice is sent, and a check that each person got exactly
  one update, carrying the new SEQUENCE in its calendar part.
- `kill -9`: one change; once the first notices arrive, the worker is killed with SIGKILL and a
  new one started (Redis redelivers the unacknowledged tasks after a 5 s visibility timeout; the
  reconcile sweep settles claims the dead worker held). lost = people without the new SEQUENCE,
  duplicated = extra copies (bounded by the ESP calls in flight at the kill).
- `second change`: one change, and a second once the first notices arrive. Everyone must get the
  second SEQUENCE exactly once, and nobody an update of the first after one of the second.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/<n> .venv/bin/python bench/meeting_change.py
    .venv/bin/python bench/meeting_change.py --quick            # 20 and 200, fewer repeats
    .venv/bin/python bench/meeting_change.py --sizes 20,2000

Target: request p95 <= 300 ms, flat from 20 to 2,000 registrants. Before the fan-out moved to a
task, 2,000 registrants took a median of about 19.5 s inside the request.
"""

import collections
import contextlib
import datetime as dt
import email
import email.policy
import os
import re
import secrets
import signal
import subprocess
import time
import uuid

import mail_fanout
from common import (
    BIN,
    ROOT,
    Server,
    _wait_for_health,
    arg_parser,
    bench_database,
    bench_env,
    free_port,
    login_cookie,
    print_table,
    setup_django,
    summarise,
    write_results,
)
from list_bench import staff_user
from mail_fanout import CeleryWorker

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
# The worker helper is shared with the mail benches; it connects to the broker named here.
mail_fanout.REDIS_URL = REDIS_URL
FACILITATORS = 20
REPEATS = 12
_SEQUENCE = re.compile(r"^SEQUENCE:(\d+)", re.MULTILINE)


def populate(size: int):
    from django.contrib.auth import get_user_model

    from engage.models import Stakeholder
    from events.models import Registration
    from tests.factories import MeetingFactory, SessionFactory

    meeting = MeetingFactory(capacity=size + 10)
    run = uuid.uuid4().hex[:6]
    people = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                first_name=f"Name{i}",
                last_name="Bench",
                email=f"r{i}-{run}@bench.example.org",
                email_normalised=f"r{i}-{run}@bench.example.org",
            )
            for i in range(size)
        ],
        batch_size=5000,
    )
    Registration.objects.bulk_create(
        [Registration(meeting=meeting, stakeholder=p, status="confirmed") for p in people],
        batch_size=5000,
    )
    users = [
        get_user_model().objects.create_user(email=f"f{i}-{run}@bench.example.org", first_name="F")
        for i in range(FACILITATORS)
    ]
    for i in range(4):
        session = SessionFactory(meeting=meeting, title=f"Breakout {i}")
        session.facilitators.set(users[i * 5 : i * 5 + 5])
    addresses = {p.email for p in people} | {u.email for u in users}
    return meeting, addresses


@contextlib.contextmanager
def gunicorn_project(database_url: str, *, workers: int = 2):
    """gunicorn with the project's own config (config/gunicorn.py: timeouts, worker recycling, the
    access log) on a free port, ready once /healthz answers. Start-up on a loaded machine can
    take longer than the shared helper waits."""
    port = free_port()
    env = bench_env(
        database_url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        CELERY_BROKER_URL=REDIS_URL,
    )
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process)
    try:
        _wait_for_health(server, 300)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Staff:
    """The staff edit form posted over HTTP, as a browser would (session cookie, CSRF token)."""

    def __init__(self, server, headers: dict[str, str]):
        import requests
        from django.conf import settings

        csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
        self.server = server
        self.session = requests.Session()
        self.csrf = csrf
        self.headers = {
            **headers,
            "Cookie": f"{headers['Cookie']}; {settings.CSRF_COOKIE_NAME}={csrf}",
        }

    def form_data(self, meeting) -> dict:
        from django.utils import timezone

        from events.forms_staff import DATETIME_FORMAT, MeetingForm

        form = MeetingForm(instance=meeting)
        data = {"csrfmiddlewaretoken": self.csrf}
        for name in form.fields:
            value = form[name].value()
            if isinstance(value, dt.datetime):
                # The form hands out London wall-clock time, naive, as its widget shows it.
                if timezone.is_aware(value):
                    value = timezone.localtime(value)
                value = value.strftime(DATETIME_FORMAT)
            elif isinstance(value, bool):
                if not value:
                    continue
                value = "on"
            data[name] = "" if value is None else str(value)
        return data

    def move(self, meeting_id: int, hours: int) -> float:
        """Move the meeting `hours` later; the request's milliseconds."""
        from django.utils import timezone

        from events.forms_staff import DATETIME_FORMAT
        from events.models import Meeting

        meeting = Meeting.objects.get(pk=meeting_id)
        data = self.form_data(meeting)
        start = meeting.start + dt.timedelta(hours=hours)
        data["start"] = timezone.localtime(start).strftime(DATETIME_FORMAT)
        data["end"] = timezone.localtime(start + (meeting.end - meeting.start)).strftime(
            DATETIME_FORMAT
        )
        url = f"{self.server.url}/staff/meetings/{meeting_id}/edit/"
        began = time.perf_counter()
        response = self.session.post(
            url, data=data, headers=self.headers, allow_redirects=False, timeout=120
        )
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 302:
            raise RuntimeError(f"POST {url} answered {response.status_code}")
        return elapsed


def sequence_of(message) -> int | None:
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            found = _SEQUENCE.search(part.get_content())
            return int(found.group(1)) if found else None
    return None


def received(esp, since: int, addresses: set[str]) -> dict[str, list[int]]:
    """address -> SEQUENCE of each change update it was sent since `since`, in arrival order."""
    got = collections.defaultdict(list)
    for message in esp.messages[since:]:
        if message.to in addresses and message.subject.startswith("Changed:"):
            got[message.to].append(sequence_of(message))
    return got


def current_sequence(meeting_id: int) -> int:
    from events.models import Meeting

    return Meeting.objects.get(pk=meeting_id).ical_sequence


def wait_settled(meeting_id: int, sequence: int, timeout: float) -> None:
    """Until the change at `sequence` is fanned out and none of the meeting's notices is owed."""
    from django.db.models import Q

    from engage.enums import EmailStatus
    from engage.models import OutboundEmail
    from events.models import MeetingChange

    pending = OutboundEmail.objects.filter(
        Q(dedupe_key__startswith=f"meeting-changed:{meeting_id}:")
        | Q(dedupe_key__startswith=f"meeting-facilitator-changed:{meeting_id}:"),
        status__in=[EmailStatus.QUEUED, EmailStatus.SENDING],
    )
    done = MeetingChange.objects.filter(
        meeting_id=meeting_id, sequence=sequence, fanned_out_at__isnull=False
    )
    deadline = time.monotonic() + timeout
    while not done.exists() or pending.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"notices still owed after {timeout:.0f}s: {pending.count()}")
        time.sleep(0.05)


def wait_first_notices(esp, since: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not any(m.subject.startswith("Changed:") for m in esp.messages[since:]):
        if time.monotonic() > deadline:
            raise RuntimeError("no notice arrived")
        time.sleep(0.005)


def check(got: dict[str, list[int]], addresses: set[str], sequence: int) -> dict:
    last = {address: seqs[-1] if seqs else None for address, seqs in got.items()}
    return {
        "lost": sum(1 for a in addresses if last.get(a) != sequence),
        "duplicated": sum(seqs.count(sequence) - 1 for seqs in got.values() if sequence in seqs),
        # An older update arriving after the newer one (by arrival at the ESP).
        "older_after_newer": sum(
            1
            for seqs in got.values()
            if sequence in seqs and any(s < sequence for s in seqs[seqs.index(sequence) :])
        ),
    }


def burst(esp, staff, meeting_id, addresses, repeats: int, timeout: float) -> dict:
    """`repeats` changes of time half a second apart, each superseding the last, while the worker
    fans out and sends: the request figures. Then the last change must reach everyone once."""
    since = len(esp.messages)
    timings = []
    for _ in range(repeats):
        timings.append(staff.move(meeting_id, 1))
        time.sleep(0.5)
    sequence = current_sequence(meeting_id)
    began = time.monotonic()
    wait_settled(meeting_id, sequence, timeout)
    result = check(received(esp, since, addresses), addresses, sequence)
    stats = summarise(timings)
    return {
        "scenario": f"{repeats} changes in a row",
        "requests": stats["n"],
        "median_ms": stats["median"],
        "p95_ms": stats["p95"],
        "max_ms": stats["max"],
        "all_sent_s": round(time.monotonic() - began, 2),
        **result,
        "ok": result["lost"] == 0
        and result["duplicated"] == 0
        and result["older_after_newer"] == 0,
    }


def single(esp, staff, meeting_id, addresses, timeout: float) -> dict:
    """One change: the time until every notice is sent; exactly one update each, new SEQUENCE."""
    since = len(esp.messages)
    began = time.monotonic()
    request_ms = staff.move(meeting_id, 1)
    sequence = current_sequence(meeting_id)
    wait_settled(meeting_id, sequence, timeout)
    got = received(esp, since, addresses)
    exact = all(got.get(a) == [sequence] for a in addresses) and set(got) <= addresses
    return {
        "scenario": "one change",
        "requests": 1,
        "median_ms": round(request_ms, 2),
        "all_sent_s": round(time.monotonic() - began, 2),
        **check(got, addresses, sequence),
        "ok": exact,
    }


def killed(esp, database_url, staff, meeting_id, addresses, worker, timeout: float):
    from django.conf import settings
    from django.utils import timezone

    from engage.mail.reconcile import emails_reconcile

    bound = settings.ENGAGE_MAIL_SEND_THREADS * int(mail_fanout.WORKER_CONCURRENCY)
    since = len(esp.messages)
    began = time.monotonic()
    request_ms = staff.move(meeting_id, 1)
    sequence = current_sequence(meeting_id)
    wait_first_notices(esp, since)
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    worker.log.close()
    killed_at = timezone.now()
    at_kill = len(received(esp, since, addresses))
    worker = CeleryWorker(database_url, esp.url, CELERY_VISIBILITY_TIMEOUT="5").__enter__()
    time.sleep(6)  # past the visibility timeout: the broker hands the dead worker's tasks on
    # Stands in for ENGAGE_MAIL_STALE_CLAIM_MINUTES passing: claims older than the kill.
    emails_reconcile(stale_after=timezone.now() - killed_at + dt.timedelta(milliseconds=1))
    wait_settled(meeting_id, sequence, timeout)
    result = check(received(esp, since, addresses), addresses, sequence)
    return worker, {
        "scenario": "kill -9",
        "requests": 1,
        "median_ms": round(request_ms, 2),
        "people_at_kill": at_kill,
        "all_sent_s": round(time.monotonic() - began, 2),
        **result,
        # A kill repeats at most the ESP calls in flight (one per send thread and process).
        "ok": result["lost"] == 0
        and result["older_after_newer"] == 0
        and result["duplicated"] <= bound,
    }


def second_change(esp, staff, meeting_id, addresses, timeout: float) -> dict:
    since = len(esp.messages)
    began = time.monotonic()
    first_ms = staff.move(meeting_id, 1)
    first = current_sequence(meeting_id)
    wait_first_notices(esp, since)
    second_ms = staff.move(meeting_id, 1)
    sequence = current_sequence(meeting_id)
    wait_settled(meeting_id, sequence, timeout)
    got = received(esp, since, addresses)
    result = check(got, addresses, sequence)
    return {
        "scenario": "second change",
        "requests": 2,
        "median_ms": round((first_ms + second_ms) / 2, 2),
        "max_ms": round(max(first_ms, second_ms), 2),
        "all_sent_s": round(time.monotonic() - began, 2),
        "got_first_too": sum(1 for seqs in got.values() if first in seqs),
        **result,
        "ok": result["lost"] == 0
        and result["duplicated"] == 0
        and result["older_after_newer"] == 0,
    }


def main() -> int:
    args = arg_parser(__doc__.splitlines()[0]).parse_args()
    sizes = args.sizes or ([20, 200] if args.quick else [20, 2000])
    repeats = 4 if args.quick else REPEATS
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
    rows = []
    name = f"engage_bench_meeting_change_{os.environ.get('BENCH_DB_SUFFIX', 'notices')}"
    with bench_database(name) as url:
        setup_django(url)
        from django.db import connections

        from tests.standin_ses import StandInSES

        headers = login_cookie(staff_user())
        meetings = {size: populate(size) for size in sizes}
        connections.close_all()
        with (
            StandInSES() as esp,
            gunicorn_project(url, workers=2) as server,
        ):
            staff = Staff(server, headers)
            worker = CeleryWorker(url, esp.url, CELERY_VISIBILITY_TIMEOUT="5").__enter__()
            try:
                for size in sizes:
                    meeting, addresses = meetings[size]
                    timeout = 120 + size / 5
                    staff.move(meeting.pk, 1)  # warm both gunicorn workers' code paths
                    staff.move(meeting.pk, 1)
                    wait_settled(meeting.pk, current_sequence(meeting.pk), timeout)
                    found = [burst(esp, staff, meeting.pk, addresses, repeats, timeout)]
                    found.append(single(esp, staff, meeting.pk, addresses, timeout))
                    worker, row = killed(esp, url, staff, meeting.pk, addresses, worker, timeout)
                    found.append(row)
                    found.append(second_change(esp, staff, meeting.pk, addresses, timeout))
                    for row in found:
                        rows.append({"registrants": size, "facilitators": FACILITATORS, **row})
            finally:
                worker.__exit__(None, None, None)
    print_table(rows)
    path = write_results("meeting_change", {"quick": args.quick, "rows": rows})
    print(f"results: {path}")
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
