"""Walk-ins: someone at the door without a place, added and checked in by staff on the spot.

A walk-in is physically there, so they are checked in even when the meeting is full. Their
registration is marked `walk_in`: it counts toward attendance and holds none of the capacity, so
nobody on the waiting list loses the place they are owed to someone who turned up unannounced.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction, ConsentMethod
from engage.models import ConsentPurpose, Stakeholder
from engage.normalise import normalise_email
from engage.services import audit_log, consent_give
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration
from events.services import meeting_places
from events.services.actors import actor_id
from events.services.registration import RegistrationDetails, stakeholder_for_registration
from events.services.waitlist import waitlist_offer_free_places

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WalkIn:
    """What staff ask at the door. `email` decides who the person is."""

    email: str
    first_name: str
    last_name: str
    area_id: int | None = None
    # The consent purposes the person agreed to when asked at the door.
    purpose_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class WalkInOutcome:
    registration: Registration
    stakeholder_created: bool
    # They had a confirmed place already: checked in as any registrant, not as a walk-in.
    had_place: bool


def walk_in_source(meeting: Meeting) -> str:
    """How the consent ledger and the stakeholder record name where a walk-in was met."""
    return f"walk-in at {meeting.title} ({timezone.localtime(meeting.start):%Y-%m-%d})"


def registration_walk_in(*, meeting_id: int, walk_in: WalkIn, actor) -> WalkInOutcome:
    """Add a walk-in at the door: find the person by normalised email or create them, record
    the consents they gave on the spot, and check them in at once.

    Consents go through the one ledger path (engage.services.consent_give) with method
    "in person", the staff member as `recorded_by`, the current privacy notice version, and
    evidence naming the meeting (`walk_in_source`); a purpose not ticked is not recorded at all
    (not asked is not withdrawn). Someone with a confirmed place is simply checked in; anyone else
    (new, waiting, offered, cancelled) gets a confirmed walk-in registration that holds no place,
    and a place their offer held goes to the waiting list. No email is sent: the person is there.
    Writes one audit row on the person's record (ids only). Raises ValidationError for a
    cancelled or unpublished meeting.
    """
    with transaction.atomic():
        meeting = Meeting.objects.get(pk=meeting_id)
        if meeting.status == MeetingStatus.CANCELLED:
            raise ValidationError(_("This meeting has been cancelled: no one can be checked in."))
        if meeting.status == MeetingStatus.DRAFT:
            raise ValidationError(_("This meeting is not published yet: no one can be checked in."))
        source = walk_in_source(meeting)
        existed = Stakeholder.objects.filter(
            email_normalised=normalise_email(walk_in.email)
        ).exists()
        stakeholder = stakeholder_for_registration(
            details=RegistrationDetails(
                email=walk_in.email,
                first_name=walk_in.first_name.strip(),
                last_name=walk_in.last_name.strip(),
                area_id=walk_in.area_id,
            ),
            user=None,
            source=source[0].upper() + source[1:],
        )
        purposes = ConsentPurpose.objects.filter(pk__in=walk_in.purpose_ids, active=True)
        for purpose in purposes:
            consent_give(
                stakeholder=stakeholder,
                purpose=purpose,
                method=ConsentMethod.IN_PERSON,
                recorded_by=actor,
                evidence={"source": source, "meeting_id": meeting.pk},
            )
        # The lock every registration write takes: a registration from the web for this person
        # at this moment waits here instead of meeting this one in the unique index.
        meeting = meeting_places.meeting_locked(meeting_id)
        now = timezone.now()
        registration = (
            Registration.objects.select_for_update()
            .filter(meeting=meeting, stakeholder=stakeholder)
            .first()
        )
        had_place = registration is not None and registration.status == (
            RegistrationStatus.CONFIRMED
        )
        if had_place:
            if registration.attended_at is None:
                registration.attended_at = now
                registration.save(update_fields=["attended_at"])
        else:
            held_offer = (
                registration is not None and registration.status == RegistrationStatus.OFFERED
            )
            if registration is None:
                registration = Registration(
                    meeting=meeting, stakeholder=stakeholder, created_at=now
                )
            registration.status = RegistrationStatus.CONFIRMED
            registration.walk_in = True
            registration.attended_at = now
            registration.area_id = registration.area_id or stakeholder.area_id
            registration.waitlist_position = None
            registration.offered_at = registration.offer_expires_at = None
            registration.cancelled_at = None
            # A notice owed for what they were (on the waiting list, say) is now wrong.
            registration.notice_pending = ""
            registration.save()
            if held_offer:
                waitlist_offer_free_places(meeting=meeting, now=now)
        audit_log(
            actor=actor,
            action=AuditAction.EDIT if existed else AuditAction.CREATE,
            obj=stakeholder,
            detail={
                "kind": "walk-in",
                "meeting_id": meeting.pk,
                "registration_id": registration.pk,
                "attended": True,
                "had_place": had_place,
                "consents": sorted(p.slug for p in purposes),
            },
        )
    logger.info(
        "walk-in checked in",
        extra={
            "registration_id": registration.pk,
            "meeting_id": meeting_id,
            "actor_id": actor_id(actor),
        },
    )
    return WalkInOutcome(
        registration=registration, stakeholder_created=not existed, had_place=had_place
    )
