"""What feedback holds about a person, for subject access, erasure and retention.

Owners' named contacts are people: their name and work email sit on Owner. They are not
stakeholders, so the registry (keyed by stakeholder) finds them by address: a stakeholder whose
email is an owner contact's gets that contact in their export, and erasing them blanks it (the
owner, its responses and their history stay: they speak for the organisation). Contacts nobody
has used for ENGAGE_RETENTION_DAYS are blanked by `owner_contacts_retention_run` (beat).
"""

import datetime as _dt
import logging

from django.conf import settings
from django.utils import timezone

from engage.normalise import normalise_email
from engage.rights import SubjectDataProvider
from feedback.models import Owner, Response

logger = logging.getLogger(__name__)


def _owners_of(stakeholder):
    address = normalise_email(stakeholder.email or "")
    if not address:
        return Owner.objects.none()
    return Owner.objects.filter(contact_email__iexact=address)


def _collect(stakeholder) -> dict[str, list[dict]]:
    return {
        "Contact for responses owed": [
            {
                "team_or_organisation": owner.name,
                "contact_name": owner.contact_name,
                "contact_email": owner.contact_email,
                "items_owed": owner.responses.count(),
                "added_at": owner.created_at,
            }
            for owner in _owners_of(stakeholder).order_by("pk")
        ]
    }


def _anonymise(stakeholder) -> int:
    return _owners_of(stakeholder).update(contact_name="", contact_email="")


OWNERS_PROVIDER = SubjectDataProvider(
    name="feedback.owners", collect=_collect, anonymise=_anonymise
)


def owner_contacts_retention_run(*, now: _dt.datetime | None = None) -> int:
    """Blank the contact of every owner with no item changed for ENGAGE_RETENTION_DAYS (and
    not itself changed in that time). Side effects: contact_name and contact_email cleared.
    Returns how many owners."""
    cutoff = (now or timezone.now()) - _dt.timedelta(days=settings.ENGAGE_RETENTION_DAYS)
    used = Response.objects.filter(updated_at__gte=cutoff, owner__isnull=False).values("owner_id")
    stale = (
        Owner.objects.exclude(contact_email="", contact_name="")
        .filter(updated_at__lt=cutoff)
        .exclude(pk__in=used)
    )
    count = stale.update(contact_name="", contact_email="")
    logger.info("owner contacts retention", extra={"owners": count})
    return count
