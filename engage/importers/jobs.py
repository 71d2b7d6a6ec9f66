"""Import jobs: each step of an import (columns, dry run, commit) runs in a task, off the request.

A staff request only stores the upload, records what the team asked for and queues
`engage.import_job_run` after commit, so it answers at once however large the file; the job page
shows the state and the rows read so far. A job's task is idempotent: it claims the job under a
row lock, a finished step is never run again, and a commit marks the job done inside the import's
own transaction, so a redelivered task (a worker killed midway) can never import a file twice.
"""

import io
import json
import logging
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction, ImportJobState, ImportJobStep
from engage.importers.columns import default_mapping
from engage.importers.reading import ImportFileError, decode, file_kind, read_headers
from engage.importers.report import ImportOptions, ImportReport
from engage.importers.writing import stakeholders_import
from engage.models import ImportJob, Stakeholder
from engage.rights import SubjectDataProvider, register_subject_data
from engage.services import audit_log
from engage.tasks import import_job_run_task

logger = logging.getLogger(__name__)

# A queued job no worker has started after this is handed to the broker again (it was away).
REQUEUE_AFTER = timedelta(minutes=2)
OPTION_NAMES = ("source", "consent_wording", "delimiter", "encoding", "sheet")


def _queue(job_id: int) -> None:
    try:
        import_job_run_task.delay(job_id)
    except Exception:  # the broker is away: the job stays queued and is handed over again later
        logger.warning("import job %s could not be queued; it will be retried", job_id)


def _queue_on_commit(job: ImportJob) -> None:
    transaction.on_commit(lambda: _queue(job.pk))


def job_options(job: ImportJob) -> ImportOptions:
    """The ImportOptions a job's file is read and imported with."""
    return ImportOptions(
        **{name: job.options.get(name, "") for name in OPTION_NAMES}, mapping=job.mapping
    )


def import_job_create(*, upload, options: dict, actor) -> ImportJob:
    """Store an uploaded file and queue the reading of its columns; returns the queued job.

    `options` holds the upload form's source, consent_wording, delimiter, encoding and sheet.
    Side effects: saves the file under imports/ in the default storage; queues
    `engage.import_job_run` after commit.
    """
    suffix = Path(upload.name).suffix.lower()
    path = default_storage.save(f"imports/{uuid.uuid4().hex}{suffix}", upload)
    job = ImportJob.objects.create(
        file_name=Path(upload.name).name[:255],
        file_path=path,
        file_size=upload.size,
        options={name: options.get(name, "") for name in OPTION_NAMES},
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _queue_on_commit(job)
    return job


def _requeue(job: ImportJob, *, step: str, **changes) -> ImportJob:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.active or locked.files_deleted_at is not None:
            raise ImportFileError(_busy_message(locked))
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.step = step
        locked.state = ImportJobState.QUEUED
        locked.error = ""
        locked.rows_read = 0
        locked.updated_at = timezone.now()
        locked.save()
        _queue_on_commit(locked)
    return locked


def _busy_message(job: ImportJob) -> str:
    if job.files_deleted_at is not None or job.batch_id is not None:
        return _("This import has ended and its file is deleted: upload the file again.")
    return _("This import is still running: wait for it to finish.")


def import_job_dry_run(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Queue a dry run of the job's file with `mapping` ({field: header}).

    Raises ImportFileError when the job is still running or its file is gone.
    """
    if not job.headers or job.batch_id is not None:
        raise ImportFileError(_busy_message(job))
    return _requeue(job, step=ImportJobStep.DRY_RUN, mapping=mapping, counts={})


def import_job_commit(*, job: ImportJob) -> ImportJob:
    """Queue the commit of a job whose dry run has finished; raises ImportFileError otherwise."""
    if not (job.step == ImportJobStep.DRY_RUN and job.state == ImportJobState.DONE):
        raise ImportFileError(_busy_message(job))
    return _requeue(job, step=ImportJobStep.COMMIT)


def import_job_report(*, job: ImportJob) -> ImportReport | None:
    """The dry-run report kept with the job, or None when there is none (yet, or any more)."""
    if job.files_deleted_at is not None or not default_storage.exists(job.report_path):
        return None
    with default_storage.open(job.report_path, "rb") as handle:
        return ImportReport.from_data(json.loads(handle.read()))


def _claim(job_id: int) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not job.active or job.files_deleted_at is not None:
            return None
        if job.step == ImportJobStep.COMMIT and job.batch_id is not None:
            return None
        job.state = ImportJobState.RUNNING
        job.updated_at = timezone.now()
        job.save(update_fields=["state", "updated_at"])
    return job


def _finish(job: ImportJob, **changes) -> None:
    changes.setdefault("state", ImportJobState.DONE)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **changes)


def import_job_run(*, job_id: int) -> None:
    """Run the job's current step; a job that is not queued or running is left alone.

    headers: reads the header row (limits checked) and proposes a mapping. dry_run: runs the
    import without writing, keeps the report beside the file and audit-logs the dry run. commit:
    runs the import for real and, in the same transaction, marks the job done with its batch,
    then deletes the file and report. A file the import refuses marks the job failed with the
    reason; nothing is written then.
    """
    job = _claim(job_id)
    if job is None:
        return
    options = job_options(job)
    try:
        with default_storage.open(job.file_path, "rb") as handle:
            data = handle.read()
        if job.step == ImportJobStep.HEADERS:
            headers = read_headers(
                data,
                file_name=job.file_name,
                delimiter=options.delimiter,
                encoding=options.encoding,
                sheet=options.sheet,
            )
            _finish(job, headers=headers, mapping=default_mapping(headers))
        elif job.step == ImportJobStep.DRY_RUN:
            report = _import(job, data, options, dry_run=True)
            default_storage.delete(job.report_path)
            default_storage.save(job.report_path, ContentFile(json.dumps(report.to_data())))
            audit_log(
                actor=job.created_by,
                action=AuditAction.IMPORT,
                obj=job,
                detail={"dry_run": True, **report.counts()},
            )
            _finish(job, counts=report.counts())
        else:
            try:
                _import(
                    job,
                    data,
                    options,
                    dry_run=False,
                    before_write=_lock_unimported(job),
                    on_written=_record_batch(job),
                )
            except _AlreadyImported:
                return
            import_job_files_delete(job=job)
    except ImportFileError as exc:
        _finish(job, state=ImportJobState.FAILED, error=str(exc))
    except DatabaseError:
        # Rolled back whole; the reason is for the logs (ids only), the team is told what holds.
        logger.exception("import job %s failed in the database", job.pk)
        _finish(
            job,
            state=ImportJobState.FAILED,
            error=_("The import failed in the database and nothing was changed. Try again."),
        )


class _AlreadyImported(Exception):
    """Raised inside a commit's transaction to roll it back: another run imported the job."""


def _lock_unimported(job: ImportJob):
    def before_write() -> None:
        # Two deliveries of one task can run at once (a redelivery while the first still runs):
        # the job row's lock makes the second wait for the first, see its batch and write nothing.
        if ImportJob.objects.select_for_update().get(pk=job.pk).batch_id is not None:
            raise _AlreadyImported

    return before_write


def _record_batch(job: ImportJob):
    def on_written(report: ImportReport) -> None:
        _finish(
            job,
            batch_id=report.batch_id,
            counts={**report.counts(), "consents": report.consents_recorded},
        )

    return on_written


def _import(job: ImportJob, data: bytes, options: ImportOptions, *, dry_run: bool, **hooks):
    def progress(rows: int) -> None:
        # Called while reading, before the commit's transaction opens: the job page sees it at once.
        ImportJob.objects.filter(pk=job.pk).update(rows_read=rows, updated_at=timezone.now())

    return stakeholders_import(
        data=data,
        file_name=job.file_name,
        actor=job.created_by,
        options=options,
        dry_run=dry_run,
        progress=progress,
        **hooks,
    )


def import_job_files_delete(*, job: ImportJob) -> None:
    """Delete a job's upload and report (personal data); the job row stays as the record."""
    for path in (job.file_path, job.report_path):
        if default_storage.exists(path):
            default_storage.delete(path)
    ImportJob.objects.filter(pk=job.pk).update(files_deleted_at=timezone.now())


def import_jobs_tidy(*, now=None) -> dict[str, int]:
    """Beat: delete files of jobs idle past ENGAGE_IMPORT_KEEP_HOURS; hand stalled queued jobs over again.

    Returns {"deleted": n, "requeued": n}.
    """
    now = now or timezone.now()
    expired = ImportJob.objects.filter(
        files_deleted_at__isnull=True,
        updated_at__lt=now - timedelta(hours=settings.ENGAGE_IMPORT_KEEP_HOURS),
    )
    deleted = 0
    for job in expired:
        import_job_files_delete(job=job)
        deleted += 1
    stalled = list(
        ImportJob.objects.filter(
            state=ImportJobState.QUEUED,
            files_deleted_at__isnull=True,
            updated_at__lt=now - REQUEUE_AFTER,
        ).values_list("pk", flat=True)
    )
    for job_id in stalled:
        _queue(job_id)
    return {"deleted": deleted, "requeued": len(stalled)}


# --- Subject access and erasure ------------------------------------------------------------------
# A job row holds no personal data, but its upload and report do until they are deleted: a
# person asking sees which files mention them, and erasing them deletes those files at once.


def _text_of(job: ImportJob) -> str:
    with default_storage.open(job.file_path, "rb") as handle:
        data = handle.read()
    if file_kind(job.file_name) == "xlsx":
        # The cells' text is in the sheets and shared strings; the zip was size-checked at upload.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return decode(data, job.options.get("encoding", ""))[0]


def _jobs_mentioning(stakeholder: Stakeholder) -> list[ImportJob]:
    address = (stakeholder.email_normalised or stakeholder.email or "").casefold()
    if not address:
        return []
    found = []
    for job in ImportJob.objects.filter(files_deleted_at__isnull=True).order_by("pk"):
        try:
            if default_storage.exists(job.file_path) and address in _text_of(job).casefold():
                found.append(job)
        except (ImportFileError, zipfile.BadZipFile, OSError):
            found.append(job)  # unreadable: it may hold the person, so it is listed and erased
    return found


def _collect(stakeholder: Stakeholder) -> dict[str, list[dict]]:
    return {
        "Import files awaiting the team": [
            {"file_name": job.file_name, "uploaded_at": job.created_at}
            for job in _jobs_mentioning(stakeholder)
        ]
    }


def _anonymise(stakeholder: Stakeholder) -> dict[str, int]:
    jobs = _jobs_mentioning(stakeholder)
    for job in jobs:
        import_job_files_delete(job=job)
    return {"import files": len(jobs)}


register_subject_data(SubjectDataProvider(name="imports", collect=_collect, anonymise=_anonymise))
