"""Places of a meeting and the meeting lock: what registration counts, and who may register.

Every registration write locks the meeting row first (`meeting_locked`, select_for_update) and
counts inside the same transaction (`Places`), so places, waiting-list positions and offers are
decided one at a time per meeting. On SQLite, the IMMEDIATE transaction mode serialises writers the
same way.
"""

import functools
import time

import psycopg
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from events.enums import MeetingStatus, RegistrationStatus, SessionKind
from events.models import AreaReservation, Meeting, Registration, Session


class RegistrationRefused(Exception):  # noqa: N818 (a refusal, not a programming error)
    """The rules do not allow this registration. `message` is for the person, as it stands."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def holding_statuses() -> list[str]:
    # An open offer holds its place until it is accepted or expires.
    return [RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED]


def meeting_locked(meeting_id: int) -> Meeting:
    """The meeting, its row locked until the transaction ends: every registration write takes this
    first. (The registration bench replaces it, in its own server process, to show what an unlocked
    write does.)"""
    return Meeting.objects.select_for_update(of=("self",)).get(pk=meeting_id)


@functools.cache
def _places_sql() -> str:
    """Everything registration counts under the meeting lock, in one statement. Rows of kind
    "a", per area: places held; one row "w": whether anyone waits, the last waiting-list position
    given, whether one stakeholder is registered; kind "r": a reservation still held, with its
    places; kind "b": a breakout, with its confirmed registrations, its order and its capacity.
    Parameters: the meeting id and the two holding statuses; the meeting id and the waiting
    status, the meeting id, the meeting id and the stakeholder id; the meeting id and now
    (reservations); the confirmed status, the breakout kind and the meeting id (breakouts).
    Names come from the models, so a rename follows.

    Each part reads an index rather than every registration of the meeting: held places through
    (meeting, status), the last position through the unique (meeting, position) index, the
    person through (meeting, stakeholder). Counting every row cost as much as the rest of the
    registration by the time two thousand people had registered, all of it under the lock."""

    quote = connection.ops.quote_name

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    area, status = column(Registration, "area"), column(Registration, "status")
    meeting = column(Registration, "meeting")
    registrations, sessions = quote(Registration._meta.db_table), quote(Session._meta.db_table)
    session_id = f"{sessions}.{column(Session, 'id')}"
    # Only table and column names are interpolated; every value is a parameter.
    return (
        f"SELECT 'a', {area}, COUNT(*), 0, NULL, 0, 0 FROM {registrations}"  # noqa: S608
        f" WHERE {meeting} = %s AND {status} IN (%s, %s) GROUP BY {area}"
        " UNION ALL SELECT 'w', NULL, 0,"
        f" CASE WHEN EXISTS (SELECT 1 FROM {registrations}"
        f" WHERE {meeting} = %s AND {status} = %s) THEN 1 ELSE 0 END,"
        f" (SELECT MAX({column(Registration, 'waitlist_position')}) FROM {registrations}"
        f" WHERE {meeting} = %s),"
        f" CASE WHEN EXISTS (SELECT 1 FROM {registrations}"
        f" WHERE {meeting} = %s AND {column(Registration, 'stakeholder')} = %s)"
        " THEN 1 ELSE 0 END, 0"
        f" UNION ALL SELECT 'r', {column(AreaReservation, 'area')}, 0, 0, NULL, 0,"
        f" {column(AreaReservation, 'places')}"
        f" FROM {quote(AreaReservation._meta.db_table)}"
        f" WHERE {column(AreaReservation, 'meeting')} = %s"
        f" AND {column(AreaReservation, 'release_at')} > %s"
        f" UNION ALL SELECT 'b', {session_id},"
        f" (SELECT COUNT(*) FROM {registrations} WHERE {column(Registration, 'breakout')} ="
        f" {session_id} AND {status} = %s),"
        f" 0, {sessions}.{column(Session, 'order')}, 0, {sessions}.{column(Session, 'capacity')}"
        f" FROM {sessions} WHERE {sessions}.{column(Session, 'kind')} = %s"
        f" AND {sessions}.{column(Session, 'meeting')} = %s"
    )


def _places_rows(params: list) -> list[tuple]:
    """The rows of _places_sql. On PostgreSQL as a prepared statement, planned once per
    connection: planning its subqueries cost more than running them, and it runs under the lock
    every registration for the meeting queues behind."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_places_sql(), params)
            return cursor.fetchall()

    with connection.cursor() as wrapper:  # Django's connection, transaction and query log
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            started = time.monotonic()
            cursor.execute(_places_sql(), params, prepare=True)
            rows = cursor.fetchall()
        if wrapper.db.queries_logged:
            wrapper.db.queries_log.append(
                {"sql": _places_sql(), "time": f"{time.monotonic() - started:.3f}"}
            )
    return rows


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
        rows = _places_rows(
            [
                meeting.pk,
                *(status.value for status in holding_statuses()),
                meeting.pk,
                RegistrationStatus.WAITLISTED.value,
                meeting.pk,
                meeting.pk,
                stakeholder_id,
                meeting.pk,
                connection.ops.adapt_datetimefield_value(now),
                RegistrationStatus.CONFIRMED.value,
                SessionKind.BREAKOUT.value,
                meeting.pk,
            ]
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
        meeting=meeting,
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED],
    ).count()


def breakout_taken(session: Session, *, exclude_registration_id: int | None = None) -> int:
    qs = Registration.objects.filter(
        breakout=session,
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED],
    )
    if exclude_registration_id is not None:
        qs = qs.exclude(pk=exclude_registration_id)
    return qs.count()
