"""Deploy checks (`manage.py check --deploy`) for what config/settings/production.py also refuses."""

from django.conf import settings
from django.core.checks import Error, Tags, register


def esp_configured() -> bool:
    """An ESP (anymail) backend is the mailer: its tracking webhook takes bounces and complaints."""
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    return backend.startswith("anymail.") or backend == "engage.mail.backends.AmazonSESBackend"


@register(Tags.security, deploy=True)
def check_webhook_secret(app_configs, **kwargs) -> list[Error]:
    """Without ANYMAIL_WEBHOOK_SECRET anyone can post bounces and suppress any address."""
    if esp_configured() and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return [
            Error(
                "An ESP is configured but ANYMAIL_WEBHOOK_SECRET is not set.",
                hint="Set ANYMAIL_WEBHOOK_SECRET to 'user:password' and give the same basic "
                "auth to the ESP's webhook URL; without it anyone can post bounces.",
                id="engage.E001",
            )
        ]
    return []
