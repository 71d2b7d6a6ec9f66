"""Invitation fan-out: N consented stakeholders (5% who must be left out) through the production
mail path (emails_queue_bulk -> Redis -> a real Celery worker -> anymail's Amazon SES backend)
to a local stand-in SES API (TCP_NODELAY) that counts what each address received.

Scenarios per size: ESP-side batches (SendBulkEmail, 50 a call), every message rendered here
(one SendEmail each), ESP-side batches with 50 ms latency at the stand-in, a repeated run (must
send nothing), and beside them a baseline of one Celery task per recipient (email_queue each).

    .venv/bin/python bench/mail_fanout.py            # 10,000 and 100,000
    .venv/bin/python bench/mail_fanout.py --quick    # 1,000 (checks the bench works)

Targets (2 cores): 100,000 within 60 s with ESP batches, 4 min rendered here; queueing 10,000
within 1 s; peak memory under 500 MB, for the worker and for a fresh process that only queues
the largest size; ours at least 20x the baseline; with 50 ms latency at least half the
zero-latency rate.
"""

import argparse
import collections
import os
import subprocess
import time
import uuid
from pathlib import Path

from common import (
    BIN,
    ROOT,
    arg_parser,
    bench_database,
    bench_env,
    print_table,
    setup_django,
    write_results,
)

PURPOSE = "meeting-invitations"
# Set explicitly: the production default (50 a second) would make the bench measure the throttle.
RATE_PER_SECOND = "0"
# The same prefork concurrency as the production mail worker (docker-compose.yml `mail-worker`);
# ENGAGE_MAIL_BATCH_SIZE and ENGAGE_MAIL_SEND_THREADS are left at their production defaults.
WORKER_CONCURRENCY = "2"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def populate(size: int) -> tuple[list, set[str], set[str]]:
    """`size` stakeholders; 95% consented, 2.5% without consent, 2.5% consented but suppressed."""
    from django.utils import timezone

    from engage.enums import ConsentAction, ConsentMethod, SuppressionReason
    from engage.models import ConsentPurpose, ConsentRecord, Stakeholder, Suppression

    purpose = ConsentPurpose.objects.get(slug=PURPOSE)
    run = uuid.uuid4().hex[:6]
    people = [
        Stakeholder(
            first_name=f"Name{i}",
            last_name="Bench",
            email=f"p{i}-{run}@bench.example.org",
            email_normalised=f"p{i}-{run}@bench.example.org",
        )
        for i in range(size)
    ]
    Stakeholder.objects.bulk_create(people, batch_size=5000)
    people = list(
        Stakeholder.objects.filter(email__endswith=f"-{run}@bench.example.org").order_by("pk")
    )
    no_consent = {p.email for i, p in enumerate(people) if i % 40 == 0}
    suppressed = {p.email for i, p in enumerate(people) if i % 40 == 20}
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                stakeholder=p,
                purpose=purpose,
                action=ConsentAction.GIVEN,
                at=now,
                method=ConsentMethod.IMPORT,
                wording=purpose.wording,
                privacy_notice_version="bench",
            )
            for p in people
            if p.email not in no_consent
        ],
        batch_size=5000,
    )
    Suppression.objects.bulk_create(
        [Suppression(email_normalised=e, reason=SuppressionReason.COMPLAINT) for e in suppressed],
        batch_size=5000,
    )
    return people, no_consent | suppressed, {p.email for p in people} - no_consent - suppressed


class CeleryWorker:
    def __init__(self, database_url: str, esp_url: str, **env: str):
        self.env = bench_env(
            database_url,
            CELERY_BROKER_URL=REDIS_URL,
            EMAIL_BACKEND="engage.mail.backends.AmazonSESBackend",
            ENGAGE_MAIL_ESP_ENDPOINT_URL=esp_url,
            AWS_ACCESS_KEY_ID="stand-in",
            AWS_SECRET_ACCESS_KEY="stand-in",  # noqa: S106 (the stand-in ESP checks nothing)
            AWS_DEFAULT_REGION="eu-west-2",
            # Production refuses an ESP without it; the bench posts no webhooks.
            ANYMAIL_WEBHOOK_SECRET="bench:bench-webhook-password",  # noqa: S106
            ENGAGE_MAIL_RATE_PER_SECOND=RATE_PER_SECOND,
            **env,
        )
        self.process = None

    def __enter__(self):
        self.name = f"bench-{uuid.uuid4().hex[:6]}@localhost"
        log_dir = Path(self.env["ENGAGE_VAR_DIR"])
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = (log_dir / "mail_fanout_worker.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "mail,default",
                "-n",
                self.name,
                "--concurrency",
                WORKER_CONCURRENCY,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        from config.celery_app import app

        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[self.name], timeout=0.5):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the bench worker did not start")
        return self

    def peak_rss_mb(self) -> float:
        """Largest peak resident set (VmHWM) among the worker's processes."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        peak = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return round(peak / 1024, 1)

    def __exit__(self, *exc):
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def wait_settled(ids: list[int], timeout: float) -> float:
    from engage.enums import EmailStatus
    from engage.models import OutboundEmail

    deadline = time.monotonic() + timeout
    # Polled by id range, not `pk__in=ids`: at 100,000 ids each poll built and sent a 100,000-value
    # IN list (about 0.5 s of CPU, holding the GIL of this process, which also runs the stand-in
    # ESP), so the poller took most of a core from the run it measured. No pending row in the
    # range means none among `ids`; the range may also hold other runs' rows, all settled by then.
    pending = OutboundEmail.objects.filter(
        pk__gte=min(ids), pk__lte=max(ids), status__in=[EmailStatus.QUEUED, EmailStatus.SENDING]
    )
    while pending.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{pending.count()} emails still pending after {timeout:.0f}s")
        time.sleep(0.2)
    return time.monotonic()


def fan_out(people, label: str) -> tuple[list[int], float]:
    """Queue one invitation per person (bulk); the seconds the queueing took."""
    from engage.mail.services import BulkRecipient, emails_queue_bulk

    recipients = [
        BulkRecipient(
            to_email=p.email,
            stakeholder_id=p.pk,
            values={
                "first_name": p.first_name,
                "invitation_url": f"https://engage.example.org/r/{p.pk}/",
                "organisation_line": "",
            },
            dedupe_key=f"bench:{label}:{p.pk}",
        )
        for p in people
    ]
    start = time.perf_counter()
    ids = emails_queue_bulk(
        template="events/invitation",
        context={
            "meeting_title": "Public review meeting",
            "meeting_when": "Thursday 25 February 2027, 6pm",
            "meeting_format": "in_person",
            "venue": "City Hall",
            "subject": "Invitation: public review meeting",
        },
        recipients=recipients,
        purpose_slug=PURPOSE,
    )
    return ids, time.perf_counter() - start


def queue_peak_in_fresh_process(database_url: str, size: int) -> float:
    """Peak memory (VmHWM, MB) of a new process that only queues `size` invitations.

    This process also holds the harness's lists and the stand-in ESP's record of every accepted
    message, which production does not have; the fresh process measures the queueing alone.
    """
    env = bench_env(database_url, CELERY_BROKER_URL=REDIS_URL)
    done = subprocess.run(
        [str(BIN / "python"), __file__, "--queue-peak", str(size)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _queue_peak_child(size: int) -> None:
    """The child of queue_peak_in_fresh_process: queue for the last `size` bench people."""
    import django

    django.setup()
    from engage.models import Stakeholder

    people = list(
        Stakeholder.objects.filter(email__endswith="@bench.example.org")
        .only("pk", "email", "first_name")
        .order_by("-pk")[:size]
    )
    fan_out(people, f"peak-{uuid.uuid4().hex[:6]}")
    del people
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(round(peak_kb / 1024, 1))


def check_exactly_once(esp, since: int, eligible: set[str]) -> bool:
    got = collections.Counter(m.to for m in esp.messages[since:])
    return set(got) == eligible and set(got.values()) == {1}


def warm_up(people, label: str) -> None:
    """A small untimed run, so worker start-up (imports, ESP client, connections) is not timed."""
    ids, _ = fan_out(people[:100], f"warm-up-{label}")
    wait_settled(ids, 120)


def scenario(esp, people, eligible, label: str, timeout: float) -> dict:
    since = len(esp.messages)
    start = time.monotonic()
    ids, queue_s = fan_out(people, label)
    end = wait_settled(ids, timeout)
    elapsed = end - start
    exact = check_exactly_once(esp, since, eligible)
    # A repeated run (same campaign, same dedupe keys) must send nothing at all.
    again_since = len(esp.messages)
    again_ids, _ = fan_out(people, label)
    wait_settled(again_ids, timeout)
    time.sleep(0.5)
    return {
        "scenario": label,
        "people": len(people),
        "mails": len(esp.messages) - since,
        "queue_s": round(queue_s, 3),
        "end_to_end_s": round(elapsed, 2),
        "per_s": round(len(eligible) / elapsed, 1),
        "exactly_once": exact and len(esp.messages) == again_since,
        "esp_calls": None,
    }


def baseline(esp, people, eligible, timeout: float) -> dict:
    """One Celery task per recipient: email_queue (rendered now) and engage.mail.send each."""
    from django.db import transaction

    from engage.mail.services import email_queue

    since = len(esp.messages)
    start = time.monotonic()
    ids = []
    with transaction.atomic():
        for p in people:
            ids.append(
                email_queue(
                    to_email=p.email,
                    template="events/invitation",
                    context={
                        "meeting_title": "Public review meeting",
                        "meeting_when": "Thursday 25 February 2027, 6pm",
                        "recipient": {"first_name": p.first_name},
                    },
                    stakeholder=p,
                    purpose_slug=PURPOSE,
                    dedupe_key=f"bench:baseline:{p.pk}",
                ).pk
            )
    elapsed = wait_settled(ids, timeout) - start
    return {
        "scenario": "baseline: a task per mail",
        "people": len(people),
        "mails": len(esp.messages) - since,
        "queue_s": None,
        "end_to_end_s": round(elapsed, 2),
        "per_s": round(len([p for p in people if p.email in eligible]) / elapsed, 1),
        "exactly_once": check_exactly_once(
            esp, since, {p.email for p in people if p.email in eligible}
        ),
    }


def main() -> int:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--queue-peak", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.queue_peak:
        _queue_peak_child(args.queue_peak)
        return 0
    sizes = [1000] if args.quick else [10_000, 100_000]
    sizes = args.sizes or sizes
    baseline_size = 300 if args.quick else 2000
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
    rows, results = [], {}
    with bench_database("engage_bench_mail_fanout") as database_url:
        setup_django(database_url)
        from django.conf import settings

        config = {
            "ENGAGE_MAIL_RATE_PER_SECOND": f"{RATE_PER_SECOND} (throttle off)",
            "ENGAGE_MAIL_BATCH_SIZE": settings.ENGAGE_MAIL_BATCH_SIZE,
            "ENGAGE_MAIL_SEND_THREADS": settings.ENGAGE_MAIL_SEND_THREADS,
            "worker_concurrency": WORKER_CONCURRENCY,
        }
        print("mail settings: " + ", ".join(f"{k}={v}" for k, v in config.items()))
        from tests.standin_ses import StandInSES

        with StandInSES(keep_raw=False, keep_bodies=False) as esp:
            for size in sizes:
                people, _, eligible = populate(size)
                timeout = max(120.0, size / 100)
                with CeleryWorker(database_url, esp.url, ENGAGE_MAIL_ESP_BATCH="true") as worker:
                    warm_up(people, f"batch-{size}")
                    batch = scenario(esp, people, eligible, f"esp-batch-{size}", timeout)
                    batch["worker_peak_mb"] = worker.peak_rss_mb()
                    esp.latency = 0.05
                    slow = scenario(esp, people, eligible, f"esp-batch-50ms-{size}", timeout)
                    esp.latency = 0.0
                    base = baseline(esp, people[:baseline_size], eligible, timeout * 3)
                with CeleryWorker(database_url, esp.url, ENGAGE_MAIL_ESP_BATCH="false") as worker:
                    warm_up(people, f"here-{size}")
                    here = scenario(esp, people, eligible, f"rendered-here-{size}", timeout * 4)
                    here["worker_peak_mb"] = worker.peak_rss_mb()
                batch["vs_baseline_x"] = round(batch["per_s"] / base["per_s"], 1)
                slow["vs_zero_latency"] = round(slow["per_s"] / batch["per_s"], 2)
                rows += [batch, slow, here, base]
                results[str(size)] = {
                    "esp_batch": batch,
                    "esp_batch_50ms": slow,
                    "rendered_here": here,
                    "baseline_task_per_mail": base,
                }
        # No worker runs now: the rows this queues stay queued and go with the bench database.
        queue_only_peak_mb = queue_peak_in_fresh_process(database_url, max(sizes))
    for row in rows:
        row.pop("esp_calls", None)
    print_table(rows)
    import resource

    queue_peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"peak memory of the bench process (queueing, harness, stand-in ESP): {queue_peak_mb} MB")
    print(f"peak memory of a process queueing {max(sizes)} on its own: {queue_only_peak_mb} MB")
    path = write_results(
        "mail_fanout",
        {
            "quick": args.quick,
            "settings": config,
            "sizes": results,
            "bench_process_peak_mb": queue_peak_mb,
            "queue_only_process_peak_mb": queue_only_peak_mb,
            "queue_only_size": max(sizes),
        },
    )
    print(f"results: {path}")
    ok = all(row["exactly_once"] for row in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
