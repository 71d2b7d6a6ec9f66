"""Public meeting pages and the registration flow through the views."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from engage import links
from engage.models import OutboundEmail
from events.enums import MeetingFormat, MeetingStatus, RegistrationStatus, SessionKind
from events.models import DiscussionQuestion, Document, Registration
from tests.factories import (
    AreaFactory,
    MeetingFactory,
    PanelQuestionFactory,
    RegistrationFactory,
    SessionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The limit on emailed codes counts in the cache; each test starts with none sent.
    from django.core.cache import cache

    cache.clear()


LONDON = ZoneInfo("Europe/London")


def _code_from_outbox() -> str:
    email = OutboundEmail.objects.filter(template="events/registration_code").latest("id")
    return re.search(r"\b(\d{6})\b", email.body_text).group(1)


def _verify(client, meeting, email="guest@example.org"):
    client.post(reverse("events:register_email", kwargs={"slug": meeting.slug}), {"email": email})
    return client.post(
        reverse("events:register_code", kwargs={"slug": meeting.slug}),
        {"code": _code_from_outbox()},
    )


def test_meeting_list_shows_upcoming_and_past_but_no_drafts(client):
    MeetingFactory(title="Spring review")
    MeetingFactory(title="Hidden draft", status=MeetingStatus.DRAFT)
    MeetingFactory(
        title="Winter review",
        start=timezone.now() - dt.timedelta(days=60),
        end=timezone.now() - dt.timedelta(days=60) + dt.timedelta(hours=2),
        status=MeetingStatus.COMPLETED,
    )

    response = client.get(reverse("events:meeting_list"))

    assert response.status_code == 200
    assert [m.title for m in response.context["upcoming"]] == ["Spring review"]
    assert [m.title for m in response.context["past"]] == ["Winter review"]
    assert b"Hidden draft" not in response.content


def test_meeting_list_query_count_does_not_grow_with_meetings(
    client, django_assert_max_num_queries
):
    for _ in range(25):
        MeetingFactory()
    for days in range(1, 26):
        MeetingFactory(
            start=timezone.now() - dt.timedelta(days=days * 30),
            end=timezone.now() - dt.timedelta(days=days * 30) + dt.timedelta(hours=2),
        )

    with django_assert_max_num_queries(6):
        response = client.get(reverse("events:meeting_list"))

    assert len(response.context["upcoming"]) == 25


def test_series_page_lists_its_meetings(client, django_assert_max_num_queries):
    meeting = MeetingFactory(title="Autumn review")
    MeetingFactory(series=meeting.series, title="Draft one", status=MeetingStatus.DRAFT)

    with django_assert_max_num_queries(5):
        response = client.get(meeting.series.get_absolute_url())

    assert [m.title for m in response.context["meetings"]] == ["Autumn review"]


def test_meeting_page_shows_agenda_published_questions_and_documents_only(client):
    meeting = MeetingFactory(access_information="Step-free entrance on the side street")
    breakout = SessionFactory(meeting=meeting, title="Use of force", room="Room 2")
    DiscussionQuestion.objects.create(session=breakout, text="What should the police stop doing?")
    DiscussionQuestion.objects.create(
        session=breakout, text="Secret question", publish_at=timezone.now() + dt.timedelta(days=5)
    )
    Document.objects.create(
        meeting=meeting, title="Progress update", url="https://example.org/p.pdf"
    )
    Document.objects.create(
        meeting=meeting, title="Later paper", publish_at=timezone.now() + dt.timedelta(days=5)
    )

    response = client.get(meeting.get_absolute_url())

    body = response.content.decode()
    assert "Use of force" in body and "Room 2" in body
    assert "What should the police stop doing?" in body
    assert "Secret question" not in body
    assert "Progress update" in body and "Later paper" not in body
    assert "Step-free entrance on the side street" in body


# The public meeting page's queries, whatever the size of its agenda: one per kind of row, never
# one per session, question or document.
MEETING_PAGE_QUERIES = 7


@pytest.mark.parametrize("agenda_items", [1, 6])
def test_meeting_page_query_count(client, django_assert_num_queries, agenda_items):
    meeting = MeetingFactory()
    sessions = []
    for number in range(agenda_items):
        session = SessionFactory(meeting=meeting, title=f"Session {number}")
        sessions.append(session)
        DiscussionQuestion.objects.create(session=session, text=f"Question {number}")
        Document.objects.create(meeting=meeting, title=f"Paper {number}")

    with django_assert_num_queries(MEETING_PAGE_QUERIES):
        response = client.get(meeting.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    # Every row is on the page, so the count covers rendering them all.
    for number in range(agenda_items):
        assert f"Session {number}" in body
        assert f"Paper {number}" in body


def test_panel_questions_are_published_with_the_record_after_the_meeting(client):
    meeting = MeetingFactory(
        start=timezone.now() - dt.timedelta(days=3),
        end=timezone.now() - dt.timedelta(days=3) + dt.timedelta(hours=2),
    )
    PanelQuestionFactory(meeting=meeting, text="Approved question", status="approved")
    PanelQuestionFactory(meeting=meeting, text="Not yet moderated")

    body = client.get(meeting.get_absolute_url()).content.decode()

    assert "Approved question" in body
    assert "Not yet moderated" not in body


def test_draft_meeting_page_is_not_found(client):
    meeting = MeetingFactory(status=MeetingStatus.DRAFT)

    assert client.get(meeting.get_absolute_url()).status_code == 404


def test_online_link_is_shown_only_to_registered_people(client, representative):
    meeting = MeetingFactory(format=MeetingFormat.HYBRID, online_url="https://meet.example.org/x")
    stakeholder = StakeholderFactory(user=representative)

    anonymous = client.get(meeting.get_absolute_url())
    client.force_login(representative)
    not_registered = client.get(meeting.get_absolute_url())
    RegistrationFactory(meeting=meeting, stakeholder=stakeholder)
    registered = client.get(meeting.get_absolute_url())

    assert b"meet.example.org" not in anonymous.content
    assert b"meet.example.org" not in not_registered.content
    assert b"meet.example.org" in registered.content


def test_guest_registers_after_checking_their_email_with_a_code(client):
    meeting = MeetingFactory(capacity=5)
    area = AreaFactory(name="Southwark")
    register_url = reverse("events:register", kwargs={"slug": meeting.slug})

    client.post(
        reverse("events:register_email", kwargs={"slug": meeting.slug}),
        {"email": "Guest@Example.org"},
    )
    wrong_code = f"{(int(_code_from_outbox()) + 1) % 10**6:06d}"
    wrong = client.post(
        reverse("events:register_code", kwargs={"slug": meeting.slug}), {"code": wrong_code}
    )
    assert "That code is not right" in wrong.content.decode()
    assert OutboundEmail.objects.get(template="events/registration_code").to_email == (
        "Guest@Example.org"
    )
    verified = client.post(
        reverse("events:register_code", kwargs={"slug": meeting.slug}),
        {"code": _code_from_outbox()},
    )
    assert verified["Location"] == register_url
    form_page = client.get(register_url)
    assert "guest@example.org" in form_page.content.decode()
    response = client.post(
        register_url,
        {
            "first_name": "Ngozi",
            "last_name": "Adeyemi",
            "area": area.pk,
            "organisation_name": "Riverside Residents",
            "panel_questions": "Why are stops rising?",
            "attendee_list_ok": "on",
        },
    )

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "events:registration_detail", kwargs={"token": registration.token}
    )
    assert (registration.status, registration.area_id) == (RegistrationStatus.CONFIRMED, area.pk)
    confirmation = client.get(response["Location"])
    assert "You are registered" in confirmation.content.decode()
    assert "Why are stops rising?" in confirmation.content.decode()


def test_registering_again_leads_to_the_existing_registration(client):
    meeting = MeetingFactory()
    _verify(client, meeting, "twice@example.org")
    register_url = reverse("events:register", kwargs={"slug": meeting.slug})
    client.post(register_url, {"first_name": "Twice"})

    again = client.get(register_url, follow=True)

    assert Registration.objects.count() == 1
    assert again.status_code == 200
    assert "You are already registered for this meeting." in again.content.decode()


def test_access_requirements_need_their_consent_box(client):
    meeting = MeetingFactory()
    _verify(client, meeting)

    response = client.post(
        reverse("events:register", kwargs={"slug": meeting.slug}),
        {"first_name": "Kofi", "access_requirements": "Wheelchair space"},
    )

    assert response.status_code == 200
    assert "so that we may keep your access requirements" in response.content.decode()
    assert Registration.objects.count() == 0


def test_a_full_breakout_choice_is_explained(client):
    meeting = MeetingFactory()
    full = SessionFactory(
        meeting=meeting, kind=SessionKind.BREAKOUT, capacity=1, title="Stop and search"
    )
    RegistrationFactory(meeting=meeting, breakout=full)
    _verify(client, meeting)

    response = client.post(
        reverse("events:register", kwargs={"slug": meeting.slug}),
        {"first_name": "Kofi", "breakout_preferences": [str(full.pk)]},
    )

    assert "Stop and search (full)" in response.content.decode()
    assert "The breakouts you chose are full" in response.content.decode()


def test_closed_registration_gives_a_clear_page(client):
    meeting = MeetingFactory(registration_closes=timezone.now() - dt.timedelta(hours=1))

    response = client.get(reverse("events:register", kwargs={"slug": meeting.slug}))

    assert response.status_code == 200
    assert "Registration closed on" in response.content.decode()


def test_invitation_link_counts_as_a_checked_email(client):
    stakeholder = StakeholderFactory(email="invited@example.org", first_name="Ife")
    meeting = MeetingFactory()
    url = reverse("events:register", kwargs={"slug": meeting.slug})

    response = client.get(
        url + "?t=" + links.link_token(stakeholder=stakeholder, purpose=links.REGISTER), follow=True
    )

    assert response.redirect_chain == [(url, 302)]
    assert response.context["form"].initial["first_name"] == "Ife"


def test_signed_in_representative_goes_straight_to_the_form(client, representative):
    meeting = MeetingFactory()
    client.force_login(representative)

    response = client.get(reverse("events:register", kwargs={"slug": meeting.slug}))

    assert response.status_code == 200
    assert response.context["email"] == representative.email


def test_cancel_page_asks_first_and_cancels_on_post(client):
    registration = RegistrationFactory()
    url = reverse("events:registration_cancel", kwargs={"token": registration.token})

    page = client.get(url)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert "Cancel your registration?" in page.content.decode()
    response = client.post(url)

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
    assert response["Location"] == reverse(
        "events:registration_detail", kwargs={"token": registration.token}
    )


def test_accept_page_confirms_an_offer(client):
    registration = RegistrationFactory(
        status=RegistrationStatus.OFFERED,
        waitlist_position=1,
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + dt.timedelta(hours=10),
    )

    response = client.post(
        reverse("events:registration_accept", kwargs={"token": registration.token})
    )

    registration.refresh_from_db()
    assert response.status_code == 302
    assert registration.status == RegistrationStatus.CONFIRMED


def test_unknown_registration_link_is_not_found(client):
    url = reverse(
        "events:registration_detail", kwargs={"token": "00000000-0000-4000-8000-000000000000"}
    )

    assert client.get(url).status_code == 404


def test_one_click_button_for_someone_who_came_last_time(client, representative):
    stakeholder = StakeholderFactory(user=representative)
    last = MeetingFactory(
        start=timezone.now() - dt.timedelta(days=90),
        end=timezone.now() - dt.timedelta(days=90) + dt.timedelta(hours=2),
    )
    RegistrationFactory(meeting=last, stakeholder=stakeholder, attended_at=last.start)
    meeting = MeetingFactory(series=last.series)
    client.force_login(representative)

    page = client.get(meeting.get_absolute_url())
    response = client.post(reverse("events:register_repeat", kwargs={"slug": meeting.slug}))

    assert "Register in one click" in page.content.decode()
    registration = Registration.objects.get(meeting=meeting)
    assert response["Location"] == reverse(
        "events:registration_detail", kwargs={"token": registration.token}
    )


@pytest.mark.parametrize(
    ("utc_start", "shown"),
    [
        # Last Sunday of October 2027: 01:30 happens twice, first in BST, then in GMT.
        (dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC), "Sunday 31 October 2027, 01:30 BST"),
        (dt.datetime(2027, 10, 31, 1, 30, tzinfo=dt.UTC), "Sunday 31 October 2027, 01:30 GMT"),
        # Last Sunday of March 2027: clocks go forward at 01:00 GMT, so 01:30 GMT is 02:30 BST.
        (dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC), "Sunday 28 March 2027, 00:30 GMT"),
        (dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC), "Sunday 28 March 2027, 02:30 BST"),
    ],
)
def test_meetings_across_the_clock_change_show_the_right_local_time(client, utc_start, shown):
    with_time = {"start": utc_start, "end": utc_start + dt.timedelta(hours=2)}
    meeting = MeetingFactory(**with_time)

    body = client.get(meeting.get_absolute_url()).content.decode()

    meeting.refresh_from_db()
    assert meeting.start == utc_start
    assert shown in body
    assert meeting.start.astimezone(LONDON).isoformat() in body


def test_submitting_the_form_again_leads_to_the_existing_registration(client):
    meeting = MeetingFactory()
    _verify(client, meeting, "twice@example.org")
    register_url = reverse("events:register", kwargs={"slug": meeting.slug})
    client.post(register_url, {"first_name": "Twice"})

    again = client.post(register_url, {"first_name": "Twice"}, follow=True)

    registration = Registration.objects.get()
    assert again.redirect_chain[-1][0] == reverse(
        "events:registration_detail", kwargs={"token": registration.token}
    )
    assert "You are already registered for this meeting." in again.content.decode()


def test_a_registration_made_while_the_broker_is_down_is_emailed_by_the_sweep(
    client, django_capture_on_commit_callbacks
):
    from config.celery_app import app
    from events.tasks import registration_notices_send_task

    meeting = MeetingFactory()
    _verify(client, meeting, "offline@example.org")
    OutboundEmail.objects.all().delete()  # the code email
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    # Nothing listens on port 1: publishing the wake-up fails at once, as with a broker down.
    app.conf.update(
        task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False
    )
    app._pool = None
    app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("events:register", kwargs={"slug": meeting.slug}), {"first_name": "Ola"}
            )
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None
    registration = Registration.objects.get()
    owed, emails_before = registration.notice_pending, OutboundEmail.objects.count()

    registration_notices_send_task.delay()  # the beat's sweep, once the broker is back

    registration.refresh_from_db()
    assert response.status_code == 302
    assert (owed, emails_before) == ("confirmed", 0)
    assert registration.notice_pending == ""
    assert list(OutboundEmail.objects.values_list("to_email", "template")) == [
        ("offline@example.org", "events/registration_confirmed")
    ]


def test_with_the_session_cache_away_guests_still_check_their_email(client, settings):
    # Production's session settings with a shared cache (config.settings.base, REDIS_URL set),
    # pointed at a port where nothing listens: sessions fall back to their database rows.
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True},
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    meeting = MeetingFactory()

    checked = _verify(client, meeting, "away@example.org")
    form = client.get(reverse("events:register", kwargs={"slug": meeting.slug}))

    assert checked.status_code == 302
    assert form.status_code == 200
    assert "away@example.org" in form.content.decode()


def test_a_chosen_breakout_with_room_is_given(client):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting, kind=SessionKind.BREAKOUT, capacity=5, title="Youth")
    chosen = SessionFactory(meeting=meeting, kind=SessionKind.BREAKOUT, capacity=5, title="Stops")
    area = AreaFactory()
    _verify(client, meeting)

    response = client.post(
        reverse("events:register", kwargs={"slug": meeting.slug}),
        {"first_name": "Kofi", "area": str(area.pk), "breakout_preferences": [str(chosen.pk)]},
    )

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert (registration.breakout_id, registration.area_id) == (chosen.pk, area.pk)


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "breakout_preferences",
            "999999",
            "Select breakout discussions you would like to join from the list",
        ),
        ("area", "999999", "Select your area from the list"),
    ],
)
def test_an_unknown_breakout_or_area_is_refused_and_nothing_is_saved(client, field, value, message):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting, kind=SessionKind.BREAKOUT, capacity=5, title="Youth")
    _verify(client, meeting)

    response = client.post(
        reverse("events:register", kwargs={"slug": meeting.slug}),
        {"first_name": "Kofi", field: value},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Kofi" in response.content.decode()  # what they typed is kept
    assert Registration.objects.count() == 0
