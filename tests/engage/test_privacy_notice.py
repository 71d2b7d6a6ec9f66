"""The privacy notice: kept word for word per version, shown at /privacy/, linked from every form
that takes personal details and from the staff consent history, and checked against consents."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from engage import links
from engage.models import PrivacyNotice
from engage.privacy import check_privacy_notice_versions
from tests.factories import (
    ConsentPurposeFactory,
    ConsentRecordFactory,
    MeetingFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

PRIVACY_LINK = 'href="/privacy/"'


def _older(version="2026-05") -> PrivacyNotice:
    return PrivacyNotice.objects.create(
        version=version,
        title="How we used your information",
        published_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        lawful_basis="Public task, as the words of May said.",
        sections=[{"heading": "Who we were", "text": "The words of May."}],
    )


def test_the_current_notice_is_the_version_consents_cite_and_says_its_lawful_basis(
    client, privacy_notice, settings
):
    settings.ENGAGE_PRIVACY_NOTICE_VERSION = "2026-11"

    response = client.get("/privacy/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "version 2026-11" in body
    assert "Our lawful basis" in body
    assert "Article 6(1)(e)" in body and "Article 9(2)(a)" in body
    assert "Access needs are deleted 30 days after the meeting" in body


def test_an_older_version_is_shown_word_for_word_and_listed_from_the_current_one(
    client, privacy_notice
):
    _older()

    older = client.get("/privacy/2026-05/").content.decode()
    current = client.get("/privacy/").content.decode()

    assert "The words of May." in older
    assert "older version of the privacy notice" in older
    assert 'href="/privacy/2026-05/"' in current
    assert client.get("/privacy/1999-01/").status_code == 404


def test_a_kept_notice_cannot_be_edited_or_deleted(privacy_notice):
    privacy_notice.lawful_basis = "Something else"
    with pytest.raises(ValidationError):
        privacy_notice.save()
    with pytest.raises(ValidationError):
        privacy_notice.delete()


def test_every_form_that_takes_details_links_the_current_notice(client, privacy_notice):
    meeting = MeetingFactory()
    person = StakeholderFactory()
    token = links.link_token(stakeholder=person, purpose=links.PREFERENCES)
    pages = {
        "join": reverse("engage:join"),
        "preferences": reverse("engage:preferences", kwargs={"token": token}),
        "register: email": reverse("events:register", kwargs={"slug": meeting.slug}),
        "sign in": reverse("account_login"),
        "sign-in code": reverse("account_request_login_code"),
    }
    missing = []
    for name, url in pages.items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, name
        if PRIVACY_LINK not in response.content.decode():
            missing.append(name)
    assert missing == []


def test_the_registration_form_links_the_notice(client, representative, privacy_notice):
    meeting = MeetingFactory()
    client.force_login(representative)

    body = client.get(reverse("events:register", kwargs={"slug": meeting.slug})).content.decode()

    assert "register-form" in body and PRIVACY_LINK in body


def test_staff_consent_history_opens_the_version_the_person_saw(client, engagement_team):
    _older()
    person = StakeholderFactory()
    ConsentRecordFactory(
        stakeholder=person, purpose=ConsentPurposeFactory(), privacy_notice_version="2026-05"
    )
    client.force_login(engagement_team)

    body = client.get(reverse("engage:staff_stakeholder", args=[person.pk])).content.decode()

    assert 'href="/privacy/2026-05/"' in body


def test_the_system_check_names_a_cited_version_that_is_not_kept(privacy_notice, settings):
    settings.ENGAGE_PRIVACY_NOTICE_VERSION = "2026-11"
    ConsentRecordFactory(
        stakeholder=StakeholderFactory(),
        purpose=ConsentPurposeFactory(),
        privacy_notice_version="2026-11",
    )
    assert check_privacy_notice_versions(None, databases=["default"]) == []

    ConsentRecordFactory(
        stakeholder=StakeholderFactory(),
        purpose=ConsentPurposeFactory(),
        privacy_notice_version="2025-01",
    )
    errors = check_privacy_notice_versions(None, databases=["default"])

    assert [e.id for e in errors] == ["engage.E002"]
    assert "2025-01" in errors[0].msg


def test_the_system_check_names_a_current_version_that_is_not_kept(privacy_notice, settings):
    settings.ENGAGE_PRIVACY_NOTICE_VERSION = "2027-01"

    errors = check_privacy_notice_versions(None, databases=["default"])

    assert "2027-01" in errors[0].msg
