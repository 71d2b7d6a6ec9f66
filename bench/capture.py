"""Breakout capture under load: 50 facilitators adding points at once, through gunicorn on
PostgreSQL, every request sent twice.

Each client is one facilitator of its own breakout, posting JSON points with a browser-made key
to the real endpoint (session cookie, CSRF header, the service's insert-or-return-existing) and
then sending the very same request again, as a phone whose answer was lost would. Afterwards the
database must hold every point exactly once: 0 lost, 0 duplicated. In the same run, against the
same server, the same clients post to a bare insert view (one INSERT ... ON CONFLICT DO NOTHING,
no session, no CSRF, no service) that lives in this file, not in the app: the floor to compare with.

    .venv/bin/python bench/capture.py [--quick] [--workers 4] [--database engage_bench_capture]

The servers' cache and Celery broker are Redis (BENCH_CACHE_URL, default redis://127.0.0.1:6379/12),
as production; no worker takes the queued tasks.

gunicorn loads `capture:application` from this file (bench/ on its path): the project's WSGI
application with the one bare path in front of it.
"""

import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

BARE_PATH = "/bench/bare-insert/"
_app = None


def application(environ, start_response):
    """The project's WSGI application, and the bare insert view in front of it."""
    global _app
    if _app is None:
        from config.wsgi import application as project

        _app = project
    if environ.get("PATH_INFO") != BARE_PATH:
        return _app(environ, start_response)
    from django.db import connection

    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = json.loads(environ["wsgi.input"].read(length))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO feedback_point (key, question_id, session_id, author_id, source, text,"
            " verbatim, weight, created_at, updated_at, moderation, withheld_reason, pii_flags,"
            " pii_open) VALUES (%s, %s, %s, %s, 'facilitator', %s, false, 1, now(), now(),"
            " 'pending', '', '[]', 0) ON CONFLICT (key) DO NOTHING",
            [data["key"], data["question"], data["session"], data["author"], data["text"]],
        )
    start_response("201 Created", [("Content-Type", "application/json")])
    return [b"{}"]


def _gunicorn(database_url: str, workers: int):
    import contextlib
    import subprocess

    from common import BIN, ROOT, Server, _wait_for_health, bench_env, free_port

    @contextlib.contextmanager
    def run():
        port = free_port()
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "capture:application",
                "--pythonpath",
                str(ROOT / "bench") + "," + str(ROOT),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            # Tasks go to a broker as in production (no worker here takes them): the capture
            # endpoint queues each point's check for personal data after commit.
            env=bench_env(database_url, CELERY_BROKER_URL=os.environ["REDIS_URL"]),
        )
        server = Server(url=f"http://127.0.0.1:{port}", process=process)
        try:
            _wait_for_health(server, 60)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=15)

    return run()


def _prepare(clients: int):
    from common import login_cookie
    from django.conf import settings
    from django.contrib.auth.models import Permission

    from events.models import DiscussionQuestion
    from tests.factories import MeetingFactory, SessionFactory, UserFactory

    meeting = MeetingFactory()
    permission = Permission.objects.get(codename="checkin_meeting")
    people = []
    for n in range(clients):
        user = UserFactory()
        user.user_permissions.add(permission)
        session = SessionFactory(meeting=meeting, title=f"Breakout {n}")
        session.facilitators.add(user)
        question = DiscussionQuestion.objects.create(session=session, text="Stop, start, continue?")
        csrf = uuid.uuid4().hex  # 32 characters: Django accepts an unmasked secret as the token
        headers = login_cookie(user)
        headers["Cookie"] += f"; {settings.CSRF_COOKIE_NAME}={csrf}"
        headers.update({"X-CSRFToken": csrf, "Content-Type": "application/json"})
        people.append(
            {"user": user.pk, "session": session.pk, "question": question.pk, "headers": headers}
        )
    return people


def _run(url_for, people: list[dict], per_client: int, *, expect_first: int) -> dict:
    import requests

    latencies: list[float] = []
    keys: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(people))

    def client(person: dict) -> None:
        http = requests.Session()
        barrier.wait()
        for n in range(per_client):
            key = str(uuid.uuid4())
            body = json.dumps(
                {
                    "key": key,
                    "question": person["question"],
                    "session": person["session"],
                    "author": person["user"],
                    "text": f"Point {n} from breakout {person['session']}",
                }
            )
            url = url_for(person)
            for attempt in range(2):  # every request sent twice
                start = time.perf_counter()
                response = http.post(url, data=body, headers=person["headers"], timeout=60)
                elapsed = (time.perf_counter() - start) * 1000
                ok = response.status_code in ((expect_first,) if attempt == 0 else (200, 201))
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        failures.append(f"{response.status_code} {response.text[:80]}")
            with lock:
                keys.append(key)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(people)) as pool:
        list(pool.map(client, people))
    seconds = time.perf_counter() - started
    return {"latencies": latencies, "keys": keys, "failures": failures, "seconds": seconds}


def _verify(run: dict) -> dict:
    from django.db.models import Count

    from feedback.models import Point

    saved = dict(
        Point.objects.filter(key__in=run["keys"])
        .values_list("key")
        .annotate(n=Count("id"))
        .values_list("key", "n")
    )
    lost = sum(1 for key in run["keys"] if uuid.UUID(key) not in saved)
    duplicated = sum(n - 1 for n in saved.values() if n > 1)
    return {"lost": lost, "duplicated": duplicated}


def main() -> int:
    from common import (
        arg_parser,
        bench_database,
        print_table,
        setup_django,
        summarise,
        write_results,
    )

    parser = arg_parser("Breakout capture: 50 facilitators at once, every request twice")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--database", default="engage_bench_capture")
    args = parser.parse_args()
    # The servers' cache (sessions are read from it) in Redis, as in production.
    os.environ["REDIS_URL"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")
    clients = 5 if args.quick else args.clients
    per_client = 4 if args.quick else 20

    rows, results = [], {}
    with bench_database(args.database) as database_url:
        setup_django(database_url)
        people = _prepare(clients)
        from django.urls import reverse

        with _gunicorn(database_url, args.workers) as server:

            def ours(person):
                return server.url + reverse("feedback:capture_point_add", args=[person["session"]])

            def bare(person):
                return server.url + BARE_PATH

            _run(ours, people[:2], 2, expect_first=201)  # warm the workers
            for label, url_for in (("capture endpoint", ours), ("bare insert", bare)):
                run = _run(url_for, people, per_client, expect_first=201)
                figures = {
                    **summarise(run["latencies"]),
                    "req_per_s": round(len(run["latencies"]) / run["seconds"], 1),
                    **_verify(run),
                    "refused": len(run["failures"]),
                }
                results[label] = figures
                rows.append({"run": label, **figures})
    print_table(rows)
    ratio = results["capture endpoint"]["req_per_s"] / results["bare insert"]["req_per_s"]
    print(f"capture endpoint at {ratio:.2f}x of the bare insert's requests per second")
    write_results(
        "capture",
        {
            "clients": clients,
            "points_per_client": per_client,
            "workers": args.workers,
            "runs": results,
            "ratio_to_bare": round(ratio, 2),
        },
    )
    correct = all(
        r["lost"] == 0 and r["duplicated"] == 0 and r["refused"] == 0 for r in results.values()
    )
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
