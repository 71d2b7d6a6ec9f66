"""Consent state derived from the ledger, at 100,000 people (PostgreSQL).

Measures the reads every invitation and list filter makes: who consents to a purpose (count, and
a first page of 25 in name order), one person's state for every purpose, and one consent change
(row lock + append). Run: `.venv/bin/python bench/consent_state.py [--quick]`.
"""

import random
import time

from common import (
    arg_parser,
    bench_database,
    print_table,
    setup_django,
    summarise,
    write_results,
)

REPEATS = 20


def _fill(people: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from engage.enums import ConsentAction, ConsentMethod
    from engage.models import ConsentPurpose, ConsentRecord, Stakeholder

    rng = random.Random(7)
    purposes = list(ConsentPurpose.objects.filter(active=True))
    now = timezone.now()
    batch = 5000
    for start in range(0, people, batch):
        Stakeholder.objects.bulk_create(
            Stakeholder(
                first_name=f"First{n}",
                last_name=f"Last{rng.randrange(people)}",
                email=f"person{n}@example.org",
                email_normalised=f"person{n}@example.org",
            )
            for n in range(start, min(start + batch, people))
        )
    ids = list(Stakeholder.objects.values_list("pk", flat=True))
    records = []
    for pk in ids:
        # Most people agree to invitations; some later withdraw; a few agree to news too.
        for purpose, chance in ((purposes[0], 0.8), (purposes[1], 0.3)):
            if rng.random() < chance:
                at = now - timezone.timedelta(days=rng.randrange(1, 700))
                records.append((pk, purpose, ConsentAction.GIVEN, at))
                if rng.random() < 0.15:
                    records.append(
                        (pk, purpose, ConsentAction.WITHDRAWN, at + timezone.timedelta(days=3))
                    )
    for start in range(0, len(records), batch):
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                stakeholder_id=pk,
                purpose=purpose,
                action=action,
                at=at,
                method=ConsentMethod.WEB,
                wording=purpose.wording,
                privacy_notice_version="2026-11",
            )
            for pk, purpose, action, at in records[start : start + batch]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _time(fn) -> list[float]:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    args = arg_parser("Consent state from the ledger").parse_args()
    people = 5_000 if args.quick else 100_000
    with bench_database("engage_bench_consent") as database_url:
        setup_django(database_url)
        from engage import services
        from engage.enums import ConsentMethod
        from engage.models import ConsentRecord, Stakeholder
        from engage.selectors import stakeholder_consents, stakeholders_consenting

        started = time.perf_counter()
        _fill(people)
        fill_s = time.perf_counter() - started
        someone = Stakeholder.objects.order_by("pk")[people // 2]
        consenting = stakeholders_consenting("meeting-invitations")
        flip = iter(range(10**6))
        results = {
            "count consenting": _time(consenting.count),
            "first page of 25 (name order)": _time(
                lambda: list(consenting.order_by("last_name", "first_name", "id")[:25])
            ),
            "one person, every purpose": _time(lambda: stakeholder_consents(someone)),
            "one consent change": _time(
                lambda: services.consent_set(
                    stakeholder=someone,
                    purpose="action-plan-news",
                    given=next(flip) % 2 == 0,
                    method=ConsentMethod.WEB,
                )
            ),
        }
        rows = [{"operation": name, **summarise(values)} for name, values in results.items()]
        print(
            f"{people} people, {ConsentRecord.objects.count()} ledger records "
            f"(filled in {fill_s:.1f} s); times in ms over {REPEATS} runs"
        )
        print_table(rows)
        write_results(
            "consent_state",
            {
                "people": people,
                "quick": args.quick,
                "median_ms": {r["operation"]: r["median"] for r in rows},
                "p95_ms": {r["operation"]: r["p95"] for r in rows},
            },
        )


if __name__ == "__main__":
    main()
