"""At 360 px, checked by axe-core: adding a walk-in at the door on a facilitator's phone, and a
guest's two-step registration."""

import pytest
from django.urls import reverse

from engage.enums import ConsentMethod
from engage.models import ConsentRecord
from events.models import Registration
from tests.browser.conftest import check_page
from tests.factories import MeetingFactory, RegistrationFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_facilitator_adds_a_walk_in_to_a_full_meeting_on_a_phone(
    live_server, phone, login, facilitator, consent_purposes, privacy_notice
):
    meeting = MeetingFactory(title="Evening public review meeting", capacity=1)
    SessionFactory(meeting=meeting).facilitators.add(facilitator)
    RegistrationFactory(meeting=meeting)
    login(phone, facilitator)

    phone.goto(live_server.url + reverse("events:checkin", args=[meeting.pk]))
    phone.get_by_role("link", name="Add a walk-in").click()
    phone.wait_for_url("**/walk-in/")
    check_page(phone)
    phone.get_by_role("button", name="Add and check in").click()
    phone.get_by_role("heading", name="There is a problem").wait_for()
    assert phone.title().startswith("Error:")
    check_page(phone)
    phone.get_by_label("Email address").fill("tomasz@example.org")
    phone.get_by_label("First name").fill("Tomasz")
    phone.get_by_label("Last name").fill("Nowak")
    phone.get_by_label(consent_purposes["meeting-invitations"].wording).check()
    phone.get_by_role("button", name="Add and check in").click()
    phone.get_by_text("Tomasz Nowak is added as a walk-in and checked in.").wait_for()

    check_page(phone)
    assert phone.locator("#checkin-count").inner_text() == "1 of 2 checked in"
    registration = Registration.objects.get(stakeholder__email="tomasz@example.org")
    assert registration.walk_in
    assert ConsentRecord.objects.get(stakeholder=registration.stakeholder).method == (
        ConsentMethod.IN_PERSON
    )


def test_a_guest_registers_in_two_steps_on_a_phone(live_server, phone, consent_purposes):
    from tests.events.test_views_public import _code_from_outbox

    meeting = MeetingFactory(title="Spring review")
    SessionFactory(meeting=meeting, title="Transport and streets")

    phone.goto(live_server.url + reverse("events:register", kwargs={"slug": meeting.slug}))
    check_page(phone)
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="There is a problem").wait_for()
    check_page(phone)
    phone.get_by_label("Your email address").fill("kofi@example.org")
    phone.get_by_label("First name").fill("Kofi")
    phone.get_by_label("Last name").fill("Asante")
    phone.get_by_label("Transport and streets").check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/register/code/")
    check_page(phone)
    phone.get_by_label("The six-digit code").fill(_code_from_outbox())
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="You are registered").wait_for()

    check_page(phone)
    registration = Registration.objects.get(stakeholder__email="kofi@example.org")
    assert registration.breakout.title == "Transport and streets"
