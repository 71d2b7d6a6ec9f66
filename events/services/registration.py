"""Registration (public side): register, register again in one click, cancel, take up an offer.

Every write locks the meeting row first (meeting_places.meeting_locked) and counts inside the same
transaction. What does not decide the place (the stakeholder, consents) is written before the lock.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import (
    PURPOSE_ACCESS_NEEDS,
    PURPOSE_ATTENDEE_LIST,
    PURPOSE_MEETING_INVITATIONS,
    AuditAction,
    ConsentMethod,
)
from engage.models import ConsentPurpose, Stakeholder
from engage.normalise import normalise_email
from engage.selectors import consent_is_given
from engage.services import audit_log, consent_give
from events.enums import RegistrationStatus
from events.models import Meeting, PanelQuestion, Registration
from events.notices import registration_notices_wake_on_commit
from events.selectors import registration_previous_attended
from events.services import meeting_places
from events.services.waitlist import waitlist_offer_free_places

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    created: bool


def _consents_give(
    *, stakeholder, purpose_slugs: list[str], ip_address: str | None, user_agent: str
) -> None:
    """Record consents through the stakeholder database's one path (the append-only ledger)."""
    if not purpose_slugs:
        return

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


def stakeholder_for_registration(
    *, details: RegistrationDetails, user, source: str = "Meeting registration"
):
    """The person registering, found by their account or normalised email, else created with
    `source`; blank names and area are filled from `details`. Caller is in a transaction."""
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
            source=source,
            last_activity_at=timezone.now(),
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
    stakeholder.last_activity_at = timezone.now()
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

    access_requirements = details.access_requirements.strip() if details.access_consent else ""
    consents = {
        PURPOSE_ACCESS_NEEDS: details.access_consent and bool(access_requirements),
        PURPOSE_ATTENDEE_LIST: details.attendee_list_ok,
        PURPOSE_MEETING_INVITATIONS: details.join_stakeholder_list,
    }
    try:
        with transaction.atomic():
            # What does not decide the place comes first, before the meeting lock: that lock
            # queues every registration for the meeting, so it is held only to count and
            # allocate. A refusal, or finding the person already registered, rolls all of this
            # back with the rest.
            stakeholder = stakeholder_for_registration(details=details, user=user)
            _consents_give(
                stakeholder=stakeholder,
                purpose_slugs=[slug for slug, given in consents.items() if given],
                ip_address=ip_address,
                user_agent=user_agent,
            )
            meeting = meeting_places.meeting_locked(meeting_id)
            now = timezone.now()
            refusal = meeting_places.registration_refusal(meeting=meeting, now=now)
            if refusal is not None:
                raise refusal
            # People already waiting come before a newcomer.
            places = waitlist_offer_free_places(
                meeting=meeting, now=now, stakeholder_id=stakeholder.pk
            )
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
                breakout_id = meeting_places.breakout_choose(
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
                registration.token = uuid.uuid4()
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
            registration_notices_wake_on_commit()
    except _AlreadyRegistered as already:
        return RegistrationOutcome(registration=already.registration, created=False)
    logger.info(
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

    meeting = Meeting.objects.get(pk=meeting_id)
    stakeholder = getattr(user, "stakeholder", None) if user.is_authenticated else None
    previous = (
        registration_previous_attended(meeting=meeting, stakeholder=stakeholder)
        if stakeholder
        else None
    )
    if previous is None:
        raise meeting_places.RegistrationRefused(
            _("One-click registration is for people who came to the last meeting."),
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

    meeting_id = (
        Registration.objects.filter(token=token).values_list("meeting_id", flat=True).first()
    )
    if meeting_id is None:
        raise Registration.DoesNotExist
    meeting = meeting_places.meeting_locked(meeting_id)
    registration = Registration.objects.select_for_update().get(token=token)
    return meeting, registration


def registration_cancel(*, token: uuid.UUID) -> Registration:
    """Cancel a registration from its signed link; the place it held is offered to the next person.

    Idempotent. Side effects: may offer places (emails queued on commit); queues a cancellation
    email, with a METHOD:CANCEL calendar only when a confirmed place (and so a REQUEST) was held.
    Raises Registration.DoesNotExist for an unknown token.
    """

    with transaction.atomic():
        meeting, registration = _registration_locked(token)
        if registration.status == RegistrationStatus.CANCELLED:
            return registration
        # Only a confirmed place was ever sent a METHOD:REQUEST; someone who was waiting or held
        # an offer has no calendar entry, and a CANCEL for one they never got confuses clients.
        held_place = registration.status == RegistrationStatus.CONFIRMED
        now = timezone.now()
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
        waitlist_offer_free_places(meeting=meeting, now=now)
        registration_notices_wake_on_commit()
    logger.info("registration cancelled", extra={"registration_id": registration.pk})
    return registration


def registration_cancel_by_staff(*, registration_id: int, actor) -> Registration:
    """Staff cancel one registration (the person phoned, say): as the person's own cancel, so
    they are emailed and the place goes to the waiting list, plus an audit row naming who did it.
    Idempotent. Raises Registration.DoesNotExist for an unknown id."""
    token = Registration.objects.values_list("token", flat=True).get(pk=registration_id)
    with transaction.atomic():
        registration = registration_cancel(token=token)
        audit_log(
            actor=actor,
            action=AuditAction.EDIT,
            obj=registration,
            detail={"status": RegistrationStatus.CANCELLED, "by": "staff"},
        )
    return registration


def registration_offer_accept(*, token: uuid.UUID) -> Registration:
    """Take up a waiting-list offer from its signed link: the registration becomes confirmed.

    Accepting twice is harmless. Side effects: assigns a breakout (preferences first); queues the
    confirmation email. Raises RegistrationRefused when the offer expired or is no longer open.
    """

    with transaction.atomic():
        meeting, registration = _registration_locked(token)
        if registration.status == RegistrationStatus.CONFIRMED:
            return registration
        now = timezone.now()
        if registration.status != RegistrationStatus.OFFERED:
            raise meeting_places.RegistrationRefused(
                _("There is no open offer of a place for this registration."),
                code="no_offer",
            )
        if registration.offer_expires_at and registration.offer_expires_at <= now:
            raise meeting_places.RegistrationRefused(
                _("Sorry, this offer has expired and the place has passed to the next person."),
                code="offer_expired",
            )
        refusal = meeting_places.registration_refusal(meeting=meeting, now=now)
        if refusal is not None:
            raise refusal
        preference_ids = list(
            registration.breakout_preferences.order_by("order", "start", "id").values_list(
                "pk", flat=True
            )
        )
        registration.breakout_id = meeting_places.breakout_choose(
            places=meeting_places.Places(meeting, now), preference_ids=preference_ids, strict=False
        )
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
        registration.notice_pending = "confirmed"
        registration.save(
            update_fields=["status", "breakout", "waitlist_position", "notice_pending"]
        )
        registration_notices_wake_on_commit()
    logger.info("offer accepted", extra={"registration_id": registration.pk})
    return registration


def registrations_wipe_access_requirements(*, now: datetime.datetime | None = None) -> int:
    """Delete access requirements once each meeting's retention period after it has passed.

    Returns how many registrations were wiped. Side effect: clears Registration.access_requirements.
    """

    now = now or timezone.now()
    wiped = 0
    meetings = (
        Meeting.objects.filter(end__lt=now, registrations__access_requirements__gt="")
        .distinct()
        .only("pk", "end", "access_needs_retention_days")
    )
    for meeting in meetings:
        if meeting.end + datetime.timedelta(days=meeting.access_needs_retention_days) > now:
            continue
        count = Registration.objects.filter(meeting=meeting, access_requirements__gt="").update(
            access_requirements=""
        )
        wiped += count
        logger.info("access requirements wiped", extra={"meeting_id": meeting.pk, "count": count})
    return wiped
