"""Registration rush: many people register for one meeting at once, through gunicorn on PostgreSQL.

2,000 people (plus 100 who submit twice, from two tabs at the same instant) register for 300
places from 64 concurrent clients, with a burst of 300 requests released all together just as the
places run out. Afterwards the database must
hold exactly 300 confirmed and 1,700 waitlisted registrations with positions 1..1,700, one per
person, and every attempt must have been answered with its registration.

In the same run the same flow runs against a second gunicorn started with
ENGAGE_BENCH_UNLOCKED_REGISTRATION=1, which skips the meeting row lock (a bench-only switch): it
must oversell, which shows that this bench would catch a broken lock.

    .venv/bin/python bench/registration_rush.py [--quick] [--eager]

Celery tasks (the confirmation emails) go to a Redis broker as in production (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/13, flushed afterwards); with --eager they run inside the request.
"""

import os
import secrets
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    arg_parser,
    bench_database,
    gunicorn,
    percentile,
    print_table,
    setup_django,
    summarise,
    write_results,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"people": 200, "places": 30, "clients": 16, "burst": 40, "twice": 10}
    return {"people": 2000, "places": 300, "clients": 64, "burst": 200, "twice": 100}


def _prepare(label: str, sizes: dict[str, int]):
    """A published meeting and one checked-email session per person; returns what the load needs."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from engage.models import Area
    from events.enums import MeetingStatus
    from events.models import Meeting
    from events.views_public import VERIFIED_EMAIL

    start = timezone.now() + dt.timedelta(days=30)
    meeting = Meeting.objects.create(
        title=f"Rush meeting ({label})",
        slug=f"rush-{label}",
        start=start,
        end=start + dt.timedelta(hours=2),
        capacity=sizes["places"],
        status=MeetingStatus.PUBLISHED,
    )
    areas = list(Area.objects.values_list("pk", flat=True)) or [None]
    store = SessionStore()
    expiry = timezone.now() + dt.timedelta(days=1)
    people = []
    sessions = []
    for i in range(sizes["people"]):
        email = f"{label}-person{i}@example.org"
        key = secrets.token_hex(16)
        sessions.append(
            Session(
                session_key=key,
                session_data=store.encode({VERIFIED_EMAIL: email}),
                expire_date=expiry,
            )
        )
        csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
        people.append(
            {
                "email": email,
                "headers": {
                    "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; "
                    f"{settings.CSRF_COOKIE_NAME}={csrf}"
                },
                "data": {
                    "csrfmiddlewaretoken": csrf,
                    "first_name": f"Person {i}",
                    "last_name": label.title(),
                    "area": areas[i % len(areas)] or "",
                    "organisation_name": "Rush test group",
                    **({"attendee_list_ok": "on"} if i % 4 == 0 else {}),
                },
            }
        )
    Session.objects.bulk_create(sessions, batch_size=1000)
    return meeting, people


def _attempt(session, url: str, person: dict) -> dict:
    started = time.perf_counter()
    try:
        response = session.post(
            url, data=person["data"], headers=person["headers"], allow_redirects=False, timeout=120
        )
        status, location = response.status_code, response.headers.get("Location", "")
    except Exception as exc:  # a dropped connection is a lost attempt, counted as such
        status, location = f"error: {type(exc).__name__}", ""
    return {
        "email": person["email"],
        "status": status,
        "location": location,
        "ms": (time.perf_counter() - started) * 1000,
    }


def _rush(server_url: str, meeting, people: list[dict], sizes: dict[str, int]) -> dict:
    """N steady clients; a burst (with the two-tab pairs) released at once just as the places run
    out, so that it straddles the moment the meeting fills; then the rest from the N clients."""
    import requests

    url = f"{server_url}/meetings/{meeting.slug}/register/"
    before = max(0, sizes["places"] - sizes["burst"] // 2)
    early, late = people[:before], people[before:]
    twice = late[: sizes["twice"]]
    burst = late[sizes["twice"] : sizes["burst"]]
    rest = late[sizes["burst"] :]
    burst_jobs = burst + twice + twice  # each of `twice` submits from two tabs at the same moment
    results: list[dict] = []
    local = threading.local()

    def client_one(person):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return _attempt(local.session, url, person)

    lock = threading.Lock()
    barrier = threading.Barrier(len(burst_jobs))

    def burst_one(person):
        with requests.Session() as session:
            barrier.wait()
            outcome = _attempt(session, url, person)
        with lock:
            results.append(outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(sizes["clients"]) as pool:
        results.extend(pool.map(client_one, early))
    threads = [threading.Thread(target=burst_one, args=(p,)) for p in burst_jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with ThreadPoolExecutor(sizes["clients"]) as pool:
        results.extend(pool.map(client_one, rest))
    elapsed = time.perf_counter() - started
    return {"results": results, "elapsed": elapsed}


def _verify(meeting, people: list[dict], run: dict) -> dict:
    from django.db.models import Count

    from events.models import Registration

    rows = Registration.objects.filter(meeting=meeting)
    by_status = Counter(rows.values_list("status", flat=True))
    positions = sorted(rows.filter(status="waitlisted").values_list("waitlist_position", flat=True))
    per_person = (
        rows.values("stakeholder__email_normalised").annotate(n=Count("id")).filter(n__gt=1)
    )
    tokens = dict(rows.values_list("stakeholder__email_normalised", "token"))
    results = run["results"]
    answered = [r for r in results if r["status"] == 302 and "/registrations/" in r["location"]]
    # Every answer must point at the one registration of the person who asked.
    wrong_answers = [
        r for r in answered if str(tokens.get(r["email"].lower())) not in r["location"]
    ]
    return {
        "attempts": len(results),
        "people": len(people),
        "answered": len(answered),
        "failed": len(results) - len(answered),
        "failed_kinds": dict(Counter(str(r["status"]) for r in results if r not in answered)),
        "registrations": rows.count(),
        "confirmed": by_status.get("confirmed", 0),
        "waitlisted": by_status.get("waitlisted", 0),
        "positions_unique_and_contiguous": positions == list(range(1, len(positions) + 1)),
        "people_with_two_registrations": per_person.count(),
        "answers_pointing_elsewhere": len(wrong_answers),
        "attempts_per_second": round(len(results) / run["elapsed"], 1),
        "latency_ms": summarise([r["ms"] for r in results]),
        "p50_ms": round(percentile([r["ms"] for r in results], 50), 1),
    }


def main() -> int:
    parser = arg_parser("Registration rush through gunicorn on PostgreSQL")
    parser.add_argument("--eager", action="store_true", help="run Celery tasks in the request")
    parser.add_argument("--workers", type=int, default=8, help="gunicorn workers (default 8)")
    args = parser.parse_args()
    sizes = _sizes(args.quick)
    broker = {} if args.eager else {"CELERY_BROKER_URL": REDIS_URL}
    with bench_database("engage_bench_registration") as database_url:
        setup_django(database_url)
        from engage.services import areas_load

        areas_load()
        locked_meeting, locked_people = _prepare("locked", sizes)
        unlocked_meeting, unlocked_people = _prepare("unlocked", sizes)
        with gunicorn(
            database_url,
            workers=args.workers,
            timeout=180,
            ENGAGE_BENCH_UNLOCKED_REGISTRATION="0",
            **broker,
        ) as server:
            locked = _verify(
                locked_meeting,
                locked_people,
                _rush(server.url, locked_meeting, locked_people, sizes),
            )
        with gunicorn(
            database_url,
            workers=args.workers,
            timeout=180,
            ENGAGE_BENCH_UNLOCKED_REGISTRATION="1",
            # The unlocked run's failures are expected; their tracebacks would bury the table.
            LOG_LEVEL="CRITICAL",
            **broker,
        ) as server:
            unlocked = _verify(
                unlocked_meeting,
                unlocked_people,
                _rush(server.url, unlocked_meeting, unlocked_people, sizes),
            )
    if not args.eager:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()

    places, people = sizes["places"], sizes["people"]
    locked_ok = (
        locked["confirmed"] == places
        and locked["waitlisted"] == people - places
        and locked["registrations"] == people
        and locked["positions_unique_and_contiguous"]
        and locked["people_with_two_registrations"] == 0
        and locked["failed"] == 0
        and locked["answers_pointing_elsewhere"] == 0
    )
    oversold = unlocked["confirmed"] - places
    caught = oversold > 0
    rows = []
    for name, figures in (("locked", locked), ("unlocked (bench only)", unlocked)):
        rows.append(
            {
                "run": name,
                "attempts": figures["attempts"],
                "att/s": figures["attempts_per_second"],
                "p50 ms": figures["p50_ms"],
                "p95 ms": figures["latency_ms"]["p95"],
                "confirmed": figures["confirmed"],
                "waitlisted": figures["waitlisted"],
                "failed": figures["failed"],
                "double": figures["people_with_two_registrations"],
            }
        )
    print(
        f"{people} people (+{sizes['twice']} two-tab repeats) for {places} places, "
        f"{sizes['clients']} clients after a burst of {sizes['burst'] + sizes['twice']}"
    )
    print_table(rows)
    print(
        f"locked run correct: {locked_ok}; unlocked run oversold by {oversold} (caught: {caught})"
    )
    path = write_results(
        "registration_rush",
        {
            "quick": args.quick,
            "sizes": sizes,
            "gunicorn_workers": args.workers,
            "celery": "eager" if args.eager else "redis broker",
            "locked": locked,
            "unlocked": unlocked,
            "locked_correct": locked_ok,
            "unlocked_oversold_by": oversold,
            "median_attempts_per_second": locked["attempts_per_second"],
            "median_latency_ms": locked["latency_ms"]["median"],
            "p95_latency_ms": locked["latency_ms"]["p95"],
        },
    )
    print(f"results: {path}")
    return 0 if locked_ok and caught else 1


if __name__ == "__main__":
    raise SystemExit(main())
