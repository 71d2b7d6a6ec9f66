"""The check of points for personal data (feedback.pii), off the request.

A point captured, edited or imported is checked by a task queued after commit
(`points_personal_data_queue`); the beat sweep (`points_personal_data_sweep`) checks whatever a
lost task left, and the moderation list shows a point not yet checked as such (it cannot be
approved until it is checked: `points_approve` checks it under its lock). The check reads the
names the meeting knows once per meeting and writes the flags on the point. Checking a point
that is already up to date writes nothing, so a task that runs twice does nothing more.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from events.models import Meeting
from feedback.models import Point
from feedback.pii import KnownNames, find_personal_data
from feedback.selectors.moderation import meeting_known_names, meeting_points

logger = logging.getLogger(__name__)

# The sweep's share per run: a few seconds of checking, so a run never overlaps the next.
SWEEP_BATCH = 2_000
_FIELDS = ("id", "text", "pii_flags", "updated_at", "session__meeting_id")


def stale_points() -> Q:
    """Points never checked, or changed since their last check."""
    return Q(pii_checked_at__isnull=True) | Q(pii_checked_at__lt=F("updated_at"))


def point_scan(point: Point, names: KnownNames, now) -> None:
    """Set the point's flags from its text (not saved), keeping a moderator's "not personal
    data" for the same words found again."""
    dismissed = {(f["kind"], f["text"].casefold()) for f in point.pii_flags if f.get("dismissed")}
    flags = []
    for finding in find_personal_data(point.text, names=names):
        flag = finding.as_dict()
        del flag["known"]  # which registrant it matched is not the moderator's business
        flag["dismissed"] = (finding.kind, finding.matched_text.casefold()) in dismissed
        flags.append(flag)
    point.pii_flags = flags
    point.pii_open = sum(1 for f in flags if not f["dismissed"])
    point.pii_checked_at = max(now, point.updated_at)


def meeting_names(meeting_id: int) -> KnownNames:
    return KnownNames(meeting_known_names(meeting=Meeting.objects.get(pk=meeting_id)))


def _check(points: QuerySet[Point]) -> int:
    # The time is taken before the read: a point edited after it is newer than its check and
    # stays stale (for its own task or the sweep), never marked checked with the old text's flags.
    now = timezone.now()
    todo = list(points.select_related("session").only(*_FIELDS).order_by("id"))
    if not todo:
        return 0
    by_meeting: dict[int, list[Point]] = defaultdict(list)
    for point in todo:
        by_meeting[point.session.meeting_id].append(point)
    for meeting_id, points_of_meeting in by_meeting.items():
        names = meeting_names(meeting_id)
        for point in points_of_meeting:
            point_scan(point, names, now)
        Point.objects.bulk_update(
            points_of_meeting, ["pii_flags", "pii_open", "pii_checked_at"], batch_size=500
        )
        logger.info(
            "points checked", extra={"meeting_id": meeting_id, "count": len(points_of_meeting)}
        )
    return len(todo)


def points_check_personal_data(*, meeting, only_unchecked: bool = True) -> int:
    """Look for personal data in the meeting's points and store the flags: only in points new or
    changed since they were last checked, or (`only_unchecked=False`) in all of them, after new
    registrants or staff. Returns how many points were checked. One query when there is nothing
    to check. Runs in the caller's process: for a whole meeting, call it from a task."""
    points = meeting_points(meeting_id=meeting.pk)
    if only_unchecked:
        points = points.filter(stale_points())
    return _check(points)


def points_check_personal_data_ids(*, point_ids: Iterable[int]) -> int:
    """Check the points `point_ids` that are new or changed since their last check (deleted ones
    are skipped). Returns how many were checked; 0 when they were all up to date."""
    ids = sorted(set(point_ids))
    if not ids:
        return 0
    return _check(Point.objects.filter(stale_points(), pk__in=ids, deleted_at__isnull=True))


def points_personal_data_sweep(*, limit: int = SWEEP_BATCH) -> int:
    """Beat job: check up to `limit` points a lost task left unchecked, oldest first. Returns
    how many were checked."""
    ids = list(
        Point.objects.filter(stale_points(), deleted_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return points_check_personal_data_ids(point_ids=ids)


def points_personal_data_queue(point_ids: Iterable[int]) -> None:
    """After commit, hand the check of `point_ids` to a task. A broker that cannot be reached
    loses nothing: the points stay unchecked and the sweep finds them."""
    ids = sorted(set(point_ids))
    if not ids:
        return
    # Imported when queued: the tasks module imports the services (Celery's task <-> service pair).
    from feedback.tasks import points_check_personal_data_task

    def queue() -> None:
        try:
            points_check_personal_data_task.delay(ids)
        except (KombuOperationalError, OSError):
            logger.warning("personal data check not queued", extra={"count": len(ids)})

    transaction.on_commit(queue)


def meeting_points_recheck(*, meeting) -> int:
    """Mark every point of the meeting for checking again (after new registrants or staff) and
    queue the check. Returns how many points will be checked. The flags a moderator dismissed
    stay dismissed for the same words."""
    with transaction.atomic():
        ids = list(meeting_points(meeting_id=meeting.pk).values_list("id", flat=True))
        Point.objects.filter(pk__in=ids).update(pii_checked_at=None)
        points_personal_data_queue(ids)
    return len(ids)
