"""Signed links: each proves only what it was made for, expires, and dies with a change of address."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from engage import links, services
from engage.enums import ConsentMethod
from engage.models import OutboundEmail
from engage.selectors import stakeholder_consents
from tests.factories import StakeholderFactory
from tests.pages import page_bytes

pytestmark = pytest.mark.django_db


def _token(stakeholder, purpose, **kwargs):
    return links.link_token(stakeholder=stakeholder, purpose=purpose, **kwargs)


def _preferences(token):
    return reverse("engage:preferences", kwargs={"token": token})


def _unsubscribe(token):
    return reverse("engage:unsubscribe", kwargs={"token": token})


@pytest.fixture
def person(consent_purposes):
    stakeholder = StakeholderFactory(email="ada@example.org", first_name="Ada")
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )
    return stakeholder


def test_an_unsubscribe_link_does_not_open_preferences(client, person):
    token = _token(person, links.UNSUBSCRIBE, consent_slug="meeting-invitations")

    response = client.get(_preferences(token))

    assert response.status_code == 404
    assert "ada@example.org" not in response.content.decode()


def test_a_preferences_link_does_not_unsubscribe(client, person):
    token = _token(person, links.PREFERENCES)

    response = client.post(_unsubscribe(token))

    assert response.status_code == 404
    assert {s.purpose.slug: s.state for s in stakeholder_consents(person)}[
        "meeting-invitations"
    ] == "given"


def test_the_page_after_unsubscribing_offers_no_preferences_link(client, person):
    token = _token(person, links.UNSUBSCRIBE, consent_slug="meeting-invitations")

    body = client.post(_unsubscribe(token)).content.decode()

    assert "/preferences/" not in body
    assert reverse("engage:link_renew") in body
    assert "ada@example.org" not in body


@pytest.mark.parametrize("purpose", [links.UNSUBSCRIBE, links.PREFERENCES])
def test_only_a_registration_link_proves_who_registers(client, person, purpose):
    from tests.factories import MeetingFactory

    meeting = MeetingFactory()
    url = reverse("events:register", kwargs={"slug": meeting.slug})

    client.get(url + "?t=" + _token(person, purpose, consent_slug="meeting-invitations"))
    refused = client.get(url)
    client.get(url + "?t=" + _token(person, links.REGISTER, path=url))
    accepted = client.get(url)

    assert refused.status_code == 200  # the guest form: an address to be proved by a code
    assert "guest_email" in refused.context["form"].fields
    assert refused.context["form"].initial == {}
    assert accepted.status_code == 200
    assert accepted.context["form"].initial["first_name"] == "Ada"


def test_a_preferences_link_expires(client, person, settings):
    settings.ENGAGE_LINK_PREFERENCES_DAYS = 30
    token = _token(person, links.PREFERENCES)

    with time_machine.travel(dt.timedelta(days=29)):
        fresh = client.get(_preferences(token))
    with time_machine.travel(dt.timedelta(days=31)):
        old = client.get(_preferences(token))

    assert fresh.status_code == 200
    assert old.status_code == 410
    body = old.content.decode()
    assert reverse("engage:link_renew") in body
    assert "ada@example.org" not in body and "Ada" not in body


def test_an_unsubscribe_link_works_for_a_long_time_then_expires(client, person, settings):
    settings.ENGAGE_LINK_UNSUBSCRIBE_DAYS = 400
    token = _token(person, links.UNSUBSCRIBE, consent_slug="meeting-invitations")

    with time_machine.travel(dt.timedelta(days=399)):
        months_later = client.get(_unsubscribe(token))
    with time_machine.travel(dt.timedelta(days=401)):
        too_late = client.post(_unsubscribe(token))

    assert months_later.status_code == 200
    assert too_late.status_code == 410
    assert {s.purpose.slug: s.state for s in stakeholder_consents(person)}[
        "meeting-invitations"
    ] == "given"


def test_one_click_unsubscribe_still_needs_no_cookie_or_csrf_token(person):
    token = _token(person, links.UNSUBSCRIBE, consent_slug="meeting-invitations")

    response = Client(enforce_csrf_checks=True).post(
        _unsubscribe(token),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert {s.purpose.slug: s.state for s in stakeholder_consents(person)}[
        "meeting-invitations"
    ] == "withdrawn"


@pytest.mark.parametrize("purpose", links.PURPOSES)
def test_no_link_survives_a_change_of_address(client, person, purpose):
    from tests.factories import MeetingFactory

    path = reverse("events:register", kwargs={"slug": MeetingFactory().slug})
    token = _token(person, purpose, consent_slug="meeting-invitations", path=path)
    person.email = "someone.else@example.org"
    person.save()

    with pytest.raises(links.LinkInvalid) as raised:
        links.link_read(token=token, purpose=purpose)
    page = client.get(_preferences(token) if purpose == links.PREFERENCES else _unsubscribe(token))

    assert not isinstance(raised.value, links.LinkExpired)  # no fresh link to the new address
    assert page.status_code == 404
    assert "someone.else@example.org" not in page.content.decode()


def test_a_link_names_the_address_it_was_mailed_to(person):
    # Mail queued before staff change the address carries links for the old address only.
    token = _token(person, links.PREFERENCES, sent_to="ADA@example.org")

    assert links.link_read(token=token, purpose=links.PREFERENCES).stakeholder == person
    with pytest.raises(links.LinkInvalid):
        links.link_read(
            token=_token(person, links.PREFERENCES, sent_to="old@example.org"),
            purpose=links.PREFERENCES,
        )


def _renew(client, token, purpose, **extra):
    return client.post(reverse("engage:link_renew"), {"token": token, "purpose": purpose, **extra})


def test_an_expired_link_mails_a_fresh_one_to_the_address_on_file(client, person, settings):
    settings.ENGAGE_LINK_PREFERENCES_DAYS = 30
    token = _token(person, links.PREFERENCES)

    with time_machine.travel(dt.timedelta(days=31)):
        response = _renew(client, token, links.PREFERENCES)
        email = OutboundEmail.objects.get(template="engage/link_renewed")
        fresh = re.search(r"/preferences/([^/\s]+)/", email.body_text).group(1)
        opened = client.get(_preferences(fresh))

    assert response.status_code == 200
    assert "ada@example.org" not in response.content.decode()
    assert email.to_email == "ada@example.org"
    assert fresh != token
    assert opened.status_code == 200


def test_after_unsubscribing_a_preferences_link_goes_to_the_address_on_file(client, person):
    token = _token(person, links.UNSUBSCRIBE, consent_slug="meeting-invitations")

    _renew(client, token, links.UNSUBSCRIBE, want=links.PREFERENCES)

    email = OutboundEmail.objects.get(template="engage/link_renewed")
    assert email.to_email == "ada@example.org"
    assert "/preferences/" in email.body_text


def test_renewal_answers_the_same_and_sends_nothing_for_a_bad_or_moved_link(client, person):
    token = _token(person, links.PREFERENCES)
    person.email = "moved@example.org"
    person.save()

    moved = _renew(client, token, links.PREFERENCES)
    forged = _renew(client, token[:-3] + "abc", links.PREFERENCES)
    other_purpose = _renew(client, token, links.UNSUBSCRIBE)

    assert page_bytes(moved) == page_bytes(forged) == page_bytes(other_purpose)
    assert not OutboundEmail.objects.filter(template="engage/link_renewed").exists()


def test_renewal_is_rate_limited(client, person, settings):
    settings.ENGAGE_LINK_RENEW_PER_HOUR = 3
    token = _token(person, links.PREFERENCES)

    answers = {_renew(client, token, links.PREFERENCES).status_code for _ in range(5)}

    assert answers == {200}
    assert OutboundEmail.objects.filter(template="engage/link_renewed").count() == 3


def test_renewal_needs_a_csrf_token(person):
    token = _token(person, links.PREFERENCES)

    response = _renew(Client(enforce_csrf_checks=True), token, links.PREFERENCES)

    assert response.status_code == 403
    assert not OutboundEmail.objects.filter(template="engage/link_renewed").exists()


def test_mail_footers_carry_purpose_bound_links(person):
    from engage.mail.services import email_queue

    email = email_queue(
        to_email=person.email,
        template="engage/signup_welcome",
        stakeholder=person,
        purpose_slug="meeting-invitations",
        context={"first_name": "Ada", "preferences_url": ""},
    )
    preferences = re.search(r"/preferences/([^/\s]+)/", email.body_text).group(1)
    unsubscribe = re.search(r"/unsubscribe/([^/\s]+)/", email.body_text).group(1)

    assert links.link_read(token=preferences, purpose=links.PREFERENCES).stakeholder == person
    assert links.link_read(token=unsubscribe, purpose=links.UNSUBSCRIBE).consent_slug == (
        "meeting-invitations"
    )
    with pytest.raises(links.LinkInvalid):
        links.link_read(token=unsubscribe, purpose=links.PREFERENCES)


@pytest.mark.parametrize("change", ["address", "age"])
def test_a_campaign_invitation_proves_nothing_after_a_move_or_when_old(
    client, django_capture_on_commit_callbacks, settings, change
):
    from events.models import Invitation
    from tests.events.test_campaigns import _send, consenting
    from tests.factories import CampaignFactory

    settings.ENGAGE_LINK_REGISTER_DAYS = 30
    person = consenting(first_name="Amira")
    campaign = CampaignFactory()
    _send(campaign, django_capture_on_commit_callbacks)
    token = Invitation.objects.get(campaign=campaign).token
    register = reverse("events:register", kwargs={"slug": campaign.meeting.slug})
    if change == "address":
        person.email = "new.owner@example.org"
        person.save()
        travel = dt.timedelta(0)
    else:
        travel = dt.timedelta(days=31)

    with time_machine.travel(dt.timedelta(days=1)):
        young = Client().get(f"{register}?invitation={token}", follow=True)
    with time_machine.travel(travel):
        response = client.get(f"{register}?invitation={token}", follow=True)

    body = response.content.decode()
    assert "That link is not valid any more" in body
    assert "new.owner@example.org" not in body and 'value="Amira"' not in body
    if change == "age":
        assert 'value="Amira"' in young.content.decode()
