"""Pre-reading documents (staff): uploads checked by kind and size, or links."""

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Document
from events.services.actors import actor_id

logger = logging.getLogger(__name__)


# What a pre-reading upload may be, told by its first bytes rather than its name alone.
DOCUMENT_TYPES = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".odp": (b"PK\x03\x04",),
    ".txt": (),
}


def document_validate_upload(upload) -> None:
    """Raise ValidationError unless `upload` is an accepted kind of document, small enough.

    The kind is judged by the name's extension and by the file's first bytes, so a renamed
    program is refused.
    """
    limit = settings.ENGAGE_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; the largest accepted is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    extension = Path(upload.name).suffix.lower()
    if extension not in DOCUMENT_TYPES:
        raise ValidationError(
            {
                "file": _(
                    "Upload a PDF, Word, Excel, PowerPoint, OpenDocument or text file; %(ext)s is not accepted."
                )
                % {"ext": extension or _("a file without an extension")}
            }
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = DOCUMENT_TYPES[extension]
    if signatures and not head.startswith(signatures):
        raise ValidationError(
            {"file": _("The file's content is not a %(ext)s document.") % {"ext": extension}}
        )
    if not signatures and b"\x00" in head:
        raise ValidationError({"file": _("A .txt file must contain text.")})


@transaction.atomic
def document_create(
    *,
    meeting_id: int,
    title: str,
    file=None,
    url: str = "",
    description: str = "",
    publish_at,
    actor,
) -> Document:
    """Add a pre-reading document (an upload or a link), public from `publish_at`.

    Side effects: stores the file under MEDIA_ROOT/documents/. Raises ValidationError for neither or
    both of file and link, or an upload of the wrong kind or size.
    """
    if bool(file) == bool(url):
        raise ValidationError(_("Give either a file or a link, not both."))
    if file:
        document_validate_upload(file)
    document = Document.objects.create(
        meeting_id=meeting_id,
        title=title,
        file=file or "",
        url=url,
        description=description,
        publish_at=publish_at or timezone.now(),
    )
    logger.info("document added", extra={"document_id": document.pk, "actor_id": actor_id(actor)})
    return document


@transaction.atomic
def document_delete(*, document_id: int, actor) -> None:
    """Remove a document and its stored file (after commit, so a rollback keeps the file)."""
    document = Document.objects.get(pk=document_id)
    stored = document.file.name if document.file else ""
    document.delete()
    if stored:
        storage = Document._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(stored))
