"""One stakeholder: their detail, their timeline, and the entry of a signed-in person."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from engage.models import ConsentRecord, Membership, Stakeholder
from engage.normalise import normalise_email


def stakeholder_detail(*, pk: int):
    """One live stakeholder with area, organisations (with role) and tags loaded; 404-able Get."""

    return (
        Stakeholder.objects.filter(anonymised_at__isnull=True)
        .select_related("area")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
            "tags",
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    kind: str  # "registration", "attended", "cancelled", "email", "consent", "created"
    text: str
    detail: str = ""


def stakeholder_timeline(stakeholder, *, limit: int = 100) -> list[TimelineEntry]:
    """What happened to one person, newest first: registrations, mails and consent changes.

    Registrations come through the reverse relation `registrations` by name (engage never
    imports events). Three queries.
    """

    entries = [
        TimelineEntry(at=stakeholder.created_at, kind="created", text=_("Added to the list"))
    ]
    registrations = stakeholder.registrations.values(
        "status", "created_at", "attended_at", "cancelled_at", "meeting__title"
    ).order_by("-created_at")[:limit]
    for reg in registrations:
        title = reg["meeting__title"]
        entries.append(
            TimelineEntry(
                at=reg["created_at"],
                kind="registration",
                text=_("Registered for %(meeting)s") % {"meeting": title},
                detail=reg["status"],
            )
        )
        if reg["attended_at"]:
            entries.append(
                TimelineEntry(
                    at=reg["attended_at"],
                    kind="attended",
                    text=_("Attended %(meeting)s") % {"meeting": title},
                )
            )
        if reg["cancelled_at"]:
            entries.append(
                TimelineEntry(
                    at=reg["cancelled_at"],
                    kind="cancelled",
                    text=_("Cancelled for %(meeting)s") % {"meeting": title},
                )
            )
    for mail in stakeholder.emails.values("subject", "template", "status", "queued_at").order_by(
        "-queued_at"
    )[:limit]:
        entries.append(
            TimelineEntry(
                at=mail["queued_at"],
                kind="email",
                text=_("Email: %(subject)s") % {"subject": mail["subject"] or mail["template"]},
                detail=mail["status"],
            )
        )
    records = (
        ConsentRecord.objects.filter(stakeholder=stakeholder)
        .values("action", "method", "at", "purpose__name")
        .order_by("-at", "-id")[:limit]
    )
    for record in records:
        entries.append(
            TimelineEntry(
                at=record["at"],
                kind="consent",
                text=_("Consent %(action)s: %(purpose)s")
                % {"action": record["action"], "purpose": record["purpose__name"]},
                detail=record["method"],
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def stakeholder_for_user(user):
    """The signed-in person's own entry: linked to the account, or else the entry whose address
    the account has verified. None when there is neither."""

    if not user.is_authenticated:
        return None
    live = Stakeholder.objects.filter(anonymised_at__isnull=True).select_related("area")
    linked = live.filter(user=user).first()
    if linked is not None:
        return linked
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    addresses = [normalise_email(address) for address in verified]
    return live.filter(email_normalised__in=addresses).first() if addresses else None
