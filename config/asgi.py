import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from config.preflight import preflight_or_exit  # noqa: E402

preflight_or_exit(["asgi"])
application = get_asgi_application()
