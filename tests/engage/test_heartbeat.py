"""The heartbeat through a real Celery worker on Redis, and /healthz reporting it."""

import pytest
from django.conf import settings

from engage.models import WorkerHeartbeat
from engage.tasks import heartbeat_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_records_the_heartbeat_and_healthz_reports_it(worker, client):
    assert client.get("/healthz").json()["worker_last_seen"] is None

    heartbeat_task.delay()
    worker.wait_until(lambda: WorkerHeartbeat.objects.filter(name="celery").exists())

    assert client.get("/healthz").json()["worker_last_seen"] in {0, 1, 2}


def test_a_second_worker_takes_over_after_kill_9(worker):
    heartbeat_task.delay()
    worker.wait_until(lambda: WorkerHeartbeat.objects.exists())
    first = WorkerHeartbeat.objects.get().last_seen_at

    worker.kill()
    worker.start()
    heartbeat_task.delay()
    worker.wait_until(lambda: WorkerHeartbeat.objects.get().last_seen_at > first)

    assert WorkerHeartbeat.objects.count() == 1
    assert "engage.heartbeat" in worker.log()


def test_beat_queues_the_heartbeat_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["engage.heartbeat"]

    assert (entry["task"], entry["schedule"]) == ("engage.heartbeat", 60.0)
