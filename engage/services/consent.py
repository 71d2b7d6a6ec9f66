"""The consent ledger (append-only: give, withdraw, set, unsubscribe) and the suppression list."""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction, ConsentAction, ConsentMethod, LawfulBasis, SuppressionReason
from engage.models import ConsentPurpose, ConsentRecord, Stakeholder, Suppression
from engage.normalise import normalise_email
from engage.privacy import privacy_notice_version_current
from engage.selectors import stakeholder_consents
from engage.services.audit import audit_log

logger = logging.getLogger(__name__)


def _purpose(purpose: ConsentPurpose | str) -> ConsentPurpose:
    if isinstance(purpose, ConsentPurpose):
        return purpose
    return ConsentPurpose.objects.get(slug=purpose)


@transaction.atomic
def _consent_append(
    *,
    stakeholder: Stakeholder,
    purpose: ConsentPurpose | str,
    give: bool,
    method: str,
    wording: str | None,
    privacy_notice_version: str | None,
    ip_address: str | None,
    user_agent: str,
    recorded_by,
    import_batch,
    import_row: int | None,
    evidence: dict | None,
    only_if_changed: bool,
) -> ConsentRecord | None:
    purpose = _purpose(purpose)
    if (
        method in (ConsentMethod.PHONE, ConsentMethod.PAPER, ConsentMethod.IN_PERSON)
        and recorded_by is None
    ):
        raise ValidationError(
            _("A phone, paper or in-person consent needs the staff member who recorded it.")
        )
    if method == ConsentMethod.IMPORT and import_batch is None:
        raise ValidationError(_("An imported consent needs its import batch."))
    # The person's row is the lock: concurrent changes for one person queue here, so "latest by
    # time" is also "latest to commit" and the derived state never disagrees with the ledger.
    Stakeholder.objects.select_for_update().filter(pk=stakeholder.pk).values_list("pk").first()
    if give:
        action = ConsentAction.GIVEN
    elif purpose.lawful_basis == LawfulBasis.PUBLIC_TASK:
        action = ConsentAction.OBJECTED
    else:
        action = ConsentAction.WITHDRAWN
    if only_if_changed:
        latest = (
            ConsentRecord.objects.filter(stakeholder=stakeholder, purpose=purpose)
            .order_by("-at", "-id")
            .values_list("action", flat=True)
            .first()
        )
        current_given = latest == ConsentAction.GIVEN
        if current_given == give and (give or latest is not None):
            return None
    now = timezone.now()
    record = ConsentRecord.objects.create(
        stakeholder=stakeholder,
        purpose=purpose,
        action=action,
        at=now,
        method=method,
        wording=purpose.wording if wording is None else wording,
        privacy_notice_version=privacy_notice_version or privacy_notice_version_current(),
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:400],
        recorded_by=recorded_by,
        import_batch=import_batch,
        import_row=import_row,
        evidence=evidence or {},
    )
    Stakeholder.objects.filter(pk=stakeholder.pk).update(last_activity_at=now)
    if recorded_by is not None and method != ConsentMethod.IMPORT:
        audit_log(
            actor=recorded_by,
            action=AuditAction.CONSENT,
            obj=stakeholder,
            detail={"purpose": purpose.slug, "action": action, "method": method},
        )
    logger.info(
        "consent recorded",
        extra={"stakeholder_id": stakeholder.pk, "purpose": purpose.slug, "action": action},
    )
    return record


def consent_give(
    *,
    stakeholder: Stakeholder,
    purpose: ConsentPurpose | str,
    method: str,
    wording: str | None = None,
    privacy_notice_version: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    recorded_by=None,
    import_batch=None,
    import_row: int | None = None,
    evidence: dict | None = None,
) -> ConsentRecord:
    """Append a "given" record for one purpose (a purpose instance or its slug).

    Stores the exact wording shown (the purpose's current wording unless given) and the privacy
    notice version. Evidence: ip and user agent on the web; `recorded_by` for phone and paper
    (required); `import_batch` and `import_row` for an import (required). Locks the person's row,
    touches last_activity_at, and writes an audit row when a staff member recorded it.
    Raises ValidationError when the evidence a method needs is missing.
    """
    return _consent_append(
        stakeholder=stakeholder,
        purpose=purpose,
        give=True,
        method=method,
        wording=wording,
        privacy_notice_version=privacy_notice_version,
        ip_address=ip_address,
        user_agent=user_agent,
        recorded_by=recorded_by,
        import_batch=import_batch,
        import_row=import_row,
        evidence=evidence,
        only_if_changed=False,
    )


def consent_withdraw(
    *,
    stakeholder: Stakeholder,
    purpose: ConsentPurpose | str,
    method: str,
    wording: str | None = None,
    privacy_notice_version: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    recorded_by=None,
    import_batch=None,
    import_row: int | None = None,
    evidence: dict | None = None,
) -> ConsentRecord:
    """Append a "withdrawn" record (an "objected" one for a public-task purpose).

    Takes effect at once: mail already queued under this purpose is suppressed when its send
    task checks consent. Same evidence rules and side effects as consent_give.
    """
    return _consent_append(
        stakeholder=stakeholder,
        purpose=purpose,
        give=False,
        method=method,
        wording=wording,
        privacy_notice_version=privacy_notice_version,
        ip_address=ip_address,
        user_agent=user_agent,
        recorded_by=recorded_by,
        import_batch=import_batch,
        import_row=import_row,
        evidence=evidence,
        only_if_changed=False,
    )


def consent_set(
    *,
    stakeholder: Stakeholder,
    purpose: ConsentPurpose | str,
    given: bool,
    method: str,
    wording: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    recorded_by=None,
    evidence: dict | None = None,
) -> ConsentRecord | None:
    """Give or withdraw only if that changes the current state; returns the new record or None.

    Used by forms that show every purpose (preferences, unsubscribe, sign-up confirmation), so
    resubmitting a page adds nothing to the ledger. Side effects as consent_give.
    """
    return _consent_append(
        stakeholder=stakeholder,
        purpose=purpose,
        give=given,
        method=method,
        wording=wording,
        privacy_notice_version=None,
        ip_address=ip_address,
        user_agent=user_agent,
        recorded_by=recorded_by,
        import_batch=None,
        import_row=None,
        evidence=evidence,
        only_if_changed=True,
    )


def consent_unsubscribe(
    *, stakeholder: Stakeholder, purpose_slug: str = "", method: str = ConsentMethod.UNSUBSCRIBE
) -> list[ConsentRecord]:
    """Withdraw one purpose (or, with no slug, every purpose currently given) for one person.

    Idempotent: a purpose already withdrawn gets no new record. Returns the new records.
    Raises ConsentPurpose.DoesNotExist for an unknown slug.
    """
    if purpose_slug:
        purposes = [ConsentPurpose.objects.get(slug=purpose_slug)]
    else:
        purposes = [s.purpose for s in stakeholder_consents(stakeholder) if s.given]
    records = []
    for purpose in purposes:
        record = consent_set(stakeholder=stakeholder, purpose=purpose, given=False, method=method)
        if record is not None:
            records.append(record)
    return records


def suppression_add(
    *, email: str, reason: str, note: str = "", actor=None
) -> tuple[Suppression, bool]:
    """Put an address on the suppression list (idempotent); returns (row, created).

    Queued mail to the address is suppressed when its send task runs: all of it for a bounce, a
    complaint or a staff entry, engagement mail only for an unsubscribe (engage.mail.sending). Writes an audit row when a
    staff member added it. Raises ValidationError for an invalid address.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": _("Enter an email address in the correct format, like name@example.com")}
        ) from None
    suppression, created = Suppression.objects.get_or_create(
        email_normalised=normalise_email(email),
        defaults={"reason": reason, "note": note[:300], "created_by": actor},
    )
    if not created and suppression.reason == SuppressionReason.UNSUBSCRIBE != reason:
        # A bounce or complaint after an unsubscribe stops all mail, not engagement mail only.
        suppression.reason, suppression.note = reason, note[:300]
        suppression.save(update_fields=["reason", "note"])
    if created and actor is not None:
        audit_log(
            actor=actor, action=AuditAction.SUPPRESS, obj=suppression, detail={"added": reason}
        )
    logger.info("suppression added", extra={"suppression_id": suppression.pk, "is_new": created})
    return suppression, created


def suppression_remove(*, suppression: Suppression, actor) -> None:
    """Take an address off the suppression list, so consented mail reaches it again. Audited."""
    audit_log(
        actor=actor,
        action=AuditAction.SUPPRESS,
        obj=suppression,
        detail={"removed": suppression.reason},
    )
    suppression.delete()
