"""Celery entry points for feedback. Thin: each beat job calls one service that walks what is due;
every announcement is guarded by notified_at on its row, so overlapping runs send nothing twice."""

from celery import shared_task

from feedback.notifications import meeting_report_notify


@shared_task(name="feedback.notify_report", acks_late=True)
def notify_report_task(report_id: int) -> int:
    """Email the people who held a place that this report is published (once: notified_at).
    Queued by meeting_report_publish after commit; the beat job below is its safety net."""
    return meeting_report_notify(report_id=report_id)


@shared_task(name="feedback.notify_report_published", acks_late=True)
def notify_report_published_task() -> int:
    """Beat job: email the people who held a place when a meeting's summary report is published."""
    from feedback.notifications import report_published_notify_due

    return report_published_notify_due()


@shared_task(name="feedback.notify_responses_published", acks_late=True)
def notify_responses_published_task() -> int:
    """Beat job: email the people who held a place when responses ("you said, we did") are
    published for their meeting."""
    from feedback.notifications import responses_published_notify_due

    return responses_published_notify_due()
