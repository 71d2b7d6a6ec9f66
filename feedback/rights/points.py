"""Feedback's part in erasure for the names in points (engage.rights).

A point holds what the room said, not who said it, and is linked to no stakeholder; but people
name each other ("ask Amara Okafor"), and moderation may have kept a name it was told was not
personal data. When a person is erased, their name as the system knows it (first and last name:
the full name, a near-spelling of it, or a title with the surname, feedback.pii.find_names) is
replaced with "[name removed]" in the text of points and of every PointRevision of them (and in
revision notes, which keep the words a moderator marked as not personal data). Each point changed
gets a revision saying that an erasure removed a name, without the name. The points looked at
are those of the meetings the person registered for, and any other whose text or history holds
their surname. Subject access has nothing to show: no point is the person's.
"""

import logging

from django.db.models import Q
from django.utils import timezone

from engage.rights import SubjectDataProvider
from events.models import Registration
from feedback.enums import PointAction
from feedback.models import Point, PointRevision
from feedback.pii import KnownNames, find_names, redact
from feedback.services.personal_data import meeting_names, point_scan

logger = logging.getLogger(__name__)

_SURNAME_MIN = 2


def _scrub(text: str, names: KnownNames) -> str:
    return redact(text, find_names(text, names)) if text else text


def _candidates(stakeholder):
    meetings = Registration.objects.filter(stakeholder=stakeholder).values("meeting_id")
    where = Q(session__meeting_id__in=meetings)
    surname = " ".join((stakeholder.last_name or "").split())
    if len(surname) >= _SURNAME_MIN:
        where |= Q(text__icontains=surname) | Q(
            pk__in=PointRevision.objects.filter(
                Q(text__icontains=surname) | Q(note__icontains=surname)
            ).values("point_id")
        )
    return (
        Point.objects.select_for_update(of=("self",))
        .select_related("session", "theme")
        .filter(where)
        .order_by("pk")
    )


def _anonymise(stakeholder) -> dict[str, int]:
    full = " ".join(f"{stakeholder.first_name or ''} {stakeholder.last_name or ''}".split())
    names = KnownNames([full])
    if not names:
        return {"points": 0, "revisions": 0}
    points_changed = revisions_changed = 0
    now = timezone.now()
    meeting_known: dict[int, KnownNames] = {}
    for point in _candidates(stakeholder):
        revisions = []
        for revision in PointRevision.objects.filter(point=point):
            text, note = _scrub(revision.text, names), _scrub(revision.note, names)
            if (text, note) != (revision.text, revision.note):
                revision.text, revision.note = text, note
                revisions.append(revision)
        text = _scrub(point.text, names)
        if text == point.text and not revisions:
            continue
        PointRevision.objects.bulk_update(revisions, ["text", "note"])
        revisions_changed += len(revisions)
        points_changed += 1
        point.text = text
        point.updated_at = now
        # The flags held the name's words: found again in the text as it now is.
        meeting_id = point.session.meeting_id
        if meeting_id not in meeting_known:
            meeting_known[meeting_id] = meeting_names(meeting_id)
        point_scan(point, meeting_known[meeting_id], now)
        point.save(update_fields=["text", "updated_at", "pii_flags", "pii_open", "pii_checked_at"])
        PointRevision.objects.create(
            point=point,
            action=PointAction.ERASURE_REDACTED,
            by=None,
            at=now,
            text=point.text,
            verbatim=point.verbatim,
            weight=point.weight,
            theme_name=point.theme.name if point.theme_id else "",
            moderation=point.moderation,
            note="name",
        )
    logger.info(
        "names removed from points on erasure",
        extra={
            "stakeholder_id": stakeholder.pk,
            "points": points_changed,
            "revisions": revisions_changed,
        },
    )
    return {"points": points_changed, "revisions": revisions_changed}


POINTS_PROVIDER = SubjectDataProvider(
    name="feedback.points", collect=lambda stakeholder: {}, anonymise=_anonymise
)
