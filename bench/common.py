"""Helpers every benchmark shares: a PostgreSQL bench database, gunicorn on production settings,
timing summaries, a results file and a printed table.

A bench script is standalone (`.venv/bin/python bench/<name>.py [--quick]`):

    from common import arg_parser, bench_database, gunicorn, setup_django, summarise, ...

    args = arg_parser("Stakeholder list under load").parse_args()
    with bench_database("engage_bench_list") as database_url:
        setup_django(database_url)           # then factories / services fill the database
        with gunicorn(database_url, workers=2) as server:
            latencies = load(server.url + "/staff/stakeholders/", total=200, concurrency=4)
    write_results("stakeholder_list", {"median_ms": median(latencies)})
"""

import argparse
import contextlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
BIN = ROOT / ".venv" / "bin"
# The server and database administration URL; override to bench on another PostgreSQL.
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")

# Bench scripts run as files (sys.path[0] is bench/); the project's packages live one level up.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def arg_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser that already knows `--quick` (small sizes, for a smoke run)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the bench works")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=None,
        help="comma-separated sizes instead of the defaults (benches that take sizes)",
    )
    return parser


# --- Environment and database -------------------------------------------------------------------
def bench_env(database_url: str, **overrides: str) -> dict[str, str]:
    """Environment for production settings served over plain HTTP on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-only-" + "s" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "ENGAGE_VAR_DIR": env.get("ENGAGE_VAR_DIR")
            or str(Path(tempfile.gettempdir()) / "engage-bench"),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.pop("CELERY_BROKER_URL", None)
    env.update(overrides)
    return env


def _admin_connect():
    import psycopg

    return psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True)


def create_database(name: str) -> str:
    """Drop `name` if it exists, create it empty, and return its DATABASE_URL."""
    drop_database(name)
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL}/{name}"


def drop_database(name: str) -> None:
    with _admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(database_url: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=bench_env(database_url),
        check=True,
    )


@contextlib.contextmanager
def bench_database(name: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one bench; dropped afterwards unless `keep`.
    BENCH_DB_SUFFIX keeps the databases of several people benching on one server apart."""
    name += os.environ.get("BENCH_DB_SUFFIX", "")
    url = create_database(name)
    try:
        migrate(url)
        yield url
    finally:
        if not keep:
            from django.conf import settings

            if settings.configured:  # this process may hold connections from setup_django
                from django.db import connections

                connections.close_all()
            drop_database(name)


def setup_django(database_url: str) -> None:
    """Configure Django in this process on the bench database (to create data with factories)."""
    os.environ.update(bench_env(database_url))
    import django

    django.setup()


def login_cookie(user) -> dict[str, str]:
    """A request header carrying a signed-in session for `user` (after setup_django)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return {"Cookie": f"{name}={client.cookies[name].value}"}


# --- gunicorn -----------------------------------------------------------------------------------
@dataclass
class Server:
    url: str
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 2,
    timeout: float = 60,
    app: str = "config.wsgi:application",
    **env: str,
) -> Iterator[Server]:
    """gunicorn serving `app` on production settings and a free port, ready once /healthz answers
    200."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=bench_env(database_url, **env),
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process)
    try:
        _wait_for_health(server, timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_health(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f}s")


def load(
    url: str,
    *,
    total: int,
    concurrency: int = 4,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> list[float]:
    """GET `url` `total` times from `concurrency` threads; the latencies in milliseconds."""
    import requests

    def one(session: requests.Session) -> float:
        start = time.perf_counter()
        response = session.get(url, headers=headers, allow_redirects=False, timeout=60)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != expect:
            raise RuntimeError(f"GET {url} answered {response.status_code}, expected {expect}")
        return elapsed

    sessions = [requests.Session() for _ in range(concurrency)]
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda i: one(sessions[i % concurrency]), range(total)))


# --- Figures ------------------------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (0-100), interpolating linearly between the nearest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: list[float]) -> float:
    return statistics.median(values)


def summarise(values: list[float]) -> dict[str, float]:
    """n, median, p95, p99 and max, rounded for a table."""
    return {
        "n": len(values),
        "median": round(median(values), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
    }


def write_results(name: str, data: dict) -> Path:
    """bench/results/<name>.json, with the time it was measured."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"bench": name, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path.write_text(json.dumps({**payload, **data}, indent=2, default=str) + "\n")
    return path


def print_table(rows: list[dict]) -> None:
    """Rows of dicts as an aligned text table, columns in the first row's order."""
    if not rows:
        print("(no rows)")
        return
    columns = list(rows[0])
    for row in rows[1:]:
        columns += [c for c in row if c not in columns]
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))
