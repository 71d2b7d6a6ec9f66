"""Reads of the summary report: the points it may show, attendance, and the published version.

`report_points` is the one place that decides which points reach a report, its page, its files
and its points download. Today that is every point not deleted; moderation narrows it here (to
approved, not withheld), and nowhere else.
"""

import datetime as _dt

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from events.enums import SessionKind
from events.models import DiscussionQuestion, Registration, Session
from feedback.documents import Document, document_from_data
from feedback.documents.report import Attendance, ReportPoint, ReportQuestion, report_document
from feedback.models import MeetingReport, ReportVersion, published_q
from feedback.selectors.moderation import meeting_points_publishable


def report_points(*, meeting_id: int) -> QuerySet:
    """The points of a meeting a report may show: those moderation approved, with their
    redacted text and the weight of the duplicates merged into them."""
    return meeting_points_publishable(meeting_id=meeting_id)


def report_questions(*, meeting_id: int) -> list[ReportQuestion]:
    """The meeting's questions in agenda order, the same question asked in several breakouts
    counted once, each with its points. Two queries, whatever the number of points."""
    questions = (
        DiscussionQuestion.objects.filter(session__meeting_id=meeting_id)
        .order_by("session__start", "session__order", "order", "id")
        .values_list("id", "text")
    )
    text_of: dict[int, str] = {}
    order: dict[str, list[ReportPoint]] = {}
    for question_id, text in questions:
        key = " ".join(text.split())
        text_of[question_id] = key
        order.setdefault(key, [])
    rows = (
        report_points(meeting_id=meeting_id)
        .order_by("created_at", "id")
        .values_list("question_id", "text", "weight", "verbatim", "theme__name")
    )
    for question_id, text, weight, verbatim, theme in rows:
        order[text_of[question_id]].append(
            ReportPoint(text=text, weight=weight, verbatim=verbatim, theme=theme or "")
        )
    return [ReportQuestion(text=text, points=tuple(points)) for text, points in order.items()]


def report_attendance(*, meeting_id: int) -> Attendance:
    """How many came (checked in), from how many areas (the area given when registering, else
    the stakeholder's), and in how many breakouts."""
    attended = Registration.objects.filter(meeting_id=meeting_id, attended_at__isnull=False)
    row = (
        attended.annotate(where=Coalesce(F("area_id"), F("stakeholder__area_id")))
        .order_by()
        .aggregate(people=Count("pk"), areas=Count("where", distinct=True))
    )
    breakouts = Session.objects.filter(meeting_id=meeting_id, kind=SessionKind.BREAKOUT).count()
    return Attendance(attended=row["people"], areas=row["areas"], breakouts=breakouts)


def report_points_export(*, meeting_id: int):
    """The report's points for the public download: what was said, never who typed it."""
    return (
        report_points(meeting_id=meeting_id)
        .order_by("session__start", "session__order", "question__order", "created_at", "id")
        .values_list(
            "question__text", "session__title", "theme__name", "text", "verbatim", "weight"
        )
    )


def meeting_report_version_published(
    *, meeting_id: int, now: _dt.datetime | None = None
) -> ReportVersion | None:
    """The version the public sees: the latest whose time has come, while the report is
    published; None otherwise (also for a report published before versions existed)."""
    now = now or timezone.now()
    return (
        ReportVersion.objects.filter(
            report__meeting_id=meeting_id, published_at__lte=now, report__in=_published(now)
        )
        .order_by("-number")
        .first()
    )


def _published(now: _dt.datetime) -> QuerySet:
    return MeetingReport.objects.filter(published_q(now)).values("pk")


def meeting_report_versions(*, report_id: int) -> QuerySet:
    return ReportVersion.objects.filter(report_id=report_id).order_by("-number")


def report_language() -> str:
    """The BCP 47 tag of the site's language ("en-gb" is written "en-GB")."""
    language, _sep, region = settings.LANGUAGE_CODE.partition("-")
    return f"{language}-{region.upper()}" if region else language


def meeting_report_document_public(
    *, meeting_id: int, now: _dt.datetime | None = None
) -> tuple[Document, ReportVersion | None] | None:
    """The published report as a document and the version it comes from, or None when nothing is
    published. A report published before versions existed is its title and summary alone (never
    its current draft, which nobody has published)."""
    now = now or timezone.now()
    version = meeting_report_version_published(meeting_id=meeting_id, now=now)
    if version is not None:
        return document_from_data(version.document), version
    report = MeetingReport.objects.filter(published_q(now), meeting_id=meeting_id).first()
    if report is None:
        return None
    document = report_document(
        title=report.title, introduction=report.body, outline="", language=report_language()
    )
    return document, None


def meeting_report_as_document(*, report: MeetingReport) -> Document:
    """The report as it stands now (title, introduction, edited draft), as a document."""
    meeting = report.meeting
    return report_document(
        title=report.title,
        introduction=report.body,
        outline=report.draft,
        language=report_language(),
        subject=f"{meeting.title}, {date_format(timezone.localtime(meeting.start), 'j F Y')}",
    )
