import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from config.preflight import preflight_or_exit  # noqa: E402

preflight_or_exit(["wsgi"])
application = get_wsgi_application()
