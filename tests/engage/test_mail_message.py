"""One row as a message (engage.mail.message): its links and its MIME shape."""

import email
import email.policy

import pytest

from engage import links as signed_links
from tests.engage.mail_support import PURPOSE, consented, queue_invitation
from tests.factories import StakeholderFactory


@pytest.mark.django_db
def test_links_in_mail_are_the_urls_reverse_gives_and_name_the_person():
    from django.urls import reverse, set_script_prefix

    from engage.mail.rendering import stakeholder_links

    person = StakeholderFactory()
    for prefix in ("/", "/engage/"):
        set_script_prefix(prefix)
        try:
            links = stakeholder_links(stakeholder=person, purpose_slug=PURPOSE)
        finally:
            set_script_prefix("/")
        for name in ("preferences", "unsubscribe"):
            url = links[f"{name}_url"]
            token = url.rstrip("/").rsplit("/", 1)[1]
            set_script_prefix(prefix)
            try:
                expected = reverse(f"engage:{name}", kwargs={"token": token})
            finally:
                set_script_prefix("/")
            assert url.endswith(expected)
            assert expected.startswith(prefix)
        link = signed_links.link_read(
            token=links["unsubscribe_url"].rstrip("/").rsplit("/", 1)[1],
            purpose=signed_links.UNSUBSCRIBE,
        )
        assert (link.stakeholder, link.consent_slug) == (person, PURPOSE)


@pytest.mark.django_db
def test_mail_without_calendar_goes_as_simple_content_and_with_one_as_raw_mime(
    ses, django_capture_on_commit_callbacks
):
    person = consented(first_name="Zoë")
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"

    with django_capture_on_commit_callbacks(execute=True):
        plain = queue_invitation(person)
        with_calendar = queue_invitation(
            person, calendar=calendar, calendar_method="REQUEST", dedupe_key="with-calendar"
        )

    simple, raw = sorted(ses.messages, key=lambda m: int(m.email_id))
    assert (simple.email_id, raw.email_id) == (str(plain.pk), str(with_calendar.pk))
    assert simple.raw == b""  # SES assembles it from the parts
    assert simple.subject == plain.subject
    assert "Zoë" in simple.text
    assert (simple.text, simple.html) == (plain.body_text, plain.body_html)
    assert simple.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert simple.headers["X-Metadata"] == f'{{"email_id": "{plain.pk}"}}'
    assert simple.headers["From"] == "Engage <engage@localhost>"
    parsed = email.message_from_bytes(raw.raw, policy=email.policy.default)
    assert "text/calendar" in {part.get_content_type() for part in parsed.walk()}
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
