import os

from django.core.asgi import get_asgi_application

from config.preflight import preflight_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

preflight_or_exit(["asgi"])
application = get_asgi_application()
