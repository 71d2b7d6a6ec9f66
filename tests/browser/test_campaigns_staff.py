"""Invitation campaign pages in a real browser, checked by axe-core (staff use them on laptops and
phones alike)."""

import pytest
from django.urls import reverse

from engage.models import Suppression
from events.models import Campaign
from tests.browser.conftest import check_page
from tests.factories import CampaignFactory, ConsentRecordFactory, StakeholderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _people():
    for first in ("Adaeze", "Bronwen", "Chidi"):
        ConsentRecordFactory(stakeholder=StakeholderFactory(first_name=first, last_name="Okafor"))
    StakeholderFactory(first_name="Dara", last_name="Nolan")  # no consent
    bounced = StakeholderFactory(first_name="Efe", last_name="Bello")
    ConsentRecordFactory(stakeholder=bounced)
    Suppression.objects.create(email_normalised=bounced.email_normalised, reason="bounce")


def test_create_preview_and_send_a_campaign_on_a_phone(live_server, phone, login, engagement_team):
    _people()
    meeting = CampaignFactory().meeting  # a published, upcoming meeting
    Campaign.objects.all().delete()
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("events:campaign_create"))
    check_page(phone)
    phone.get_by_label("Meeting").select_option(str(meeting.pk))
    phone.get_by_label("Email subject").fill("Come to the summer review")
    phone.get_by_role("button", name="Save and check the audience").click()

    assert phone.get_by_text("3 people will be invited.").is_visible()
    phone.get_by_text("Who is left out, and why").click()
    assert phone.get_by_role("cell", name="Address suppressed").is_visible()
    check_page(phone)
    phone.get_by_role("button", name="Send now to 3 people").click()
    assert phone.get_by_role("heading", level=1).inner_text() == (
        "Send this invitation to 3 people now?"
    )
    check_page(phone)
    phone.get_by_role("button", name="Yes, send to 3 people").click()

    assert phone.get_by_text("The invitations are being sent.").is_visible()
    phone.get_by_role("link", name="Status of each invitation").click()
    assert phone.get_by_role("cell", name="Adaeze Okafor").is_visible()
    check_page(phone)


def test_campaign_list_on_a_desktop(live_server, desktop, login, engagement_team):
    CampaignFactory(subject="Autumn review invitations")
    login(desktop, engagement_team)

    desktop.goto(live_server.url + reverse("events:campaign_list"))

    assert desktop.get_by_role("link", name="Autumn review invitations").is_visible()
    check_page(desktop)
