"""What `make run` and `make test` set up: links to the port the server runs on, the embedded
broker's files under var/, the system packages the suite needs, the app loaded before serving."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, env_overrides: dict, *, cwd: Path = ROOT, unset=()) -> str:
    env = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("DJANGO_")}
    env.update(env_overrides)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SITE_URL = (
    "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
)


def test_site_url_follows_the_port_make_run_serves_on(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "ENGAGE_VAR_DIR": str(tmp_path)}
    unset = ("SITE_URL", "HOST", "PORT")

    assert _python(SITE_URL, {**env, "PORT": "8101"}, unset=unset) == "http://127.0.0.1:8101"
    assert (
        _python(SITE_URL, {**env, "HOST": "localhost", "PORT": "8102"}, unset=unset)
        == "http://localhost:8102"
    )
    assert (
        _python(SITE_URL, {**env, "HOST": "0.0.0.0", "PORT": "8103"}, unset=unset)  # noqa: S104
        == "http://127.0.0.1:8103"
    )
    assert _python(SITE_URL, env, unset=unset) == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "ENGAGE_VAR_DIR": str(tmp_path),
        "PORT": "8101",
        "SITE_URL": "https://engage.example.org",
    }
    assert _python(SITE_URL, env) == "https://engage.example.org"


def test_the_embedded_broker_writes_only_under_var(tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    var = tmp_path / "var"
    code = (
        "import django; django.setup(); from config.celery_app import app; "
        "app.control.ping(timeout=0.1)"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "ENGAGE_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "filesystem://",
    }
    _python(code, env, cwd=work)

    assert list(work.iterdir()) == []
    assert any((var / "celery" / "control").iterdir())


def test_make_test_names_what_is_missing_and_how_to_install_it():
    env = {
        **os.environ,
        "ENGAGE_CHROMIUM": "/nonexistent/chromium",
        "ENGAGE_TEST_DEPS_INSTALL": "no",
    }
    result = subprocess.run(
        [str(ROOT / "scripts" / "test-deps")], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "make test: missing chromium; install with: sudo apt-get install chromium"
    ]


def test_gunicorn_loads_the_app_and_its_views_before_serving(tmp_path):
    code = (
        "import runpy, sys; cfg = runpy.run_path('config/gunicorn.py'); "
        "import config.wsgi; "
        "print(cfg['preload_app'], 'events.views_public' in sys.modules, 'engage.views_staff' in sys.modules)"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-value-0123456789",
        "ALLOWED_HOSTS": "engage.example.org",
        "ENGAGE_VAR_DIR": str(tmp_path),
    }
    out = _python(code, env, unset=("DATABASE_URL", "CELERY_BROKER_URL"))
    assert out == "True True True"
