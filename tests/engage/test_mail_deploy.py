"""With an ESP configured, production needs ANYMAIL_WEBHOOK_SECRET: it refuses to start without
it, and the deploy check says so."""

from tests.test_settings import PRODUCTION_ENV, _run

ESP = {"EMAIL_BACKEND": "engage.mail.backends.AmazonSESBackend"}


def test_production_refuses_to_start_with_an_esp_and_no_webhook_secret(tmp_path):
    env = {**PRODUCTION_ENV, **ESP, "ENGAGE_VAR_DIR": str(tmp_path)}
    result = _run(["manage.py", "migrate", "--check"], env, unset=("DATABASE_URL",))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "engage: configuration error: ANYMAIL_WEBHOOK_SECRET must be set in production when an "
        "ESP (EMAIL_BACKEND) is configured"
    )


def test_production_with_an_esp_and_a_webhook_secret_checks_clean(tmp_path):
    env = {
        **PRODUCTION_ENV,
        **ESP,
        "ANYMAIL_WEBHOOK_SECRET": "ses:a-long-random-webhook-password",
        "ENGAGE_VAR_DIR": str(tmp_path),
    }
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env,
        unset=("DATABASE_URL", "CELERY_BROKER_URL"),
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_deploy_check_names_the_missing_webhook_secret(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        **ESP,
        "ENGAGE_VAR_DIR": str(tmp_path),
    }
    result = _run(
        ["manage.py", "check", "--deploy"], env, unset=("DATABASE_URL", "ANYMAIL_WEBHOOK_SECRET")
    )
    assert result.returncode == 1
    assert "engage.E001" in result.stderr + result.stdout
    assert "ANYMAIL_WEBHOOK_SECRET is not set" in result.stderr + result.stdout
