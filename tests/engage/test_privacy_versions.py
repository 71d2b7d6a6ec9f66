"""Staff publish a new version of the privacy notice: drafted, then published as the current one
that new consents cite; published versions are kept word for word and never edited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from engage import privacy, services
from engage.enums import ConsentMethod
from engage.models import PrivacyNotice
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

TEXT = "## Who we are\nThe engagement team.\n\n## What we keep\nYour name.\n\nYour email address."


def _draft(actor, version="2027-03"):
    return services.privacy_notice_draft_save(
        version=version,
        title="Privacy notice",
        lawful_basis="Public task: Article 6(1)(e).",
        text=TEXT,
        actor=actor,
    )


def test_a_draft_is_kept_apart_until_published_then_new_consents_cite_it(
    administrator, privacy_notice, consent_purposes, django_capture_on_commit_callbacks
):
    draft = _draft(administrator)
    assert draft.sections == [
        {"heading": "Who we are", "text": "The engagement team."},
        {"heading": "What we keep", "text": "Your name.\n\nYour email address."},
    ]
    assert privacy.privacy_notice_version_current() == "2026-11"
    assert privacy.privacy_notice_get("2027-03") is None  # not public as a draft

    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_notice_publish(notice_id=draft.pk, actor=administrator)

    assert privacy.privacy_notice_current() == draft
    assert privacy.privacy_notice_version_current() == "2027-03"
    record = services.consent_give(
        stakeholder=StakeholderFactory(),
        purpose=consent_purposes["meeting-invitations"],
        method=ConsentMethod.WEB,
    )
    assert record.privacy_notice_version == "2027-03"
    assert [n.version for n in privacy.privacy_notices_older()] == ["2026-11"]


def test_a_published_version_is_never_edited_and_the_earlier_one_keeps_its_words(
    administrator, privacy_notice
):
    before = (privacy_notice.lawful_basis, privacy_notice.sections)
    draft = _draft(administrator)
    services.privacy_notice_publish(notice_id=draft.pk, actor=administrator)

    with pytest.raises(ValidationError):
        services.privacy_notice_draft_save(
            notice_id=draft.pk,
            version="2027-03",
            title="Changed",
            lawful_basis="Changed",
            text=TEXT,
            actor=administrator,
        )
    draft.title = "Changed"
    with pytest.raises(ValidationError):
        draft.save()

    kept = PrivacyNotice.objects.get(version="2026-11")
    assert (kept.lawful_basis, kept.sections) == before
    assert PrivacyNotice.objects.get(pk=draft.pk).title == "Privacy notice"


def test_a_version_label_is_used_once(administrator, privacy_notice):
    with pytest.raises(ValidationError) as refused:
        _draft(administrator, version="2026-11")

    assert "version" in refused.value.message_dict


def test_an_administrator_drafts_and_publishes_from_the_staff_pages(
    client, administrator, privacy_notice, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    new = client.get(reverse("engage:staff_privacy_notice_new"))
    assert "## Who we are" in new.context["form"].initial["text"]  # starts from the current words

    saved = client.post(
        reverse("engage:staff_privacy_notice_new"),
        {
            "version": "2027-03",
            "title": "Privacy notice",
            "lawful_basis": "Public task.",
            "text": TEXT,
        },
    )
    draft = PrivacyNotice.objects.get(version="2027-03")
    assert saved["Location"] == reverse("engage:staff_privacy_notice_publish", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engage:staff_privacy_notice_publish", args=[draft.pk]))

    listing = client.get(reverse("engage:staff_privacy_notices")).content.decode()
    assert "Current, published" in listing
    public = client.get(reverse("engage:privacy")).content.decode()
    assert "Privacy notice version 2027-03" in public


def test_the_draft_form_says_what_to_fix(client, administrator):
    client.force_login(administrator)

    response = client.post(
        reverse("engage:staff_privacy_notice_new"),
        {"version": "", "title": "Privacy notice", "lawful_basis": "x", "text": "No heading"},
    )

    no_heading = client.post(
        reverse("engage:staff_privacy_notice_new"),
        {"version": "2027-03", "title": "Privacy notice", "lawful_basis": "x", "text": "Hello"},
    )

    assert "Enter version label" in response.content.decode()
    page = no_heading.content.decode()
    assert "Start the text with a heading" in page
    assert 'href="#id_text"' in page
    assert not PrivacyNotice.objects.filter(published_at__isnull=True).exists()
