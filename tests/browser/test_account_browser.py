"""A representative's account page at 360 px: registrations, one click for the next meeting."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Registration
from tests.browser.conftest import check_page
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_account_page_and_one_click_registration_on_a_phone(
    live_server, phone, login, representative, consent_purposes
):
    stakeholder = StakeholderFactory(email=representative.email, user=representative)
    past = MeetingFactory(
        title="Winter review", start=timezone.now() - dt.timedelta(days=90), status="completed"
    )
    RegistrationFactory(meeting=past, stakeholder=stakeholder, attended_at=past.start)
    upcoming = MeetingFactory(title="Spring review")
    login(phone, representative)

    phone.goto(live_server.url + reverse("engage:dashboard"))
    check_page(phone)
    phone.get_by_role("button", name="Register with my details from last time").click()

    phone.wait_for_url("**/registrations/**")
    assert Registration.objects.filter(meeting=upcoming, stakeholder=stakeholder).exists()
    phone.goto(live_server.url + reverse("engage:dashboard"))
    assert phone.get_by_role("link", name="Cancel my registration").is_visible()
    assert phone.get_by_role("link", name="Add to your calendar").is_visible()
    check_page(phone)
    phone.get_by_role("link", name="stop all emails from us").click()
    check_page(phone)
