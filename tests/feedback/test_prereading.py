"""The next meeting's pre-reading: assembled from what changed in the action plan since the
series' previous meeting and the responses to it, edited by the team, published on the meeting's
page as a page, PDF and DOCX, and announced through events' pre-reading notice, once."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from events.enums import MeetingStatus
from events.models import Document
from events.notices import prereading_notify_due
from feedback.enums import ResponseStatus
from feedback.models import PreReading, UpdateRound
from feedback.services import plan as plan_services
from feedback.services import prereading as services
from tests.factories import MeetingFactory, RegistrationFactory, ResponseFactory, SeriesFactory
from tests.feedback.documents_read import docx_facts, pdf_facts

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
INJECTED = '<h2>Injected</h2><script>alert("x")</script>'


@pytest.fixture(autouse=True)
def _ratings(db):
    importlib.import_module("feedback.migrations.0006_seed_rating_scale").seed(apps, None)


def _publish_round(plan, title, period_end, csv, published_at):
    round_ = plan_services.round_open(
        plan_id=plan.pk, title=title, period_end=period_end, actor=None
    )
    plan_services.plan_import(
        plan_id=plan.pk,
        data=csv.encode(),
        file_name="plan.csv",
        round_id=round_.pk,
        dry_run=False,
        actor=None,
    )
    plan_services.round_publish(round_id=round_.pk, actor=None)
    UpdateRound.objects.filter(pk=round_.pk).update(published_at=published_at)
    return round_


@pytest.fixture
def series():
    now = timezone.now()
    series = SeriesFactory()
    july = MeetingFactory(
        series=series,
        title="July meeting",
        start=now - 60 * DAY,
        end=now - 60 * DAY + dt.timedelta(hours=2),
        status=MeetingStatus.COMPLETED,
    )
    october = MeetingFactory(series=series, title="October meeting", start=now + 30 * DAY)
    plan = plan_services.plan_create(
        title="Mayor's Action Plan", slug="map", series_id=series.pk, actor=None
    )
    plan_services.chapter_add(plan_id=plan.pk, number="1", title="Powers", actor=None)
    head = "Chapter,Number,Commitment,Status update,Rating\n"
    _publish_round(
        plan,
        "Q1",
        dt.date(2026, 3, 31),
        head + "1,1.1,Review stops,Started.,A\n1,1.2,Review handcuffing,On track.,LG\n",
        now - 90 * DAY,
    )
    _publish_round(
        plan,
        "Q2",
        dt.date(2026, 6, 30),
        head
        + "1,1.1,Review stops,The review is done.,G\n1,1.2,Review handcuffing,Still on track.,LG\n",
        now - 10 * DAY,
    )
    ResponseFactory(
        meeting=july,
        you_said="Share the questions earlier",
        we_did="They go out two weeks ahead.",
        status=ResponseStatus.RESPONDED,
        publish_at=now - 20 * DAY,
    )
    ResponseFactory(meeting=july, you_said="Not published yet", publish_at=None)
    return july, october


def test_the_draft_holds_what_changed_since_the_last_meeting_and_the_responses(series):
    july, october = series

    prereading = services.prereading_assemble(meeting_id=october.pk, actor=None)

    outline = prereading.outline
    assert prereading.title == "Pre-reading for October meeting"
    assert prereading.since == july.start
    assert "### Action plan: Q2" in outline
    assert "Q1" not in outline  # published before the last meeting
    assert "- Commitment 1.1, Review stops: from A, At risk to G, Complete" in outline
    assert "  - The review is done." in outline
    # Its rating did not move, so it is counted but not listed as a change.
    assert "Commitment 1.2" not in outline
    assert "- 1 commitment rated LG, In progress and on track" in outline
    assert "## What you said at July meeting, and what we did" in outline
    assert "- You said: Share the questions earlier" in outline
    assert "  - We did: They go out two weeks ahead. (Responded)" in outline
    assert "Not published yet" not in outline


def test_publishing_defaults_to_two_weeks_ahead_and_lists_it_with_the_pre_reading(series):
    _july, october = series
    services.prereading_assemble(meeting_id=october.pk, actor=None)

    prereading = services.prereading_publish(meeting_id=october.pk, publish_at=None, actor=None)

    assert prereading.publish_at == october.start - 14 * DAY
    listing = Document.objects.get(meeting=october)
    assert listing == prereading.listing
    assert listing.publish_at == prereading.publish_at
    assert listing.url.endswith(reverse("feedback:prereading", kwargs={"slug": october.slug}))
    # Not public before its moment.
    page = reverse("feedback:prereading", kwargs={"slug": october.slug})
    from django.test import Client

    assert Client().get(page).status_code == 404


def test_published_now_it_is_a_page_a_pdf_and_a_docx_and_registrants_are_told_once(
    client, series, django_capture_on_commit_callbacks
):
    _july, october = series
    registration = RegistrationFactory(meeting=october)
    services.prereading_assemble(meeting_id=october.pk, actor=None)
    prereading = PreReading.objects.get(meeting=october)
    services.prereading_save(
        meeting_id=october.pk,
        title="Before the October meeting",
        introduction=INJECTED,
        outline=prereading.outline,
        actor=None,
    )
    now = timezone.now()
    services.prereading_publish(meeting_id=october.pk, publish_at=now, actor=None)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = prereading_notify_due(now=now + DAY)
    services.prereading_publish(meeting_id=october.pk, publish_at=None, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        again = prereading_notify_due(now=now + 2 * DAY)

    assert (first, again) == (1, 0)
    assert [m.to[0] for m in mail.outbox] == [registration.stakeholder.email]
    assert "Before the October meeting" in mail.outbox[0].body
    page = client.get(reverse("feedback:prereading", kwargs={"slug": october.slug}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;" in body and "<script>alert" not in body
    assert "What you said at July meeting, and what we did" in body
    files = {
        kind: client.get(
            reverse("feedback:prereading_file", kwargs={"slug": october.slug, "kind": kind})
        )
        for kind in ("pdf", "docx")
    }
    pdf = pdf_facts(files["pdf"].content)
    assert pdf.title == "Before the October meeting"
    assert pdf.pdfua_part == "1"
    assert pdf.count("/H1") == 1 and pdf.count("/H3") == 1
    word = docx_facts(files["docx"].content)
    assert word.styled("Heading 2") == [
        "What changed in the action plan",
        "What you said at July meeting, and what we did",
        "Topics for discussion",
    ]
    assert INJECTED in [text for _style, text in word.paragraphs]


def test_a_moment_in_the_past_or_after_the_start_is_refused(series):
    _july, october = series
    services.prereading_assemble(meeting_id=october.pk, actor=None)

    with pytest.raises(ValidationError):
        services.prereading_publish(
            meeting_id=october.pk, publish_at=timezone.now() - DAY, actor=None
        )
    with pytest.raises(ValidationError):
        services.prereading_publish(meeting_id=october.pk, publish_at=october.start, actor=None)

    assert not Document.objects.filter(meeting=october).exists()


def test_the_team_assembles_edits_and_publishes_on_the_staff_page(client, engagement_team, series):
    _july, october = series
    client.force_login(engagement_team)
    url = reverse("feedback:staff_prereading", kwargs={"pk": october.pk})

    empty = client.get(url)
    client.post(url, {"action": "assemble"})
    draft = client.get(url).content.decode()
    client.post(
        url, {"action": "save", "title": "Before October", "introduction": "", "outline": "## Hi"}
    )
    refused = client.post(url, {"action": "save", "title": " ", "outline": ""})
    published = client.post(url, {"action": "publish", "publish_at": ""})

    assert "Assemble from what changed" in empty.content.decode()
    assert "Share the questions earlier" in draft
    assert refused.status_code == 400
    assert published.status_code == 302
    prereading = PreReading.objects.get(meeting=october)
    assert prereading.title == "Before October"
    assert prereading.document["sections"][0]["heading"] == "Hi"
    assert prereading.publish_at == october.start - 14 * DAY
