"""Celery entry points for feedback. Thin: each beat job calls one service that walks what is due;
every announcement is guarded by notified_at on its row, so overlapping runs send nothing twice."""

from celery import shared_task

from feedback.notifications import (
    meeting_report_notify,
    report_published_notify_due,
    responses_published_notify_due,
    round_published_notify,
    rounds_published_notify_due,
    surveys_send_due,
)
from feedback.services.personal_data import (
    points_check_personal_data_ids,
    points_personal_data_sweep,
)
from feedback.services.report_files import report_version_files_build
from feedback.services.survey import survey_retention_run


@shared_task(name="feedback.report_version_files", acks_late=True)
def report_version_files_task(version_id: int) -> list[str]:
    """Build and store the published version's PDF and DOCX. Queued after publishing, and by a
    download that found its file missing; a version whose files are built is left alone."""
    return report_version_files_build(version_id=version_id)


@shared_task(name="feedback.points_check_personal_data", acks_late=True)
def points_check_personal_data_task(point_ids: list[int]) -> int:
    """Check the points for personal data and store their flags (those already up to date are
    left alone). Queued after commit when points are captured, edited or imported."""
    return points_check_personal_data_ids(point_ids=point_ids)


@shared_task(name="feedback.points_personal_data_sweep", acks_late=True)
def points_personal_data_sweep_task() -> int:
    """Beat job: check the points whose check was lost (broker away, worker killed)."""
    return points_personal_data_sweep()


@shared_task(name="feedback.notify_report", acks_late=True)
def notify_report_task(report_id: int) -> int:
    """Email the people who held a place that this report is published (once: notified_at).
    Queued by meeting_report_publish after commit; the beat job below is its safety net."""
    return meeting_report_notify(report_id=report_id)


@shared_task(name="feedback.notify_report_published", acks_late=True)
def notify_report_published_task() -> int:
    """Beat job: email the people who held a place when a meeting's summary report is published."""
    return report_published_notify_due()


@shared_task(name="feedback.notify_responses_published", acks_late=True)
def notify_responses_published_task() -> int:
    """Beat job: email the people who held a place when responses ("you said, we did") are
    published for their meeting."""
    return responses_published_notify_due()


@shared_task(name="feedback.notify_round", acks_late=True)
def notify_round_task(round_id: int) -> int:
    """Email the consenting registrants of the plan's series that this round of updates is
    published (once: notified_at). Queued by round_publish after commit; beat is the safety net."""
    return round_published_notify(round_id=round_id)


@shared_task(name="feedback.notify_rounds_published", acks_late=True)
def notify_rounds_published_task() -> int:
    """Beat job: announce published rounds of action-plan updates not yet announced."""
    return rounds_published_notify_due()


@shared_task(name="feedback.send_surveys", acks_late=True)
def send_surveys_task() -> int:
    """Beat job: the post-meeting feedback request, a couple of hours after each meeting."""
    return surveys_send_due()


@shared_task(name="feedback.survey_retention", acks_late=True)
def survey_retention_task() -> dict:
    """Beat job: delete raw survey answers and equality answers past their retention period.
    Running it twice deletes nothing more (each survey is marked when its answers go)."""
    return survey_retention_run()


@shared_task(name="feedback.owner_contacts_retention", acks_late=True)
def owner_contacts_retention_task() -> int:
    """Beat job: blank owners' contacts nobody has used for the retention period."""
    # Imported when run: the task registry loads this module before the apps are ready.
    from feedback.rights import owner_contacts_retention_run

    return owner_contacts_retention_run()


@shared_task(name="feedback.owed_reminders", acks_late=True)
def owed_reminders_task() -> dict:
    """Beat job, daily: remind owners of responses and plan updates due soon or overdue, then
    send the team one digest of what is newly overdue. Marks on each row make a rerun send nothing."""
    # Imported when run: the task registry loads this module before the apps are ready.
    from feedback.reminders import owed_reminders_run

    return owed_reminders_run()
