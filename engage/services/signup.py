"""Joining the list by double opt-in: the request, its confirmation link, the purge of old requests."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from engage import links
from engage.enums import ConsentMethod
from engage.mail.services import email_queue
from engage.models import (
    Area,
    ConsentPurpose,
    Membership,
    Organisation,
    PendingSignup,
    Stakeholder,
    Tag,
)
from engage.normalise import normalise_email
from engage.privacy import privacy_notice_version_current
from engage.services.consent import consent_set
from engage.services.stakeholders import stakeholder_create, stakeholder_update

logger = logging.getLogger(__name__)


# More confirmation emails than this to one address in a day would let anyone flood an inbox.
SIGNUP_REQUESTS_PER_ADDRESS_PER_DAY = 3


class SignupLinkInvalid(Exception):
    """The confirmation link is unknown or older than ENGAGE_UNCONFIRMED_SIGNUP_DAYS."""


def signup_request(
    *,
    email: str,
    first_name: str,
    last_name: str,
    area: Area | None,
    organisation_name: str,
    interest_ids: list[int],
    purposes: list[ConsentPurpose],
    ip_address: str | None,
    user_agent: str,
) -> PendingSignup | None:
    """Store a sign-up and email its confirmation link. Nothing about the person is recorded yet.

    Does the same whether or not the address is already on the list, so the answer never reveals
    it. Side effects: one PendingSignup row; one transactional email queued on commit. Beyond
    SIGNUP_REQUESTS_PER_ADDRESS_PER_DAY unconfirmed requests for one address, does nothing and
    returns None.
    """
    recent = PendingSignup.objects.filter(
        email__iexact=email.strip(),
        confirmed_at__isnull=True,
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()
    if recent >= SIGNUP_REQUESTS_PER_ADDRESS_PER_DAY:
        logger.info("signup request over the daily limit")
        return None
    token = secrets.token_urlsafe(32)
    pending = PendingSignup.objects.create(
        token=token,
        email=email.strip(),
        data={
            "first_name": first_name.strip(),
            "last_name": last_name.strip(),
            "area_id": area.pk if area else None,
            "organisation": organisation_name.strip(),
            "interest_ids": list(interest_ids),
            # The exact words shown on the form, so the ledger stores what the person saw.
            "consents": [{"slug": p.slug, "wording": p.wording} for p in purposes],
            "privacy_notice_version": privacy_notice_version_current(),
            "ip_address": ip_address,
            "user_agent": (user_agent or "")[:400],
        },
    )
    email_queue(
        to_email=pending.email,
        template="engage/signup_confirm",
        context={
            "first_name": pending.data["first_name"],
            "confirm_url": settings.SITE_URL + reverse("engage:join_confirm", args=[token]),
            "days": settings.ENGAGE_UNCONFIRMED_SIGNUP_DAYS,
        },
    )
    logger.info("signup requested", extra={"pending_signup_id": pending.pk})
    return pending


def signup_pending(*, token: str) -> PendingSignup:
    """The sign-up a link names, if it may still be confirmed; raises SignupLinkInvalid."""
    cutoff = timezone.now() - timedelta(days=settings.ENGAGE_UNCONFIRMED_SIGNUP_DAYS)
    pending = PendingSignup.objects.filter(token=token).first()
    if pending is None or (pending.confirmed_at is None and pending.created_at < cutoff):
        raise SignupLinkInvalid
    return pending


def _organisation_for(name: str) -> Organisation | None:
    name = " ".join(name.split())[:200]
    if not name:
        return None
    existing = Organisation.objects.filter(name__iexact=name).first()
    return existing or Organisation.objects.create(name=name)


@transaction.atomic
def signup_confirm(*, token: str, ip_address: str | None, user_agent: str) -> Stakeholder:
    """Follow a confirmation link: create (or complete) the person and record their consents.

    For an address already on the list, details are only filled where blank and consents are
    added, never removed. A second confirmation changes nothing. Side effects: Stakeholder,
    Membership, tags and ConsentRecord rows (method web, the wording the form showed, the form's
    ip and user agent, the confirming ip and agent in `evidence`); the sign-up's personal data
    is cleared; a welcome email with the preferences link is queued. Raises SignupLinkInvalid.
    """
    pending = signup_pending(token=token)
    pending = PendingSignup.objects.select_for_update().get(pk=pending.pk)
    if pending.confirmed_at is not None:
        stakeholder = Stakeholder.objects.filter(
            pk=pending.data.get("stakeholder_id"), anonymised_at__isnull=True
        ).first()
        if stakeholder is None:
            raise SignupLinkInvalid
        return stakeholder
    data = pending.data
    area = Area.objects.filter(pk=data.get("area_id")).first()
    on_list = Stakeholder.objects.select_for_update().filter(
        email_normalised=normalise_email(pending.email)
    )
    stakeholder, created = on_list.first(), False
    if stakeholder is None:
        try:
            with transaction.atomic():
                stakeholder = stakeholder_create(
                    email=pending.email,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    area=area,
                    source="Web sign-up",
                )
            created = True
        except (IntegrityError, ValidationError):
            # Another sign-up for this address was confirmed at the same moment: the unique
            # address made this insert wait for that commit, so the person is there now and this
            # confirmation completes them like any address already on the list.
            stakeholder = on_list.first()
            if stakeholder is None:
                raise
    if not created:
        blanks = {
            name: value
            for name, value in (
                ("first_name", data.get("first_name", "")),
                ("last_name", data.get("last_name", "")),
                ("area", area),
            )
            if value and not getattr(stakeholder, name)
        }
        stakeholder_update(stakeholder=stakeholder, **blanks)
    organisation = _organisation_for(data.get("organisation", ""))
    if organisation is not None:
        Membership.objects.get_or_create(stakeholder=stakeholder, organisation=organisation)
    if data.get("interest_ids"):
        stakeholder.tags.add(*Tag.objects.filter(pk__in=data["interest_ids"]))
    purposes = {p.slug: p for p in ConsentPurpose.objects.filter(active=True)}
    for consent in data.get("consents", []):
        purpose = purposes.get(consent["slug"])
        if purpose is None:
            continue
        consent_set(
            stakeholder=stakeholder,
            purpose=purpose,
            given=True,
            method=ConsentMethod.WEB,
            wording=consent["wording"],
            ip_address=data.get("ip_address"),
            user_agent=data.get("user_agent", ""),
            evidence={
                "double_opt_in": True,
                "requested_at": pending.created_at.isoformat(),
                "confirmed_ip_address": ip_address,
                "confirmed_user_agent": (user_agent or "")[:400],
            },
        )
    pending.confirmed_at = timezone.now()
    pending.email = ""
    pending.data = {"stakeholder_id": stakeholder.pk}
    pending.save(update_fields=["confirmed_at", "email", "data"])
    email_queue(
        to_email=stakeholder.email,
        template="engage/signup_welcome",
        stakeholder=stakeholder,
        context={
            "first_name": stakeholder.first_name,
            "preferences_url": settings.SITE_URL
            + reverse(
                "engage:preferences",
                kwargs={
                    "token": links.link_token(stakeholder=stakeholder, purpose=links.PREFERENCES)
                },
            ),
        },
    )
    logger.info(
        "signup confirmed",
        extra={"pending_signup_id": pending.pk, "stakeholder_id": stakeholder.pk},
    )
    return stakeholder


def signups_purge(*, now=None) -> int:
    """Delete sign-ups never confirmed within ENGAGE_UNCONFIRMED_SIGNUP_DAYS, and confirmed ones
    past that age (they hold no personal data by then). Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ENGAGE_UNCONFIRMED_SIGNUP_DAYS)
    deleted, _counts = PendingSignup.objects.filter(created_at__lt=cutoff).delete()
    logger.info("unconfirmed signups purged", extra={"deleted": deleted})
    return deleted
