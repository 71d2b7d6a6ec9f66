"""Broker down, then back: how long until the emails owed while it was away are sent.

gunicorn (production settings), a real Celery mail worker and a real beat all point at a Redis
broker that this bench starts and stops on a port of its own. First, with the broker up, guests
register on the one-page form and representatives ask for sign-in codes (the baseline: request to
email sent). Then the broker is stopped and the same requests are made: each must answer (no 500)
and leave its email owed in its row. Then the broker is started again, and the bench measures,
per owed email, the time from the broker's return to the email's `sent_at`, the stand-in SES
having accepted it.

    .venv/bin/python bench/broker_down.py            # 10 registrations + 10 sign-in codes
    .venv/bin/python bench/broker_down.py --quick    # 5 + 5

Target (issue 13): every owed email sent within a minute of the broker returning. The beat sweep
(`engage.mail.reconcile`, every 60 s) is what finds them, so expect up to about a minute.
"""

import datetime as dt
import secrets
import subprocess
import time
from pathlib import Path

from common import (
    BIN,
    ROOT,
    arg_parser,
    bench_database,
    bench_env,
    free_port,
    gunicorn,
    median,
    print_table,
    setup_django,
    write_results,
)

TARGET_SECONDS = 60.0


def redis_start(port: int) -> subprocess.Popen:
    """A throwaway Redis on `port`, nothing saved to disk, answering once this returns."""
    import redis

    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the bench Redis did not start") from None
            time.sleep(0.05)


def redis_stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def celery(kind: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    args = [str(BIN / "celery"), "-A", "config", kind, "--loglevel", "WARNING"]
    if kind == "worker":
        args += ["-Q", "mail,default", "--concurrency", "2", "--without-gossip", "--without-mingle"]
        args += ["-n", f"broker-down-{secrets.token_hex(3)}@localhost"]
    else:
        args += ["--schedule", str(log.with_suffix(".schedule"))]
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    import os
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def prepare(count: int):
    from django.utils import timezone

    from engage.enums import Role
    from engage.roles import roles_ensure
    from events.enums import MeetingStatus
    from events.models import Meeting
    from tests.factories import UserFactory

    roles_ensure()
    from allauth.account.models import EmailAddress

    from engage.roles import user_set_role

    start = timezone.now() + dt.timedelta(days=30)
    meeting = Meeting.objects.create(
        title="Broker-down meeting",
        slug=f"broker-down-{secrets.token_hex(3)}",
        start=start,
        end=start + dt.timedelta(hours=2),
        capacity=500,
        status=MeetingStatus.PUBLISHED,
    )
    representatives = []
    for _ in range(2 * count):
        user = UserFactory()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        user_set_role(user=user, role=Role.REPRESENTATIVE)
        representatives.append(user.email)
    return meeting, representatives


def post(url: str, data: dict) -> int:
    """A browser's form post: an unmasked CSRF secret in the cookie and in the form."""
    import requests
    from django.conf import settings

    csrf = secrets.token_hex(16)
    response = requests.post(
        url,
        data={"csrfmiddlewaretoken": csrf, **data},
        headers={"Cookie": f"{settings.CSRF_COOKIE_NAME}={csrf}"},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code


def ask(server_url: str, meeting, emails: list[str], label: str) -> list[int]:
    """One guest registration and one sign-in code per pair of addresses; the status codes."""
    statuses = []
    register = f"{server_url}/meetings/{meeting.slug}/register/"
    for i, email in enumerate(emails):
        guest = f"{label}-guest{i}@example.org"
        statuses.append(
            post(register, {"guest_email": guest, "first_name": "Guest", "last_name": str(i)})
        )
        statuses.append(post(f"{server_url}/accounts/login/", {"login": email, "password": ""}))
    return statuses


def wait_sent(since, expected: int, timeout: float):
    from engage.enums import EmailStatus
    from engage.models import OutboundEmail

    rows = OutboundEmail.objects.filter(queued_at__gte=since)  # the bench database's only mail
    deadline = time.monotonic() + timeout
    while rows.filter(status=EmailStatus.SENT).count() < expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return list(rows.values_list("queued_at", "sent_at", "owed_at", "status"))


def main() -> int:
    from tests.standin_ses import StandInSES

    args = arg_parser(__doc__.splitlines()[0]).parse_args()
    # Per phase, `count` registrations and `count` sign-in codes; more from one address trips the
    # sign-in rate limit (429), which is right, and which this bench is not about.
    count = 5 if args.quick else 10
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    with bench_database("engage_bench_broker_down") as database_url:
        setup_django(database_url)
        from django.utils import timezone

        meeting, emails = prepare(count)
        with StandInSES(keep_raw=False, keep_bodies=False) as esp:
            env = bench_env(
                database_url,
                CELERY_BROKER_URL=broker,
                EMAIL_BACKEND="engage.mail.backends.AmazonSESBackend",
                ENGAGE_MAIL_ESP_ENDPOINT_URL=esp.url,
                AWS_ACCESS_KEY_ID="stand-in",
                AWS_SECRET_ACCESS_KEY="stand-in",  # noqa: S106 (the stand-in ESP checks nothing)
                AWS_DEFAULT_REGION="eu-west-2",
                ANYMAIL_WEBHOOK_SECRET="bench:bench-webhook-password",  # noqa: S106
            )
            logs = Path(env["ENGAGE_VAR_DIR"])
            logs.mkdir(parents=True, exist_ok=True)
            # gunicorn's /healthz (which common.gunicorn waits for) asks the broker: start it up.
            broker_process = redis_start(port)
            try:
                with gunicorn(database_url, workers=1, CELERY_BROKER_URL=broker) as web:
                    worker = celery("worker", env, logs / "broker_down_worker.log")
                    beat = celery("beat", env, logs / "broker_down_beat.log")
                    try:
                        time.sleep(10)  # the worker and beat connect
                        # Baseline: the broker up.
                        since = timezone.now()
                        up_statuses = ask(web.url, meeting, emails[:count], "up")
                        up_rows = wait_sent(since, 2 * count, 120)
                        # The broker away: the same requests, and a little while with none.
                        redis_stop(broker_process)
                        since = timezone.now()
                        down_statuses = ask(web.url, meeting, emails[count:], "down")
                        owed = wait_sent(since, 0, 0)
                        time.sleep(5)
                        back_at = timezone.now()
                        broker_process = redis_start(port)
                        down_rows = wait_sent(since, 2 * count, 240)
                    finally:
                        stop(worker)
                        stop(beat)
            finally:
                if broker_process.poll() is None:
                    redis_stop(broker_process)
    up = [(s - q).total_seconds() for q, s, _o, _st in up_rows if s]
    recovery = [(s - back_at).total_seconds() for _q, s, _o, _st in down_rows if s]
    result = {
        "requests_each_phase": 2 * count,
        "broker_up": {
            "status_codes": sorted(set(up_statuses)),
            "sent": len(up),
            "median_request_to_sent_s": round(median(up), 2) if up else None,
            "max_request_to_sent_s": round(max(up), 2) if up else None,
        },
        "broker_down": {
            "status_codes": sorted(set(down_statuses)),
            "answered_without_500": all(code < 500 for code in down_statuses),
            "owed_rows": sum(1 for _q, _s, o, _st in owed if o is not None),
            "sent_after_return": len(recovery),
            "median_return_to_sent_s": round(median(recovery), 2) if recovery else None,
            "max_return_to_sent_s": round(max(recovery), 2) if recovery else None,
            "within_target": bool(recovery)
            and len(recovery) == len(owed) == 2 * count
            and max(recovery) <= TARGET_SECONDS,
        },
        "target_s": TARGET_SECONDS,
    }
    if up and recovery:
        result["recovery_vs_baseline_median_x"] = round(median(recovery) / median(up), 1)
    print_table(
        [
            {"phase": "broker up", **result["broker_up"]},
            {"phase": "broker down, then back", **result["broker_down"]},
        ]
    )
    path = write_results("broker_down", result)
    print(f"results: {path}")
    return 0 if result["broker_down"]["within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
