"""Celery entry points of the engage app (autodiscovered)."""

from celery import shared_task

from engage.mail.tasks import email_send_task
from engage.retention import consent_renewals_run
from engage.services import signups_purge, worker_heartbeat_record


@shared_task(name="engage.heartbeat", ignore_result=True)
def heartbeat_task() -> None:
    """Beat queues this every minute; /healthz reports how long ago a worker last ran it."""
    worker_heartbeat_record()


@shared_task(name="engage.signups_purge", ignore_result=True)
def signups_purge_task() -> None:
    """Beat: delete sign-ups not confirmed within ENGAGE_UNCONFIRMED_SIGNUP_DAYS."""
    signups_purge()


@shared_task(name="engage.retention_run", ignore_result=True)
def retention_run_task() -> None:
    """Beat: anonymise people with no consent and no activity for ENGAGE_RETENTION_DAYS."""
    # Import inside: engage.rights is owned by the data protection work and imports widely.
    from engage.rights import retention_run

    retention_run()


@shared_task(name="engage.retention_records", ignore_result=True)
def retention_records_task() -> None:
    """Beat: stored email contents, email events and audit rows past their retention periods."""
    # Import inside: engage.retention imports engage.rights (see retention_run_task).
    from engage.retention import retention_records_run

    retention_records_run()


@shared_task(name="engage.consent_renewals", ignore_result=True)
def consent_renewals_task() -> None:
    """Beat: ask long-quiet people to renew their consents; lapse those who did not answer."""
    consent_renewals_run()


@shared_task(name="engage.import_job_run", ignore_result=True)
def import_job_run_task(job_id: int) -> None:
    """Run an import job's current step (idempotent: a finished step is never run again)."""
    # Imported here: engage.importers.jobs queues this task (the task <-> service pair).
    from engage.importers.jobs import import_job_run

    import_job_run(job_id=job_id)


@shared_task(name="engage.import_jobs_tidy", ignore_result=True)
def import_jobs_tidy_task() -> None:
    """Beat: delete idle import jobs' files; hand stalled queued jobs to the broker again."""
    # Import inside: the task <-> service pair (engage.importers.jobs queues import_job_run_task).
    from engage.importers.jobs import import_jobs_tidy

    import_jobs_tidy()


__all__ = [
    "email_send_task",
    "consent_renewals_task",
    "heartbeat_task",
    "import_job_run_task",
    "import_jobs_tidy_task",
    "retention_records_task",
    "retention_run_task",
    "signups_purge_task",
]
