"""A real Celery worker for integration tests: Redis as the broker, the test database, real mail files.

    pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

    def test_something(worker):
        some_service(...)                  # its .delay_on_commit() now goes through Redis
        worker.wait_until(lambda: Row.objects.filter(sent=True).exists())
        assert len(worker.outbox()) == 1   # the worker's mail, one parsed .eml per message

While the fixture is active, the project's Celery app sends to Redis instead of running tasks
eagerly, so services queue exactly as in production. `worker.kill()` is kill -9 of the whole worker
(a crash mid-task), `worker.start()` starts another; pass `visibility_timeout=` to start() to have
tasks left unacknowledged by a killed worker redelivered after that many seconds.
"""

import email
import email.policy
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
CELERY = ROOT / ".venv" / "bin" / "celery"
QUEUES = "default,mail"


def _database_url(settings_dict: dict) -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Worker:
    """One Celery worker subprocess at a time, consuming the default and mail queues."""

    def __init__(self, *, broker_url: str, database_url: str, var_dir: Path, secret_key: str):
        self.broker_url = broker_url
        self.database_url = database_url
        self.var_dir = var_dir
        self.secret_key = secret_key
        self.process: subprocess.Popen | None = None
        self.nodename = ""
        self._log = None
        self.log_path = var_dir / "worker.log"

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    def _env(self, visibility_timeout: int | None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "CELERY_", "EMAIL_", "ANYMAIL_"))
            and k not in {"DATABASE_URL", "REDIS_URL"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": self.broker_url,
                "ENGAGE_VAR_DIR": str(self.var_dir),
                "LOG_LEVEL": "INFO",
            }
        )
        if visibility_timeout is not None:
            env["CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        return env

    def start(self, *, concurrency: int = 1, visibility_timeout: int | None = None) -> None:
        """Start a worker and return once it answers a ping (fails the test after 60 s)."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("a worker is already running; kill() or stop() it first")
        self.nodename = f"engage-test-{uuid.uuid4().hex[:8]}@localhost"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUES,
                "-n",
                self.nodename,
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=self._env(visibility_timeout),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() reaches the pool too
        )
        self._wait_for_ping()

    def _wait_for_ping(self, timeout: float = 60) -> None:
        from celery import Celery

        probe = Celery("engage-test-probe", broker=self.broker_url, set_as_current=False)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"the Celery worker exited at start:\n{self.log()}")
                if probe.control.ping(destination=[self.nodename], timeout=0.5):
                    return
            pytest.fail(f"the Celery worker did not answer a ping in {timeout:.0f}s:\n{self.log()}")
        finally:
            probe.close()

    def kill(self) -> None:
        """kill -9 the worker and its pool processes, as a crash or an OOM kill would."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM): running tasks finish; kill -9 if it takes over 20 s."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        """What the worker wrote so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def outbox(self) -> list[email.message.EmailMessage]:
        """Every message the worker sent, parsed, oldest first."""
        if not self.outbox_dir.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.outbox_dir.glob("*.eml"))
        ]

    def wait_until(self, condition: Callable[[], object], *, timeout: float = 30) -> None:
        """Poll `condition` until it is true; fail with the worker's log if it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        pytest.fail(f"condition not met within {timeout:.0f}s; worker log:\n{self.log()}")


@pytest.fixture
def worker(request, transactional_db, settings):
    """A real Celery worker on Redis and this test's database; the project app sends to it."""
    import redis

    if request.node.get_closest_marker("worker") is None:
        pytest.fail("mark tests that use the `worker` fixture with pytest.mark.worker")
    from django.db import connection

    from config.celery_app import app

    broker_url = settings.ENGAGE_TEST_REDIS_URL
    client = redis.Redis.from_url(broker_url)
    try:
        client.flushdb()  # nothing left over from an earlier test may be consumed by this worker
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is needed for worker tests at {broker_url}: {exc}")
    finally:
        client.close()

    with tempfile.TemporaryDirectory(prefix="engage-worker-") as var_dir:
        handle = Worker(
            broker_url=broker_url,
            database_url=_database_url(connection.settings_dict),
            var_dir=Path(var_dir),
            secret_key=settings.SECRET_KEY,
        )
        saved = {
            key: app.conf[key]
            for key in ("task_always_eager", "broker_url", "broker_transport_options")
        }
        app.conf.update(task_always_eager=False, broker_url=broker_url, broker_transport_options={})
        _reset_producers(app)
        try:
            handle.start()
            yield handle
        finally:
            handle.stop()
            app.conf.update(saved)
            _reset_producers(app)


def _reset_producers(app) -> None:
    # The app caches its producer pool at first use; forget it when the broker URL changes (kombu
    # keeps one pool per URL globally, so the Redis one is reused by the next worker test).
    app._pool = None
    app.amqp._producer_pool = None
