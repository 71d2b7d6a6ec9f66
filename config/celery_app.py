import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("engage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _check_services(**_kwargs) -> None:
    # A worker that cannot reach its database would otherwise fail task by task.
    from config.preflight import preflight_or_exit

    preflight_or_exit(["celery", "worker"])
