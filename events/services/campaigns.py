"""Invitation campaigns: one audience invited to one meeting, one Invitation (and one email) each.

The fan-out walks the audience in chunks of ids; each chunk inserts invitations with insert-or-skip
and emails with a dedupe key, so a retried or redelivered task, or a worker that died half-way,
only fills in what is missing.
"""

import datetime
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import PURPOSE_MEETING_INVITATIONS, AuditAction, EmailStatus
from engage.mail.services import (
    BulkRecipient,
    email_queue,
    emails_queue_bulk,
    emails_send_batch_queue,
)
from engage.models import ConsentPurpose, Membership, OutboundEmail, Segment, Stakeholder
from engage.services import audit_log
from engage.sql import emails_insert_sql
from events import sql
from events.enums import CampaignStatus, MeetingStatus
from events.models import Campaign, Invitation, Meeting
from events.notices import meeting_url, meeting_when_text
from events.selectors import campaign_audience
from events.tasks import campaign_fanout_task

logger = logging.getLogger(__name__)


class CampaignError(Exception):
    """A campaign action that cannot be done now; the message is for the person who asked."""


def invitation_link(*, meeting, token=None) -> str:
    """The meeting's registration page, with the invitation's token when there is one."""
    url = settings.SITE_URL + reverse("events:register", kwargs={"slug": meeting.slug})
    return f"{url}?invitation={token}" if token else url


def campaign_email_context(*, campaign) -> dict:
    """What every recipient of a campaign shares: the meeting and the team's message."""

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
    return invitation_wording().recipient_values(
        first_name=stakeholder.first_name,
        full_name=stakeholder.full_name,
        organisation=organisation.name if organisation else "",
        invitation_url=invitation_url,
    )


@dataclass(frozen=True)
class InvitationWording:
    """The invitation's personal wording, translated once (per chunk) and applied by both fan-out
    paths: `recipient_values` in Python, and events.sql.campaign_chunk as statement parameters on
    PostgreSQL."""

    # The greeting's name for someone whose name we do not have.
    colleague: str
    # The sentence naming the person's organisation, split where the name goes.
    organisation_line: tuple[str, ...]

    def recipient_values(
        self, *, first_name: str, full_name: str, organisation: str, invitation_url: str
    ) -> dict:
        return {
            "first_name": first_name or full_name or self.colleague,
            "organisation": organisation,
            "organisation_line": organisation.join(self.organisation_line) if organisation else "",
            "invitation_url": invitation_url,
        }


def invitation_wording() -> InvitationWording:
    """The invitation's personal wording in the active language."""
    marker = "\x00"
    line = _("We would particularly like to hear from people at %(organisation)s.") % {
        "organisation": marker
    }
    return InvitationWording(colleague=_("colleague"), organisation_line=tuple(line.split(marker)))


def _campaign_people(stakeholder_ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """(email, first name, full name, first organisation by name) per stakeholder: what an
    invitation uses, as plain values, since a chunk loads thousands of people."""

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
) -> Campaign:
    """Create a draft campaign for a meeting and an audience (a saved segment or ad hoc filters).

    Side effects: one Campaign row. Raises CampaignError when the meeting is not published.
    """

    meeting = Meeting.objects.get(pk=meeting_id)
    if meeting.status != MeetingStatus.PUBLISHED:
        raise CampaignError(_("Only a published meeting can have invitations sent."))
    if segment_id:
        # A copy of the segment's filters, so that deleting the segment later can never widen
        # the audience to everyone.
        filters = Segment.objects.values_list("filters", flat=True).get(pk=segment_id)
    campaign = Campaign.objects.create(
        meeting=meeting,
        segment_id=segment_id,
        filters=filters or {},
        subject=subject.strip(),
        message=message.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    logger.info("campaign created", extra={"campaign_id": campaign.pk})
    return campaign


def _campaign_locked(campaign_id: int) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign_id)


def _campaign_fanout_on_commit(campaign_id: int) -> None:
    transaction.on_commit(lambda: campaign_fanout_task.delay(campaign_id))


def _check_reaches_someone(campaign: Campaign) -> None:
    audience = campaign_audience(
        meeting=campaign.meeting, segment=campaign.segment, filters=campaign.filters
    )
    if not audience.eligible.exists():
        raise CampaignError(
            _(
                "Nobody in this audience can be invited, so the campaign cannot be sent. "
                "Change its segment or filters."
            )
        )


def campaign_send_now(*, campaign_id: int, actor) -> Campaign:
    """Start sending a draft or scheduled campaign now.

    Side effects: status becomes "sending" and the fan-out task is queued on commit. Sending twice
    is harmless (the second call changes nothing). Raises CampaignError when the audience holds
    nobody who can be invited (no consent, suppressed or already registered): such a campaign
    would be "sent" to no one.
    """
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT):
            return campaign
        _check_reaches_someone(campaign)
        campaign.status = CampaignStatus.SENDING
        campaign.started_at = timezone.now()
        campaign.save(update_fields=["status", "started_at"])
        _campaign_fanout_on_commit(campaign.pk)
    logger.info("campaign started", extra={"campaign_id": campaign.pk})
    return campaign


def campaign_schedule(*, campaign_id: int, scheduled_for: datetime.datetime, actor) -> Campaign:
    """Schedule a draft campaign; the beat job starts it at `scheduled_for`.

    Side effects: status "scheduled". Raises CampaignError for a time in the past, a campaign
    already sending or sent, or one whose audience holds nobody who can be invited.
    """
    if scheduled_for <= timezone.now():
        raise CampaignError(_("Choose a time in the future."))
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            raise CampaignError(_("This campaign has already been sent."))
        _check_reaches_someone(campaign)
        campaign.status = CampaignStatus.SCHEDULED
        campaign.scheduled_for = scheduled_for
        campaign.save(update_fields=["status", "scheduled_for"])
    return campaign


def campaign_unschedule(*, campaign_id: int, actor) -> Campaign:
    """Put a scheduled campaign back to draft. Raises CampaignError if it has started."""
    with transaction.atomic():
        campaign = _campaign_locked(campaign_id)
        if campaign.status != CampaignStatus.SCHEDULED:
            raise CampaignError(_("Only a scheduled campaign can be unscheduled."))
        campaign.status = CampaignStatus.DRAFT
        campaign.scheduled_for = None
        campaign.save(update_fields=["status", "scheduled_for"])
    return campaign


def campaigns_start_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Start every scheduled campaign whose time has come (beat runs this every minute).

    Rows are claimed with SKIP LOCKED, so two beat runs at once start each campaign once.
    Side effects: status "sending", fan-out queued on commit. Returns the started ids.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Campaign.objects.select_for_update(skip_locked=True).filter(
                status=CampaignStatus.SCHEDULED, scheduled_for__lte=now
            )
        )
        for campaign in due:
            campaign.status = CampaignStatus.SENDING
            campaign.started_at = now
            campaign.save(update_fields=["status", "started_at"])
            _campaign_fanout_on_commit(campaign.pk)
    return [c.pk for c in due]


class _ChunkDone(NamedTuple):
    # The chunk's emails still waiting to be sent (new or left by a dead run), handed over.
    waiting: list[int]
    # Invitations this run created, and the chunk's people holding one afterwards.
    created: int
    invited: int


class _PendingInvitation(NamedTuple):
    pk: int
    stakeholder_id: int
    token: uuid.UUID


def _invitations_insert_missing(*, campaign_id: int, stakeholder_ids: list[int]) -> tuple[int, int]:
    """One Invitation per stakeholder of the chunk that has none for this campaign yet; how many
    were created and how many of the chunk hold one now."""
    existing = set(
        Invitation.objects.filter(
            campaign_id=campaign_id, stakeholder_id__in=stakeholder_ids
        ).values_list("stakeholder_id", flat=True)
    )
    missing = [pk for pk in stakeholder_ids if pk not in existing]
    Invitation.objects.bulk_create(
        [Invitation(campaign_id=campaign_id, stakeholder_id=pk) for pk in missing],
        ignore_conflicts=True,
    )
    return len(missing), len(existing) + len(missing)


def _campaign_fanout_chunk(*, campaign, context: dict, stakeholder_ids: list[int]) -> _ChunkDone:
    """Invitations and emails for one chunk of stakeholders, handed to the batch sender on commit
    (the path for SQLite; PostgreSQL takes `_campaign_fanout_chunk_postgresql`)."""

    with transaction.atomic():
        created, invited = _invitations_insert_missing(
            campaign_id=campaign.pk, stakeholder_ids=stakeholder_ids
        )
        # SKIP LOCKED: a second fan-out running at once leaves these rows to the first. Plain
        # tuples, not model instances: a chunk holds thousands.
        pending = [
            _PendingInvitation(*row)
            for row in Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(campaign=campaign, stakeholder_id__in=stakeholder_ids, email__isnull=True)
            .order_by("pk")
            .values_list("pk", "stakeholder_id", "token")
        ]
        if pending:
            people = _campaign_people([i.stakeholder_id for i in pending])
            keys = {i.pk: f"invite:{campaign.pk}:{i.stakeholder_id}" for i in pending}
            # One reverse() per chunk: the link differs only in its invitation token.
            register_url = invitation_link(meeting=campaign.meeting)
            wording = invitation_wording()
            emails_queue_bulk(
                template="events/invitation",
                context=context,
                recipients=[
                    BulkRecipient(
                        to_email=people[i.stakeholder_id][0],
                        stakeholder_id=i.stakeholder_id,
                        values=wording.recipient_values(
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
            Invitation.objects.filter(pk__in=keys).update(
                email_id=Subquery(
                    OutboundEmail.objects.filter(
                        dedupe_key=Concat(
                            Value(f"invite:{campaign.pk}:"),
                            Cast(OuterRef("stakeholder_id"), output_field=CharField()),
                            output_field=CharField(),
                        )
                    ).values("pk")[:1]
                )
            )
        waiting = list(
            OutboundEmail.objects.filter(
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


def _campaign_fanout_chunk_postgresql(
    *, campaign, context: dict, stakeholder_ids: list[int]
) -> _ChunkDone:
    """`_campaign_fanout_chunk` in one statement: no person, invitation or email becomes a
    Python object (building and binding those values was most of a chunk's time)."""

    insert_emails, params = emails_insert_sql(
        template="events/invitation",
        context=context,
        purpose=ConsentPurpose.objects.get(slug=PURPOSE_MEETING_INVITATIONS),
        source="recipients",
    )

    params.update(
        campaign=campaign.pk,
        people=stakeholder_ids,
        key_prefix=f"invite:{campaign.pk}:",
        link=invitation_link(meeting=campaign.meeting) + "?invitation=",
        uuid_key=secrets.token_hex(32),
        now=timezone.now(),
        queued=EmailStatus.QUEUED.value,
    )
    wording = invitation_wording()
    with transaction.atomic():
        waiting, created, invited = sql.campaign_chunk(
            insert_emails=insert_emails,
            params=params,
            colleague=wording.colleague,
            organisation_line=wording.organisation_line,
        )
        # Sending claims each row under a lock and sends only queued rows, so handing over an
        # email a dead run already handed over sends nothing twice.
        emails_send_batch_queue(email_ids=waiting)
    return _ChunkDone(waiting=waiting, created=created, invited=invited)


def _campaign_emails_hand_over(email_ids: list[int]) -> None:
    emails_send_batch_queue(email_ids=email_ids)


def campaign_fanout(*, campaign_id: int, chunk_size: int | None = None) -> int:
    """Create the campaign's invitations and emails, chunk by chunk, and hand them to the sender.

    Idempotent: run it again (a retry, a redelivery after a worker died) and it creates only what
    is missing, and re-queues emails still waiting to be sent (sending claims each email under a
    row lock, so none goes twice). Side effects: Invitation and OutboundEmail rows; status "sent"
    at the end. Returns how many invitations were created by this run.
    """

    campaign = Campaign.objects.select_related("meeting", "segment").get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return 0
    audience = campaign_audience(
        meeting=campaign.meeting, segment=campaign.segment, filters=campaign.filters
    )
    ids = list(audience.eligible.order_by("pk").values_list("pk", flat=True))
    context = campaign_email_context(campaign=campaign)
    chunk_size = max(1, chunk_size or settings.ENGAGE_CAMPAIGN_CHUNK_SIZE)
    fanout_chunk = (
        _campaign_fanout_chunk_postgresql
        if connection.vendor == "postgresql"
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
    if Invitation.objects.filter(campaign=campaign).count() > invited:
        left = set(
            OutboundEmail.objects.filter(
                invitation__campaign=campaign, status="queued"
            ).values_list("pk", flat=True)
        )
        if left - handed:
            with transaction.atomic():
                _campaign_emails_hand_over(sorted(left - handed))
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
        status=CampaignStatus.SENT
    )
    logger.info(
        "campaign fan-out", extra={"campaign_id": campaign.pk, "invitations_created": created}
    )
    return created


def campaign_test_send(*, campaign_id: int, stakeholder_id: int, actor) -> OutboundEmail:
    """Email the invitation, as `stakeholder_id` would get it, to the staff member asking.

    The link in it is the registration page without an invitation token. Side effects: one
    transactional OutboundEmail to the actor; an AuditLog row (a person's details were used).
    """

    campaign = Campaign.objects.select_related("meeting").get(pk=campaign_id)
    stakeholder = Stakeholder.objects.prefetch_related("organisations").get(pk=stakeholder_id)
    recipient = campaign_recipient_values(
        stakeholder=stakeholder,
        invitation_url=invitation_link(meeting=campaign.meeting),
    )
    context = campaign_email_context(campaign=campaign)
    context["subject"] = _("[Test] %(subject)s") % {"subject": campaign.subject}
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

    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.select_for_update()
            .filter(invitation__campaign_id=campaign_id, status=EmailStatus.FAILED)
            .values_list("pk", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.FAILED).update(
            status=EmailStatus.QUEUED, error=""
        )
        _campaign_emails_hand_over(ids)
    logger.info("campaign resend", extra={"campaign_id": campaign_id, "emails": len(ids)})
    return len(ids)
