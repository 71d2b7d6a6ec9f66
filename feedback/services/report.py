"""Writes of the summary report's draft and versions: generate the draft from the points, and
keep the document exactly as published, once per publication (called by meeting_report_publish).

Staff actors appear in logs by id only.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Meeting
from feedback import selectors
from feedback.documents import document_to_data
from feedback.documents.report import DraftRules, report_draft_outline
from feedback.models import MeetingReport, ReportVersion
from feedback.services.report_files import report_version_files_queue

logger = logging.getLogger(__name__)


def draft_rules() -> DraftRules:
    return DraftRules(
        suppress_below=settings.ENGAGE_SMALL_NUMBER_THRESHOLD,
        recurring_min_questions=settings.FEEDBACK_REPORT_RECURRING_MIN_QUESTIONS,
        points_per_theme=settings.FEEDBACK_REPORT_POINTS_PER_THEME,
        untagged_per_question=settings.FEEDBACK_REPORT_UNTAGGED_PER_QUESTION,
    )


def meeting_report_draft_generate(*, meeting_id: int, actor) -> MeetingReport:
    """Write the report's draft from the meeting's points and attendance, replacing the draft
    there was (the title and introduction stay). Creates the report, unpublished, when the
    meeting has none yet. Side effects: one MeetingReport row written. Publishing is separate."""
    questions = selectors.report_questions(meeting_id=meeting_id)
    attendance = selectors.report_attendance(meeting_id=meeting_id)
    outline = report_draft_outline(attendance=attendance, questions=questions, rules=draft_rules())
    with transaction.atomic():
        # The meeting row is the lock, as for meeting_report_create: one report per meeting.
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        report = MeetingReport.objects.filter(meeting=meeting).first()
        if report is None:
            report = MeetingReport(
                meeting=meeting,
                title=_("What we heard at %(meeting)s") % {"meeting": meeting.title},
                body="",
            )
        report.draft = outline
        report.draft_generated_at = timezone.now()
        report.save()
    logger.info(
        "meeting report draft generated",
        extra={
            "report_id": report.pk,
            "meeting_id": meeting_id,
            "questions": len(questions),
            "actor_id": getattr(actor, "pk", None),
        },
    )
    return report


def report_version_create(*, report: MeetingReport, published_at, actor) -> ReportVersion:
    """Keep the report as it is now as its next version. Call inside the transaction that holds
    the report's row lock (meeting_report_publish), which is what makes the numbers unique.
    Queues the build of its PDF and DOCX after commit (feedback.services.report_files)."""
    last = ReportVersion.objects.filter(report=report).order_by("-number").first()
    version = ReportVersion.objects.create(
        report=report,
        number=(last.number + 1) if last else 1,
        document=document_to_data(selectors.meeting_report_as_document(report=report)),
        published_at=published_at,
        published_by=actor if getattr(actor, "pk", None) else None,
    )
    report_version_files_queue(version_id=version.pk)
    return version
