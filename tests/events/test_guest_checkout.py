"""A guest registers on one page, then enters the code emailed to them: two steps, where it was
three (email, code, form). The address is still proved before anything about them is stored."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from engage.models import ConsentRecord, OutboundEmail, Stakeholder
from events.enums import RegistrationStatus
from events.models import Registration
from tests.factories import MeetingFactory, RegistrationFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_code_limits():
    cache.clear()  # the limit on emailed codes counts in the cache


def _code() -> str:
    email = OutboundEmail.objects.filter(template="events/registration_code").latest("id")
    return re.search(r"\b(\d{6})\b", email.body_text).group(1)


def _fill(client, meeting, **extra):
    data = {"guest_email": "Ama.Boateng@Example.org", "first_name": "Ama", "last_name": "Boateng"}
    data.update(extra)
    return client.post(reverse("events:register", kwargs={"slug": meeting.slug}), data)


def _enter(client, meeting, code):
    return client.post(
        reverse("events:register_code", kwargs={"slug": meeting.slug}), {"code": code}
    )


def test_a_guest_sees_the_whole_form_first(client):
    meeting = MeetingFactory()

    page = client.get(reverse("events:register", kwargs={"slug": meeting.slug}))

    assert page.status_code == 200
    fields = list(page.context["form"].fields)
    assert fields[:3] == ["guest_email", "first_name", "last_name"]
    assert "Step 1 of 2" in page.content.decode()


def test_the_code_confirms_the_registration_filled_in_before_it(client, consent_purposes):
    meeting = MeetingFactory()
    breakout = SessionFactory(meeting=meeting, title="Transport")

    sent = _fill(
        client,
        meeting,
        breakout_preferences=[str(breakout.pk)],
        attendee_list_ok="on",
    )
    assert sent["Location"] == reverse("events:register_code", kwargs={"slug": meeting.slug})
    assert not Stakeholder.objects.exists()  # nothing stored before the address is proved
    assert not Registration.objects.exists()

    confirmed = _enter(client, meeting, _code())

    registration = Registration.objects.get()
    assert confirmed["Location"] == reverse(
        "events:registration_detail", kwargs={"token": registration.token}
    )
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.breakout == breakout
    assert registration.attendee_list_ok
    person = registration.stakeholder
    assert (person.first_name, person.email_normalised) == ("Ama", "ama.boateng@example.org")
    assert ConsentRecord.objects.filter(stakeholder=person).count() == 1
    assert person.user_id is None


def test_a_full_meeting_puts_the_confirmed_guest_on_the_waiting_list_in_order(client):
    meeting = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1)

    _fill(client, meeting)
    _enter(client, meeting, _code())

    registration = Registration.objects.get(stakeholder__email_normalised="ama.boateng@example.org")
    assert (registration.status, registration.waitlist_position) == (
        RegistrationStatus.WAITLISTED,
        2,
    )


def test_a_wrong_code_is_refused_and_nothing_is_stored(client):
    meeting = MeetingFactory()
    _fill(client, meeting)
    wrong = f"{(int(_code()) + 1) % 10**6:06d}"

    response = _enter(client, meeting, wrong)

    assert "That code is not right. Check the email we sent and try again." in (
        response.content.decode()
    )
    assert "<title>Error:" in response.content.decode()
    assert not Stakeholder.objects.exists()


def test_an_expired_code_is_refused_clearly_and_its_details_dropped(client, time_machine):
    meeting = MeetingFactory()
    _fill(client, meeting, access_requirements="Step-free access", access_consent="on")
    code = _code()
    time_machine.move_to(dt.timedelta(minutes=16), tick=False)

    response = _enter(client, meeting, code)

    assert "That code has expired. We can send you a new one." in response.content.decode()
    assert "Go back to the form" in response.content.decode()
    assert "Step-free" not in str(dict(client.session))
    assert not Stakeholder.objects.exists()


def test_a_guest_who_never_enters_the_code_leaves_no_record(client):
    meeting = MeetingFactory()

    _fill(client, meeting)

    assert not Stakeholder.objects.exists()
    assert not Registration.objects.exists()
    assert OutboundEmail.objects.get().to_email == "Ama.Boateng@Example.org"


def test_the_one_page_form_says_what_to_fix(client):
    meeting = MeetingFactory()

    response = _fill(client, meeting, guest_email="not an address", first_name="")

    page = response.content.decode()
    assert "Enter your email address in the correct format, like name@example.com" in page
    assert 'href="#id_guest_email"' in page
    assert not OutboundEmail.objects.exists()
