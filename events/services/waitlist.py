"""The waiting list: offering free places in order, expiring offers, and staff promotion.

Each runs under the meeting lock (meeting_places.meeting_locked), as every registration write does.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.enums import AuditAction
from engage.services import audit_log
from events import notifications
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration
from events.services import meeting_places
from events.services.actors import actor_id
from events.services.registration_notices import registration_notices_wake_on_commit

logger = logging.getLogger(__name__)


def waitlist_offer_free_places(
    *, meeting, now, stakeholder_id: int | None = None
) -> meeting_places.Places:
    """Offer free places to the waiting list in order. Caller holds the meeting lock.

    Returns the places as they stand after the offers, for the caller to go on counting with
    (`stakeholder_id` as for Places).
    """

    places = meeting_places.Places(meeting, now, stakeholder_id=stakeholder_id)
    if (
        places.free <= 0
        or not places.waiting
        or meeting_places.registration_refusal(meeting=meeting, now=now) is not None
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
    expires = now + datetime.timedelta(hours=meeting.waitlist_offer_hours)
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
        registration_notices_wake_on_commit()
        logger.info(
            "waiting list offers", extra={"meeting_id": meeting.pk, "registration_ids": offered}
        )
    return places


def registrations_expire_offers(*, now: datetime.datetime | None = None) -> int:
    """Expire waiting-list offers past their time and offer free places to the next people.

    Also fills places freed by a released area reservation or a raised capacity. Returns how many
    offers expired. Side effects: expired offers become cancelled and each person whose offer
    lapsed is sent "offer expired" (events.notifications.waitlist_offer_expired_notify, queued in
    the same transaction); new offers are emailed on commit.
    """

    now = now or timezone.now()
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
        with transaction.atomic():
            meeting = meeting_places.meeting_locked(meeting_id)
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
            waitlist_offer_free_places(meeting=meeting, now=now)
        if expired:
            logger.info("offers expired", extra={"meeting_id": meeting_id, "count": expired})
    return expired_total


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
        meeting = meeting_places.meeting_locked(meeting_id)
        registration = Registration.objects.select_for_update().get(pk=registration_id)
        if registration.status not in (RegistrationStatus.WAITLISTED, RegistrationStatus.OFFERED):
            raise ValidationError(_("Only people on the waiting list can be promoted."))
        places = meeting_places.Places(meeting, timezone.now())
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
        registration.breakout_id = meeting_places.breakout_choose(
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
        registration_notices_wake_on_commit()
    logger.info(
        "registration promoted",
        extra={"registration_id": registration.pk, "actor_id": actor_id(actor)},
    )
    return registration
