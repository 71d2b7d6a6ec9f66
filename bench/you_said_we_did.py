"""The public "you said, we did" series page with 500 responses and the action plan page with 60
commitments x 12 published quarters, through gunicorn on PostgreSQL, 4 concurrent clients.

    .venv/bin/python bench/you_said_we_did.py [--quick] [--requests N]

Also counts the queries each page makes (in this process, Django's test client) at a small and
the full size: the counts must be equal, so the pages do not grow a query per row.
Targets (issue #12): p95 at most 150 ms, a fixed number of queries.
"""

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    arg_parser,
    bench_database,
    gunicorn,
    load,
    print_table,
    setup_django,
    summarise,
    write_results,
)


def seed_series(slug: str, *, meetings: int, responses: int) -> str:
    """A series of past meetings with `responses` published responses spread over them."""
    from django.utils import timezone

    from events.enums import MeetingStatus
    from feedback.enums import ResponseStatus
    from feedback.models import Response, Theme
    from tests.factories import MeetingFactory, SeriesFactory

    series = SeriesFactory(slug=slug, name=f"Series {slug}")
    themes = [Theme.objects.create(series=series, name=f"Theme {n}") for n in range(8)]
    start = timezone.now() - dt.timedelta(days=90 * meetings)
    rows = []
    statuses = list(ResponseStatus)
    for m in range(meetings):
        when = start + dt.timedelta(days=90 * m)
        meeting = MeetingFactory(
            series=series,
            slug=f"{slug}-{m}",
            start=when,
            end=when + dt.timedelta(hours=2),
            status=MeetingStatus.COMPLETED,
        )
        for n in range(responses // meetings):
            status = statuses[n % len(statuses)]
            rows.append(
                Response(
                    meeting=meeting,
                    you_said=f"Point {n} raised at meeting {m}: " + "words " * 30,
                    we_did="What was done, " * 20 if status == ResponseStatus.RESPONDED else "",
                    declined_reason="Why not, " * 10 if status == ResponseStatus.DECLINED else "",
                    status=status,
                    theme=themes[n % len(themes)],
                    order=n,
                    due_on=(when + dt.timedelta(days=60)).date(),
                    responded_at=when + dt.timedelta(days=30 + n % 70),
                    publish_at=when + dt.timedelta(days=20),
                    notified_at=when + dt.timedelta(days=20),
                )
            )
    Response.objects.bulk_create(rows, batch_size=500)
    return slug


def seed_plan(slug: str, *, commitments: int, quarters: int) -> str:
    """A plan of `commitments` in 6 chapters, each rated in `quarters` published rounds."""
    from django.utils import timezone

    from feedback.models import (
        ActionPlan,
        Chapter,
        Commitment,
        CommitmentUpdate,
        Rating,
        UpdateRound,
    )

    ratings = list(Rating.objects.all())
    plan = ActionPlan.objects.create(title=f"Plan {slug}", slug=slug)
    chapters = [
        Chapter.objects.create(plan=plan, number=str(n + 1), title=f"Chapter {n + 1}")
        for n in range(6)
    ]
    items = Commitment.objects.bulk_create(
        Commitment(
            plan=plan,
            chapter=chapters[n % 6],
            number=f"{n % 6 + 1}.{n // 6 + 1}",
            text="Commitment words " * 12,
            lead_organisation="The police service",
            order=n,
        )
        for n in range(commitments)
    )
    updates = []
    for q in range(quarters):
        round_ = UpdateRound.objects.create(
            plan=plan,
            title=f"Quarter {q + 1}",
            period_end=dt.date(2020, 3, 31) + dt.timedelta(days=91 * q),
            published_at=timezone.now() - dt.timedelta(days=91 * (quarters - q)),
        )
        updates += [
            CommitmentUpdate(
                round=round_,
                commitment=c,
                status_text="Status update words " * 15,
                rating=ratings[(i + q) % len(ratings)],
                wording=c.text,
            )
            for i, c in enumerate(items)
        ]
    CommitmentUpdate.objects.bulk_create(updates, batch_size=1000)
    return slug


def query_count(path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, response.status_code
    return len(queries)


def main() -> None:
    parser = arg_parser("You said, we did and the action plan, public pages")
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    responses, commitments, quarters = (50, 12, 3) if args.quick else (500, 60, 12)
    total = 40 if args.quick else args.requests
    with bench_database("engage_bench_ysdw") as database_url:
        setup_django(database_url)
        from django.urls import reverse

        small_series = seed_series("small", meetings=5, responses=25)
        big_series = seed_series("big", meetings=10, responses=responses)
        small_plan = seed_plan("small-plan", commitments=6, quarters=2)
        big_plan = seed_plan("big-plan", commitments=commitments, quarters=quarters)
        pages = {
            "series page": (
                reverse("feedback:series_you_said", kwargs={"slug": small_series}),
                reverse("feedback:series_you_said", kwargs={"slug": big_series}),
            ),
            "plan page": (
                reverse("feedback:plan", kwargs={"slug": small_plan}),
                reverse("feedback:plan", kwargs={"slug": big_plan}),
            ),
            "commitment page": (
                reverse("feedback:commitment", kwargs={"slug": small_plan, "number": "1.1"}),
                reverse("feedback:commitment", kwargs={"slug": big_plan, "number": "1.1"}),
            ),
        }
        counts = {name: (query_count(a), query_count(b)) for name, (a, b) in pages.items()}
        rows = []
        with gunicorn(database_url, workers=2, timeout=180) as server:
            for name, (_small, path) in pages.items():
                load(server.url + path, total=10, concurrency=2)  # warm up
                figures = summarise(load(server.url + path, total=total, concurrency=4))
                small_q, big_q = counts[name]
                rows.append(
                    {
                        "page": name,
                        **figures,
                        "queries_small": small_q,
                        "queries_full": big_q,
                        "fixed": small_q == big_q,
                    }
                )
    print_table(rows)
    write_results(
        "you_said_we_did" + ("_quick" if args.quick else ""),
        {
            "responses": responses,
            "commitments": commitments,
            "quarters": quarters,
            "rows": rows,
            "targets": {"p95_ms": 150, "queries": "fixed"},
        },
    )


if __name__ == "__main__":
    main()
