"""Production: everything from the environment, HTTPS only, JSON logs, Redis cache and broker."""

from config.settings.base import *  # noqa: F403
from config.settings.base import ANYMAIL, LOGGING, MAILERS, env

DEBUG = False
if not ALLOWED_HOSTS:  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

LOGGING["handlers"]["console"]["formatter"] = "json"

# The ESP's tracking webhook suppresses addresses on bounces and complaints: without its basic
# auth anyone could post one and stop mail to any address (config/checks.py says so too).
_mail_backend = MAILERS["default"]["BACKEND"]
if (
    _mail_backend.startswith("anymail.") or _mail_backend == "engage.mail.backends.AmazonSESBackend"
) and not ANYMAIL.get("WEBHOOK_SECRET"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET must be set in production when an ESP (EMAIL_BACKEND) is configured"
    )
