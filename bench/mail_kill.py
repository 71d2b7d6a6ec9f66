"""Worker killed mid-send: N invitations (ESP-side batches of 50 at a stand-in SES with a little
latency) through a real Celery worker, which is killed with -9 once about a third has gone; a new
worker and the reconcile sweep finish the send. Reports, per kill, how many eligible people got
nothing (lost) and how many messages went twice (duplicated).

    BENCH_REDIS_URL=redis://127.0.0.1:6379/<n> .venv/bin/python bench/mail_kill.py   # 3,000, 3 kills
    .venv/bin/python bench/mail_kill.py --quick                                    # 600, 1 kill

Bound: each ESP call's outcome is recorded as it returns and a task claims one round of calls
at a time, so a kill repeats at most the calls in flight (ENGAGE_MAIL_SEND_THREADS x
ENGAGE_MAIL_ESP_CALL_SIZE per worker process). The second worker keeps Redis's visibility timeout
at an hour: what the dead worker held comes back through the reconcile sweep, not redelivery.
"""

import collections
import os
import signal
import time
from datetime import timedelta

from common import arg_parser, bench_database, print_table, setup_django, write_results
from mail_fanout import REDIS_URL, WORKER_CONCURRENCY, CeleryWorker, fan_out, populate, wait_settled

LATENCY = 0.02  # seconds per stand-in SES call: long enough for a kill to land mid-send


def one_kill(esp, database_url: str, people, eligible: set[str], label: str) -> dict:
    from django.conf import settings
    from django.utils import timezone

    from engage.mail.reconcile import emails_reconcile

    since = len(esp.messages)
    worker = CeleryWorker(
        database_url, esp.url, ENGAGE_MAIL_ESP_BATCH="true", CELERY_VISIBILITY_TIMEOUT="5"
    ).__enter__()
    ids, _ = fan_out(people, label)
    deadline = time.monotonic() + 120
    while len(esp.messages) - since < len(eligible) // 3:
        if time.monotonic() > deadline:
            raise RuntimeError("the send did not get a third of the way in 120 s")
        time.sleep(0.01)
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    worker.log.close()
    killed_at = timezone.now()
    at_kill = len(esp.messages) - since
    with CeleryWorker(
        database_url, esp.url, ENGAGE_MAIL_ESP_BATCH="true", CELERY_VISIBILITY_TIMEOUT="3600"
    ):
        # Stands in for ENGAGE_MAIL_STALE_CLAIM_MINUTES passing: claims older than the kill.
        emails_reconcile(stale_after=timezone.now() - killed_at + timedelta(milliseconds=1))
        wait_settled(ids, 300)
    got = collections.Counter(m.to for m in esp.messages[since:])
    return {
        "scenario": label,
        "people": len(people),
        "sent_at_kill": at_kill,
        "lost": len(eligible - set(got)),
        "duplicated": sum(count - 1 for count in got.values() if count > 1),
        "bound": settings.ENGAGE_MAIL_SEND_THREADS
        * settings.ENGAGE_MAIL_ESP_CALL_SIZE
        * int(WORKER_CONCURRENCY),
    }


def main() -> int:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=None)
    args = parser.parse_args()
    size = (args.sizes or [600 if args.quick else 3000])[0]
    kills = args.kills or (1 if args.quick else 3)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ["CELERY_BROKER_URL"] = REDIS_URL
    rows = []
    with bench_database(os.environ.get("BENCH_DB", "engage_bench_mail_kill")) as database_url:
        setup_django(database_url)
        from tests.standin_ses import StandInSES

        with StandInSES(keep_raw=False, keep_bodies=False) as esp:
            esp.latency = LATENCY
            people, _, eligible = populate(size)
            for kill in range(kills):
                rows.append(one_kill(esp, database_url, people, eligible, f"kill-{kill + 1}"))
    print_table(rows)
    path = write_results("mail_kill", {"quick": args.quick, "size": size, "kills": rows})
    print(f"results: {path}")
    ok = all(row["lost"] == 0 and row["duplicated"] <= row["bound"] for row in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
