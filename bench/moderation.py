"""Staff moderation list for a meeting of 5,000 points, through gunicorn on PostgreSQL.

    .venv/bin/python bench/moderation.py [--quick] [--points N] [--requests N]

Seeds one meeting: 12 breakouts, each asked the same 3 questions, 5,000 points between them
(some naming registrants or giving a phone number or an address), 300 registrants, 15 themes on
about half the points, some approved, withheld and merged. Then:
  first check      the personal-data check of every point, as the first opening of the list does
  queries          the list's query count through the Django test client, at 5,000 points and at
                   500 (it must be the same), for the unfiltered list and a filtered one
  p95 per page     through gunicorn (2 workers for the machine's 2 cores, Redis cache as in
                   production), one moderator alone and 4 at once (a team's whole moderation
                   effort): the first page, the flagged filter, pending for one question, one
                   theme, and a page deep in the list
Target (issue #11): p95 at most 150 ms, a fixed number of queries. The target is judged at
--concurrency (default 4).

The servers' cache is Redis (BENCH_CACHE_URL, default redis://127.0.0.1:6379/12).
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    arg_parser,
    bench_database,
    gunicorn,
    load,
    login_cookie,
    print_table,
    setup_django,
    summarise,
    write_results,
)

TARGET_P95_MS = 150
QUESTIONS = [
    "What should the police stop, start or continue doing in your area?",
    "How could communities help support young people?",
    "If you could have changed one thing about this session, what would it be?",
]
THEMES = [
    "Stop and search",
    "Street lighting",
    "Youth services",
    "Trust and confidence",
    "Visible policing",
    "Knife crime",
    "Schools",
    "Communication",
    "Mental health",
    "Anti-social behaviour",
    "Racial disparity",
    "Reporting crime",
    "Community events",
    "Transport safety",
    "Session format",
]
PHRASES = [
    "more officers walking the estate in the evening",
    "explain stop and search before it happens",
    "the lights on the path by the station have been out for months",
    "youth clubs closed and there is nowhere for young people to go",
    "answer the 101 line faster",
    "visit schools and talk to pupils about knife crime",
    "share what happened after the last meeting",
    "more time for questions at the end",
    "work with mosques, churches and temples",
    "mental health support instead of arrests",
]
FIRST = ["Amara", "Tom", "Priya", "Kwame", "Helen", "Sam", "Yusuf", "Grace", "Leon", "Mei"]
LAST = ["Okafor", "Reyes", "Shah", "Mensah", "Marsh", "Green", "Ali", "Byrne", "Clarke", "Chen"]


def seed(points: int, tag: str = "") -> dict:
    """Bulk-insert the meeting and its points; ids and what the scenarios filter on."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    from engage.models import Stakeholder
    from events.enums import SessionKind
    from events.models import DiscussionQuestion, Meeting, Registration, Series, Session
    from feedback.enums import ModerationState
    from feedback.models import MeetingTheme, Point, Theme

    rng = random.Random(11)
    now = timezone.now()
    series = Series.objects.create(name="Public review", slug=f"public-review-bench{tag}")
    meeting = Meeting.objects.create(
        series=series,
        title="Public review meeting",
        slug=f"public-review-bench{tag}",
        start=now - dt.timedelta(days=3),
        end=now - dt.timedelta(days=3) + dt.timedelta(hours=3),
        summary="Opened by Chief Superintendent Helen Marsh, with Cllr Byrne.",
    )
    sessions = [
        Session.objects.create(
            meeting=meeting,
            kind=SessionKind.BREAKOUT,
            title=f"Breakout {i + 1}",
            start=meeting.start + dt.timedelta(hours=1),
            end=meeting.start + dt.timedelta(hours=2),
            order=i,
        )
        for i in range(12)
    ]
    questions = [
        DiscussionQuestion.objects.create(session=s, text=text, order=j)
        for s in sessions
        for j, text in enumerate(QUESTIONS)
    ]
    people = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                email=f"bench{tag}{i}@example.org",
                email_normalised=f"bench{tag}{i}@example.org",
            )
            for i in range(300)
        ]
    )
    Registration.objects.bulk_create(
        [Registration(meeting=meeting, stakeholder=p, status="confirmed") for p in people]
    )
    themes = Theme.objects.bulk_create([Theme(series=series, name=n) for n in THEMES])
    MeetingTheme.objects.bulk_create([MeetingTheme(meeting=meeting, theme=t) for t in themes])
    rows = []
    for i in range(points):
        question = questions[i % len(questions)]
        text = rng.choice(PHRASES).capitalize()
        roll = rng.random()
        if roll < 0.04:
            text += f", ask {rng.choice(FIRST)} {rng.choice(LAST)}"
        elif roll < 0.06:
            text += f", ring me on 07911 {rng.randint(100000, 999999)}"
        elif roll < 0.07:
            text += f" (write to me at someone{i}@example.org)"
        rows.append(
            Point(
                key=uuid.uuid4(),
                question=question,
                session_id=question.session_id,
                text=f"{text} ({i})",
                weight=rng.choice((1, 1, 1, 2, 3)),
                verbatim=rng.random() < 0.1,
                theme=rng.choice(themes) if rng.random() < 0.5 else None,
                moderation=rng.choice(
                    [ModerationState.PENDING] * 5 + [ModerationState.APPROVED] * 4
                ),
                created_at=now,
                updated_at=now,
            )
        )
    created = Point.objects.bulk_create(rows, batch_size=1000)
    withheld = created[::97]
    Point.objects.filter(pk__in=[p.pk for p in withheld]).update(
        moderation=ModerationState.WITHHELD, withheld_reason="Off-topic"
    )
    for source, target in zip(created[1::151], created[2::151], strict=False):
        Point.objects.filter(pk=source.pk).update(merged_into=target)
    return {"meeting": meeting, "theme": themes[0].pk}


def staff_user():
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from engage.enums import Role
    from engage.models import User
    from engage.roles import roles_ensure, user_set_role

    roles_ensure()
    user = User.objects.create_user("bench-staff@example.org", "bench-password-not-secret")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ENGAGEMENT_TEAM)
    TOTP.activate(user, generate_totp_secret())
    return user


def query_count(user, path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.get(path)  # the session's first request loads what it then caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(queries)


def main() -> int:
    parser = arg_parser("Staff moderation list for a meeting of 5,000 points")
    parser.add_argument("--points", type=int, default=0)
    parser.add_argument("--requests", type=int, default=0, help="per scenario")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    points = args.points or (600 if args.quick else 5_000)
    total = args.requests or (40 if args.quick else 400)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")

    with bench_database("engage_bench_moderation") as url:
        setup_django(url)
        from feedback import services

        targets = seed(points)
        meeting = targets["meeting"]
        start = time.perf_counter()
        checked = services.points_check_personal_data(meeting=meeting)
        first_check_ms = round((time.perf_counter() - start) * 1000)
        user = staff_user()
        small = seed_small_meeting(points // 10)
        _analyze()
        base = f"/staff/meetings/{meeting.pk}/moderation/"
        scenarios = [
            ("first page", base),
            ("flagged", f"{base}?state=flagged"),
            ("pending, one question", f"{base}?state=pending&question=2"),
            ("one theme", f"{base}?theme={targets['theme']}"),
            ("deep page", f"{base}?page={max(1, points // 25 - 5)}"),
        ]
        queries = {name: query_count(user, path) for name, path in scenarios}
        headers = login_cookie(user)
        small_queries = query_count(user, f"/staff/meetings/{small.pk}/moderation/")
        from django.db import connections

        connections.close_all()
        rows, results = [], {}
        with gunicorn(url, workers=2, timeout=240) as server:
            for _name, path in scenarios:  # warm every worker
                load(server.url + path, total=8, concurrency=4, headers=headers)
            for concurrency in sorted({1, args.concurrency}):
                for name, path in scenarios:
                    latencies = load(
                        server.url + path, total=total, concurrency=concurrency, headers=headers
                    )
                    summary = summarise(latencies)
                    judged = concurrency == args.concurrency
                    ok = summary["p95"] <= TARGET_P95_MS
                    row = {"scenario": name, "clients": concurrency, **summary}
                    rows.append({**row, "queries": queries[name], "ok": ok if judged else "-"})
                    results[f"{name} x{concurrency}"] = {**row, "queries": queries[name]}
                    if judged:
                        results[f"{name} x{concurrency}"]["pass"] = ok
    print(f"first check for personal data: {checked} points in {first_check_ms} ms")
    print(f"queries: {queries['first page']} at {points} points, {small_queries} at {points // 10}")
    print_table(rows)
    fixed = small_queries == queries["first page"]
    path = write_results(
        "moderation",
        {
            "quick": args.quick,
            "points": points,
            "concurrency": args.concurrency,
            "target_p95_ms": TARGET_P95_MS,
            "first_check_ms": first_check_ms,
            "queries_small_meeting": small_queries,
            "queries_fixed": fixed,
            "scenarios": results,
        },
    )
    print(f"results: {path}")
    judged = [r["pass"] for r in results.values() if "pass" in r]
    return 0 if args.quick or (fixed and all(judged)) else 1


def _analyze() -> None:
    """Table statistics as autovacuum would have them after the inserts: without them the
    planner takes the freshly filled tables for empty ones and picks plans for a handful of rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_small_meeting(points: int):
    """A second meeting, a tenth of the size, for the query count at another size."""
    from feedback import services

    meeting = seed(points, tag="-small")["meeting"]
    services.points_check_personal_data(meeting=meeting)
    return meeting


if __name__ == "__main__":
    raise SystemExit(main())
