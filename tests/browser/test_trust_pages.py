"""The renewal box on preferences and the attendee list on a past meeting's page, on a phone,
checked by axe-core."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from engage import links, services
from engage.enums import ConsentMethod
from engage.models import Stakeholder
from tests.browser.conftest import check_page
from tests.factories import MeetingFactory, RegistrationFactory, StakeholderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keep_my_choices_on_a_phone(live_server, phone, consent_purposes):
    person = StakeholderFactory()
    services.consent_give(
        stakeholder=person, purpose="meeting-invitations", method=ConsentMethod.WEB
    )
    Stakeholder.objects.filter(pk=person.pk).update(consent_renewal_asked_at=timezone.now())
    token = links.link_token(stakeholder=person, purpose=links.PREFERENCES)

    phone.goto(live_server.url + reverse("engage:preferences", kwargs={"token": token}))
    check_page(phone)
    phone.get_by_role("button", name="Keep my choices").click()

    phone.wait_for_load_state()
    assert phone.get_by_role("status").inner_text().startswith("Thank you")
    assert Stakeholder.objects.get(pk=person.pk).consent_renewal_asked_at is None
    check_page(phone)


def test_who_came_on_a_past_meeting_page_on_a_phone(
    live_server, phone, login, representative, consent_purposes
):
    start = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=2))
    listed = StakeholderFactory(first_name="Amara", last_name="Okafor")
    services.consent_give(stakeholder=listed, purpose="attendee-list", method=ConsentMethod.WEB)
    RegistrationFactory(
        meeting=meeting,
        stakeholder=listed,
        organisation_name="Peckham Youth Forum",
        attendee_list_ok=True,
        attended_at=start,
    )
    RegistrationFactory(meeting=meeting, stakeholder=StakeholderFactory(user=representative))
    login(phone, representative)

    phone.goto(live_server.url + meeting.get_absolute_url())

    assert phone.get_by_role("heading", name="Who came").is_visible()
    assert phone.get_by_text("Amara Okafor, Peckham Youth Forum").is_visible()
    check_page(phone)
