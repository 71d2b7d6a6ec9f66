"""Every email has an HTML part that is a whole document (language, mobile viewport), and every
time in an email says GMT or BST as the pages do."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engage.mail.rendering import email_render
from events.notices import meeting_when_text
from tests.factories import MeetingFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"
LONDON = ZoneInfo("Europe/London")


def _event_templates_without_html() -> list[str]:
    names = []
    for text in (TEMPLATES / "events").glob("*_message.txt"):
        if not text.name.startswith("_") and not text.with_suffix(".html").exists():
            names.append("events/" + text.name.removesuffix("_message.txt"))
    return sorted(names)


def test_a_text_only_email_gets_an_html_document_with_lang_and_viewport():
    names = _event_templates_without_html()
    assert len(names) >= 5  # the meeting-change, cancel and facilitator notices among them

    subject, text, html = email_render(
        template="events/registration_cancelled",
        context={
            "first_name": "Ama & Kofi",
            "meeting_title": "Spring review",
            "meeting_url": "https://engage.example.org/meetings/spring/",
        },
    )

    assert html.startswith("<!DOCTYPE html>")
    assert re.search(r'<html lang="en-gb">', html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<title>" in html and subject
    assert "Ama &amp; Kofi" in html  # escaped, never raw
    assert 'href="https://engage.example.org/meetings/spring/"' in html


@pytest.mark.django_db
def test_an_html_template_is_wrapped_into_a_document_with_the_footer_inside_the_body():
    _subject, _text, html = email_render(
        template="events/reminder",
        context={
            "first_name": "Ama",
            "meeting_title": "Spring review",
            "meeting_when": "x",
            "days": 7,
        },
        footer={"purpose_name": "Meeting invitations", "links": {}},
    )

    assert html.startswith("<!DOCTYPE html>") and html.count("<body>") == 1
    assert html.index("</body>") > html.index("Dear Ama")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("when", "zone"),
    [(dt.datetime(2027, 7, 13, 18, 0), "BST"), (dt.datetime(2027, 1, 12, 18, 0), "GMT")],
)
def test_meeting_times_in_emails_say_gmt_or_bst(when, zone):
    start = when.replace(tzinfo=LONDON)
    meeting = MeetingFactory(start=start, end=start + dt.timedelta(hours=2))

    assert meeting_when_text(meeting).endswith(f"18:00 {zone} to 20:00 {zone}")


def test_email_templates_never_show_a_time_without_its_zone():
    bare = []
    for path in TEMPLATES.rglob("*"):
        if path.is_file():
            for fmt in re.findall(r'date:"([^"]*)"', path.read_text()):
                if "H:i" in fmt and not fmt.rstrip().endswith("T"):
                    bare.append(f"{path.name}: {fmt}")
    assert bare == []
