"""Writes of breakout capture: points added, edited and deleted from the capture page, whose
queue in the browser may send any of them more than once.

A point's key is made in the browser. Adding is insert-or-return-existing on the key's unique
constraint (never check-then-insert), so a resend, even two at once, saves one point. Each change
writes a PointRevision in the same transaction, and a point added or edited is checked for
personal data by a task queued after commit. Users appear in logs by id only.
"""

import logging
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import DiscussionQuestion, Session
from feedback import sql
from feedback.enums import (
    POINT_TEXT_MAX,
    THEME_NAME_MAX,
    ModerationState,
    PointAction,
    PointSource,
)
from feedback.models import MeetingTheme, Point, PointRevision, SessionCapture, Theme
from feedback.services.personal_data import points_personal_data_queue

logger = logging.getLogger(__name__)


class KeyConflict(Exception):
    """The key belongs to a point someone else wrote (or to another question): nothing saved."""


def user_can_capture(*, user, session: Session) -> bool:
    """Facilitators of the session, and staff who manage meetings (keying in paper notes)."""
    if user.has_perm("events.change_meeting"):
        return True
    return session.facilitators.filter(pk=user.pk).exists()


def capture_is_closed(*, session_id: int) -> bool:
    state = SessionCapture.objects.filter(session_id=session_id).first()
    return state is not None and state.is_closed()


def _closed_error() -> ValidationError:
    return ValidationError(
        _("Capture for this session has closed. Ask the engagement team to reopen it."),
        code="closed",
    )


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Enter the point.")}, code="required")
    if len(text) > POINT_TEXT_MAX:
        raise ValidationError(
            {
                "text": _("A point can be at most %(max)d characters (this one has %(n)d).")
                % {"max": POINT_TEXT_MAX, "n": len(text)}
            },
            code="max_length",
        )
    return text


def _clean_weight(weight) -> int:
    try:
        weight = int(weight)
    except (TypeError, ValueError):
        weight = 0
    if weight not in (1, 2, 3):
        raise ValidationError({"weight": _("Choose 1, 2 or 3.")}, code="invalid")
    return weight


def theme_for_meeting(*, meeting, name: str) -> Theme | None:
    """The series-wide theme called `name` (any case), made if new and added to the meeting's
    list. Empty name: None. Concurrent calls with one name make one theme (unique constraint)."""
    name = " ".join((name or "").split())
    if not name:
        return None
    if len(name) > THEME_NAME_MAX:
        raise ValidationError(
            {"theme": _("A theme can be at most %(max)d characters.") % {"max": THEME_NAME_MAX}},
            code="max_length",
        )
    theme = Theme.objects.filter(series_id=meeting.series_id, name__iexact=name).first()
    if theme is None:
        try:
            with transaction.atomic():
                theme = Theme.objects.create(series_id=meeting.series_id, name=name)
        except IntegrityError:
            theme = Theme.objects.get(series_id=meeting.series_id, name__iexact=name)
    MeetingTheme.objects.get_or_create(meeting=meeting, theme=theme)
    return theme


def _revision_of(point: Point, *, action: str, by) -> PointRevision:
    """The revision recording `point` as it now is (unsaved; the point may be unsaved too)."""
    return PointRevision(
        point_id=point.pk,
        action=action,
        by=by,
        text=point.text,
        verbatim=point.verbatim,
        weight=point.weight,
        theme_name=point.theme.name if point.theme_id else "",
    )


def _revision(point: Point, *, action: str, by) -> None:
    _revision_of(point, action=action, by=by).save(force_insert=True)


def point_capture(
    *,
    key: uuid.UUID,
    question_id: int,
    author,
    text: str,
    verbatim: bool = False,
    weight: int = 1,
    theme: str = "",
    source: str = PointSource.FACILITATOR,
    session_id: int | None = None,
) -> tuple[Point, bool]:
    """Save a point under the browser's key, or return the one saved under it already.

    Returns (point, created). Raises PermissionDenied when the author may not capture for the
    question's session, ValidationError (code "closed") when its capture has closed or a field is
    bad, KeyConflict when the key is another author's or another question's. Only staff may mark
    a point as keyed in from paper or a flip chart. With `session_id` (the page's session), a
    question of another session (or none) is a ValidationError.
    """
    # One query for the question, whether the author facilitates its session and when its
    # capture closed: this runs for every point a room sends, and every resend.
    question = (
        DiscussionQuestion.objects.select_related("session__meeting")
        .annotate(
            author_facilitates=Exists(
                Session.facilitators.through.objects.filter(
                    session_id=OuterRef("session_id"), user_id=author.pk
                )
            ),
            capture_closed_at=Subquery(
                SessionCapture.objects.filter(session_id=OuterRef("session_id")).values(
                    "closed_at"
                )[:1]
            ),
        )
        .filter(pk=question_id)
        .first()
    )
    if question is None or (session_id is not None and question.session_id != session_id):
        raise ValidationError({"question": _("Choose a question of this session.")}, code="invalid")
    session = question.session
    if not question.author_facilitates and not author.has_perm("events.change_meeting"):
        raise PermissionDenied
    if source not in PointSource.values:
        raise ValidationError({"source": _("Choose where the point came from.")}, code="invalid")
    if source != PointSource.FACILITATOR and not author.has_perm("events.change_meeting"):
        raise PermissionDenied
    clean_text, clean_weight = _clean_text(text), _clean_weight(weight)
    now = timezone.now()
    closed = question.capture_closed_at is not None and question.capture_closed_at <= now

    def new_point() -> Point:
        return Point(
            key=key,
            question=question,
            session=session,
            author=author,
            source=source,
            text=clean_text,
            verbatim=bool(verbatim),
            weight=clean_weight,
            theme=theme_for_meeting(meeting=session.meeting, name=theme),
            created_at=now,
            updated_at=now,
        )

    if connection.vendor == "postgresql" and not closed:
        # One statement inserts the point and its revision unless the key is taken (see
        # feedback.sql); a resend costs the same round trip and then reads what is saved.
        point = new_point()
        if sql.point_insert(point, _revision_of(point, action=PointAction.CREATED, by=author)):
            points_personal_data_queue([point.pk])
            _log_captured(point, author=author)
            return point, True
        existing = Point.objects.get(key=key)
        return _same_author(existing, author=author, question_id=question_id), False
    existing = Point.objects.filter(key=key).first()
    if existing is not None:
        # A resend: answered from what is saved, closed capture or not.
        return _same_author(existing, author=author, question_id=question_id), False
    if closed:
        raise _closed_error()
    try:
        with transaction.atomic():
            point = new_point()
            point.save(force_insert=True)
            _revision(point, action=PointAction.CREATED, by=author)
            points_personal_data_queue([point.pk])
    except IntegrityError:
        # Two sends of one key at once: the other one won; return what it saved.
        existing = Point.objects.get(key=key)
        return _same_author(existing, author=author, question_id=question_id), False
    _log_captured(point, author=author)
    return point, True


def _log_captured(point: Point, *, author) -> None:
    logger.info(
        "point captured",
        extra={"point_id": point.pk, "session_id": point.session_id, "actor_id": author.pk},
    )


def _same_author(point: Point, *, author, question_id: int) -> Point:
    if point.author_id != author.pk or point.question_id != question_id:
        raise KeyConflict
    return point


def _own_open_point(*, key: uuid.UUID, author) -> Point:
    point = Point.objects.select_for_update().select_related("session__meeting").get(key=key)
    if point.author_id != author.pk:
        raise PermissionDenied
    if capture_is_closed(session_id=point.session_id):
        raise _closed_error()
    return point


def point_update(
    *, key: uuid.UUID, author, text: str, verbatim: bool, weight: int, theme: str = ""
) -> Point:
    """Change the author's own point while its session's capture is open. Sending the same
    values again changes nothing and writes no revision. Raises Point.DoesNotExist,
    PermissionDenied (not the author), ValidationError (closed, or a bad field)."""
    clean_text, clean_weight = _clean_text(text), _clean_weight(weight)
    with transaction.atomic():
        point = _own_open_point(key=key, author=author)
        if point.deleted_at is not None:
            raise ValidationError(_("This point has been deleted."), code="deleted")
        new_theme = theme_for_meeting(meeting=point.session.meeting, name=theme)
        new = (clean_text, bool(verbatim), clean_weight, new_theme.pk if new_theme else None)
        if new == (point.text, point.verbatim, point.weight, point.theme_id):
            return point
        point.text, point.verbatim, point.weight, point.theme = (
            clean_text,
            bool(verbatim),
            clean_weight,
            new_theme,
        )
        point.updated_at = timezone.now()
        # A changed point is reviewed again before it is published (its flags are checked again
        # too, as it is newer than their check).
        point.moderation = ModerationState.PENDING
        point.save(
            update_fields=["text", "verbatim", "weight", "theme", "updated_at", "moderation"]
        )
        _revision(point, action=PointAction.EDITED, by=author)
        points_personal_data_queue([point.pk])
    logger.info("point edited", extra={"point_id": point.pk, "actor_id": author.pk})
    return point


def point_delete(*, key: uuid.UUID, author) -> Point:
    """Delete the author's own point (soft: the row and history stay). Deleting again changes
    nothing. Raises Point.DoesNotExist, PermissionDenied, ValidationError (closed)."""
    with transaction.atomic():
        point = _own_open_point(key=key, author=author)
        if point.deleted_at is not None:
            return point
        point.deleted_at = timezone.now()
        point.save(update_fields=["deleted_at"])
        _revision(point, action=PointAction.DELETED, by=author)
    logger.info("point deleted", extra={"point_id": point.pk, "actor_id": author.pk})
    return point


def session_capture_close(*, session_id: int, actor) -> SessionCapture:
    """Close the session's capture now: facilitators can no longer add, edit or delete."""
    state, _created = SessionCapture.objects.update_or_create(
        session_id=session_id, defaults={"closed_at": timezone.now(), "closed_by": actor}
    )
    logger.info("capture closed", extra={"session_id": session_id, "actor_id": actor.pk})
    return state


def session_capture_reopen(*, session_id: int, actor) -> SessionCapture:
    """Open the session's capture again."""
    state, _created = SessionCapture.objects.update_or_create(
        session_id=session_id, defaults={"closed_at": None, "closed_by": None}
    )
    logger.info("capture reopened", extra={"session_id": session_id, "actor_id": actor.pk})
    return state
