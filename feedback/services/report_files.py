"""The published report's downloads, built off the request: a task queued after each
publication builds the version's PDF and DOCX (feedback.documents) and stores them
(ReportVersionFile), and the download serves the stored bytes. A download asked for before its
file is built gets a "being prepared" page and queues the build, once in a while however many ask
(a cache key held while the build is owed). Building twice stores once (the unique constraint).
"""

import logging

from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from feedback.documents import document_docx, document_from_data, document_pdf
from feedback.models import ReportVersion, ReportVersionFile

logger = logging.getLogger(__name__)

BUILDERS = {"pdf": document_pdf, "docx": document_docx}
# While this key is held, another request for a missing file queues nothing more: long enough
# for a worker to build both files, short enough that a lost task is queued again soon.
_QUEUED_SECONDS = 120


def _queued_key(version_id: int) -> str:
    return f"feedback:report-files-queued:{version_id}"


def report_version_files_build(*, version_id: int) -> list[str]:
    """Build and store the version's files not built yet. Returns the kinds built (none when
    all are there, or the version is gone)."""
    version = ReportVersion.objects.filter(pk=version_id).first()
    if version is None:
        return []
    have = set(
        ReportVersionFile.objects.filter(version_id=version_id).values_list("kind", flat=True)
    )
    todo = [kind for kind in BUILDERS if kind not in have]
    if not todo:
        return []
    document = document_from_data(version.document)
    files = [
        ReportVersionFile(version=version, kind=k, content=BUILDERS[k](document)) for k in todo
    ]
    ReportVersionFile.objects.bulk_create(files, ignore_conflicts=True)
    cache.delete(_queued_key(version_id))
    logger.info("report files built", extra={"version_id": version_id, "kinds": todo})
    return todo


def report_version_files_queue(*, version_id: int) -> None:
    """After commit, queue the build of the version's files, unless one was queued a moment ago.
    A broker that cannot be reached loses nothing: the next download asks again."""
    # Imported when queued: the tasks module imports the services (Celery's task <-> service pair).
    from feedback.tasks import report_version_files_task

    def queue() -> None:
        if not cache.add(_queued_key(version_id), 1, _QUEUED_SECONDS):
            return
        try:
            report_version_files_task.delay(version_id)
        except (KombuOperationalError, OSError):
            cache.delete(_queued_key(version_id))
            logger.warning("report files not queued", extra={"version_id": version_id})

    transaction.on_commit(queue)


def report_version_file(*, version_id: int, kind: str) -> bytes | None:
    """The stored file of the version, or None while it is being prepared (its build is queued:
    with no broker, as in development, the build runs at once and the file is returned)."""
    stored = ReportVersionFile.objects.filter(version_id=version_id, kind=kind).first()
    if stored is None:
        report_version_files_queue(version_id=version_id)
        stored = ReportVersionFile.objects.filter(version_id=version_id, kind=kind).first()
    return bytes(stored.content) if stored is not None else None
