"""A staff change of time to a meeting with N confirmed registrants and 20 facilitators.

Times `events.services.meeting_update` in this process on a fresh PostgreSQL database (the
service the staff edit view calls; the view itself and gunicorn are not in the figure yet), with
the send tasks published to Redis and no worker consuming them. Each size is changed REPEATS
times; after each change the bench checks that every registrant and facilitator has exactly one
change email of the new SEQUENCE, and that the previous change's rows still queued were withdrawn
(suppressed), so nobody can get the older update after the newer.

    .venv/bin/python bench/meeting_change.py            # 20, 200 and 2,000 registrants
    .venv/bin/python bench/meeting_change.py --quick    # 20 (checks the bench works)

Target: p95 <= 300 ms, flat from 20 to 2,000 registrants (needs the fan-out moved to a task).
"""

import datetime as dt
import os
import time
import uuid

from common import arg_parser, bench_database, print_table, setup_django, summarise, write_results

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
FACILITATORS = 20
REPEATS = 5


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
    return meeting, size + FACILITATORS


def check(meeting_id: int, sequence: int, people: int) -> dict:
    from engage.models import OutboundEmail

    rows = OutboundEmail.objects.filter(
        template__startswith="events/meeting_changed", dedupe_key__contains=f":{meeting_id}:"
    )
    latest = rows.filter(dedupe_key__contains=f":{meeting_id}:{sequence}:")
    per_address = latest.values_list("to_email", flat=True)
    older_queued = rows.exclude(pk__in=latest).filter(status="queued").count()
    return {
        "one_each": len(per_address) == len(set(per_address)) == people,
        "older_still_queued": older_queued,
    }


def run(size: int) -> dict:
    from django.db import transaction

    from events import services
    from events.models import Meeting

    meeting, people = populate(size)
    timings, checks = [], []
    for repeat in range(REPEATS):
        start = meeting.start + dt.timedelta(hours=repeat + 1)
        began = time.perf_counter()
        with transaction.atomic():
            services.meeting_update(
                meeting_id=meeting.pk,
                data={"start": start, "end": start + dt.timedelta(hours=2)},
                actor=None,
            )
        timings.append((time.perf_counter() - began) * 1000)
        sequence = Meeting.objects.get(pk=meeting.pk).ical_sequence
        checks.append(check(meeting.pk, sequence, people))
    stats = summarise(timings)
    return {
        "registrants": size,
        "facilitators": FACILITATORS,
        "median_ms": stats["median"],
        "p95_ms": stats["p95"],
        "exactly_one_each": all(c["one_each"] for c in checks),
        "older_still_queued": max(c["older_still_queued"] for c in checks),
    }


def main() -> None:
    args = arg_parser(__doc__.splitlines()[0]).parse_args()
    sizes = [20] if args.quick else [20, 200, 2000]
    with bench_database(f"bench_meeting_change_{os.environ.get('BENCH_DB_SUFFIX', 'h2')}") as url:
        os.environ["CELERY_BROKER_URL"] = REDIS_URL
        setup_django(url)
        rows = [run(size) for size in sizes]
    print_table(rows)
    write_results("meeting_change", {"rows": rows})


if __name__ == "__main__":
    main()
