"""Reads for invitation campaigns: the audience, the list, status counts, recipients, an
invitation's stakeholder."""

import uuid

from django.db.models import Count, Q
from django.utils.translation import gettext

from engage.enums import PURPOSE_MEETING_INVITATIONS
from engage.models import Stakeholder, Suppression
from engage.selectors import segment_members, stakeholders_filter_consent
from events.enums import RegistrationStatus
from events.models import Campaign, Invitation, Registration


class CampaignAudience:
    """Who a campaign would reach and who it leaves out, as lazy querysets.

    Left out: no consent for meeting invitations, a suppressed address, or already holding a
    place (or a waiting-list place) at the meeting. One person can be left out for several reasons.
    """

    def __init__(self, *, meeting, segment=None, filters=None):

        self.members = segment_members(segment if segment is not None else (filters or {}))
        consenting = stakeholders_filter_consent(
            Stakeholder.objects.all(), purpose_slug=PURPOSE_MEETING_INVITATIONS, state="given"
        ).values("pk")
        suppressed = Suppression.objects.values("email_normalised")
        registered = (
            Registration.objects.filter(meeting=meeting)
            .exclude(status=RegistrationStatus.CANCELLED)
            .values("stakeholder_id")
        )
        self.no_consent = self.members.exclude(pk__in=consenting)
        self.suppressed = self.members.filter(email_normalised__in=suppressed)
        self.registered = self.members.filter(pk__in=registered)
        self.eligible = (
            self.members.filter(pk__in=consenting)
            .exclude(email_normalised__in=suppressed)
            .exclude(pk__in=registered)
        )

    def counts(self) -> dict[str, int]:
        return {
            "members": self.members.count(),
            "eligible": self.eligible.count(),
            "no_consent": self.no_consent.count(),
            "suppressed": self.suppressed.count(),
            "registered": self.registered.count(),
        }

    def left_out(self, *, limit: int = 100) -> list[tuple[object, list[str]]]:
        """Up to `limit` people left out, each with the reasons, in name order (four queries)."""
        people = list(
            self.members.exclude(pk__in=self.eligible.values("pk"))
            .order_by("last_name", "first_name", "pk")
            .only("pk", "first_name", "last_name", "email")[:limit]
        )
        ids = [p.pk for p in people]
        no_consent = set(self.no_consent.filter(pk__in=ids).values_list("pk", flat=True))
        suppressed = set(self.suppressed.filter(pk__in=ids).values_list("pk", flat=True))
        registered = set(self.registered.filter(pk__in=ids).values_list("pk", flat=True))
        result = []
        for person in people:
            reasons = []
            if person.pk in no_consent:
                reasons.append(gettext("No consent to meeting invitations"))
            if person.pk in suppressed:
                reasons.append(gettext("Address suppressed"))
            if person.pk in registered:
                reasons.append(gettext("Already registered"))
            result.append((person, reasons))
        return result


def campaign_audience(*, meeting, segment=None, filters=None) -> CampaignAudience:
    """The audience of a campaign for `meeting`: a saved segment, else the ad hoc filters."""
    return CampaignAudience(meeting=meeting, segment=segment, filters=filters)


def campaigns_list():
    """Campaigns, newest first, with meeting, segment and author, and their invitation count."""
    return (
        Campaign.objects.select_related("meeting", "segment", "created_by")
        .annotate(invitation_count=Count("invitations"))
        .order_by("-created_at", "-pk")
    )


CAMPAIGN_RECIPIENT_STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "failed",
    "suppressed",
)


def campaign_status_counts(*, campaign) -> dict[str, int]:
    """How many of the campaign's invitations are in each email status (one query)."""
    rows = (
        campaign.invitations.values("email__status")
        .annotate(n=Count("pk"))
        .values_list("email__status", "n")
    )
    counts = dict.fromkeys(CAMPAIGN_RECIPIENT_STATUSES, 0)
    for status, n in rows:
        # An invitation without its email yet is waiting to be queued.
        counts[status or "queued"] = counts.get(status or "queued", 0) + n
    return counts


def campaign_recipients(*, campaign, status: str = ""):
    """The campaign's invitations with stakeholder and email, in name order, optionally by status."""
    queryset = campaign.invitations.select_related("stakeholder", "email").order_by(
        "stakeholder__last_name", "stakeholder__first_name", "pk"
    )
    if status == "queued":
        queryset = queryset.filter(Q(email__isnull=True) | Q(email__status="queued"))
    elif status:
        queryset = queryset.filter(email__status=status)
    return queryset


def invitation_stakeholder(*, token: str, meeting):
    """The live stakeholder a campaign invitation to `meeting` was for, or None for a bad token."""
    try:
        token_uuid = uuid.UUID(str(token))
    except ValueError:
        return None
    invitation = (
        Invitation.objects.select_related("stakeholder")
        .filter(
            token=token_uuid,
            campaign__meeting=meeting,
            stakeholder__anonymised_at__isnull=True,
        )
        .first()
    )
    return invitation.stakeholder if invitation else None
