"""Places of a meeting and the meeting lock: what registration counts, and who may register.

Every registration write locks the meeting row first (`meeting_locked`, select_for_update) and
counts inside the same transaction (`Places`), so places, waiting-list positions and offers are
decided one at a time per meeting. On SQLite, the IMMEDIATE transaction mode serialises writers the
same way.
"""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from events import sql
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration, Session


class RegistrationRefused(Exception):  # noqa: N818 (a refusal, not a programming error)
    """The rules do not allow this registration. `message` is for the person, as it stands."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# An open offer holds its place until it is accepted or expires.
HOLDING_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)


def meeting_locked(meeting_id: int) -> Meeting:
    """The meeting, its row locked until the transaction ends: every registration write takes this
    first. (The registration bench replaces it, in its own server process, to show what an unlocked
    write does.)"""
    return Meeting.objects.select_for_update(of=("self",)).get(pk=meeting_id)


class Places:
    """Places of one meeting as counted under its lock: taken per area, reservations still held,
    whether anyone waits and the last waiting-list position given; with `stakeholder_id`, also
    whether that person already has a registration (`person_registered`)."""

    def __init__(self, meeting, now, *, stakeholder_id: int | None = None):
        self.capacity = meeting.capacity
        self.taken_by_area: dict[int | None, int] = {}
        self.waiting = 0
        self.last_position = 0
        self.person_registered = False
        # One statement for every count and the reservations, in plain SQL: each statement under
        # the meeting lock is a round trip that every other registration for this meeting waits
        # behind, and the ORM's compilation of these filtered aggregates cost ten times the query.
        # It must run after the lock is taken (not inside the locking SELECT), so that it reads
        # the rows the previous holder committed.
        self.reserved: dict[int, int] = {}
        # Breakout id: (confirmed in it, its order, its capacity or None for no limit).
        self.breakouts: dict[int, tuple[int, int, int | None]] = {}
        rows = sql.places_rows(
            meeting_id=meeting.pk, stakeholder_id=stakeholder_id, now=now, holding=HOLDING_STATUSES
        )
        for kind, key, taken, waiting, last, mine, places in rows:
            if kind == "b":
                self.breakouts[key] = (taken, last, places)
                continue
            if taken:
                self.taken_by_area[key] = taken
            if places:
                self.reserved[key] = places
            if kind == "w":
                self.waiting = waiting  # 1 when anyone waits: only whether is needed
                self.last_position = last or 0
                self.person_registered = mine > 0

    def _held_back(self, *, except_area: int | None) -> int:
        return sum(
            max(0, places - self.taken_by_area.get(area_id, 0))
            for area_id, places in self.reserved.items()
            if area_id != except_area
        )

    @property
    def free(self) -> int:
        return self.capacity - sum(self.taken_by_area.values())

    def available_for(self, area_id: int | None) -> bool:
        return self.free - self._held_back(except_area=area_id) > 0

    def open_areas(self) -> tuple[bool, set[int]]:
        """Whether anyone may take a place, and the areas whose reservation still has room."""
        general = self.free - self._held_back(except_area=None) > 0
        with_room = {a for a, p in self.reserved.items() if p > self.taken_by_area.get(a, 0)}
        return general, with_room

    def take(self, area_id: int | None) -> None:
        self.taken_by_area[area_id] = self.taken_by_area.get(area_id, 0) + 1


def _format_when(value) -> str:
    return date_format(timezone.localtime(value), "j F Y, H:i T")


def registration_refusal(*, meeting, now=None) -> RegistrationRefused | None:
    """Why registration for `meeting` is not open at `now`, or None when it is."""

    now = now or timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        return RegistrationRefused(_("This meeting has been cancelled."), code="cancelled")
    if meeting.status == MeetingStatus.COMPLETED or meeting.end <= now:
        return RegistrationRefused(_("This meeting has already taken place."), code="past")
    if meeting.status != MeetingStatus.PUBLISHED:
        return RegistrationRefused(
            _("Registration is not open for this meeting."), code="not_published"
        )
    if meeting.start <= now:
        return RegistrationRefused(
            _("Registration closed when the meeting started."), code="closed"
        )
    if meeting.registration_opens and now < meeting.registration_opens:
        return RegistrationRefused(
            _("Registration opens on %(when)s.")
            % {"when": _format_when(meeting.registration_opens)},
            code="not_open",
        )
    if meeting.registration_closes and now >= meeting.registration_closes:
        return RegistrationRefused(
            _("Registration closed on %(when)s.")
            % {"when": _format_when(meeting.registration_closes)},
            code="closed",
        )
    return None


def breakout_choose(*, places: Places, preference_ids: list[int], strict: bool) -> int | None:
    """The id of the first preferred breakout with room; else the roomiest one (None if there
    are none, or none has room). Counts are those `places` took under the meeting lock.

    With `strict`, a person whose every chosen breakout is full is refused, so they can choose
    again rather than be placed where they did not ask to be.
    """
    breakouts = places.breakouts
    if not breakouts:
        return None

    def room(pk) -> float:
        confirmed, _order, capacity = breakouts[pk]
        return float("inf") if capacity is None else capacity - confirmed

    for pk in preference_ids:
        if pk in breakouts and room(pk) > 0:
            return pk
    if preference_ids and strict:
        raise RegistrationRefused(
            _(
                "The breakout you chose is full. Choose another breakout, or leave the choice "
                "open and we will place you in one with room."
            ),
            code="breakout_full",
        )
    with_room = [pk for pk in breakouts if room(pk) > 0]
    if not with_room:
        return None
    return max(with_room, key=lambda pk: (room(pk), -breakouts[pk][1], -pk))


def places_taken(meeting: Meeting) -> int:
    return Registration.objects.filter(
        meeting=meeting, status__in=HOLDING_STATUSES, walk_in=False
    ).count()


def breakout_taken(session: Session, *, exclude_registration_id: int | None = None) -> int:
    qs = Registration.objects.filter(
        breakout=session,
        status__in=HOLDING_STATUSES,
    )
    if exclude_registration_id is not None:
        qs = qs.exclude(pk=exclude_registration_id)
    return qs.count()
