"""Public meeting pages and registration on a phone, checked by axe-core."""

import re

import pytest
from django.urls import reverse

from engage.models import OutboundEmail
from events.enums import MeetingFormat, RegistrationStatus
from events.models import DiscussionQuestion, Document, Registration
from tests.browser.conftest import check_page
from tests.factories import AreaFactory, MeetingFactory, RegistrationFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _meeting_with_agenda(**kwargs):
    meeting = MeetingFactory(
        title="Public review meeting: spring",
        format=MeetingFormat.HYBRID,
        online_url="https://meet.example.org/spring",
        access_information="Step-free access from the main entrance; hearing loop in all rooms.",
        **kwargs,
    )
    for order, title in enumerate(["Trust and transparency", "Knowing your rights"], start=1):
        session = SessionFactory(meeting=meeting, title=title, capacity=20, order=order)
        DiscussionQuestion.objects.create(
            session=session, text="What should the police stop, start and continue doing?"
        )
    Document.objects.create(
        meeting=meeting, title="Progress update", url="https://example.org/update.pdf"
    )
    return meeting


def test_meeting_list_on_a_phone(live_server, phone):
    _meeting_with_agenda()

    phone.goto(live_server.url + reverse("events:meeting_list"))

    assert phone.get_by_role("link", name="Public review meeting: spring").is_visible()
    check_page(phone)


def test_meeting_page_on_a_phone(live_server, phone):
    meeting = _meeting_with_agenda()

    phone.goto(live_server.url + meeting.get_absolute_url())

    assert phone.get_by_role("heading", name="Agenda").is_visible()
    assert phone.get_by_role("link", name="Register").is_visible()
    check_page(phone)


def test_registration_form_for_a_representative_on_a_phone(
    live_server, phone, login, representative
):
    meeting = _meeting_with_agenda()
    AreaFactory(name="Lewisham")
    login(phone, representative)

    phone.goto(live_server.url + reverse("events:register", kwargs={"slug": meeting.slug}))

    assert phone.get_by_label("First name").is_visible()
    check_page(phone)


def test_confirmation_and_cancel_pages_on_a_phone(live_server, phone):
    meeting = _meeting_with_agenda()
    registration = RegistrationFactory(meeting=meeting)

    phone.goto(
        live_server.url
        + reverse("events:registration_detail", kwargs={"token": registration.token})
    )
    assert phone.get_by_role("heading", name="You are registered").is_visible()
    assert phone.get_by_role("link", name="https://meet.example.org/spring").is_visible()
    check_page(phone)

    phone.get_by_role("link", name="Cancel my registration").click()
    phone.wait_for_url("**/cancel/")
    check_page(phone)
    phone.get_by_role("button", name="Yes, cancel my registration").click()

    phone.wait_for_url(f"**/registrations/{registration.token}/")
    assert phone.get_by_role("heading", name="Registration cancelled").is_visible()
    check_page(phone)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_a_guest_registers_end_to_end_on_a_phone(live_server, phone):
    meeting = _meeting_with_agenda()
    AreaFactory(name="Croydon")

    phone.goto(live_server.url + meeting.get_absolute_url())
    phone.get_by_role("link", name="Register").click()
    # One page first (the address and the whole form), then the code that makes the registration.
    phone.wait_for_url(f"**/meetings/{meeting.slug}/register/")
    check_page(phone)
    phone.get_by_label("Your email address").fill("new.person@example.org")
    phone.get_by_label("First name").fill("Abena")
    phone.get_by_label("Your area").select_option(label="Croydon")
    phone.get_by_label("Knowing your rights").check()
    phone.get_by_label("Questions for the panel (optional)").fill("What changed since last time?")
    phone.get_by_role("button", name="Continue").click()

    phone.wait_for_url("**/register/code/")
    check_page(phone)
    assert not Registration.objects.exists()
    email = OutboundEmail.objects.get(template="events/registration_code")
    code = re.search(r"\b(\d{6})\b", email.body_text).group(1)
    phone.get_by_label("The six-digit code we emailed you").fill(code)
    phone.get_by_role("button", name="Continue").click()

    phone.wait_for_url("**/registrations/**")
    assert phone.get_by_role("heading", name="You are registered").is_visible()
    check_page(phone)
    registration = Registration.objects.get()
    assert (registration.status, registration.breakout.title) == (
        RegistrationStatus.CONFIRMED,
        "Knowing your rights",
    )
    assert registration.stakeholder.email_normalised == "new.person@example.org"
    assert [q.text for q in registration.panel_questions.all()] == ["What changed since last time?"]


def test_series_page_on_a_phone(live_server, phone):
    meeting = _meeting_with_agenda()

    phone.goto(live_server.url + meeting.series.get_absolute_url())

    assert phone.get_by_role("link", name="Public review meeting: spring").is_visible()
    check_page(phone)


def test_offer_page_on_a_phone(live_server, phone):
    import datetime as dt

    from django.utils import timezone

    registration = RegistrationFactory(
        meeting=_meeting_with_agenda(),
        status=RegistrationStatus.OFFERED,
        waitlist_position=1,
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + dt.timedelta(hours=48),
    )

    phone.goto(
        live_server.url
        + reverse("events:registration_accept", kwargs={"token": registration.token})
    )
    check_page(phone)
    phone.get_by_role("button", name="Yes, I will come").click()

    phone.wait_for_url(f"**/registrations/{registration.token}/")
    assert phone.get_by_role("heading", name="You are registered").is_visible()
    check_page(phone)


def test_closed_registration_page_on_a_phone(live_server, phone):
    import datetime as dt

    from django.utils import timezone

    meeting = _meeting_with_agenda(registration_closes=timezone.now() - dt.timedelta(hours=1))

    phone.goto(live_server.url + reverse("events:register", kwargs={"slug": meeting.slug}))

    assert phone.get_by_role("alert").inner_text().startswith("Registration closed on")
    check_page(phone)
