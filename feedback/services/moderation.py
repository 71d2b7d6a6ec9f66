"""Writes of moderation: what staff do to a meeting's points before anything is published.

Every change writes a PointRevision in the same transaction (who, when, the point as it then
was, and why), so nothing vanishes silently: a withheld point stays with its reason, a merged
duplicate stays linked to the point it went into, the text before a redaction stays in the
revision before it. Rows are locked while they change, so two moderators at once cannot lose
each other's change. Users appear in logs by id only.
"""

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.enums import POINT_TEXT_MAX, WITHHELD_REASON_MAX, ModerationState, PointAction
from feedback.models import Point, PointRevision
from feedback.pii import Finding, KnownNames, redact
from feedback.selectors.moderation import meeting_known_names
from feedback.services.capture import theme_for_meeting
from feedback.services.personal_data import meeting_names, point_scan

logger = logging.getLogger(__name__)

_KIND_WORDS = {"email": "email address", "phone": "phone number", "name": "name"}


def _revise(point: Point, *, action: str, by, note: str = "", related: Point | None = None):
    PointRevision.objects.create(
        point=point,
        action=action,
        by=by,
        text=point.text,
        verbatim=point.verbatim,
        weight=point.weight,
        theme_name=point.theme.name if point.theme_id else "",
        moderation=point.moderation,
        note=note,
        related=related,
    )


def _locked(point_ids: Iterable[int]) -> list[Point]:
    points = list(
        Point.objects.select_for_update(of=("self",))
        .select_related("session__meeting", "theme")
        .filter(pk__in=list(point_ids), deleted_at__isnull=True)
        .order_by("pk")
    )
    if not points:
        raise Point.DoesNotExist
    return points


def _one(point_id: int) -> Point:
    return _locked([point_id])[0]


def _moderate(point: Point, *, state: str, actor, reason: str = "") -> None:
    point.moderation = state
    point.withheld_reason = reason
    point.moderated_by = actor
    point.moderated_at = timezone.now()
    point.save(update_fields=["moderation", "withheld_reason", "moderated_by", "moderated_at"])


def points_approve(*, point_ids: Iterable[int], actor) -> tuple[int, int]:
    """Approve the points for publication. A point with personal data still flagged (neither
    removed nor marked as not personal data) is left waiting, as is one merged away. Returns
    (approved, left because flagged). A point not yet checked for personal data (its task has
    not run) is checked here first. Raises Point.DoesNotExist when none exist."""
    approved = flagged = 0
    names: dict[int, KnownNames] = {}
    with transaction.atomic():
        for point in _locked(point_ids):
            if point.merged_into_id is not None or point.moderation == ModerationState.APPROVED:
                continue
            if point.pii_checked_at is None or point.pii_checked_at < point.updated_at:
                meeting_id = point.session.meeting_id
                if meeting_id not in names:
                    names[meeting_id] = meeting_names(meeting_id)
                point_scan(point, names[meeting_id], timezone.now())
                point.save(update_fields=["pii_flags", "pii_open", "pii_checked_at"])
            if point.pii_open:
                flagged += 1
                continue
            _moderate(point, state=ModerationState.APPROVED, actor=actor)
            _revise(point, action=PointAction.APPROVED, by=actor)
            approved += 1
    logger.info("points approved", extra={"count": approved, "actor_id": actor.pk})
    return approved, flagged


def point_withhold(*, point_id: int, actor, reason: str) -> Point:
    """Withhold the point from publication, with the reason (required). It stays in the record
    and can be returned to review. Raises ValidationError for a missing or long reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            {"reason": _("Enter why the point is withheld from publication.")}, code="required"
        )
    if len(reason) > WITHHELD_REASON_MAX:
        raise ValidationError(
            {
                "reason": _("The reason can be at most %(max)d characters.")
                % {"max": WITHHELD_REASON_MAX}
            },
            code="max_length",
        )
    with transaction.atomic():
        point = _one(point_id)
        _moderate(point, state=ModerationState.WITHHELD, actor=actor, reason=reason)
        _revise(point, action=PointAction.WITHHELD, by=actor, note=reason)
    logger.info("point withheld", extra={"point_id": point.pk, "actor_id": actor.pk})
    return point


def point_return(*, point_id: int, actor) -> Point:
    """Put an approved or withheld point back to waiting for review."""
    with transaction.atomic():
        point = _one(point_id)
        if point.moderation != ModerationState.PENDING:
            _moderate(point, state=ModerationState.PENDING, actor=actor)
            _revise(point, action=PointAction.RETURNED, by=actor)
    return point


def _changed_text(point: Point, text: str, actor) -> None:
    """Store new text and check it again at once, so its flags always match its spans. Text
    changed under an approval goes back to review if it holds flagged personal data."""
    now = timezone.now()
    point.text = text
    point.updated_at = now
    point_scan(point, KnownNames(meeting_known_names(meeting=point.session.meeting)), now)
    fields = ["text", "updated_at", "pii_flags", "pii_open", "pii_checked_at"]
    if point.pii_open and point.moderation == ModerationState.APPROVED:
        point.moderation = ModerationState.PENDING
        fields.append("moderation")
    point.save(update_fields=fields)


def point_redact(*, point_id: int, actor, flag_index: int | None = None) -> Point:
    """Replace flagged personal data in the point's text with what it was ("[name removed]"):
    the flag at `flag_index` of its stored flags, or every open flag. The text before stays in
    the history. Raises ValidationError when the flag is gone or the text changed since the
    point was checked (the page is out of date)."""
    with transaction.atomic():
        point = _one(point_id)
        flags = [
            (i, f)
            for i, f in enumerate(point.pii_flags)
            if not f.get("dismissed") and (flag_index is None or i == flag_index)
        ]
        stale = point.pii_checked_at is None or point.pii_checked_at < point.updated_at
        if (
            not flags
            or stale
            or any(point.text[f["start"] : f["end"]] != f["text"] for _, f in flags)
        ):
            raise ValidationError(
                _("That personal data is no longer in the point. Check the point again."),
                code="stale",
            )
        findings = [Finding(f["kind"], f["start"], f["end"], f["text"]) for _, f in flags]
        removed = ", ".join(sorted({_KIND_WORDS[f.kind] for f in findings}))
        _changed_text(point, redact(point.text, findings), actor)
        _revise(point, action=PointAction.REDACTED, by=actor, note=removed)
    logger.info("point redacted", extra={"point_id": point.pk, "actor_id": actor.pk})
    return point


def point_flags_dismiss(*, point_id: int, actor) -> Point:
    """Mark the point's open flags as not personal data (a word that only looks like a known
    name), so it can be approved as it is. The same words stay dismissed when checked again."""
    with transaction.atomic():
        point = _one(point_id)
        if not point.pii_open:
            return point
        words = ", ".join(f["text"] for f in point.pii_flags if not f.get("dismissed"))
        point.pii_flags = [{**f, "dismissed": True} for f in point.pii_flags]
        point.pii_open = 0
        point.save(update_fields=["pii_flags", "pii_open"])
        _revise(point, action=PointAction.FLAGS_DISMISSED, by=actor, note=words)
    return point


def point_moderate_edit(*, point_id: int, actor, text: str, verbatim: bool, weight: int) -> Point:
    """Staff edit of a point's text (a typo, a clarification), quote mark and weight (a count
    of at least 1). Saving the same values writes nothing. Raises ValidationError."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Enter the point.")}, code="required")
    if len(text) > POINT_TEXT_MAX:
        raise ValidationError(
            {"text": _("A point can be at most %(max)d characters.") % {"max": POINT_TEXT_MAX}},
            code="max_length",
        )
    if not isinstance(weight, int) or weight < 1:
        raise ValidationError({"weight": _("Enter how many said this, 1 or more.")}, code="invalid")
    with transaction.atomic():
        point = _one(point_id)
        if (text, bool(verbatim), weight) == (point.text, point.verbatim, point.weight):
            return point
        point.verbatim, point.weight = bool(verbatim), weight
        point.save(update_fields=["verbatim", "weight"])
        if text != point.text:
            _changed_text(point, text, actor)
        _revise(point, action=PointAction.EDITED, by=actor)
    logger.info("point moderated edit", extra={"point_id": point.pk, "actor_id": actor.pk})
    return point


def points_theme_set(*, meeting, point_ids: Iterable[int], actor, theme_name: str) -> int:
    """Tag the points with the series-wide theme called `theme_name` (made if new), or untag
    them with an empty name. Points of other meetings are left alone. Returns how many changed."""
    with transaction.atomic():
        theme = theme_for_meeting(meeting=meeting, name=theme_name)
        changed = 0
        for point in _locked(point_ids):
            if point.session.meeting_id != meeting.pk:
                continue
            if point.theme_id == (theme.pk if theme else None):
                continue
            point.theme = theme
            point.save(update_fields=["theme"])
            _revise(point, action=PointAction.THEMED, by=actor)
            changed += 1
    logger.info("points themed", extra={"meeting_id": meeting.pk, "count": changed})
    return changed


def points_merge(*, meeting, point_ids: Iterable[int], into_id: int, actor) -> Point:
    """Merge duplicates into the point `into_id`: each keeps its text and history, is linked to
    that point and no longer published on its own; its weight is added to that point's. Raises
    ValidationError when fewer than two points, or one is of another meeting, or already merged."""
    ids = set(point_ids) | {into_id}
    if len(ids) < 2:
        raise ValidationError(_("Choose at least two points to merge."), code="too_few")
    with transaction.atomic():
        points = _locked(ids)
        if len(points) != len(ids) or any(p.session.meeting_id != meeting.pk for p in points):
            raise ValidationError(_("Choose points of this meeting."), code="invalid")
        if any(p.merged_into_id is not None for p in points):
            raise ValidationError(
                _("One of those points has already been merged into another."), code="merged"
            )
        target = next(p for p in points if p.pk == into_id)
        for point in points:
            if point is target:
                continue
            point.merged_into = target
            point.save(update_fields=["merged_into"])
            _revise(point, action=PointAction.MERGED, by=actor, related=target)
            target.weight += point.weight
            target.save(update_fields=["weight"])
            _revise(target, action=PointAction.MERGED_IN, by=actor, related=point)
    logger.info("points merged", extra={"point_id": target.pk, "count": len(ids) - 1})
    return target
