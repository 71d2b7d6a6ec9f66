"""Demo summary report: the demo meeting's draft written from its captured points and kept as
published version 1, dated as the demo report is (announced already, so nobody is emailed).
Safe to run again: a meeting whose report has a version already is left as it is."""

from django.db import transaction

from feedback.models import MeetingReport, ReportVersion
from feedback.services import meeting_report_draft_generate
from feedback.services.report import report_version_create


@transaction.atomic
def demo_load_report(*, meeting_slug: str) -> None:
    report = MeetingReport.objects.filter(meeting__slug=meeting_slug).first()
    if report is None or report.publish_at is None:
        return
    if ReportVersion.objects.filter(report=report).exists():
        return
    report = meeting_report_draft_generate(meeting_id=report.meeting_id, actor=None)
    report_version_create(report=report, published_at=report.publish_at, actor=None)
