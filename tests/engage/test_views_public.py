"""Joining the list, the preferences page and one-click unsubscribe, through the test client."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from engage import links, services
from engage.enums import ConsentAction, ConsentMethod, EmailStatus
from engage.mail.services import email_queue
from engage.models import ConsentRecord, OutboundEmail, PendingSignup, Stakeholder
from engage.selectors import stakeholder_consents
from tests.factories import AreaFactory, StakeholderFactory, UserFactory
from tests.pages import page_bytes

pytestmark = pytest.mark.django_db


def _join_data(consent_purposes, **overrides):
    data = {
        "first_name": "Nia",
        "last_name": "Okoro",
        "email": "nia@example.org",
        "area": "",
        "organisation": "",
        "purposes": [consent_purposes["meeting-invitations"].pk],
    }
    data.update(overrides)
    return data


def test_join_form_shows_each_purpose_with_its_wording(client, consent_purposes):
    response = client.get(reverse("engage:join"))

    body = response.content.decode()
    assert response.status_code == 200
    for purpose in consent_purposes.values():
        assert purpose.wording.replace("'", "&#x27;") in body


def test_joining_sends_a_confirmation_link_and_records_no_one_yet(
    client, consent_purposes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("engage:join"), _join_data(consent_purposes), REMOTE_ADDR="203.0.113.7"
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("engage:join_sent")
    assert Stakeholder.objects.count() == 0
    pending = PendingSignup.objects.get()
    assert pending.data["ip_address"] == "203.0.113.7"
    assert mail.outbox[0].to == ["nia@example.org"]
    assert reverse("engage:join_confirm", args=[pending.token]) in mail.outbox[0].body


def test_joining_with_no_purpose_ticked_explains_and_keeps_what_was_typed(client, consent_purposes):
    response = client.post(reverse("engage:join"), _join_data(consent_purposes, purposes=[]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Tick at least one box" in body
    assert 'value="nia@example.org"' in body
    assert PendingSignup.objects.count() == 0


def test_joining_with_an_address_already_on_the_list_answers_exactly_the_same(
    client, consent_purposes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post(reverse("engage:join"), _join_data(consent_purposes))
    StakeholderFactory(email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(
            reverse("engage:join"), _join_data(consent_purposes, email="known@example.org")
        )

    assert (new.status_code, new["Location"]) == (known.status_code, known["Location"])
    assert page_bytes(client.get(new["Location"])) == page_bytes(client.get(known["Location"]))
    assert [m.subject for m in mail.outbox] == [mail.outbox[0].subject] * 2


def test_html_in_a_name_is_escaped_in_the_confirmation_email(
    client, consent_purposes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("engage:join"),
            _join_data(consent_purposes, first_name="<b>Nia</b>"),
        )

    html = mail.outbox[0].alternatives[0][0]
    assert "&lt;b&gt;Nia&lt;/b&gt;" in html
    assert "<b>Nia</b>" not in html


def test_the_confirmation_link_asks_first_and_records_consent_only_on_the_button(
    client, consent_purposes
):
    client.post(reverse("engage:join"), _join_data(consent_purposes))
    url = reverse("engage:join_confirm", args=[PendingSignup.objects.get().token])

    shown = client.get(url)
    assert (shown.status_code, Stakeholder.objects.count()) == (200, 0)
    confirmed = client.post(url, HTTP_USER_AGENT="Phone", REMOTE_ADDR="203.0.113.8")

    assert confirmed.status_code == 200
    stakeholder = Stakeholder.objects.get()
    record = ConsentRecord.objects.get()
    assert (record.stakeholder, record.action, record.evidence["confirmed_ip_address"]) == (
        stakeholder,
        ConsentAction.GIVEN,
        "203.0.113.8",
    )
    assert "Your preferences" not in confirmed.content.decode()
    assert reverse(
        "engage:preferences",
        kwargs={"token": links.link_token(stakeholder=stakeholder, purpose=links.PREFERENCES)},
    ) in (confirmed.content.decode())


def test_an_unknown_confirmation_link_says_so(client):
    response = client.get(reverse("engage:join_confirm", args=["not-a-token"]))

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


# --- Preferences ---------------------------------------------------------------------------------


def _preferences_url(stakeholder):
    return reverse(
        "engage:preferences",
        kwargs={"token": links.link_token(stakeholder=stakeholder, purpose=links.PREFERENCES)},
    )


def test_preferences_page_shows_each_purpose_with_the_wording_agreed_to(client, consent_purposes):
    stakeholder = StakeholderFactory(first_name="<script>alert(1)</script>")
    services.consent_give(
        stakeholder=stakeholder,
        purpose="meeting-invitations",
        method=ConsentMethod.WEB,
        wording="The words shown in 2025.",
    )

    response = client.get(_preferences_url(stakeholder))

    body = response.content.decode()
    assert response.status_code == 200
    assert "The words shown in 2025." in body
    assert consent_purposes["action-plan-news"].wording in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_withdrawing_is_one_click_and_suppresses_mail_already_queued(
    client, consent_purposes, django_capture_on_commit_callbacks
):
    stakeholder = StakeholderFactory()
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )
    with django_capture_on_commit_callbacks(execute=False) as queued_sends:
        email = email_queue(
            to_email=stakeholder.email,
            template="engage/signup_welcome",
            context={"first_name": "", "preferences_url": "http://testserver/"},
            stakeholder=stakeholder,
            purpose_slug="meeting-invitations",
        )
    url = _preferences_url(stakeholder)

    response = client.post(
        url,
        {"form": "consent", "purpose": "meeting-invitations", "action": "withdraw"},
        HTTP_USER_AGENT="Phone",
    )
    for send in queued_sends:
        send()

    assert (response.status_code, response["Location"]) == (302, url)
    record = ConsentRecord.objects.filter(stakeholder=stakeholder).first()
    assert (record.action, record.method, record.user_agent) == (
        ConsentAction.WITHDRAWN,
        ConsentMethod.WEB,
        "Phone",
    )
    assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SUPPRESSED
    assert mail.outbox == []


def test_giving_consent_on_the_preferences_page(client, consent_purposes):
    stakeholder = StakeholderFactory()

    client.post(
        _preferences_url(stakeholder),
        {"form": "consent", "purpose": "action-plan-news", "action": "give"},
    )

    states = {s.purpose.slug: s.state for s in stakeholder_consents(stakeholder)}
    assert states["action-plan-news"] == "given"
    assert ConsentRecord.objects.get().wording == consent_purposes["action-plan-news"].wording


def test_changing_ones_details_on_the_preferences_page(client, consent_purposes):
    stakeholder = StakeholderFactory(first_name="Ann", phone="")
    area = AreaFactory(name="Hackney")

    client.post(
        _preferences_url(stakeholder),
        {
            "form": "details",
            "first_name": "Anne",
            "last_name": stakeholder.last_name,
            "phone": "07700 900000",
            "area": area.pk,
        },
    )

    stakeholder.refresh_from_db()
    assert (stakeholder.first_name, stakeholder.phone, stakeholder.area) == (
        "Anne",
        "07700 900000",
        area,
    )


def test_a_tampered_preferences_link_does_not_work(client):
    stakeholder = StakeholderFactory()
    token = links.link_token(stakeholder=stakeholder, purpose=links.PREFERENCES)

    response = client.get(reverse("engage:preferences", kwargs={"token": token[:-2] + "xx"}))

    assert response.status_code == 404


def test_my_preferences_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("engage:my_preferences"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_my_preferences_shows_the_signed_in_persons_own_entry(client, consent_purposes):
    user = UserFactory()
    StakeholderFactory(user=user, first_name="Owen")
    client.force_login(user)

    response = client.get(reverse("engage:my_preferences"))

    assert response.status_code == 200
    assert "Owen" in response.content.decode()


def test_my_preferences_without_an_entry_offers_to_join(client):
    client.force_login(UserFactory())

    response = client.get(reverse("engage:my_preferences"))

    assert response.status_code == 200
    assert reverse("engage:join") in response.content.decode()


# --- One-click unsubscribe (RFC 8058) ------------------------------------------------------------


def _unsubscribe_url(stakeholder, slug="meeting-invitations"):
    token = links.link_token(stakeholder=stakeholder, purpose=links.UNSUBSCRIBE, consent_slug=slug)
    return reverse("engage:unsubscribe", kwargs={"token": token})


def test_unsubscribe_get_asks_and_changes_nothing(client, consent_purposes):
    stakeholder = StakeholderFactory()
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )

    response = client.get(_unsubscribe_url(stakeholder))

    assert response.status_code == 200
    assert '<form method="post"' in response.content.decode()
    assert ConsentRecord.objects.count() == 1


def test_one_click_post_with_no_cookie_or_csrf_token_withdraws_that_purpose(consent_purposes):
    stakeholder = StakeholderFactory()
    for slug in ("meeting-invitations", "action-plan-news"):
        services.consent_give(stakeholder=stakeholder, purpose=slug, method=ConsentMethod.WEB)
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        _unsubscribe_url(stakeholder),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert {s.purpose.slug: s.state for s in stakeholder_consents(stakeholder)} == {
        "meeting-invitations": "withdrawn",
        "action-plan-news": "given",
        "equality-monitoring": "none",
        "access-needs": "none",
        "attendee-list": "none",
    }
    assert ConsentRecord.objects.filter(method=ConsentMethod.UNSUBSCRIBE).count() == 1
    assert "sessionid" not in response.cookies


def test_unsubscribing_twice_adds_one_record(client, consent_purposes):
    stakeholder = StakeholderFactory()
    services.consent_give(
        stakeholder=stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )

    client.post(_unsubscribe_url(stakeholder))
    client.post(_unsubscribe_url(stakeholder))

    assert ConsentRecord.objects.filter(action=ConsentAction.WITHDRAWN).count() == 1


def test_other_public_posts_still_need_a_csrf_token(consent_purposes):
    stakeholder = StakeholderFactory()
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        _preferences_url(stakeholder),
        {"form": "consent", "purpose": "action-plan-news", "action": "give"},
    )

    assert response.status_code == 403
    assert ConsentRecord.objects.count() == 0


def test_an_unsubscribe_link_naming_an_unknown_purpose_does_not_work(client, consent_purposes):
    stakeholder = StakeholderFactory()

    response = client.post(_unsubscribe_url(stakeholder, slug="no-such-purpose"))

    assert response.status_code == 404


def test_unsubscribe_page_names_the_purpose_escaped(client, consent_purposes):
    purpose = consent_purposes["meeting-invitations"]
    purpose.name = "Invitations <i>and</i> updates"
    purpose.save()

    response = client.get(_unsubscribe_url(StakeholderFactory()))

    assert "Invitations &lt;i&gt;and&lt;/i&gt; updates" in response.content.decode()


def test_confirmation_email_link_is_absolute(client, consent_purposes, settings):
    settings.SITE_URL = "https://engage.example.org"
    client.post(reverse("engage:join"), _join_data(consent_purposes))

    email = OutboundEmail.objects.get()
    assert re.search(r"https://engage\.example\.org/join/confirm/[\w-]+/", email.body_text)


def test_my_preferences_finds_the_entry_whose_address_the_account_verified(
    client, consent_purposes
):
    from allauth.account.models import EmailAddress

    user = UserFactory(email="verified@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    StakeholderFactory(email="Verified@example.org", first_name="Vera")
    client.force_login(user)

    response = client.get(reverse("engage:my_preferences"))

    assert "Vera" in response.content.decode()


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sign_ups_for_one_new_address_confirmed_at_once_make_one_person(consent_purposes):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL; SQLite serialises every writer anyway")
    for name in ("Nia", "Nia", "Nia"):
        services.signup_request(
            email="Nia@Example.org",
            first_name=name,
            last_name="Okoro",
            area=None,
            organisation_name="Northside Youth Forum",
            interest_ids=[],
            purposes=[consent_purposes["meeting-invitations"], consent_purposes["attendee-list"]],
            ip_address="198.51.100.4",
            user_agent="Phone browser",
        )
    tokens = list(PendingSignup.objects.values_list("token", flat=True))
    barrier = threading.Barrier(len(tokens))
    statuses, errors = [], []

    def confirm(token: str) -> None:
        try:
            client = Client(raise_request_exception=False)
            barrier.wait()
            response = client.post(reverse("engage:join_confirm", args=[token]))
            statuses.append(response.status_code)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (errors, statuses) == ([], [200] * len(tokens))
    stakeholder = Stakeholder.objects.get()
    given = ConsentRecord.objects.filter(stakeholder=stakeholder).order_by("purpose__slug")
    assert [(r.purpose.slug, r.action) for r in given] == [
        ("attendee-list", ConsentAction.GIVEN),
        ("meeting-invitations", ConsentAction.GIVEN),
    ]
    assert stakeholder.memberships.count() == 1
    assert PendingSignup.objects.filter(confirmed_at__isnull=True).count() == 0
