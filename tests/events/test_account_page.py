"""A representative's account page: their registrations, one-click registration for the next
meeting, their consents, linked to their list entry by their verified address."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.signals import user_logged_in
from django.urls import reverse
from django.utils import timezone

from engage.enums import ConsentMethod
from engage.selectors import stakeholder_consents
from engage.services import consent_give, stakeholder_link_user
from events.models import Registration
from tests.factories import (
    MeetingFactory,
    RegistrationFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


def _past_and_next(stakeholder):
    past = MeetingFactory(
        title="Winter review",
        start=timezone.now() - dt.timedelta(days=90),
        status="completed",
    )
    RegistrationFactory(
        meeting=past, stakeholder=stakeholder, attended_at=past.start, organisation_name="Forum"
    )
    upcoming = MeetingFactory(title="Spring review")
    return past, upcoming


def test_account_shows_upcoming_and_past_registrations_with_their_links(client, representative):
    stakeholder = StakeholderFactory(email=representative.email, user=representative)
    past, _next = _past_and_next(stakeholder)
    later = MeetingFactory(title="Summer review", start=timezone.now() + dt.timedelta(days=60))
    booked = RegistrationFactory(meeting=later, stakeholder=stakeholder)
    client.force_login(representative)

    html = client.get(reverse("engage:dashboard")).content.decode()

    assert "Summer review" in html
    for name in ("registration_detail", "registration_calendar", "registration_cancel"):
        assert reverse(f"events:{name}", kwargs={"token": booked.token}) in html
    assert "Winter review: you came" in html
    assert (
        reverse("events:registration_cancel", kwargs={"token": past.registrations.get().token})
        not in html
    )


def test_register_for_the_next_meeting_in_one_click(client, representative):
    stakeholder = StakeholderFactory(email=representative.email, user=representative)
    _past, upcoming = _past_and_next(stakeholder)
    client.force_login(representative)

    html = client.get(reverse("engage:dashboard")).content.decode()
    action = reverse("events:register_repeat", kwargs={"slug": upcoming.slug})
    assert f'action="{action}"' in html

    response = client.post(action)

    registration = Registration.objects.get(meeting=upcoming)
    assert (registration.stakeholder, registration.organisation_name) == (stakeholder, "Forum")
    assert response.status_code == 302
    html = client.get(reverse("engage:dashboard")).content.decode()
    assert f'action="{action}"' not in html
    assert reverse("events:registration_cancel", kwargs={"token": registration.token}) in html


def test_no_one_click_offer_without_attending_the_last_meeting(client, representative):
    stakeholder = StakeholderFactory(email=representative.email, user=representative)
    upcoming = MeetingFactory(title="Spring review")
    client.force_login(representative)

    html = client.get(reverse("engage:dashboard")).content.decode()

    assert reverse("events:register_repeat", kwargs={"slug": upcoming.slug}) not in html
    assert "You are not registered for any upcoming meeting." in html
    assert stakeholder.pk


def test_consents_are_shown_and_signing_in_links_the_entry_by_verified_address(
    client, representative, consent_purposes
):
    stakeholder = StakeholderFactory(email=representative.email.upper())
    consent_give(stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB)
    assert EmailAddress.objects.filter(user=representative, verified=True).exists()

    client.force_login(representative)
    user_logged_in.send(sender=type(representative), request=None, user=representative)

    stakeholder.refresh_from_db()
    assert stakeholder.user == representative
    html = client.get(reverse("engage:dashboard")).content.decode()
    assert f"{consent_purposes['meeting-invitations'].name}:</strong>\n          agreed" in html
    assert reverse("engage:my_preferences") in html


def test_an_unverified_address_links_nothing(client, representative):
    EmailAddress.objects.filter(user=representative).update(verified=False)
    stakeholder = StakeholderFactory(email=representative.email)
    assert stakeholder_link_user(user=representative) is None
    stakeholder.refresh_from_db()
    assert stakeholder.user is None


def test_stop_all_emails_withdraws_every_purpose(client, representative, consent_purposes):
    stakeholder = StakeholderFactory(email=representative.email, user=representative)
    for slug in ("meeting-invitations", "action-plan-news"):
        consent_give(stakeholder=stakeholder, purpose=slug, method=ConsentMethod.WEB)
    client.force_login(representative)
    page = client.get(reverse("engage:my_preferences")).content.decode()
    assert "Stop all emails from us" in page

    response = client.post(reverse("engage:my_preferences"), {"form": "stop_all"}, follow=True)

    assert [c.given for c in stakeholder_consents(stakeholder) if c.given] == []
    assert "we will send you no more emails" in response.content.decode()
