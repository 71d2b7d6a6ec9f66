"""Importing an online meeting's chat or poll export (CSV or XLSX) as points of one discussion
question: a dry run first, reporting each refused row, then the import.

The file goes through the project's one reader (engage.importers.reading: size, encoding, row and
column limits). Only the message becomes a point: the sender's name and email, which chat and
poll exports carry, are never stored on a point. Each point's key is derived from the question,
the row's line and its text, so importing the same file twice adds nothing the second time.
"""

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.importers.columns import header_key
from engage.importers.reading import ImportFileError, check_size, read_table
from events.models import DiscussionQuestion
from feedback.enums import POINT_TEXT_MAX, PointAction, PointSource
from feedback.models import ChatImport, Point, PointRevision
from feedback.services.personal_data import points_personal_data_queue

logger = logging.getLogger(__name__)

# Headers that hold the message, in order of preference: Zoom and Teams chat exports call it
# "Message" or "Text"; poll reports put the answer in "Answer" or "Response".
MESSAGE_HEADERS = ("message", "text", "chat", "content", "comment", "answer", "response")
SOURCES = (PointSource.CHAT, PointSource.POLL)
PREVIEW_ROWS = 20
_KEYS = uuid.UUID("6f1c2b9e-3d51-4f0e-9a57-7c1d2e4b8a90")


@dataclass
class ChatReport:
    file_name: str
    message_column: str = ""
    accepted: int = 0
    already_imported: int = 0
    created: int = 0
    refused: list[dict] = field(default_factory=list)  # {"line", "reason", "text"}
    preview: list[str] = field(default_factory=list)


def _point_key(question_id: int, line: int, text: str) -> uuid.UUID:
    return uuid.uuid5(_KEYS, f"{question_id}:{line}:{text}")


def _message_column(headers: list[str]) -> int:
    keys = [header_key(h) for h in headers]
    for wanted in MESSAGE_HEADERS:
        if wanted in keys:
            return keys.index(wanted)
    raise ImportFileError(
        _(
            "The file has no message column: name it “Message”, “Text” or “Answer”. Its columns: %(headers)s."
        )
        % {"headers": ", ".join(headers) or "–"}
    )


def _rows(
    data: bytes, *, file_name: str, question_id: int
) -> tuple[ChatReport, list[tuple[int, str]]]:
    """The report of a dry run, and the (line, text) rows it accepts."""
    table = read_table(data, file_name=file_name)
    column = _message_column(table.headers)
    report = ChatReport(file_name=file_name, message_column=table.headers[column])
    accepted: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        text = " ".join((cells[column] if column < len(cells) else "").split())
        if not text:
            if any(cell.strip() for cell in cells):
                report.refused.append(
                    {"line": line, "reason": _("The message is empty."), "text": ""}
                )
            continue
        if len(text) > POINT_TEXT_MAX:
            report.refused.append(
                {
                    "line": line,
                    "reason": _(
                        "The message is %(count)s characters; a point holds at most %(max)s."
                    )
                    % {"count": f"{len(text):,}", "max": f"{POINT_TEXT_MAX:,}"},
                    "text": text[:80] + "…",
                }
            )
            continue
        if text.casefold() in seen:
            report.refused.append(
                {
                    "line": line,
                    "reason": _("The same message as line %(line)s.")
                    % {"line": seen[text.casefold()]},
                    "text": text[:80],
                }
            )
            continue
        seen[text.casefold()] = line
        accepted.append((line, text))
    keys = [_point_key(question_id, line, text) for line, text in accepted]
    existing = set(Point.objects.filter(key__in=keys).values_list("key", flat=True))
    report.already_imported = len(existing)
    fresh = [row for row, key in zip(accepted, keys, strict=True) if key not in existing]
    report.accepted = len(fresh)
    report.preview = [text for _line, text in fresh[:PREVIEW_ROWS]]
    return report, fresh


def chat_import_dry_run(*, question_id: int, source: str, upload, actor) -> ChatImport:
    """Read an uploaded export and keep it, with the report of what would be imported, until
    the team commits it. Raises ValidationError for a file that cannot be read at all (too big,
    not CSV or XLSX, no message column), PermissionDenied for a user who may not edit meetings."""
    if not actor.has_perm("events.change_meeting"):
        raise PermissionDenied
    if source not in SOURCES:
        raise ValidationError(_("Choose whether the file is a chat or a poll export."))
    question = DiscussionQuestion.objects.get(pk=question_id)
    try:
        check_size(upload.size)
        data = upload.read()
        report, _rows_ok = _rows(data, file_name=upload.name, question_id=question.pk)
    except ImportFileError as error:
        raise ValidationError(str(error)) from None
    chat_import = ChatImport.objects.create(
        question=question,
        source=source,
        file_name=upload.name[:255],
        data=data,
        report=asdict(report),
        created_by=actor,
    )
    logger.info(
        "chat import dry run",
        extra={
            "chat_import_id": chat_import.pk,
            "accepted": report.accepted,
            "refused": len(report.refused),
        },
    )
    return chat_import


def chat_import_commit(*, chat_import_id: int, actor) -> ChatImport:
    """Import the points a dry run accepted, once: a second commit changes nothing. The stored
    file is emptied afterwards (it may hold participants' names). Side effects: one Point and
    one PointRevision per accepted row; their check for personal data queued after commit."""
    if not actor.has_perm("events.change_meeting"):
        raise PermissionDenied
    with transaction.atomic():
        chat_import = (
            ChatImport.objects.select_for_update().select_related("question").get(pk=chat_import_id)
        )
        if chat_import.committed_at is not None:
            return chat_import
        question = chat_import.question
        try:
            report, rows = _rows(
                bytes(chat_import.data), file_name=chat_import.file_name, question_id=question.pk
            )
        except ImportFileError as error:
            raise ValidationError(str(error)) from None
        now = timezone.now()
        points = Point.objects.bulk_create(
            Point(
                key=_point_key(question.pk, line, text),
                question=question,
                session_id=question.session_id,
                author=actor,
                source=chat_import.source,
                text=text,
                created_at=now,
                updated_at=now,
            )
            for line, text in rows
        )
        saved = {p.key: p for p in Point.objects.filter(key__in=[p.key for p in points])}
        PointRevision.objects.bulk_create(
            PointRevision(
                point=saved[p.key], action=PointAction.CREATED, by=actor, at=now, text=p.text
            )
            for p in points
        )
        points_personal_data_queue(p.pk for p in saved.values())
        report.created = len(points)
        chat_import.report = asdict(report)
        chat_import.data = b""
        chat_import.committed_at = now
        chat_import.save(update_fields=["report", "data", "committed_at"])
    logger.info(
        "chat import committed",
        extra={"chat_import_id": chat_import.pk, "points_created": report.created},
    )
    return chat_import


def chat_imports_tidy(*, now=None) -> int:
    """Delete uploads never committed, a day after they were made. Returns how many."""
    now = now or timezone.now()
    return ChatImport.objects.filter(
        committed_at__isnull=True, created_at__lt=now - timedelta(days=1)
    ).delete()[0]
