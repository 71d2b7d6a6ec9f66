import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_answers_200_when_database_answers_and_no_broker_is_configured(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "not configured",
        "worker_last_seen": None,
    }


@pytest.mark.django_db
def test_healthz_checks_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = settings.ENGAGE_TEST_REDIS_URL

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_does_not(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "broker": "error",
        "worker_last_seen": None,
    }


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client, settings, monkeypatch):
    from django.db import connections

    # Point the connection at a port where nothing listens; the view must notice, not crash.
    conn = connections["default"]
    if conn.vendor != "postgresql":
        pytest.skip("needs a networked database; CI runs this on PostgreSQL")
    conn.close()
    monkeypatch.setitem(conn.settings_dict, "PORT", "1")
    monkeypatch.setitem(conn.settings_dict, "HOST", "127.0.0.1")
    try:
        response = client.get("/healthz")
    finally:
        conn.close()

    assert response.status_code == 503
    assert response.json()["database"] == "error"


@pytest.mark.django_db
def test_healthz_reports_the_last_worker_heartbeat_without_changing_the_status(client):
    import datetime

    from django.utils import timezone

    from engage.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(
        name="celery", last_seen_at=timezone.now() - datetime.timedelta(hours=2)
    )

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["worker_last_seen"] in {7200, 7201}


@pytest.mark.django_db
def test_home_page_says_what_engage_is_and_lists_upcoming_meetings(client):
    from tests.factories import MeetingFactory

    MeetingFactory(title="Autumn public review meeting")
    MeetingFactory(title="Draft meeting", status="draft")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "quarterly public review meetings" in body
    assert "Autumn public review meeting" in body
    assert "Draft meeting" not in body
    assert '<html lang="en-gb">' in body
    assert 'href="#main"' in body


@pytest.mark.django_db
def test_sign_in_page_is_served(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert 'name="login"' in response.content.decode()
