"""The summary report: its draft from the points (grouped by theme, weights in words, quotes,
recurring themes, small numbers suppressed), editing, versions kept at each publication, the
public page, its PDF, DOCX and points CSV read back, and the notice on publishing."""

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from engage.enums import ConsentMethod
from engage.services import consent_give
from events.enums import MeetingStatus, SessionKind
from feedback import services
from feedback.documents.outline import outline_format, outline_parse
from feedback.documents.report import (
    Attendance,
    DraftRules,
    ReportPoint,
    ReportQuestion,
    report_draft_sections,
)
from feedback.enums import ModerationState
from feedback.models import MeetingReport, ReportVersion, ReportVersionFile
from tests.factories import (
    AreaFactory,
    DiscussionQuestionFactory,
    MeetingFactory,
    PointFactory,
    RegistrationFactory,
    SessionFactory,
)
from tests.feedback.documents_read import docx_facts, pdf_facts

pytestmark = pytest.mark.django_db


def approved_point(**kwargs):
    """A point moderation has approved: the only kind a report shows."""
    return PointFactory(moderation=ModerationState.APPROVED, **kwargs)


RULES = DraftRules()
HELP = "How could communities help support the Met's Use of Force work?"
CHANGE = "If you could have changed one thing about this session, what would it be?"
SCRIPT = '<script>alert("x")</script><h2>Injected</h2>'


def _texts(items) -> list:
    return [(item.text, item.quote, _texts(item.items)) for item in items]


# --- The draft, from plain data ------------------------------------------------------------------


def test_points_are_grouped_by_theme_with_weights_in_words_and_quotes_in_italics():
    question = ReportQuestion(
        HELP,
        (
            ReportPoint("Acknowledge institutional racism", weight=2, theme="racism"),
            ReportPoint("To build trust is to acknowledge it", verbatim=True, theme="racism"),
            ReportPoint("Use social media to share people's rights", theme="information"),
            ReportPoint("Promote Stop Watch"),
            ReportPoint("Work with youth-led groups", weight=3),
        ),
    )

    sections = report_draft_sections(
        attendance=Attendance(attended=84, areas=23, breakouts=12),
        questions=[question],
        rules=RULES,
    )

    assert [s.heading for s in sections] == ["Introduction / Overview", HELP]
    assert _texts(sections[1].blocks[0].items) == [
        (
            "Several comments mentioned racism:",
            False,
            [
                ("Acknowledge institutional racism", False, []),
                ("“To build trust is to acknowledge it”", True, []),
            ],
        ),
        ("Use social media to share people's rights", False, []),
        ("Several people said:", False, [("Work with youth-led groups", False, [])]),
        ("Promote Stop Watch", False, []),
    ]
    assert _texts(sections[0].blocks[0].items) == [
        ("84 people attended the meeting.", False, []),
        ("23 areas of London were represented.", False, []),
        ("People discussed the questions in 12 breakout groups.", False, []),
    ]


def test_small_numbers_are_shown_as_fewer_than_the_threshold():
    sections = report_draft_sections(
        attendance=Attendance(attended=4, areas=1), questions=[], rules=DraftRules(suppress_below=5)
    )

    assert [item.text for item in sections[0].blocks[0].items] == [
        "fewer than 5 people attended the meeting.",
        "fewer than 5 areas of London were represented.",
    ]


def test_a_theme_raised_under_several_questions_is_recurring_and_change_one_thing_comes_last():
    questions = [
        ReportQuestion(CHANGE, (ReportPoint("Hold it in the evening", theme="racism"),)),
        ReportQuestion(HELP, (ReportPoint("Acknowledge racism", theme="racism"),)),
        ReportQuestion("What should stop?", (ReportPoint("Stop and search", theme="racism"),)),
    ]

    sections = report_draft_sections(
        attendance=Attendance(attended=50, areas=10), questions=questions, rules=RULES
    )

    assert [s.heading for s in sections] == [
        "Introduction / Overview",
        HELP,
        "What should stop?",
        "Recurring themes",
        CHANGE,
    ]
    assert sections[3].blocks[0].items[0].text == (
        "racism was a recurring theme in feedback to every question."
    )


def test_a_theme_shows_its_heaviest_points_and_says_how_many_more():
    points = tuple(ReportPoint(f"Point {n}", weight=1 + (n == 7), theme="trust") for n in range(9))

    (section,) = report_draft_sections(
        attendance=Attendance(attended=50, areas=10),
        questions=[ReportQuestion(HELP, points)],
        rules=DraftRules(points_per_theme=3),
    )[1:]

    lead = section.blocks[0].items[0]
    assert lead.text == "Many comments mentioned trust:"
    assert [i.text for i in lead.items] == [
        "Point 7",
        "Point 0",
        "Point 1",
        "…and 6 more comments on this.",
    ]


def test_the_outline_the_team_edits_reads_back_the_same_sections():
    sections = report_draft_sections(
        attendance=Attendance(attended=50, areas=10),
        questions=[
            ReportQuestion(
                HELP,
                (
                    ReportPoint("A <b>bold</b> claim", theme="x", weight=2),
                    ReportPoint("Said so", theme="x", verbatim=True),
                ),
            )
        ],
        rules=RULES,
    )

    opening, parsed = outline_parse(outline_format(sections))

    assert opening == ()
    assert parsed == sections


# --- Through the database ---------------------------------------------------------------------


@pytest.fixture
def meeting():
    start = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    meeting = MeetingFactory(
        title="Public review meeting", start=start, end=start + dt.timedelta(hours=3)
    )
    meeting.status = MeetingStatus.COMPLETED
    meeting.save(update_fields=["status"])
    return meeting


def _breakout(meeting, title):
    return SessionFactory(
        meeting=meeting,
        kind=SessionKind.BREAKOUT,
        title=title,
        start=meeting.start,
        end=meeting.end,
    )


def _captured(meeting):
    """Two breakouts asked the same two questions; points with themes, weights and a quote."""
    racism = services.theme_for_meeting(meeting=meeting, name="racism")
    for title in ("Breakout A", "Breakout B"):
        session = _breakout(meeting, title)
        help_q = DiscussionQuestionFactory(session=session, text=HELP, order=1)
        change_q = DiscussionQuestionFactory(session=session, text=CHANGE, order=2)
        approved_point(question=help_q, text=f"Acknowledge racism ({title})", theme=racism)
        approved_point(question=change_q, text="Talk openly about racism", theme=racism)
    approved_point(question=help_q, text="To build trust is to acknowledge it", verbatim=True)
    approved_point(question=help_q, text=SCRIPT, weight=2)
    approved_point(question=help_q, text="Deleted point", deleted_at=timezone.now())
    PointFactory(question=help_q, text="Not yet moderated point")
    PointFactory(
        question=help_q,
        text="Withheld point",
        moderation=ModerationState.WITHHELD,
        withheld_reason="Off topic",
    )
    return help_q


def test_the_draft_is_written_from_the_points_not_deleted(meeting, settings):
    settings.ENGAGE_SMALL_NUMBER_THRESHOLD = 5
    _captured(meeting)
    areas = AreaFactory.create_batch(6)
    for area in areas:
        RegistrationFactory(meeting=meeting, area=area, attended_at=meeting.start)
    RegistrationFactory(meeting=meeting)  # registered, never came

    report = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None)

    assert report.title == "What we heard at Public review meeting"
    assert "- 6 people attended the meeting." in report.draft
    assert "- 6 areas of London were represented." in report.draft
    assert "- People discussed the questions in 2 breakout groups." in report.draft
    assert f"## {HELP}" in report.draft
    assert "- Several comments mentioned racism:" in report.draft
    assert "\n- *“To build trust is to acknowledge it”*\n" in report.draft
    assert "- Several people said:\n  - " + SCRIPT in report.draft
    assert "more comment" not in report.draft  # a repeated point is not one "more"
    assert "Deleted point" not in report.draft
    assert "Not yet moderated point" not in report.draft
    assert "Withheld point" not in report.draft
    assert report.draft.index("## Recurring themes") < report.draft.index(f"## {CHANGE}")


def test_publishing_keeps_each_version_and_the_public_sees_the_latest(client, meeting):
    _captured(meeting)
    report = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None)
    services.meeting_report_update(
        report_id=report.pk,
        title="What we heard",
        body="Our introduction.",
        draft=report.draft,
        actor=None,
    )
    services.meeting_report_publish(report_id=report.pk, actor=None)
    services.meeting_report_update(
        report_id=report.pk,
        title="What we heard, corrected",
        body="Our introduction.",
        draft="## Next steps\n\n- We will write to everyone.",
        actor=None,
    )
    url = reverse("feedback:meeting_record", kwargs={"slug": meeting.slug})

    before = client.get(url).content.decode()
    services.meeting_report_publish(report_id=report.pk, actor=None)
    after = client.get(url).content.decode()

    v1, v2 = ReportVersion.objects.filter(report=report).order_by("number")
    assert v1.document["title"] == "What we heard"
    assert HELP in [s["heading"] for s in v1.document["sections"]]
    assert [s["heading"] for s in v2.document["sections"]] == ["Next steps"]
    assert "<h1>What we heard</h1>" in before and "Our introduction." in before
    assert "<h1>What we heard, corrected</h1>" in after and "We will write to everyone." in after


def test_the_unpublished_draft_never_shows_on_the_public_page(client, meeting):
    report = MeetingReport.objects.create(meeting=meeting, title="Legacy", body="Published text.")
    services.meeting_report_publish(report_id=report.pk, actor=None)
    services.meeting_report_update(
        report_id=report.pk,
        title="Legacy",
        body="Published text.",
        draft="## Secret draft",
        actor=None,
    )

    page = client.get(reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))

    assert "Secret draft" not in page.content.decode()


def _published(meeting, on_commit=None):
    """Publish the report; with `on_commit` (django_capture_on_commit_callbacks), run what
    publishing queued after commit too: the build of its PDF and DOCX."""
    _captured(meeting)
    report = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None)
    services.meeting_report_update(
        report_id=report.pk, title=SCRIPT, body="Intro " + SCRIPT, draft=report.draft, actor=None
    )
    if on_commit is None:
        services.meeting_report_publish(report_id=report.pk, actor=None)
    else:
        with on_commit(execute=True):
            services.meeting_report_publish(report_id=report.pk, actor=None)
    return report


def test_the_page_escapes_what_people_typed(client, meeting):
    _published(meeting)

    page = client.get(reverse("feedback:meeting_record", kwargs={"slug": meeting.slug}))

    body = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_the_published_pdf_is_tagged_with_headings_lists_language_and_title(
    client, meeting, django_capture_on_commit_callbacks
):
    _published(meeting, django_capture_on_commit_callbacks)
    url = reverse("feedback:meeting_report_file", kwargs={"slug": meeting.slug, "kind": "pdf"})

    response = client.get(url)

    assert response["Content-Type"] == "application/pdf"
    facts = pdf_facts(response.content)
    assert (facts.lang, facts.pdfua_part, facts.title) == ("en-GB", "1", SCRIPT)
    assert facts.count("/H1") == 1
    # Attendance, the question, recurring themes, change one thing; no injected heading.
    assert facts.count("/H2") == 4
    assert facts.count("/L") >= 4 and facts.count("/LI") >= 8


def test_the_published_docx_has_the_report_headings_and_quotes(
    client, meeting, django_capture_on_commit_callbacks
):
    _published(meeting, django_capture_on_commit_callbacks)
    url = reverse("feedback:meeting_report_file", kwargs={"slug": meeting.slug, "kind": "docx"})

    facts = docx_facts(client.get(url).content)

    assert facts.title == SCRIPT and facts.language == "en-GB"
    assert facts.styled("Heading 1") == [SCRIPT]
    assert facts.styled("Heading 2") == [
        "Introduction / Overview",
        HELP,
        "Recurring themes",
        CHANGE,
    ]
    assert "“To build trust is to acknowledge it”" in facts.italic
    assert "Several people said:" in facts.styled("List Bullet")
    assert SCRIPT in facts.styled("List Bullet 2")


def _file_url(meeting, kind):
    return reverse("feedback:meeting_report_file", kwargs={"slug": meeting.slug, "kind": kind})


def test_publishing_stores_the_pdf_and_docx_and_the_download_serves_what_is_stored(
    client, meeting, django_capture_on_commit_callbacks
):
    report = _published(meeting, django_capture_on_commit_callbacks)

    stored = ReportVersionFile.objects.filter(version__report=report)
    assert sorted(stored.values_list("kind", flat=True)) == ["docx", "pdf"]
    stored.filter(kind="pdf").update(content=b"%PDF-1.7 as stored")
    response = client.get(_file_url(meeting, "pdf"))
    assert (response.status_code, response.content) == (200, b"%PDF-1.7 as stored")


def test_a_file_not_built_yet_gets_a_being_prepared_page_and_its_build_is_queued(
    client, meeting, django_capture_on_commit_callbacks
):
    _published(meeting)  # its after-commit build never ran: a lost task

    with django_capture_on_commit_callbacks(execute=True) as queued:
        waiting = client.get(_file_url(meeting, "pdf"))

    assert waiting.status_code == 202 and waiting["Retry-After"] == "10"
    assert "The report is being prepared" in waiting.content.decode()
    assert len(queued) == 1
    built = client.get(_file_url(meeting, "pdf"))  # the queued build ran (eager in tests)
    assert built.status_code == 200 and built["Content-Type"] == "application/pdf"
    assert pdf_facts(built.content).title == SCRIPT


def test_a_build_already_queued_is_not_queued_again(
    client, meeting, django_capture_on_commit_callbacks
):
    report = _published(meeting)
    version = report.versions.get()
    cache.add(f"feedback:report-files-queued:{version.pk}", 1, 60)  # queued by a request before

    with django_capture_on_commit_callbacks(execute=True):
        waiting = client.get(_file_url(meeting, "docx"))

    assert waiting.status_code == 202
    assert not ReportVersionFile.objects.exists()
    cache.delete(f"feedback:report-files-queued:{version.pk}")


def test_the_points_csv_is_formula_safe_and_leaves_out_deleted_points(client, meeting):
    help_q = _captured(meeting)
    approved_point(question=help_q, text='=HYPERLINK("http://evil")')
    report = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None)
    url = reverse("feedback:meeting_report_points", kwargs={"slug": meeting.slug})

    unpublished = client.get(url)
    services.meeting_report_publish(report_id=report.pk, actor=None)
    response = client.get(url)

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert unpublished.status_code == 404
    assert rows[0] == [
        "Question",
        "Breakout",
        "Theme",
        "Point",
        "Verbatim quote",
        "How many said this",
    ]
    texts = [row[3] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in texts
    assert "Deleted point" not in texts
    assert "Withheld point" not in texts
    assert len(rows) == 1 + 7


def test_publishing_now_tells_the_consenting_place_holders(
    meeting, consent_purposes, django_capture_on_commit_callbacks
):
    report = MeetingReport.objects.create(meeting=meeting, title="What we heard", body="Text.")
    told = RegistrationFactory(meeting=meeting)
    consent_give(
        stakeholder=told.stakeholder, purpose="meeting-invitations", method=ConsentMethod.WEB
    )
    RegistrationFactory(meeting=meeting)  # no consent
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_report_publish(report_id=report.pk, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_report_publish(report_id=report.pk, actor=None)

    report.refresh_from_db()
    assert report.notified_at is not None
    assert [message.to[0] for message in mail.outbox] == [told.stakeholder.email]


# --- Staff pages ------------------------------------------------------------------------------


def test_staff_write_the_draft_edit_it_and_preview_it(client, engagement_team, meeting):
    _captured(meeting)
    client.force_login(engagement_team)
    page = reverse("feedback:staff_report", kwargs={"pk": meeting.pk})

    generated = client.post(reverse("feedback:staff_report_generate", kwargs={"pk": meeting.pk}))
    report = MeetingReport.objects.get(meeting=meeting)
    saved = client.post(
        page,
        {
            "title": "What we heard",
            "body": "Our introduction.",
            "draft": report.draft + "\n## Next steps\n\n- We will write to everyone.",
        },
    )
    preview = client.get(
        reverse("feedback:staff_report_preview", kwargs={"pk": meeting.pk, "kind": "docx"})
    )

    assert generated.status_code == saved.status_code == 302
    report.refresh_from_db()
    assert report.publish_at is None  # editing never publishes
    facts = docx_facts(preview.content)
    assert facts.styled("Heading 2")[-1] == "Next steps"
    assert facts.styled("Heading 1") == ["What we heard"]


def test_staff_save_without_a_title_shows_the_error_and_keeps_the_draft(
    client, engagement_team, meeting
):
    report = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None)
    client.force_login(engagement_team)

    response = client.post(
        reverse("feedback:staff_report", kwargs={"pk": meeting.pk}),
        {"title": "", "body": "", "draft": "## Changed"},
    )

    assert response.status_code == 200
    assert "<title>Error:" in response.content.decode()
    assert 'href="#id_title"' in response.content.decode()
    assert MeetingReport.objects.get(pk=report.pk).draft == report.draft
