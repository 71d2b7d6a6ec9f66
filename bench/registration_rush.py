"""Registration rush: many people register for one meeting at once, through gunicorn on PostgreSQL.

2,000 people (plus 100 who submit twice, from two tabs at the same instant) register for 300
places from 64 concurrent clients, with a burst of 300 requests released all together just as the
places run out. Afterwards the database must
hold exactly 300 confirmed and 1,700 waitlisted registrations with positions 1..1,700, one per
person, and every attempt must have been answered with its registration.

In the same run the same flow runs against a second gunicorn serving bench/unlocked_wsgi.py, which
takes the meeting row lock out in that server's own process (the app has no switch for it): it
must oversell, which shows that this bench would catch a broken lock.

    .venv/bin/python bench/registration_rush.py [--quick] [--eager]

Celery tasks (the wake-up of the confirmation emails' sender) go to a Redis broker as in
production (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, flushed afterwards); with --eager
they run inside the request. The servers share a Redis cache as production does (BENCH_CACHE_URL,
default redis://127.0.0.1:6379/12, flushed before and after): sessions are read from it.

The clients are asyncio tasks in this one process, each sending a real HTTP/1.1 POST on its own
TCP connection and reading the whole answer, timed from connect to the last byte. A client made
of 64 Python threads cost about as much CPU per attempt as a tenth of the server's, and its
threads waited for the GIL before they could stop their clocks, on the same two cores.
"""

import asyncio
import os
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

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
# The shared cache production has (sessions, the notices' wake-up key), in its own database.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")
# The targets for a 2-core machine.
TARGET_RATE = 200.0
TARGET_P95_MS = 250.0


def _sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"people": 200, "places": 30, "clients": 16, "burst": 40, "twice": 10}
    return {"people": 2000, "places": 300, "clients": 64, "burst": 200, "twice": 100}


def _prepare(label: str, sizes: dict[str, int]):
    """A published meeting and one checked-email session per person; returns what the load needs."""
    import datetime as dt
    from importlib import import_module

    from django.conf import settings
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
    # Each person's session is made as checking their emailed code makes it, through the
    # configured session engine (with the shared cache, it is in Redis as well as the database).
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    people = []
    for i in range(sizes["people"]):
        email = f"{label}-person{i}@example.org"
        store = store_class()
        store[VERIFIED_EMAIL] = email
        store.create()
        key = store.session_key
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
    return meeting, people


def _request_bytes(url: str, person: dict) -> bytes:
    """The POST a browser would send for the registration form, encoded once before the clock."""
    parts = urlsplit(url)
    body = urlencode(person["data"]).encode()
    head = (
        f"POST {parts.path} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in person["headers"].items())
        + "\r\n"
    )
    return head.encode("latin-1") + body


async def _attempt(host: str, port: int, person: dict) -> dict:
    started = time.perf_counter()
    status, location = "", ""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 120)
        try:
            writer.write(person["request"])
            answer = await asyncio.wait_for(reader.read(), 120)  # the server closes: read to EOF
        finally:
            writer.close()
        head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "location":
                location = value.strip()
    except Exception as exc:  # a dropped connection is a lost attempt, counted as such
        status = f"error: {type(exc).__name__}"
    return {
        "email": person["email"],
        "status": status,
        "location": location,
        "ms": (time.perf_counter() - started) * 1000,
    }


async def _clients(host: str, port: int, people: list[dict], clients: int) -> list[dict]:
    """`clients` concurrent clients, each sending its next attempt as soon as it has an answer."""
    queue = iter(people)
    results: list[dict] = []

    async def client():
        for person in queue:
            results.append(await _attempt(host, port, person))

    await asyncio.gather(*(client() for _ in range(clients)))
    return results


async def _burst(host: str, port: int, jobs: list[dict]) -> list[dict]:
    """Every job sent at the same instant, each on its own connection."""
    go = asyncio.Event()

    async def one(person):
        await go.wait()
        return await _attempt(host, port, person)

    tasks = [asyncio.create_task(one(person)) for person in jobs]
    await asyncio.sleep(0)  # every task is now waiting for the signal
    go.set()
    return list(await asyncio.gather(*tasks))


async def _paced(host: str, port: int, schedule: list[tuple[float, dict]], clients: int):
    """Each job sent at its own moment (seconds from the start), whatever the answers so far, with
    at most `clients` in flight. Latency counts from the job's moment, so time spent waiting for a
    free client is not hidden."""
    slots = asyncio.Semaphore(clients)
    start = time.perf_counter()

    async def one(at: float, person: dict):
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        async with slots:
            result = await _attempt(host, port, person)
        result["ms"] = (time.perf_counter() - (start + at)) * 1000
        return result

    return list(await asyncio.gather(*(one(at, person) for at, person in schedule)))


def _paced_run(server_url: str, meeting, people: list[dict], sizes: dict[str, int], rate: float):
    """The same people and two-tab pairs, arriving at `rate` a second (each pair at one moment)."""
    url = f"{server_url}/meetings/{meeting.slug}/register/"
    parts = urlsplit(url)
    for person in people:
        person["request"] = _request_bytes(url, person)
    twice = {id(person) for person in people[-sizes["twice"] :]}
    schedule = []
    for i, person in enumerate(people):
        schedule.append((i / rate, person))
        if id(person) in twice:
            schedule.append((i / rate, person))
    started = time.perf_counter()
    results = asyncio.run(_paced(parts.hostname, parts.port, schedule, sizes["clients"]))
    elapsed = time.perf_counter() - started
    return {"results": results, "steady": results, "burst": [], "elapsed": elapsed}


def _warm(server_url: str, meeting, people: list[dict]) -> None:
    """A server that has been up a while: every worker has loaded its code and connections."""
    url = f"{server_url}/meetings/{meeting.slug}/register/"
    parts = urlsplit(url)
    for person in people:
        person["request"] = _request_bytes(url, person)
    asyncio.run(_clients(parts.hostname, parts.port, people, 8))


def _rush(server_url: str, meeting, people: list[dict], sizes: dict[str, int]) -> dict:
    """N steady clients; a burst (with the two-tab pairs) released at once just as the places run
    out, so that it straddles the moment the meeting fills; then the rest from the N clients."""
    url = f"{server_url}/meetings/{meeting.slug}/register/"
    parts = urlsplit(url)
    for person in people:
        person["request"] = _request_bytes(url, person)
    before = max(0, sizes["places"] - sizes["burst"] // 2)
    early, late = people[:before], people[before:]
    twice = late[: sizes["twice"]]
    burst = late[sizes["twice"] : sizes["burst"]]
    rest = late[sizes["burst"] :]
    burst_jobs = burst + twice + twice  # each of `twice` submits from two tabs at the same moment

    async def run():
        host, port = parts.hostname, parts.port
        steady = await _clients(host, port, early, sizes["clients"])
        rushed = await _burst(host, port, burst_jobs)
        steady += await _clients(host, port, rest, sizes["clients"])
        return steady, rushed

    started = time.perf_counter()
    steady, rushed = asyncio.run(run())
    elapsed = time.perf_counter() - started
    return {"results": steady + rushed, "steady": steady, "burst": rushed, "elapsed": elapsed}


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
        # No worker runs here: every registration must still be owed its email, in its row.
        "emails_owed": rows.filter(notice_pending__in=("confirmed", "waitlisted")).count(),
        "answers_pointing_elsewhere": len(wrong_answers),
        "attempts_per_second": round(len(results) / run["elapsed"], 1),
        "latency_ms": summarise([r["ms"] for r in results]),
        "p50_ms": round(percentile([r["ms"] for r in results], 50), 1),
        # The burst queues by design (every request at once), so it is shown apart as well.
        "steady_latency_ms": summarise([r["ms"] for r in run["steady"]]),
        "burst_latency_ms": summarise([r["ms"] for r in run["burst"]]) if run["burst"] else {},
    }


def main() -> int:
    parser = arg_parser("Registration rush through gunicorn on PostgreSQL")
    parser.add_argument("--eager", action="store_true", help="run Celery tasks in the request")
    # Two per core: measured on 2 cores, 8 sync workers spent about 40% more CPU per attempt than
    # 4 (more processes woken per connection and switched between) and answered fewer per second.
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    # The unlocked run measures nothing; it shows the checks catch a broken lock. Its race is
    # lost only when two registrations count the last places at the same moment, so it gets
    # more workers, more of them at that moment, than the measured run needs.
    parser.add_argument(
        "--unlocked-workers",
        type=int,
        default=16,
        help="gunicorn workers for the unlocked run (default 16)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=TARGET_RATE,
        help=f"arrivals a second for the paced run (default {TARGET_RATE:g}, the target)",
    )
    args = parser.parse_args()
    sizes = _sizes(args.quick)
    warm_sizes = {"people": 100, "places": 50, "clients": 8, "burst": 0, "twice": 0}
    broker = {} if args.eager else {"CELERY_BROKER_URL": REDIS_URL}
    import redis

    os.environ["REDIS_URL"] = CACHE_URL  # for this process and both servers
    redis.Redis.from_url(CACHE_URL).flushdb()
    with bench_database("engage_bench_registration") as database_url:
        setup_django(database_url)
        from engage.services import areas_load

        areas_load()
        meetings = {label: _prepare(label, sizes) for label in ("locked", "paced", "unlocked")}
        warm = {label: _prepare(label, warm_sizes) for label in ("warm-a", "warm-b")}
        with gunicorn(
            database_url,
            workers=args.workers,
            timeout=180,
            **broker,
        ) as server:
            _warm(server.url, *warm["warm-a"])
            locked = _verify(*meetings["locked"], _rush(server.url, *meetings["locked"], sizes))
            paced = _verify(
                *meetings["paced"], _paced_run(server.url, *meetings["paced"], sizes, args.rate)
            )
        with gunicorn(
            database_url,
            workers=args.unlocked_workers,
            timeout=180,
            app="bench.unlocked_wsgi:application",
            # The unlocked run's failures are expected; their tracebacks would bury the table.
            LOG_LEVEL="CRITICAL",
            **broker,
        ) as server:
            _warm(server.url, *warm["warm-b"])
            unlocked = _verify(
                *meetings["unlocked"], _rush(server.url, *meetings["unlocked"], sizes)
            )
    if not args.eager:
        redis.Redis.from_url(REDIS_URL).flushdb()
    redis.Redis.from_url(CACHE_URL).flushdb()

    places, people = sizes["places"], sizes["people"]

    def correct(figures: dict) -> bool:
        return (
            figures["confirmed"] == places
            and figures["waitlisted"] == people - places
            and figures["registrations"] == people
            and figures["positions_unique_and_contiguous"]
            and figures["people_with_two_registrations"] == 0
            and figures["failed"] == 0
            and figures["answers_pointing_elsewhere"] == 0
            and figures["emails_owed"] == people
        )

    locked_ok, paced_ok = correct(locked), correct(paced)
    oversold = unlocked["confirmed"] - places
    caught = oversold > 0
    rows = []
    runs = (
        ("rush: locked", locked),
        (f"paced at {args.rate:g}/s", paced),
        ("rush: unlocked (bench only)", unlocked),
    )
    for name, figures in runs:
        rows.append(
            {
                "run": name,
                "attempts": figures["attempts"],
                "att/s": figures["attempts_per_second"],
                "p50 ms": figures["p50_ms"],
                "p95 ms": figures["latency_ms"]["p95"],
                "steady p95": figures["steady_latency_ms"]["p95"],
                "burst p95": figures["burst_latency_ms"].get("p95", ""),
                "confirmed": figures["confirmed"],
                "waitlisted": figures["waitlisted"],
                "failed": figures["failed"],
                "double": figures["people_with_two_registrations"],
            }
        )
    print(
        f"{people} people (+{sizes['twice']} two-tab repeats) for {places} places. Rush: "
        f"{sizes['clients']} clients, each sending its next attempt as soon as it has an answer, "
        f"around a burst of {sizes['burst'] + sizes['twice']} sent at one instant. Paced: the "
        f"same, arriving at {args.rate:g} a second, at most {sizes['clients']} in flight, "
        "latency counted from each arrival."
    )
    print_table(rows)
    print(
        f"locked rush correct: {locked_ok}; paced run correct: {paced_ok}; "
        f"unlocked rush oversold by {oversold} (caught: {caught})"
    )
    # With N clients that each wait for their answer, mean latency is N / throughput (Little's
    # law): the rush's steady latency follows from its rate, so the paced run measures latency
    # at the target rate.
    print(
        f"targets: rush >= {TARGET_RATE:g} att/s: {locked['attempts_per_second'] >= TARGET_RATE}; "
        f"paced p95 <= {TARGET_P95_MS:g} ms: {paced['latency_ms']['p95'] <= TARGET_P95_MS}; "
        f"rush steady p95 {locked['steady_latency_ms']['p95']} ms "
        f"(Little's law floor for the mean: {sizes['clients'] / locked['attempts_per_second'] * 1000:.0f} ms)"
    )
    path = write_results(
        "registration_rush",
        {
            "quick": args.quick,
            "sizes": sizes,
            "gunicorn_workers": args.workers,
            "gunicorn_workers_unlocked": args.unlocked_workers,
            "celery": "eager" if args.eager else "redis broker",
            "paced_rate": args.rate,
            "locked": locked,
            "paced": paced,
            "unlocked": unlocked,
            "locked_correct": locked_ok,
            "paced_correct": paced_ok,
            "unlocked_oversold_by": oversold,
            "median_attempts_per_second": locked["attempts_per_second"],
            "median_latency_ms": locked["latency_ms"]["median"],
            "p95_latency_ms": locked["latency_ms"]["p95"],
            "paced_p95_latency_ms": paced["latency_ms"]["p95"],
        },
    )
    print(f"results: {path}")
    return 0 if locked_ok and paced_ok and caught else 1


if __name__ == "__main__":
    raise SystemExit(main())
