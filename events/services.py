"""Writes and side effects for meetings, sessions, registrations and attendance.

Every write about events goes through a function here. Sections are kept by area of work:
meeting management (staff), registration (public), notifications hooks live in events/notifications.py.
"""

# --- Registration (public side) -----------------------------------------------------------------
# Every registration write locks the meeting row first (select_for_update) and counts inside the
# same transaction, so places, waiting-list positions and offers are decided one at a time per
# meeting. On SQLite, the IMMEDIATE transaction mode serialises writers the same way.
import datetime as _dt  # noqa: E402
import functools as _functools  # noqa: E402
import logging as _logging  # noqa: E402
import secrets as _secrets  # noqa: E402
import time as _time  # noqa: E402
import uuid as _uuid  # noqa: E402
from dataclasses import dataclass as _dataclass  # noqa: E402
from typing import NamedTuple as _NamedTuple  # noqa: E402

from django.conf import settings as _settings  # noqa: E402
from django.core import signing as _signing  # noqa: E402
from django.db import connection as _connection  # noqa: E402
from django.db import transaction as _transaction  # noqa: E402
from django.utils import timezone as _timezone  # noqa: E402
from django.utils.crypto import constant_time_compare as _constant_time_compare  # noqa: E402
from django.utils.crypto import salted_hmac as _salted_hmac  # noqa: E402
from django.utils.translation import gettext as _gettext  # noqa: E402

_registration_logger = _logging.getLogger("events.registration")

# Consent purposes asked for on the registration form (seeded by the stakeholder database).
PURPOSE_ACCESS_NEEDS = "access-needs"
PURPOSE_ATTENDEE_LIST = "attendee-list"
PURPOSE_MEETING_INVITATIONS = "meeting-invitations"

_CODE_SALT = "events.registration.code"
MAX_CODES_PER_ADDRESS = 5


class RegistrationRefused(Exception):  # noqa: N818 (a refusal, not a programming error)
    """The rules do not allow this registration. `message` is for the person, as it stands."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@_dataclass(frozen=True)
class RegistrationDetails:
    """What the registration form asks. `email` decides who the stakeholder is."""

    email: str
    first_name: str = ""
    last_name: str = ""
    area_id: int | None = None
    organisation_name: str = ""
    breakout_preference_ids: tuple[int, ...] = ()
    access_requirements: str = ""
    access_consent: bool = False
    panel_questions: tuple[str, ...] = ()
    attendee_list_ok: bool = False
    join_stakeholder_list: bool = False


@_dataclass(frozen=True)
class RegistrationOutcome:
    registration: "Registration"
    created: bool


def _holding_statuses():
    from events.enums import RegistrationStatus

    # An open offer holds its place until it is accepted or expires.
    return [RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED]


def _meeting_for_registration(meeting_id: int):
    from events.models import Meeting

    queryset = Meeting.objects.all()
    if not _settings.ENGAGE_BENCH_UNLOCKED_REGISTRATION:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=meeting_id)


@_functools.cache
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
    from events.models import AreaReservation, Registration, Session

    quote = _connection.ops.quote_name

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
    if _connection.vendor != "postgresql":
        with _connection.cursor() as cursor:
            cursor.execute(_places_sql(), params)
            return cursor.fetchall()
    import psycopg

    with _connection.cursor() as wrapper:  # Django's connection, transaction and query log
        with _connection.wrap_database_errors, psycopg.Cursor(_connection.connection) as cursor:
            started = _time.monotonic()
            cursor.execute(_places_sql(), params, prepare=True)
            rows = cursor.fetchall()
        if wrapper.db.queries_logged:
            wrapper.db.queries_log.append(
                {"sql": _places_sql(), "time": f"{_time.monotonic() - started:.3f}"}
            )
    return rows


class _Places:
    """Places of one meeting as counted under its lock: taken per area, reservations still held,
    whether anyone waits and the last waiting-list position given; with `stakeholder_id`, also
    whether that person already has a registration (`person_registered`)."""

    def __init__(self, meeting, now, *, stakeholder_id: int | None = None):
        from events.enums import RegistrationStatus, SessionKind

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
                *(status.value for status in _holding_statuses()),
                meeting.pk,
                RegistrationStatus.WAITLISTED.value,
                meeting.pk,
                meeting.pk,
                stakeholder_id,
                meeting.pk,
                _connection.ops.adapt_datetimefield_value(now),
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
    from django.utils.formats import date_format

    return date_format(_timezone.localtime(value), "j F Y, H:i")


def registration_refusal(*, meeting, now=None) -> RegistrationRefused | None:
    """Why registration for `meeting` is not open at `now`, or None when it is."""
    from events.enums import MeetingStatus

    now = now or _timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        return RegistrationRefused(_gettext("This meeting has been cancelled."), code="cancelled")
    if meeting.status == MeetingStatus.COMPLETED or meeting.end <= now:
        return RegistrationRefused(_gettext("This meeting has already taken place."), code="past")
    if meeting.status != MeetingStatus.PUBLISHED:
        return RegistrationRefused(
            _gettext("Registration is not open for this meeting."), code="not_published"
        )
    if meeting.start <= now:
        return RegistrationRefused(
            _gettext("Registration closed when the meeting started."), code="closed"
        )
    if meeting.registration_opens and now < meeting.registration_opens:
        return RegistrationRefused(
            _gettext("Registration opens on %(when)s.")
            % {"when": _format_when(meeting.registration_opens)},
            code="not_open",
        )
    if meeting.registration_closes and now >= meeting.registration_closes:
        return RegistrationRefused(
            _gettext("Registration closed on %(when)s.")
            % {"when": _format_when(meeting.registration_closes)},
            code="closed",
        )
    return None


def _breakout_choose(*, places: _Places, preference_ids: list[int], strict: bool) -> int | None:
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
            _gettext(
                "The breakout you chose is full. Choose another breakout, or leave the choice "
                "open and we will place you in one with room."
            ),
            code="breakout_full",
        )
    with_room = [pk for pk in breakouts if room(pk) > 0]
    if not with_room:
        return None
    return max(with_room, key=lambda pk: (room(pk), -breakouts[pk][1], -pk))


def _waitlist_offer_free_places(*, meeting, now, stakeholder_id: int | None = None) -> _Places:
    """Offer free places to the waiting list in order. Caller holds the meeting lock.

    Returns the places as they stand after the offers, for the caller to go on counting with
    (`stakeholder_id` as for _Places).
    """
    from events.enums import RegistrationStatus
    from events.models import Registration

    places = _Places(meeting, now, stakeholder_id=stakeholder_id)
    if (
        places.free <= 0
        or not places.waiting
        or registration_refusal(meeting=meeting, now=now) is not None
    ):
        return places
    general, areas_with_room = places.open_areas()
    waiting = Registration.objects.filter(
        meeting=meeting, status=RegistrationStatus.WAITLISTED
    ).order_by("waitlist_position", "id")
    if not general:
        if not areas_with_room:
            return places
        waiting = waiting.filter(area_id__in=areas_with_room)
    expires = now + _dt.timedelta(hours=meeting.waitlist_offer_hours)
    offered: list[int] = []
    for registration in waiting.only("id", "area_id"):
        if places.free <= 0:
            break
        if not places.available_for(registration.area_id):
            continue
        places.take(registration.area_id)
        offered.append(registration.pk)
    if offered:
        Registration.objects.filter(pk__in=offered).update(
            status=RegistrationStatus.OFFERED,
            offered_at=now,
            offer_expires_at=expires,
            notice_pending="offer",
        )
        _registration_notices_wake_on_commit()
        _registration_logger.info(
            "waiting list offers", extra={"meeting_id": meeting.pk, "registration_ids": offered}
        )
    return places


# A registration owed an email says so in its own row (Registration.notice_pending, written in
# the same transaction as the change), so a notice survives a broker that is down at commit: the
# beat's sweep sends it. After commit the sender is woken at most once per NOTICES_WAKE_SECONDS
# rather than once per registration: in a rush, queueing a Celery message for every registrant
# cost more than the rest of the registration's Python. The sender clears the key and looks
# again before it stops (events.notifications.registration_notices_send), so nothing committed
# while it ran waits for the sweep.
NOTICES_WAKE_KEY = "events:registration-notices-wake"
NOTICES_WAKE_SECONDS = 30


def _registration_notices_wake() -> None:
    from django.core.cache import cache

    from events.tasks import registration_notices_send_task

    if cache.add(NOTICES_WAKE_KEY, 1, timeout=NOTICES_WAKE_SECONDS):
        try:
            registration_notices_send_task.delay()
        except Exception:
            cache.delete(NOTICES_WAKE_KEY)  # the next registration tries again
            raise


def _registration_notices_wake_on_commit() -> None:
    # robust: a broker that is down must not turn a committed registration into an error page;
    # the notice waits in its row for the sweep.
    _transaction.on_commit(_registration_notices_wake, robust=True)


def _consents_give(
    *, stakeholder, purpose_slugs: list[str], ip_address: str | None, user_agent: str
) -> None:
    """Record consents through the stakeholder database's one path (the append-only ledger)."""
    if not purpose_slugs:
        return
    from engage.enums import ConsentMethod
    from engage.models import ConsentPurpose
    from engage.services import consent_give

    purposes = {
        p.slug: p for p in ConsentPurpose.objects.filter(slug__in=purpose_slugs, active=True)
    }
    for slug in purpose_slugs:
        if slug in purposes:
            # The form labels each box with the purpose's current wording, which the ledger stores.
            consent_give(
                stakeholder=stakeholder,
                purpose=purposes[slug],
                method=ConsentMethod.WEB,
                ip_address=ip_address,
                user_agent=user_agent,
            )


def _stakeholder_for_registration(*, details: RegistrationDetails, user):
    from engage.models import Stakeholder
    from engage.normalise import normalise_email

    stakeholder = None
    if user is not None and user.is_authenticated:
        stakeholder = Stakeholder.objects.filter(user=user, anonymised_at__isnull=True).first()
    if stakeholder is None:
        email_normalised = normalise_email(details.email)
        stakeholder = Stakeholder.objects.filter(email_normalised=email_normalised).first()
    if stakeholder is None:
        new = Stakeholder(
            email=details.email.strip(),
            email_normalised=email_normalised,
            first_name=details.first_name,
            last_name=details.last_name,
            area_id=details.area_id,
            source="Meeting registration",
            last_activity_at=_timezone.now(),
            user=(
                user
                if user is not None
                and user.is_authenticated
                and not Stakeholder.objects.filter(user=user).exists()
                else None
            ),
        )
        # One statement, and no savepoint: two first registrations from one new address at once
        # (say, for two meetings) meet in the unique index, and the second touches the first's
        # row instead of failing. Its id comes back either way.
        (stakeholder,) = Stakeholder.objects.bulk_create(
            [new],
            update_conflicts=True,
            unique_fields=["email_normalised"],
            update_fields=["last_activity_at"],
        )
        return stakeholder
    changed = []
    for field in ("first_name", "last_name", "area_id"):
        value = getattr(details, field)
        if value and not getattr(stakeholder, field):
            setattr(stakeholder, field, value)
            changed.append(field)
    if (
        user is not None
        and user.is_authenticated
        and stakeholder.user_id is None
        and not Stakeholder.objects.filter(user=user).exists()
    ):
        stakeholder.user = user
        changed.append("user")
    stakeholder.last_activity_at = _timezone.now()
    stakeholder.save(update_fields=[*changed, "last_activity_at", "updated_at"])
    return stakeholder


class _AlreadyRegistered(Exception):  # noqa: N818 (control flow inside registration_create)
    def __init__(self, registration):
        super().__init__()
        self.registration = registration


def registration_create(
    *,
    meeting_id: int,
    details: RegistrationDetails,
    user=None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> RegistrationOutcome:
    """Register a person (found or created by normalised email) for a meeting.

    Gives a confirmed place when one is free for the person's area, else a waiting-list place with
    the next position. Registering again returns the existing registration (created=False); a
    cancelled one is reopened. Side effects: may create the Stakeholder; saves PanelQuestion rows;
    records consents given on the form through engage.services.consent_give; offers free places to
    the waiting list first; queues the confirmation or waiting-list email on commit.
    Raises RegistrationRefused (closed, cancelled, past, chosen breakout full).
    """
    from events.enums import RegistrationStatus
    from events.models import PanelQuestion, Registration

    access_requirements = details.access_requirements.strip() if details.access_consent else ""
    consents = {
        PURPOSE_ACCESS_NEEDS: details.access_consent and bool(access_requirements),
        PURPOSE_ATTENDEE_LIST: details.attendee_list_ok,
        PURPOSE_MEETING_INVITATIONS: details.join_stakeholder_list,
    }
    try:
        with _transaction.atomic():
            # What does not decide the place comes first, before the meeting lock: that lock
            # queues every registration for the meeting, so it is held only to count and
            # allocate. A refusal, or finding the person already registered, rolls all of this
            # back with the rest.
            stakeholder = _stakeholder_for_registration(details=details, user=user)
            _consents_give(
                stakeholder=stakeholder,
                purpose_slugs=[slug for slug, given in consents.items() if given],
                ip_address=ip_address,
                user_agent=user_agent,
            )
            meeting = _meeting_for_registration(meeting_id)
            now = _timezone.now()
            refusal = registration_refusal(meeting=meeting, now=now)
            if refusal is not None:
                raise refusal
            # People already waiting come before a newcomer.
            places = _waitlist_offer_free_places(
                meeting=meeting, now=now, stakeholder_id=stakeholder.pk
            )
            if _settings.ENGAGE_BENCH_UNLOCKED_REGISTRATION:
                # Bench only, with the lock removed: hold the gap between counting and inserting
                # open a little, so the race the lock prevents shows in every run, not by chance.
                _time.sleep(0.02)
            preference_ids = [
                pk
                for pk in dict.fromkeys(details.breakout_preference_ids)
                if pk in places.breakouts
            ]
            registration = None
            if places.person_registered:
                registration = Registration.objects.get(meeting=meeting, stakeholder=stakeholder)
                if registration.status != RegistrationStatus.CANCELLED:
                    # Another tab got here first; what this one wrote above is rolled back.
                    raise _AlreadyRegistered(registration)
            area_id = details.area_id or stakeholder.area_id
            if places.available_for(area_id):
                breakout_id = _breakout_choose(
                    places=places, preference_ids=preference_ids, strict=True
                )
                status, position = RegistrationStatus.CONFIRMED, None
            else:
                breakout_id, status = None, RegistrationStatus.WAITLISTED
                position = places.last_position + 1
            if registration is None:
                registration = Registration(meeting=meeting, stakeholder=stakeholder)
            else:
                # A reopened registration gets a fresh link: the old cancel link stays spent.
                registration.token = _uuid.uuid4()
                registration.cancelled_at = None
                registration.offered_at = registration.offer_expires_at = None
                registration.created_at = now
            registration.status = status
            registration.breakout_id = breakout_id
            registration.waitlist_position = position
            registration.area_id = area_id
            registration.organisation_name = details.organisation_name.strip()
            registration.attendee_list_ok = details.attendee_list_ok
            registration.access_requirements = access_requirements
            registration.notice_pending = (
                "confirmed" if status == RegistrationStatus.CONFIRMED else "waitlisted"
            )
            registration.save()
            if preference_ids:
                registration.breakout_preferences.set(preference_ids)
            questions = [q.strip() for q in details.panel_questions if q.strip()]
            PanelQuestion.objects.bulk_create(
                PanelQuestion(
                    meeting=meeting, registration=registration, text=text, submitted_at=now
                )
                for text in questions
            )
            _registration_notices_wake_on_commit()
    except _AlreadyRegistered as already:
        return RegistrationOutcome(registration=already.registration, created=False)
    _registration_logger.info(
        "registration created",
        extra={"registration_id": registration.pk, "meeting_id": meeting_id, "status": status},
    )
    return RegistrationOutcome(registration=registration, created=True)


def registration_repeat(
    *, meeting_id: int, user, ip_address: str | None = None, user_agent: str = ""
) -> RegistrationOutcome:
    """One-click registration for someone who attended the previous meeting in the series.

    Prefills from their last registration (area, organisation, attendee-list choice, access
    requirements while their access-needs consent stands). Side effects as registration_create.
    Raises RegistrationRefused when they did not attend the previous meeting.
    """
    from engage.models import ConsentPurpose
    from engage.selectors import consent_is_given
    from events.models import Meeting
    from events.selectors import registration_previous_attended

    meeting = Meeting.objects.get(pk=meeting_id)
    stakeholder = getattr(user, "stakeholder", None) if user.is_authenticated else None
    previous = (
        registration_previous_attended(meeting=meeting, stakeholder=stakeholder)
        if stakeholder
        else None
    )
    if previous is None:
        raise RegistrationRefused(
            _gettext("One-click registration is for people who came to the last meeting."),
            code="not_eligible",
        )
    purpose = ConsentPurpose.objects.filter(slug=PURPOSE_ACCESS_NEEDS).first()
    access_ok = bool(
        purpose and consent_is_given(stakeholder_id=stakeholder.pk, purpose_id=purpose.pk)
    )
    details = RegistrationDetails(
        email=stakeholder.email,
        area_id=previous.area_id,
        organisation_name=previous.organisation_name,
        attendee_list_ok=previous.attendee_list_ok,
        access_requirements=previous.access_requirements if access_ok else "",
        access_consent=access_ok and bool(previous.access_requirements),
    )
    return registration_create(
        meeting_id=meeting_id,
        details=details,
        user=user,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def _registration_locked(token):
    """The registration for a link token and its meeting, the meeting row locked first."""
    from events.models import Registration

    meeting_id = (
        Registration.objects.filter(token=token).values_list("meeting_id", flat=True).first()
    )
    if meeting_id is None:
        raise Registration.DoesNotExist
    meeting = _meeting_for_registration(meeting_id)
    registration = Registration.objects.select_for_update().get(token=token)
    return meeting, registration


def registration_cancel(*, token: _uuid.UUID) -> "Registration":
    """Cancel a registration from its signed link; the place it held is offered to the next person.

    Idempotent. Side effects: may offer places (emails queued on commit); queues a cancellation
    email, with a METHOD:CANCEL calendar only when a confirmed place (and so a REQUEST) was held.
    Raises Registration.DoesNotExist for an unknown token.
    """
    from events.enums import RegistrationStatus

    with _transaction.atomic():
        meeting, registration = _registration_locked(token)
        if registration.status == RegistrationStatus.CANCELLED:
            return registration
        # Only a confirmed place was ever sent a METHOD:REQUEST; someone who was waiting or held
        # an offer has no calendar entry, and a CANCEL for one they never got confuses clients.
        held_place = registration.status == RegistrationStatus.CONFIRMED
        now = _timezone.now()
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.waitlist_position = None
        registration.offered_at = registration.offer_expires_at = None
        registration.notice_pending = "cancelled" if held_place else "waitlist_left"
        registration.save(
            update_fields=[
                "status",
                "cancelled_at",
                "waitlist_position",
                "offered_at",
                "offer_expires_at",
                "notice_pending",
            ]
        )
        _waitlist_offer_free_places(meeting=meeting, now=now)
        _registration_notices_wake_on_commit()
    _registration_logger.info("registration cancelled", extra={"registration_id": registration.pk})
    return registration


def registration_offer_accept(*, token: _uuid.UUID) -> "Registration":
    """Take up a waiting-list offer from its signed link: the registration becomes confirmed.

    Accepting twice is harmless. Side effects: assigns a breakout (preferences first); queues the
    confirmation email. Raises RegistrationRefused when the offer expired or is no longer open.
    """
    from events.enums import RegistrationStatus

    with _transaction.atomic():
        meeting, registration = _registration_locked(token)
        if registration.status == RegistrationStatus.CONFIRMED:
            return registration
        now = _timezone.now()
        if registration.status != RegistrationStatus.OFFERED:
            raise RegistrationRefused(
                _gettext("There is no open offer of a place for this registration."),
                code="no_offer",
            )
        if registration.offer_expires_at and registration.offer_expires_at <= now:
            raise RegistrationRefused(
                _gettext(
                    "Sorry, this offer has expired and the place has passed to the next person."
                ),
                code="offer_expired",
            )
        refusal = registration_refusal(meeting=meeting, now=now)
        if refusal is not None:
            raise refusal
        preference_ids = list(
            registration.breakout_preferences.order_by("order", "start", "id").values_list(
                "pk", flat=True
            )
        )
        registration.breakout_id = _breakout_choose(
            places=_Places(meeting, now), preference_ids=preference_ids, strict=False
        )
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
        registration.notice_pending = "confirmed"
        registration.save(
            update_fields=["status", "breakout", "waitlist_position", "notice_pending"]
        )
        _registration_notices_wake_on_commit()
    _registration_logger.info("offer accepted", extra={"registration_id": registration.pk})
    return registration


def registrations_expire_offers(*, now: _dt.datetime | None = None) -> int:
    """Expire waiting-list offers past their time and offer free places to the next people.

    Also fills places freed by a released area reservation or a raised capacity. Returns how many
    offers expired. Side effects: expired offers become cancelled and each person whose offer
    lapsed is sent "offer expired" (events.notifications.waitlist_offer_expired_notify, queued in
    the same transaction); new offers are emailed on commit.
    """
    from events import notifications
    from events.enums import MeetingStatus, RegistrationStatus
    from events.models import Meeting, Registration

    now = now or _timezone.now()
    meeting_ids = set(
        Registration.objects.filter(
            status=RegistrationStatus.OFFERED, offer_expires_at__lte=now
        ).values_list("meeting_id", flat=True)
    ) | set(
        Meeting.objects.filter(
            status=MeetingStatus.PUBLISHED,
            start__gt=now,
            registrations__status=RegistrationStatus.WAITLISTED,
        ).values_list("pk", flat=True)
    )
    expired_total = 0
    for meeting_id in sorted(meeting_ids):
        with _transaction.atomic():
            meeting = _meeting_for_registration(meeting_id)
            # Every registration write takes the meeting lock first, so these rows cannot change
            # under us; the offered -> cancelled move is the marker that the notice below is
            # queued once, in this same transaction.
            expired_ids = list(
                Registration.objects.filter(
                    meeting=meeting, status=RegistrationStatus.OFFERED, offer_expires_at__lte=now
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            expired = Registration.objects.filter(pk__in=expired_ids).update(
                status=RegistrationStatus.CANCELLED,
                cancelled_at=now,
                waitlist_position=None,
            )
            expired_total += expired
            for registration_id in expired_ids:
                notifications.waitlist_offer_expired_notify(registration_id)
            _waitlist_offer_free_places(meeting=meeting, now=now)
        if expired:
            _registration_logger.info(
                "offers expired", extra={"meeting_id": meeting_id, "count": expired}
            )
    return expired_total


def registrations_wipe_access_requirements(*, now: _dt.datetime | None = None) -> int:
    """Delete access requirements once each meeting's retention period after it has passed.

    Returns how many registrations were wiped. Side effect: clears Registration.access_requirements.
    """
    from events.models import Meeting, Registration

    now = now or _timezone.now()
    wiped = 0
    meetings = (
        Meeting.objects.filter(end__lt=now, registrations__access_requirements__gt="")
        .distinct()
        .only("pk", "end", "access_needs_retention_days")
    )
    for meeting in meetings:
        if meeting.end + _dt.timedelta(days=meeting.access_needs_retention_days) > now:
            continue
        count = Registration.objects.filter(meeting=meeting, access_requirements__gt="").update(
            access_requirements=""
        )
        wiped += count
        _registration_logger.info(
            "access requirements wiped", extra={"meeting_id": meeting.pk, "count": count}
        )
    return wiped


def _code_hash(email: str, code: str) -> str:
    return _salted_hmac(_CODE_SALT, f"{email}:{code}", algorithm="sha256").hexdigest()


def registration_email_code_send(*, meeting, email: str) -> str:
    """Email a six-digit code that proves a guest can read mail at `email`.

    Returns a signed challenge to keep server-side (in the session) until the code is entered.
    Side effect: queues one transactional email through email_queue. Raises RegistrationRefused
    after MAX_CODES_PER_ADDRESS codes to one address within the code's lifetime.
    """
    from django.core.cache import cache

    from engage.mail.services import email_queue
    from engage.normalise import normalise_email

    normalised = normalise_email(email)
    # A handful of codes per address per window: enough for a slow inbox, useless for mail-bombing.
    key = f"events:code-sends:{_code_hash(normalised, 'sends')}"
    cache.add(key, 0, timeout=_settings.ENGAGE_REGISTRATION_CODE_MINUTES * 60)
    try:
        sends = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        sends = 1
    if sends > MAX_CODES_PER_ADDRESS:
        raise RegistrationRefused(
            _gettext(
                "We have already sent several codes to this address. Please use the latest one, "
                "or try again in %(minutes)d minutes."
            )
            % {"minutes": _settings.ENGAGE_REGISTRATION_CODE_MINUTES},
            code="too_many_codes",
        )
    code = f"{_secrets.randbelow(10**6):06d}"
    email_queue(
        to_email=email.strip(),
        template="events/registration_code",
        context={
            "code": code,
            "meeting_title": meeting.title,
            "minutes": _settings.ENGAGE_REGISTRATION_CODE_MINUTES,
        },
    )
    return _signing.dumps({"e": normalised, "h": _code_hash(normalised, code)}, salt=_CODE_SALT)


def registration_email_code_check(*, challenge: str, code: str) -> str:
    """The normalised email a correct, unexpired code proves; raises RegistrationRefused otherwise."""
    try:
        data = _signing.loads(
            challenge, salt=_CODE_SALT, max_age=_settings.ENGAGE_REGISTRATION_CODE_MINUTES * 60
        )
    except _signing.SignatureExpired:
        raise RegistrationRefused(
            _gettext("That code has expired. We can send you a new one."), code="code_expired"
        ) from None
    except _signing.BadSignature:
        raise RegistrationRefused(
            _gettext("Please ask for a new code."), code="code_invalid"
        ) from None
    entered = "".join(ch for ch in code if ch.isdigit())
    if not _constant_time_compare(data["h"], _code_hash(data["e"], entered)):
        raise RegistrationRefused(
            _gettext("That code is not right. Check the email we sent and try again."),
            code="code_wrong",
        )
    return data["e"]


# --- Meeting management (staff) -------------------------------------------------------------------
import csv  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import logging  # noqa: E402
from pathlib import Path  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.template.defaultfilters import filesizeformat  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.formats import date_format  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from engage.enums import AuditAction  # noqa: E402
from engage.normalise import normalise_email  # noqa: E402
from engage.services import audit_log  # noqa: E402
from events.enums import (  # noqa: E402
    MeetingFormat,
    MeetingStatus,
    PanelQuestionStatus,
    RegistrationStatus,
    SessionKind,
)
from events.models import (  # noqa: E402
    AreaReservation,
    DiscussionQuestion,
    Document,
    Meeting,
    PanelQuestion,
    Registration,
    Session,
)

_staff_logger = logging.getLogger("events.staff")

# Staff create, edit, publish, cancel and copy meetings and their agenda, documents and reservations;
# manage registrations (move, attendance) and moderate panel questions.

MEETING_FIELDS = (
    "series",
    "title",
    "summary",
    "start",
    "end",
    "format",
    "venue",
    "venue_address",
    "access_information",
    "online_url",
    "capacity",
    "registration_opens",
    "registration_closes",
    "reminder_days",
    "access_needs_retention_days",
    "waitlist_offer_hours",
)
# Changes that move a registrant's calendar entry or how they get there: they raise the calendar
# SEQUENCE and registrants are told.
SIGNIFICANT_FIELDS = {
    "start": _("Starts"),
    "end": _("Ends"),
    "format": _("Format"),
    "venue": _("Venue"),
    "venue_address": _("Address"),
    "online_url": _("Online joining link"),
}
SESSION_FIELDS = (
    "kind",
    "title",
    "description",
    "start",
    "end",
    "room",
    "online_room",
    "capacity",
    "order",
)
# A change to these tells the people in the session (events.notifications.session_changed_notify).
SESSION_NOTICE_FIELDS = ("start", "end", "room", "online_room")
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


def _places_taken(meeting: Meeting) -> int:
    return Registration.objects.filter(
        meeting=meeting,
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED],
    ).count()


def _breakout_taken(session: Session, *, exclude_registration_id: int | None = None) -> int:
    qs = Registration.objects.filter(
        breakout=session,
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED],
    )
    if exclude_registration_id is not None:
        qs = qs.exclude(pk=exclude_registration_id)
    return qs.count()


def _unique_meeting_slug(title: str, start) -> str:
    base = slugify(f"{title} {timezone.localtime(start):%Y-%m-%d}")[:100] or "meeting"
    slug, n = base, 2
    while Meeting.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _display_value(field: str, value) -> str:
    if value in (None, ""):
        return str(_("(none)"))
    if field in ("start", "end"):
        return date_format(timezone.localtime(value), "j F Y, H:i")
    if field == "format":
        return str(MeetingFormat(value).label)
    return str(value)


def _check_meeting_times(meeting: Meeting) -> None:
    if meeting.end <= meeting.start:
        raise ValidationError({"end": _("The meeting must end after it starts.")})
    if (
        meeting.registration_opens
        and meeting.registration_closes
        and meeting.registration_closes <= meeting.registration_opens
    ):
        raise ValidationError({"registration_closes": _("Registration must close after it opens.")})


@transaction.atomic
def meeting_create(*, data: dict, actor) -> Meeting:
    """Create a draft meeting from `data` (keys from MEETING_FIELDS).

    Side effects: one Meeting row. Raises ValidationError for impossible times.
    """
    meeting = Meeting(status=MeetingStatus.DRAFT)
    for field in MEETING_FIELDS:
        if field in data:
            setattr(meeting, field, data[field])
    _check_meeting_times(meeting)
    meeting.slug = _unique_meeting_slug(meeting.title, meeting.start)
    meeting.save()
    _staff_logger.info(
        "meeting created", extra={"meeting_id": meeting.pk, "actor_id": _actor_id(actor)}
    )
    return meeting


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)


@transaction.atomic
def meeting_update(*, meeting_id: int, data: dict, actor) -> tuple[Meeting, dict]:
    """Change a meeting. Returns the meeting and {field: (old, new)} of what changed.

    The meeting row is locked, so a capacity check cannot race a registration. Raises
    ValidationError when the capacity would fall below the places already taken (confirmed or
    offered), for impossible times, or for a cancelled meeting. A change of time, place, format or
    joining link raises Meeting.ical_sequence and queues an update email to every confirmed
    registrant of a published meeting and to the facilitators of its sessions, draft or published
    (events.notifications.meeting_changed_notify).
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be changed."))
    if "capacity" in data and data["capacity"] is not None:
        taken = _places_taken(meeting)
        if data["capacity"] < taken:
            raise ValidationError(
                {
                    "capacity": _(
                        "The capacity cannot be %(capacity)s: %(taken)s places are already taken "
                        "(confirmed or offered). Move or cancel registrations first."
                    )
                    % {"capacity": data["capacity"], "taken": taken}
                }
            )
    changes = {}
    for field in MEETING_FIELDS:
        if field in data and getattr(meeting, field) != data[field]:
            changes[field] = (getattr(meeting, field), data[field])
            setattr(meeting, field, data[field])
    if not changes:
        return meeting, {}
    _check_meeting_times(meeting)
    significant = [f for f in changes if f in SIGNIFICANT_FIELDS]
    if significant:
        meeting.ical_sequence += 1
    meeting.save()
    _staff_logger.info(
        "meeting updated",
        extra={"meeting_id": meeting.pk, "actor_id": _actor_id(actor), "fields": sorted(changes)},
    )
    from events import notifications

    if "start" in changes:
        notifications.reminders_rearm(meeting_id=meeting.pk)
    if significant:
        notifications.meeting_changed_notify(
            meeting.pk,
            {
                str(SIGNIFICANT_FIELDS[f]): _display_value(f, changes[f][1])
                for f in SIGNIFICANT_FIELDS
                if f in changes
            },
        )
    return meeting, changes


@transaction.atomic
def meeting_publish(*, meeting_id: int, actor) -> Meeting:
    """Publish a draft meeting so it appears on the public pages and feed.

    Side effects: sets status to published. Raises ValidationError unless the meeting is a draft.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.status != MeetingStatus.DRAFT:
        raise ValidationError(_("Only a draft meeting can be published."))
    meeting.status = MeetingStatus.PUBLISHED
    meeting.save(update_fields=["status", "updated_at"])
    _staff_logger.info(
        "meeting published", extra={"meeting_id": meeting.pk, "actor_id": _actor_id(actor)}
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting_id: int, actor) -> Meeting:
    """Cancel a meeting (draft or published).

    Side effects: sets status to cancelled and raises ical_sequence (so calendars drop the entry);
    queues a cancellation email to the facilitators of its sessions and, if it was published, to
    every confirmed registrant (events.notifications.meeting_cancelled_notify). Raises
    ValidationError if already cancelled or completed.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.COMPLETED):
        raise ValidationError(
            _("This meeting is already %(status)s.")
            % {"status": meeting.get_status_display().lower()}
        )
    was_published = meeting.status == MeetingStatus.PUBLISHED
    meeting.status = MeetingStatus.CANCELLED
    meeting.ical_sequence += 1
    meeting.save(update_fields=["status", "ical_sequence", "updated_at"])
    _staff_logger.info(
        "meeting cancelled", extra={"meeting_id": meeting.pk, "actor_id": _actor_id(actor)}
    )
    from events import notifications

    notifications.meeting_cancelled_notify(meeting.pk, registrants=was_published)
    return meeting


def _shift_wall_clock(value, delta: dt.timedelta):
    """`value` moved by `delta` of London wall-clock time, so 18:00 stays 18:00 across a clock change."""
    if value is None:
        return None
    local = timezone.localtime(value).replace(tzinfo=None)
    return timezone.make_aware(local + delta)


@transaction.atomic
def meeting_copy(*, source_id: int, start, actor) -> Meeting:
    """A new draft meeting copied from `source_id`, moved so that it starts at `start`.

    Copies the details, capacities, reminder settings, agenda (sessions with their facilitators and
    discussion questions) and area reservations. Every date moves by the same London wall-clock
    shift, so times of day survive a clock change. Registrations, documents and panel questions are
    not copied. Side effects: creates the meeting and its rows.
    """
    source = Meeting.objects.prefetch_related(
        "sessions__facilitators", "sessions__questions", "area_reservations"
    ).get(pk=source_id)
    delta = timezone.localtime(start).replace(tzinfo=None) - timezone.localtime(
        source.start
    ).replace(tzinfo=None)
    meeting = Meeting(status=MeetingStatus.DRAFT)
    for field in MEETING_FIELDS:
        setattr(meeting, field, getattr(source, field))
    meeting.reminder_days = list(source.reminder_days)
    for field in ("start", "end", "registration_opens", "registration_closes"):
        setattr(meeting, field, _shift_wall_clock(getattr(source, field), delta))
    meeting.slug = _unique_meeting_slug(meeting.title, meeting.start)
    meeting.save()
    for session in source.sessions.all():
        copy = Session.objects.create(
            meeting=meeting,
            **{f: getattr(session, f) for f in SESSION_FIELDS if f not in ("start", "end")},
            start=_shift_wall_clock(session.start, delta),
            end=_shift_wall_clock(session.end, delta),
        )
        copy.facilitators.set(session.facilitators.all())
        DiscussionQuestion.objects.bulk_create(
            DiscussionQuestion(
                session=copy,
                text=q.text,
                order=q.order,
                publish_at=_shift_wall_clock(q.publish_at, delta),
            )
            for q in session.questions.all()
        )
    AreaReservation.objects.bulk_create(
        AreaReservation(
            meeting=meeting,
            area_id=r.area_id,
            places=r.places,
            release_at=_shift_wall_clock(r.release_at, delta),
        )
        for r in source.area_reservations.all()
    )
    _staff_logger.info(
        "meeting copied",
        extra={"meeting_id": meeting.pk, "source_id": source.pk, "actor_id": _actor_id(actor)},
    )
    return meeting


def _check_facilitators(facilitators) -> None:
    from engage.enums import Role
    from engage.roles import user_roles

    for user in facilitators:
        if Role.FACILITATOR not in user_roles(user):
            raise ValidationError(
                {"facilitators": _("Facilitators must have the facilitator role.")}
            )


def _check_session(session: Session, *, times_changed: bool = True) -> None:
    if session.end <= session.start:
        raise ValidationError({"end": _("The session must end after it starts.")})
    # The calendar entry registrants hold is the meeting's own start and end; a session outside
    # them would need that entry moved, which only meeting_update does (SEQUENCE + 1, an update to
    # everyone registered). So the meeting's times are changed first, then the session's.
    if times_changed and (
        session.start < session.meeting.start or session.end > session.meeting.end
    ):
        raise ValidationError(
            {
                "start": _(
                    "The session must lie within the meeting's times. To run past them, change "
                    "the meeting's start or end first: registrants then get a calendar update."
                )
            }
        )


@transaction.atomic
def session_create(*, meeting_id: int, data: dict, facilitators, actor) -> Session:
    """Add a plenary or breakout session to a meeting's agenda.

    Side effects: one Session row and its facilitators, each told (session_facilitators_set).
    Raises ValidationError for impossible times (ending before it starts, or outside the meeting's
    start and end) or a facilitator without the facilitator role.
    """
    meeting = Meeting.objects.get(pk=meeting_id)
    session = Session(meeting=meeting, **{f: data[f] for f in SESSION_FIELDS if f in data})
    _check_session(session)
    session.save()
    session_facilitators_set(session_id=session.pk, facilitators=facilitators, actor=actor)
    _staff_logger.info(
        "session created", extra={"session_id": session.pk, "actor_id": _actor_id(actor)}
    )
    return session


@transaction.atomic
def session_update(*, session_id: int, data: dict, facilitators, actor) -> Session:
    """Change a session. The row is locked so the capacity check cannot race a booking.

    Raises ValidationError when a breakout's capacity would fall below the people already in it,
    or for new times outside the meeting's. Side effects: facilitators added or removed are told
    (session_facilitators_set); a change of time, room or online room queues a notice to the
    people it affects through events.notifications.session_changed_notify: for a published
    meeting a breakout's confirmed registrants placed in it, everyone confirmed for a plenary;
    for a draft or published one the session's facilitators. The meeting's calendar entry is not
    touched: it holds only the meeting's own times and place, which a session cannot move.
    """
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=session_id)
    )
    before = {field: getattr(session, field) for field in SESSION_NOTICE_FIELDS}
    capacity = data.get("capacity", session.capacity)
    if capacity is not None:
        taken = _breakout_taken(session)
        if capacity < taken:
            raise ValidationError(
                {
                    "capacity": _(
                        "The capacity cannot be %(capacity)s: %(taken)s people are already in this "
                        "breakout. Move some to another breakout first."
                    )
                    % {"capacity": capacity, "taken": taken}
                }
            )
    for field in SESSION_FIELDS:
        if field in data:
            setattr(session, field, data[field])
    changed = [f for f in SESSION_NOTICE_FIELDS if getattr(session, f) != before[f]]
    _check_session(session, times_changed=bool({"start", "end"} & set(changed)))
    session.save()
    now = timezone.now()
    added, _removed = session_facilitators_set(
        session_id=session.pk, facilitators=facilitators, actor=actor, at=now
    )
    _staff_logger.info(
        "session updated", extra={"session_id": session.pk, "actor_id": _actor_id(actor)}
    )
    # Facilitators of a draft hear too: they prepare the session before it is published.
    if changed and session.meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED):
        from events import notifications

        notifications.session_changed_notify(
            session_id=session.pk, fields=changed, changed_at=now, skip_facilitator_ids=added
        )
    return session


@transaction.atomic
def session_facilitators_set(
    *, session_id: int, facilitators, actor, at: dt.datetime | None = None
) -> tuple[list[int], list[int]]:
    """Make `facilitators` (users with the facilitator role) the ones who run the session.

    Side effects: the session's facilitators; each person added is emailed that they facilitate
    it (with the meeting's calendar entry) and each removed that they no longer do, through
    events.notifications, unless the meeting is cancelled, completed or over. The emails are keyed
    per session, user and `at`, so a call repeated with the same `at` queues nothing twice.
    Raises ValidationError for a user without the facilitator role. Returns (added, removed)
    user ids.
    """
    _check_facilitators(facilitators)
    # Locked, so two edits at once cannot both see the same people as newly added.
    session = Session.objects.select_for_update().get(pk=session_id)
    before = set(session.facilitators.values_list("pk", flat=True))
    after = {user.pk for user in facilitators}
    session.facilitators.set(facilitators)
    added, removed = sorted(after - before), sorted(before - after)
    if added or removed:
        from events import notifications

        at = at or timezone.now()
        for user_id in added:
            notifications.session_facilitator_added_notify(
                session_id=session_id, user_id=user_id, at=at
            )
        for user_id in removed:
            notifications.session_facilitator_removed_notify(
                session_id=session_id, user_id=user_id, at=at
            )
        _staff_logger.info(
            "session facilitators changed",
            extra={
                "session_id": session_id,
                "added": added,
                "removed": removed,
                "actor_id": _actor_id(actor),
            },
        )
    return added, removed


@transaction.atomic
def session_delete(*, session_id: int, actor) -> None:
    """Remove a session. Refused (ValidationError) while anyone is placed in it."""
    session = Session.objects.select_for_update().get(pk=session_id)
    if _breakout_taken(session):
        raise ValidationError(_("People are placed in this session: move them first."))
    session.delete()
    _staff_logger.info(
        "session deleted", extra={"session_id": session_id, "actor_id": _actor_id(actor)}
    )


def discussion_question_create(
    *, session_id: int, text: str, publish_at=None, order: int = 0, actor
) -> DiscussionQuestion:
    """Add a discussion question to a session, public from `publish_at` (None: with the agenda)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the question.")})
    return DiscussionQuestion.objects.create(
        session_id=session_id, text=text, publish_at=publish_at, order=order
    )


def discussion_question_delete(*, question_id: int, actor) -> None:
    """Remove a discussion question."""
    DiscussionQuestion.objects.filter(pk=question_id).delete()


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
    _staff_logger.info(
        "document added", extra={"document_id": document.pk, "actor_id": _actor_id(actor)}
    )
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


@transaction.atomic
def area_reservation_set(
    *, meeting_id: int, area_id: int, places: int, release_at, actor
) -> AreaReservation:
    """Hold `places` for people from one area until `release_at` (creates or replaces the hold).

    Raises ValidationError when all holds together would exceed the meeting's capacity.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    others = (
        AreaReservation.objects.filter(meeting=meeting)
        .exclude(area_id=area_id)
        .aggregate(total=Sum("places"))["total"]
        or 0
    )
    if others + places > meeting.capacity:
        raise ValidationError(
            {
                "places": _(
                    "Reserved places would total %(total)s, more than the meeting's capacity of %(capacity)s."
                )
                % {"total": others + places, "capacity": meeting.capacity}
            }
        )
    reservation, _created = AreaReservation.objects.update_or_create(
        meeting=meeting, area_id=area_id, defaults={"places": places, "release_at": release_at}
    )
    return reservation


def area_reservation_delete(*, reservation_id: int, actor) -> None:
    """Release an area's held places to everyone now."""
    AreaReservation.objects.filter(pk=reservation_id).delete()


@transaction.atomic
def registration_move(*, registration_id: int, breakout_id: int | None, actor) -> Registration:
    """Place a registrant in another breakout (or none), within that breakout's capacity.

    The target session is locked, so two moves cannot both take its last place. Side effects:
    updates the registration and writes an AuditLog row. Raises ValidationError for a breakout of
    another meeting, a plenary, a cancelled registration or a full breakout.
    """
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED):
        raise ValidationError(_("Only people with a place can be moved between breakouts."))
    breakout = None
    if breakout_id is not None:
        breakout = Session.objects.select_for_update().get(pk=breakout_id)
        if breakout.meeting_id != registration.meeting_id or breakout.kind != SessionKind.BREAKOUT:
            raise ValidationError(_("Choose a breakout of this meeting."))
        if breakout.capacity is not None and (
            _breakout_taken(breakout, exclude_registration_id=registration.pk) >= breakout.capacity
        ):
            raise ValidationError(
                _("%(title)s is full (%(capacity)s places).")
                % {"title": breakout.title, "capacity": breakout.capacity}
            )
    registration.breakout = breakout
    registration.save(update_fields=["breakout"])
    audit_log(
        actor=actor,
        action=AuditAction.EDIT,
        obj=registration,
        detail={"breakout_id": breakout_id},
    )
    return registration


@transaction.atomic
def registration_mark_attended(
    *, registration_id: int, attended: bool = True, actor
) -> Registration:
    """Mark a confirmed registrant as attended (or undo it). Idempotent: marking twice keeps the first time.

    Raises ValidationError for someone without a confirmed place.
    """
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(_("Only people with a confirmed place can be checked in."))
    if attended and registration.attended_at is None:
        registration.attended_at = timezone.now()
    elif not attended:
        registration.attended_at = None
    registration.save(update_fields=["attended_at"])
    _staff_logger.info(
        "attendance marked",
        extra={
            "registration_id": registration.pk,
            "attended": attended,
            "actor_id": _actor_id(actor),
        },
    )
    return registration


@dataclasses.dataclass
class AttendanceImportReport:
    rows: int = 0
    matched: int = 0
    already: int = 0
    unmatched: list[tuple[int, str]] = dataclasses.field(default_factory=list)


EMAIL_HEADERS = ("email", "e-mail", "user email", "attendee email", "participant email", "upn")


def _decode_csv(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        if best is None:
            raise ValidationError(
                _(
                    "The file is not readable text: upload the CSV file the meeting platform exported."
                )
            ) from None
        return str(best)


def _email_column(header: list[str]) -> int | None:
    cleaned = [h.strip().strip('"').lower() for h in header]
    for index, name in enumerate(cleaned):
        if name in EMAIL_HEADERS:
            return index
    for index, name in enumerate(cleaned):
        if "email" in name or "e-mail" in name:
            return index
    return None


@transaction.atomic
def attendance_import(*, meeting_id: int, content: bytes, actor) -> AttendanceImportReport:
    """Mark attendance from an online platform's attendance CSV, matched by normalised email.

    Finds the header row (the first with an email column; platforms put a summary above it), then
    marks each confirmed registrant whose email appears. Rows that match no confirmed registrant are
    reported with their row number, not stored. Side effects: sets attended_at (to the meeting's
    start) and writes an AuditLog row with the counts. Raises ValidationError for an unreadable file,
    one too large, or one with no email column; nothing is written then.
    """
    if len(content) > settings.ENGAGE_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s.")
            % {"limit": filesizeformat(settings.ENGAGE_IMPORT_MAX_BYTES)}
        )
    text = _decode_csv(content)
    # Platforms differ (Zoom: commas; Teams: tabs, with a summary above the table): take the
    # delimiter whose header row, the first with an email column, has the most columns.
    best = None
    for delimiter in (",", "\t", ";"):
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        for index, row in enumerate(rows[:50]):
            column = _email_column(row)
            if column is not None:
                if best is None or len(row) > len(best[0][index]):
                    best = (rows, index, column)
                break
    if best is None:
        raise ValidationError(
            _("No email column was found: the file needs a column headed “Email”.")
        )
    rows, header_index, column = best
    meeting = Meeting.objects.get(pk=meeting_id)
    registrations = {
        r.stakeholder.email_normalised: r
        for r in Registration.objects.select_for_update(of=("self",))
        .filter(meeting=meeting, status=RegistrationStatus.CONFIRMED)
        .select_related("stakeholder")
    }
    report = AttendanceImportReport()
    seen: set[str] = set()
    to_mark = []
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in row):
            continue
        report.rows += 1
        raw = row[column].strip() if column < len(row) else ""
        email = normalise_email(raw) if raw else ""
        if email in seen:
            continue  # people who rejoin appear once per join
        seen.add(email)
        registration = registrations.get(email)
        if registration is None:
            report.unmatched.append((number, raw))
        elif registration.attended_at is not None:
            report.already += 1
        else:
            registration.attended_at = meeting.start
            to_mark.append(registration)
    Registration.objects.bulk_update(to_mark, ["attended_at"])
    report.matched = len(to_mark)
    audit_log(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=meeting,
        detail={
            "kind": "attendance",
            "rows": report.rows,
            "matched": report.matched,
            "already": report.already,
            "unmatched": len(report.unmatched),
        },
    )
    return report


def registrations_export_csv(*, meeting_id: int, actor, include_access: bool = False) -> str:
    """The meeting's registrations as CSV text, with formula-looking cells neutralised.

    Side effects: writes an AuditLog export row (how many rows, whether access requirements were
    included).
    """
    meeting = Meeting.objects.get(pk=meeting_id)
    registrations = (
        Registration.objects.filter(meeting=meeting)
        .select_related("stakeholder", "area", "breakout", "stakeholder__area")
        .order_by("status", "waitlist_position", "created_at", "id")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    header = [
        _("First name"),
        _("Last name"),
        _("Email"),
        _("Status"),
        _("Waiting list position"),
        _("Breakout"),
        _("Area"),
        _("Organisation"),
        _("On attendee list"),
        _("Attended"),
        _("Registered at"),
    ]
    if include_access:
        header.append(_("Access requirements"))
    writer.writerow([str(h) for h in header])
    count = 0
    for r in registrations:
        area = r.area or r.stakeholder.area
        row = [
            r.stakeholder.first_name,
            r.stakeholder.last_name,
            r.stakeholder.email,
            r.get_status_display(),
            r.waitlist_position or "",
            r.breakout.title if r.breakout else "",
            area.name if area else "",
            r.organisation_name,
            _("yes") if r.attendee_list_ok else _("no"),
            date_format(timezone.localtime(r.attended_at), "Y-m-d H:i") if r.attended_at else "",
            date_format(timezone.localtime(r.created_at), "Y-m-d H:i"),
        ]
        if include_access:
            row.append(r.access_requirements)
        writer.writerow([csv_safe(cell) for cell in row])
        count += 1
    audit_log(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=meeting,
        detail={"kind": "registrations", "rows": count, "access_requirements": include_access},
    )
    return out.getvalue()


def csv_safe(value) -> str:
    """A cell that a spreadsheet will show as text, never run as a formula (CWE-1236)."""
    text = str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@transaction.atomic
def panel_question_moderate(
    *, question_id: int, status: str, group: str = "", answer: str = "", actor
) -> PanelQuestion:
    """Approve, reject or answer a panel question, and file it under a group.

    Raises ValidationError for an unknown status or "answered" without an answer. Approved and
    answered questions are published with the meeting record after the meeting.
    """
    if status not in PanelQuestionStatus.values:
        raise ValidationError(_("Choose what to do with the question."))
    answer = answer.strip()
    if status == PanelQuestionStatus.ANSWERED and not answer:
        raise ValidationError(
            {"answer": _("Write the answer before marking the question answered.")}
        )
    question = PanelQuestion.objects.select_for_update().get(pk=question_id)
    question.status = status
    question.group = group.strip()
    question.answer = answer
    question.save(update_fields=["status", "group", "answer"])
    _staff_logger.info(
        "panel question moderated",
        extra={"question_id": question.pk, "status": status, "actor_id": _actor_id(actor)},
    )
    return question


@transaction.atomic
def segment_create_for_areas(*, meeting_id: int, area_slugs: list[str], actor):
    """Save a Segment of the stakeholders in `area_slugs`, named for the meeting they missed.

    Uses the stakeholder filter's "area" key (area slugs; engage.selectors.stakeholders_filter).
    Side effects: creates the Segment, or updates the areas of the one made before for this
    meeting. Raises ValidationError for an empty list.
    """
    from engage.models import Segment
    from engage.services import segment_create, segment_update

    if not area_slugs:
        raise ValidationError(_("Every area was represented: there is no one to target."))
    meeting = Meeting.objects.get(pk=meeting_id)
    name = (str(_("Areas not represented at %(title)s")) % {"title": meeting.title})[:150]
    filters = {"area": sorted(area_slugs)}
    segment = Segment.objects.filter(name__iexact=name).first()
    if segment is None:
        return segment_create(name=name, filters=filters, actor=actor)
    segment_update(segment=segment, name=name, filters=filters)
    return segment


def registration_promote(*, registration_id: int, actor) -> Registration:
    """Give a person on the waiting list (or holding an offer) a confirmed place now.

    Staff use it to skip the offer step. The meeting row is locked first, as every registration
    write does, and the place must be free for the person's area: promotion never oversells.
    Side effects: status confirmed, a breakout chosen (their preferences first), waiting-list
    position cleared, AuditLog row, confirmation email queued on commit. Raises ValidationError when
    no place is free or the person is not waiting.
    """
    with transaction.atomic():
        meeting_id = Registration.objects.values_list("meeting_id", flat=True).get(
            pk=registration_id
        )
        meeting = _meeting_for_registration(meeting_id)
        registration = Registration.objects.select_for_update().get(pk=registration_id)
        if registration.status not in (RegistrationStatus.WAITLISTED, RegistrationStatus.OFFERED):
            raise ValidationError(_("Only people on the waiting list can be promoted."))
        places = _Places(meeting, timezone.now())
        if registration.status == RegistrationStatus.OFFERED:
            # Their offer already holds a place.
            places.taken_by_area[registration.area_id] -= 1
        if not places.available_for(registration.area_id):
            raise ValidationError(
                _(
                    "No place is free for this person. Raise the capacity or release a reservation first."
                )
            )
        preference_ids = list(
            registration.breakout_preferences.order_by("order", "start", "id").values_list(
                "pk", flat=True
            )
        )
        registration.breakout_id = _breakout_choose(
            places=places, preference_ids=preference_ids, strict=False
        )
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
        registration.offered_at = registration.offer_expires_at = None
        registration.notice_pending = "confirmed"
        registration.save(
            update_fields=[
                "status",
                "breakout",
                "waitlist_position",
                "offered_at",
                "offer_expires_at",
                "notice_pending",
            ]
        )
        audit_log(actor=actor, action=AuditAction.EDIT, obj=registration, detail={"promoted": True})
        _registration_notices_wake_on_commit()
    _staff_logger.info(
        "registration promoted",
        extra={"registration_id": registration.pk, "actor_id": _actor_id(actor)},
    )
    return registration


# --- End of meeting management (staff) ---------------------------------------------------------


# --- Invitation campaigns --------------------------------------------------------------------
# A campaign invites one audience to one meeting with exactly one Invitation (and one email) per
# stakeholder. The fan-out walks the audience in chunks of ids; each chunk inserts invitations
# with insert-or-skip and emails with a dedupe key, so a retried or redelivered task, or a worker
# that died half-way, only fills in what is missing.

from django.db.models import CharField as _CharField  # noqa: E402
from django.db.models import OuterRef as _OuterRef  # noqa: E402
from django.db.models import Subquery as _Subquery  # noqa: E402
from django.db.models import Value as _Value  # noqa: E402
from django.db.models.functions import Cast as _Cast  # noqa: E402
from django.db.models.functions import Concat as _Concat  # noqa: E402

from engage.models import OutboundEmail as _OutboundEmail  # noqa: E402
from events.enums import CampaignStatus as _CampaignStatus  # noqa: E402
from events.models import Campaign as _Campaign  # noqa: E402
from events.models import Invitation as _Invitation  # noqa: E402

_campaign_logger = _logging.getLogger("events.campaigns")


class CampaignError(Exception):
    """A campaign action that cannot be done now; the message is for the person who asked."""


def _invitation_link(*, meeting, token=None) -> str:
    from django.urls import reverse

    url = _settings.SITE_URL + reverse("events:register", kwargs={"slug": meeting.slug})
    return f"{url}?invitation={token}" if token else url


def campaign_email_context(*, campaign) -> dict:
    """What every recipient of a campaign shares: the meeting and the team's message."""
    from events.notifications import meeting_url, meeting_when_text

    meeting = campaign.meeting
    return {
        "subject": campaign.subject,
        "message": campaign.message,
        "meeting_title": meeting.title,
        "meeting_when": meeting_when_text(meeting),
        "meeting_format": meeting.format,
        "venue": meeting.venue,
        "venue_address": meeting.venue_address,
        "meeting_url": meeting_url(meeting),
    }


def campaign_recipient_values(*, stakeholder, invitation_url: str) -> dict:
    """One recipient's personal values (the `recipient` part of the invitation template)."""
    organisation = next(iter(stakeholder.organisations.all()), None)
    return _recipient_values(
        first_name=stakeholder.first_name,
        full_name=stakeholder.full_name,
        organisation=organisation.name if organisation else "",
        invitation_url=invitation_url,
    )


def _organisation_line(organisation: str) -> str:
    return _gettext("We would particularly like to hear from people at %(organisation)s.") % {
        "organisation": organisation
    }


def _colleague() -> str:
    return _gettext("colleague")


def _recipient_values(*, first_name: str, full_name: str, organisation: str, invitation_url: str):
    return {
        "first_name": first_name or full_name or _colleague(),
        "organisation": organisation,
        "organisation_line": _organisation_line(organisation) if organisation else "",
        "invitation_url": invitation_url,
    }


def _campaign_people(stakeholder_ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """(email, first name, full name, first organisation by name) per stakeholder: what an
    invitation uses, as plain values, since a chunk loads thousands of people."""
    from engage.models import Membership, Stakeholder

    organisation: dict[int, str] = {}
    for stakeholder_id, name in (
        Membership.objects.filter(stakeholder_id__in=stakeholder_ids)
        .order_by("stakeholder_id", "organisation__name")
        .values_list("stakeholder_id", "organisation__name")
    ):
        organisation.setdefault(stakeholder_id, name)
    return {
        pk: (
            email,
            first,
            " ".join(part for part in (first, last) if part),
            organisation.get(pk, ""),
        )
        for pk, email, first, last in Stakeholder.objects.filter(
            pk__in=stakeholder_ids
        ).values_list("pk", "email", "first_name", "last_name")
    }


def campaign_create(
    *,
    meeting_id: int,
    subject: str,
    message: str = "",
    segment_id: int | None = None,
    filters: dict | None = None,
    actor,
) -> "_Campaign":
    """Create a draft campaign for a meeting and an audience (a saved segment or ad hoc filters).

    Side effects: one Campaign row. Raises CampaignError when the meeting is not published.
    """
    from events.enums import MeetingStatus
    from events.models import Meeting

    meeting = Meeting.objects.get(pk=meeting_id)
    if meeting.status != MeetingStatus.PUBLISHED:
        raise CampaignError(_gettext("Only a published meeting can have invitations sent."))
    if segment_id:
        from engage.models import Segment

        # A copy of the segment's filters, so that deleting the segment later can never widen
        # the audience to everyone.
        filters = Segment.objects.values_list("filters", flat=True).get(pk=segment_id)
    campaign = _Campaign.objects.create(
        meeting=meeting,
        segment_id=segment_id,
        filters=filters or {},
        subject=subject.strip(),
        message=message.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _campaign_logger.info("campaign created", extra={"campaign_id": campaign.pk})
    return campaign


def _campaign_locked(campaign_id: int) -> "_Campaign":
    return _Campaign.objects.select_for_update().get(pk=campaign_id)


def _campaign_fanout_on_commit(campaign_id: int) -> None:
    from events.tasks import campaign_fanout_task

    _transaction.on_commit(lambda: campaign_fanout_task.delay(campaign_id))


def campaign_send_now(*, campaign_id: int, actor) -> "_Campaign":
    """Start sending a draft or scheduled campaign now.

    Side effects: status becomes "sending" and the fan-out task is queued on commit. Sending twice
    is harmless (the second call changes nothing). Raises CampaignError once it has been sent.
    """
    with _transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status in (_CampaignStatus.SENDING, _CampaignStatus.SENT):
            return campaign
        campaign.status = _CampaignStatus.SENDING
        campaign.started_at = _timezone.now()
        campaign.save(update_fields=["status", "started_at"])
        _campaign_fanout_on_commit(campaign.pk)
    _campaign_logger.info("campaign started", extra={"campaign_id": campaign.pk})
    return campaign


def campaign_schedule(*, campaign_id: int, scheduled_for: _dt.datetime, actor) -> "_Campaign":
    """Schedule a draft campaign; the beat job starts it at `scheduled_for`.

    Side effects: status "scheduled". Raises CampaignError for a time in the past or a campaign
    already sending or sent.
    """
    if scheduled_for <= _timezone.now():
        raise CampaignError(_gettext("Choose a time in the future."))
    with _transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status not in (_CampaignStatus.DRAFT, _CampaignStatus.SCHEDULED):
            raise CampaignError(_gettext("This campaign has already been sent."))
        campaign.status = _CampaignStatus.SCHEDULED
        campaign.scheduled_for = scheduled_for
        campaign.save(update_fields=["status", "scheduled_for"])
    return campaign


def campaign_unschedule(*, campaign_id: int, actor) -> "_Campaign":
    """Put a scheduled campaign back to draft. Raises CampaignError if it has started."""
    with _transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status != _CampaignStatus.SCHEDULED:
            raise CampaignError(_gettext("Only a scheduled campaign can be unscheduled."))
        campaign.status = _CampaignStatus.DRAFT
        campaign.scheduled_for = None
        campaign.save(update_fields=["status", "scheduled_for"])
    return campaign


def campaigns_start_due(*, now: _dt.datetime | None = None) -> list[int]:
    """Start every scheduled campaign whose time has come (beat runs this every minute).

    Rows are claimed with SKIP LOCKED, so two beat runs at once start each campaign once.
    Side effects: status "sending", fan-out queued on commit. Returns the started ids.
    """
    now = now or _timezone.now()
    with _transaction.atomic():
        due = list(
            _Campaign.objects.select_for_update(skip_locked=True).filter(
                status=_CampaignStatus.SCHEDULED, scheduled_for__lte=now
            )
        )
        for campaign in due:
            campaign.status = _CampaignStatus.SENDING
            campaign.started_at = now
            campaign.save(update_fields=["status", "started_at"])
            _campaign_fanout_on_commit(campaign.pk)
    return [c.pk for c in due]


class _ChunkDone(_NamedTuple):
    # The chunk's emails still waiting to be sent (new or left by a dead run), handed over.
    waiting: list[int]
    # Invitations this run created, and the chunk's people holding one afterwards.
    created: int
    invited: int


class _PendingInvitation(_NamedTuple):
    pk: int
    stakeholder_id: int
    token: _uuid.UUID


def _invitations_insert_missing(*, campaign_id: int, stakeholder_ids: list[int]) -> tuple[int, int]:
    """One Invitation per stakeholder of the chunk that has none for this campaign yet; how many
    were created and how many of the chunk hold one now."""
    existing = set(
        _Invitation.objects.filter(
            campaign_id=campaign_id, stakeholder_id__in=stakeholder_ids
        ).values_list("stakeholder_id", flat=True)
    )
    missing = [pk for pk in stakeholder_ids if pk not in existing]
    _Invitation.objects.bulk_create(
        [_Invitation(campaign_id=campaign_id, stakeholder_id=pk) for pk in missing],
        ignore_conflicts=True,
    )
    return len(missing), len(existing) + len(missing)


def _campaign_fanout_chunk(*, campaign, context: dict, stakeholder_ids: list[int]) -> _ChunkDone:
    """Invitations and emails for one chunk of stakeholders, handed to the batch sender on commit
    (the path for SQLite; PostgreSQL takes `_campaign_fanout_chunk_postgresql`)."""
    from engage.mail.services import BulkRecipient, emails_queue_bulk, emails_send_batch_queue

    with _transaction.atomic():
        created, invited = _invitations_insert_missing(
            campaign_id=campaign.pk, stakeholder_ids=stakeholder_ids
        )
        # SKIP LOCKED: a second fan-out running at once leaves these rows to the first. Plain
        # tuples, not model instances: a chunk holds thousands.
        pending = [
            _PendingInvitation(*row)
            for row in _Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(campaign=campaign, stakeholder_id__in=stakeholder_ids, email__isnull=True)
            .order_by("pk")
            .values_list("pk", "stakeholder_id", "token")
        ]
        if pending:
            people = _campaign_people([i.stakeholder_id for i in pending])
            keys = {i.pk: f"invite:{campaign.pk}:{i.stakeholder_id}" for i in pending}
            # One reverse() per chunk: the link differs only in its invitation token.
            register_url = _invitation_link(meeting=campaign.meeting)
            emails_queue_bulk(
                template="events/invitation",
                context=context,
                recipients=[
                    BulkRecipient(
                        to_email=people[i.stakeholder_id][0],
                        stakeholder_id=i.stakeholder_id,
                        values=_recipient_values(
                            first_name=people[i.stakeholder_id][1],
                            full_name=people[i.stakeholder_id][2],
                            organisation=people[i.stakeholder_id][3],
                            invitation_url=f"{register_url}?invitation={i.token}",
                        ),
                        dedupe_key=keys[i.pk],
                    )
                    for i in pending
                ],
                purpose_slug=PURPOSE_MEETING_INVITATIONS,
                send=False,
            )
            # One UPDATE: each invitation finds its email through the unique dedupe key.
            _Invitation.objects.filter(pk__in=keys).update(
                email_id=_Subquery(
                    _OutboundEmail.objects.filter(
                        dedupe_key=_Concat(
                            _Value(f"invite:{campaign.pk}:"),
                            _Cast(_OuterRef("stakeholder_id"), output_field=_CharField()),
                            output_field=_CharField(),
                        )
                    ).values("pk")[:1]
                )
            )
        waiting = list(
            _OutboundEmail.objects.filter(
                invitation__campaign=campaign,
                invitation__stakeholder_id__in=stakeholder_ids,
                status="queued",
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Sending claims each row under a lock and sends only queued rows, so handing over an
        # email a dead run already handed over sends nothing twice.
        emails_send_batch_queue(email_ids=waiting)
    return _ChunkDone(waiting=waiting, created=created, invited=invited)


# One statement per chunk on PostgreSQL: for each person of the chunk without an invitation
# email, an email (its recipient values worked out here, as `_recipient_values` does in Python,
# from wording translated once per chunk) and beside it the invitation holding that email's id.
# The unique dedupe key decides who writes a person's rows when two runs meet: the second waits
# for the first to commit and inserts no email, so no invitation. An invitation whose email was
# deleted keeps its token and gets the new email (or the one already made for its key).
# Each invitation's token is a keyed hash of the person's id under a secret drawn for the chunk
# and never stored: the email's link and the invitation row, written by different parts of the
# statement, agree on it without a join, whose plan would rest on row estimates PostgreSQL does
# not have for WITH queries (a nested loop there cost 150 ms a chunk).
_CAMPAIGN_KEYED_UUID_SQL = (
    # 128 bits of the hash, with the version and variant digits of a random (version 4) UUID.
    "CAST(overlay(overlay(substr(encode(sha256("
    "decode(%(uuid_key)s, 'hex') || convert_to({}::text, 'UTF8')"
    "), 'hex'), 1, 32) PLACING '4' FROM 13) PLACING '8' FROM 17) AS uuid)"
)
_CAMPAIGN_CHUNK_SQL = """
WITH chunk AS MATERIALIZED (
    SELECT s.id, s.email, s.first_name, s.last_name,
        i.id AS invitation_id, i.token, i.email_id
    FROM {stakeholder} s
    -- LIMIT keeps this a lookup by (campaign, stakeholder) per person: joined freely, the
    -- planner may read all the campaign's invitations for every chunk.
    LEFT JOIN LATERAL (
        SELECT id, token, email_id FROM {invitation}
        WHERE campaign_id = %(campaign)s AND stakeholder_id = s.id LIMIT 1
    ) i ON true
    WHERE s.id = ANY(CAST(%(people)s AS bigint[]))
),
recipients AS (
    SELECT c.id AS stakeholder_id, c.email AS to_email,
        %(key_prefix)s || c.id::text AS dedupe_key,
        jsonb_build_object(
            'first_name', COALESCE(
                NULLIF(c.first_name, ''), NULLIF(c.last_name, ''), %(colleague)s
            ),
            'organisation', COALESCE(org.name, ''),
            'organisation_line', CASE WHEN COALESCE(org.name, '') = '' THEN ''
                ELSE array_to_string(CAST(%(organisation_line)s AS text[]), org.name) END,
            'invitation_url', %(link)s || COALESCE(c.token, {token_of_person})::text
        ) AS recipient
    FROM chunk c
    -- The first organisation by name, as `campaign_recipient_values` takes it.
    LEFT JOIN LATERAL (
        SELECT o.name FROM {membership} m JOIN {organisation} o ON o.id = m.organisation_id
        WHERE m.stakeholder_id = c.id ORDER BY o.name LIMIT 1
    ) org ON true
    WHERE c.email_id IS NULL
    ORDER BY c.id
),
emails AS ({insert_emails}),
invited AS (
    INSERT INTO {invitation} (campaign_id, stakeholder_id, token, created_at, email_id)
    SELECT %(campaign)s, stakeholder_id, {token_of_email}, %(now)s, id FROM emails
    WHERE NOT stakeholder_id = ANY(ARRAY(
        SELECT id FROM chunk WHERE invitation_id IS NOT NULL
    ))
    ORDER BY stakeholder_id
    ON CONFLICT DO NOTHING
    RETURNING email_id
),
linked AS (
    UPDATE {invitation} i SET email_id = COALESCE(
        (SELECT e.id FROM emails e WHERE e.stakeholder_id = i.stakeholder_id),
        (SELECT o.id FROM {email} o WHERE o.dedupe_key = %(key_prefix)s || i.stakeholder_id::text)
    )
    WHERE i.id = ANY(ARRAY(
        SELECT invitation_id FROM chunk WHERE invitation_id IS NOT NULL AND email_id IS NULL
    ))
    RETURNING i.email_id
)
SELECT
    -- The chunk's emails waiting to be sent: new ones (not yet visible to the lookups here)
    -- and queued ones from earlier runs.
    ARRAY(
        SELECT id FROM emails
        UNION
        SELECT w.email_id FROM (
            SELECT email_id FROM chunk UNION ALL SELECT email_id FROM linked
        ) w
        WHERE (SELECT o.status FROM {email} o WHERE o.id = w.email_id) = %(queued)s
        ORDER BY 1
    ),
    (SELECT count(*) FROM invited),
    (SELECT count(*) FROM chunk WHERE invitation_id IS NOT NULL) + (SELECT count(*) FROM invited)
"""


def _campaign_fanout_chunk_postgresql(
    *, campaign, context: dict, stakeholder_ids: list[int]
) -> _ChunkDone:
    """`_campaign_fanout_chunk` in one statement: no person, invitation or email becomes a
    Python object (building and binding those values was most of a chunk's time)."""
    from engage.enums import EmailStatus
    from engage.mail.services import emails_insert_sql, emails_send_batch_queue
    from engage.models import ConsentPurpose, Membership, Organisation, Stakeholder

    insert_emails, params = emails_insert_sql(
        template="events/invitation",
        context=context,
        purpose=ConsentPurpose.objects.get(slug=PURPOSE_MEETING_INVITATIONS),
        source="recipients",
    )

    def table(model) -> str:
        return _connection.ops.quote_name(model._meta.db_table)

    sql = _CAMPAIGN_CHUNK_SQL.format(
        stakeholder=table(Stakeholder),
        invitation=table(_Invitation),
        membership=table(Membership),
        organisation=table(Organisation),
        email=table(_OutboundEmail),
        insert_emails=insert_emails,
        token_of_person=_CAMPAIGN_KEYED_UUID_SQL.format("c.id"),
        token_of_email=_CAMPAIGN_KEYED_UUID_SQL.format("stakeholder_id"),
    )
    # The wording around the organisation's name, split where the name goes.
    marker = "\x00"
    params.update(
        campaign=campaign.pk,
        people=stakeholder_ids,
        key_prefix=f"invite:{campaign.pk}:",
        colleague=_colleague(),
        organisation_line=_organisation_line(marker).split(marker),
        link=_invitation_link(meeting=campaign.meeting) + "?invitation=",
        uuid_key=_secrets.token_hex(32),
        now=_timezone.now(),
        queued=EmailStatus.QUEUED.value,
    )
    with _transaction.atomic():
        with _connection.cursor() as cursor:
            cursor.execute(sql, params)
            waiting, created, invited = cursor.fetchone()
        # Sending claims each row under a lock and sends only queued rows, so handing over an
        # email a dead run already handed over sends nothing twice.
        emails_send_batch_queue(email_ids=waiting)
    return _ChunkDone(waiting=waiting, created=created, invited=invited)


def _campaign_emails_hand_over(email_ids: list[int]) -> None:
    from engage.mail.services import emails_send_batch_queue

    emails_send_batch_queue(email_ids=email_ids)


def campaign_fanout(*, campaign_id: int, chunk_size: int | None = None) -> int:
    """Create the campaign's invitations and emails, chunk by chunk, and hand them to the sender.

    Idempotent: run it again (a retry, a redelivery after a worker died) and it creates only what
    is missing, and re-queues emails still waiting to be sent (sending claims each email under a
    row lock, so none goes twice). Side effects: Invitation and OutboundEmail rows; status "sent"
    at the end. Returns how many invitations were created by this run.
    """
    from events.selectors import campaign_audience

    campaign = _Campaign.objects.select_related("meeting", "segment").get(pk=campaign_id)
    if campaign.status != _CampaignStatus.SENDING:
        return 0
    audience = campaign_audience(
        meeting=campaign.meeting, segment=campaign.segment, filters=campaign.filters
    )
    ids = list(audience.eligible.order_by("pk").values_list("pk", flat=True))
    context = campaign_email_context(campaign=campaign)
    chunk_size = max(1, chunk_size or _settings.ENGAGE_CAMPAIGN_CHUNK_SIZE)
    fanout_chunk = (
        _campaign_fanout_chunk_postgresql
        if _connection.vendor == "postgresql"
        else _campaign_fanout_chunk
    )
    created = invited = 0
    handed: set[int] = set()
    for start in range(0, len(ids), chunk_size):
        done = fanout_chunk(
            campaign=campaign, context=context, stakeholder_ids=ids[start : start + chunk_size]
        )
        handed.update(done.waiting)
        created += done.created
        invited += done.invited
    # Emails still queued for people no longer in the audience (an earlier run queued them,
    # then consent or the segment changed): hand them over too; sending re-checks consent.
    # Only a campaign with invitations beyond this audience's can have any.
    if _Invitation.objects.filter(campaign=campaign).count() > invited:
        left = set(
            _OutboundEmail.objects.filter(
                invitation__campaign=campaign, status="queued"
            ).values_list("pk", flat=True)
        )
        if left - handed:
            with _transaction.atomic():
                _campaign_emails_hand_over(sorted(left - handed))
    _Campaign.objects.filter(pk=campaign.pk, status=_CampaignStatus.SENDING).update(
        status=_CampaignStatus.SENT
    )
    _campaign_logger.info(
        "campaign fan-out", extra={"campaign_id": campaign.pk, "invitations_created": created}
    )
    return created


def campaign_test_send(*, campaign_id: int, stakeholder_id: int, actor) -> "_OutboundEmail":
    """Email the invitation, as `stakeholder_id` would get it, to the staff member asking.

    The link in it is the registration page without an invitation token. Side effects: one
    transactional OutboundEmail to the actor; an AuditLog row (a person's details were used).
    """
    from engage.enums import AuditAction
    from engage.mail.services import email_queue
    from engage.models import Stakeholder
    from engage.services import audit_log

    campaign = _Campaign.objects.select_related("meeting").get(pk=campaign_id)
    stakeholder = Stakeholder.objects.prefetch_related("organisations").get(pk=stakeholder_id)
    recipient = campaign_recipient_values(
        stakeholder=stakeholder,
        invitation_url=_invitation_link(meeting=campaign.meeting),
    )
    context = campaign_email_context(campaign=campaign)
    context["subject"] = _gettext("[Test] %(subject)s") % {"subject": campaign.subject}
    email = email_queue(
        to_email=actor.email,
        template="events/invitation",
        context={**context, "recipient": recipient},
    )
    audit_log(
        actor=actor,
        action=AuditAction.VIEW,
        obj=stakeholder,
        detail={"campaign_id": campaign.pk, "use": "campaign test email"},
    )
    return email


def campaign_resend_failed(*, campaign_id: int, actor) -> int:
    """Queue again every invitation email of this campaign that failed.

    The same OutboundEmail row goes back to "queued" (so a campaign keeps one email per person)
    and is handed to the sender on commit; a second click finds nothing failed. Returns how many.
    """
    from engage.enums import EmailStatus

    with _transaction.atomic():
        ids = list(
            _OutboundEmail.objects.select_for_update()
            .filter(invitation__campaign_id=campaign_id, status=EmailStatus.FAILED)
            .values_list("pk", flat=True)
        )
        _OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.FAILED).update(
            status=EmailStatus.QUEUED, error=""
        )
        _campaign_emails_hand_over(ids)
    _campaign_logger.info("campaign resend", extra={"campaign_id": campaign_id, "emails": len(ids)})
    return len(ids)
