import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.preflight import preflight_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

preflight_or_exit(["wsgi"])
application = get_wsgi_application()

# URL patterns import their views lazily, on the first request; resolve them now, while gunicorn's
# master loads the app (preload_app), so every worker starts with them in memory.
get_resolver().url_patterns  # noqa: B018 (the lookup is what loads them)
