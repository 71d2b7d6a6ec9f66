"""Settings per environment, the deploy check, and start-up with a bad database or broker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args, env_overrides, *, unset=()):
    env = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-value-0123456789",
    "ALLOWED_HOSTS": "engage.example.org",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION_ENV, "ENGAGE_VAR_DIR": str(tmp_path)},
        unset=("DATABASE_URL", "CELERY_BROKER_URL"),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": "", "ENGAGE_VAR_DIR": str(tmp_path)}
    result = _run(["manage.py", "migrate", "--check"], env, unset=("DATABASE_URL",))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "engage: configuration error: ALLOWED_HOSTS must be set in production"
    )


def test_unreachable_database_fails_with_one_line(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/engage",
        "ENGAGE_VAR_DIR": str(tmp_path),
    }
    result = _run(["manage.py", "migrate"], env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("engage: cannot reach the database (postgresql at 127.0.0.1)")


def test_malformed_database_url_fails_with_one_line(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": "mysq://nowhere",
        "ENGAGE_VAR_DIR": str(tmp_path),
    }
    result = _run(["manage.py", "migrate"], env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "engage: configuration error: DATABASE_URL must start with postgres:// or sqlite:/// (got scheme 'mysq')"
    )


def test_unreachable_broker_fails_with_one_line(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CELERY_BROKER_URL": "redis://:secret@127.0.0.1:1/0",
        "ENGAGE_VAR_DIR": str(tmp_path),
    }
    result = _run(["manage.py", "migrate"], env, unset=("DATABASE_URL",))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "engage: cannot reach the Celery broker at redis://:***@127.0.0.1:1/0"
    )
    assert "secret" not in result.stderr


@pytest.mark.parametrize(
    ("module", "debug", "mail_backend"),
    [
        ("config.settings.local", True, "engage.mail.backends.OutboxBackend"),
        ("config.settings.production", False, "engage.mail.backends.OutboxBackend"),
    ],
)
def test_settings_per_environment(tmp_path, module, debug, mail_backend):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.MAILERS['default']['BACKEND'], s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": module, "ENGAGE_VAR_DIR": str(tmp_path)}
    result = _run(["-c", code], env, unset=("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(debug), mail_backend, "django.db.backends.sqlite3", "True"]


def test_environment_chooses_database_mail_and_broker(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "m = s.MAILERS['default']; print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "m['BACKEND'], m['OPTIONS']['host'], m['OPTIONS']['port'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
    )
    env = {
        **PRODUCTION_ENV,
        "ENGAGE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://engage:pw@db.internal:5432/engage_prod",
        "EMAIL_URL": "smtp://127.0.0.1:1025",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    }
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "engage_prod",
        "django.core.mail.backends.smtp.EmailBackend",
        "127.0.0.1",
        "1025",
        "redis://redis.internal:6379/0",
        "False",
    ]


def test_production_logs_are_json(tmp_path):
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('engage.test').info('registration created', extra={'registration_id': 7})"
    )
    env = {**PRODUCTION_ENV, "ENGAGE_VAR_DIR": str(tmp_path)}
    result = _run(["-c", code], env, unset=("DATABASE_URL",))
    import json

    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "registration created"
    assert record["registration_id"] == 7
    assert record["level"] == "INFO"


def test_production_logs_carry_no_email_addresses(tmp_path):
    code = (
        "import django, logging; django.setup(); log = logging.getLogger('django.request'); "
        "log.warning('Not Found: %s', '/accounts/?email=jo.bloggs%40example.org', "
        "extra={'status_code': 404, 'to': 'Jo Bloggs <jo.bloggs@example.org>', 'stakeholder_id': 3})\n"
        "try:\n    raise ValueError('no such address jo.bloggs@example.org')\n"
        "except ValueError:\n    logging.getLogger('engage').exception('import failed')"
    )
    env = {**PRODUCTION_ENV, "ENGAGE_VAR_DIR": str(tmp_path)}
    result = _run(["-c", code], env, unset=("DATABASE_URL",))

    import json

    records = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert "jo.bloggs" not in result.stderr
    assert [r["message"] for r in records] == [
        "Not Found: /accounts/?email=<email>",
        "import failed",
    ]
    assert (records[0]["stakeholder_id"], records[0]["to"]) == (3, "Jo Bloggs <<email>>")
    assert "ValueError: no such address <email>" in records[1]["exc_info"]


def test_production_rate_limits_use_the_redis_cache(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from allauth.account import app_settings as a; "
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'], "
        "a.RATE_LIMITS['request_login_code'], s.CELERY_WORKER_HIJACK_ROOT_LOGGER)"
    )
    env = {**PRODUCTION_ENV, "ENGAGE_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://cache:6379/1"}
    result = _run(["-c", code], env, unset=("DATABASE_URL",))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django_redis.cache.RedisCache",
        "redis://cache:6379/1",
        "20/m/ip,3/m/key",
        "False",
    ]


def test_sessions_come_from_the_shared_cache_only_when_there_is_one(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "c = s.CACHES.get(s.SESSION_CACHE_ALIAS, {}).get('OPTIONS', {}); "
        "print(s.SESSION_ENGINE, s.SESSION_CACHE_ALIAS, c.get('IGNORE_EXCEPTIONS', False))"
    )
    env = {**PRODUCTION_ENV, "ENGAGE_VAR_DIR": str(tmp_path)}

    with_redis = _run(["-c", code], {**env, "REDIS_URL": "redis://redis.internal:6379/1"})
    without = _run(["-c", code], env, unset=("REDIS_URL",))

    # With Redis, sessions come from a cache of their own that ignores Redis errors (their rows
    # in the database answer instead; tests/events/test_views_public.py shows a page working).
    assert (with_redis.stdout.split(), without.stdout.split()) == (
        ["django.contrib.sessions.backends.cached_db", "sessions", "True"],
        ["django.contrib.sessions.backends.db", "default", "False"],
    )
