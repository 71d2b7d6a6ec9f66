"""Writes and side effects for the stakeholder database. Every write goes through a function here."""

import csv
import logging
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from engage import links
from engage.enums import (
    AuditAction,
    ConsentAction,
    ConsentMethod,
    LawfulBasis,
    SuppressionReason,
)
from engage.mail.services import email_queue
from engage.models import (
    Area,
    AuditLog,
    ConsentPurpose,
    ConsentRecord,
    Membership,
    Organisation,
    PendingSignup,
    Segment,
    Stakeholder,
    Suppression,
    Tag,
    WorkerHeartbeat,
)
from engage.normalise import normalise_email
from engage.selectors import (
    stakeholder_consents,
    stakeholder_filter_choices_forget,
    stakeholder_for_user,
)

logger = logging.getLogger(__name__)

AREAS_FILE = Path(__file__).parent / "data" / "london_areas.csv"


@transaction.atomic
def areas_load(*, path: Path = AREAS_FILE) -> int:
    """Create or update the areas listed in `path` (code, name, kind). Returns how many it read."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        Area.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "slug": slugify(row["name"]), "kind": row["kind"]},
        )
    transaction.on_commit(stakeholder_filter_choices_forget)
    return len(rows)


def audit_log(*, actor, action: str, obj=None, detail: dict | None = None):
    """Write one AuditLog row for a staff action on personal data. Holds ids and counts only.

    `obj` is any model instance (its type and primary key are recorded) or None.
    """
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        detail=detail or {},
    )


def worker_heartbeat_record(*, name: str = "celery") -> None:
    """Record that a Celery worker is alive now (one row per name, updated in place)."""
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"last_seen_at": timezone.now()})


# --- Stakeholders --------------------------------------------------------------------------------

_UNSET = object()
_STAKEHOLDER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "area",
    "preferred_language",
    "source",
    "notes",
)


def _check_email_free(email: str, *, exclude_pk: int | None = None) -> str:
    """The address, trimmed; raises ValidationError if invalid or already on the list."""
    email = (email or "").strip()
    try:
        # The normalised form is the identity; full-width letters and the like normalise away.
        validate_email(normalise_email(email))
    except ValidationError:
        raise ValidationError(
            {"email": _("Enter an email address in the correct format, like name@example.com")}
        ) from None
    taken = Stakeholder.objects.filter(email_normalised=normalise_email(email))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"email": _("Someone on the list already has this email address.")})
    return email


def stakeholder_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    area: Area | None = None,
    preferred_language: str = "en-gb",
    source: str = "",
    notes: str = "",
    user=None,
    actor=None,
) -> Stakeholder:
    """Add one person to the list (with no consent: that is recorded separately).

    Raises ValidationError for an invalid address or one already on the list. Writes an audit row
    when `actor` (a staff member) is given.
    """
    email = _check_email_free(email)
    stakeholder = Stakeholder.objects.create(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=phone.strip(),
        area=area,
        preferred_language=preferred_language,
        source=source,
        notes=notes,
        user=user,
        last_activity_at=timezone.now(),
    )
    if actor is not None:
        audit_log(actor=actor, action=AuditAction.CREATE, obj=stakeholder)
    logger.info("stakeholder created", extra={"stakeholder_id": stakeholder.pk})
    return stakeholder


def stakeholder_link_user(*, user) -> Stakeholder | None:
    """Link a signed-in account to the list entry whose address the account has verified, when
    neither is linked yet. Idempotent; returns the linked entry or None. The address, verified
    by allauth, is the proof: an unverified address links nothing."""
    stakeholder = stakeholder_for_user(user)
    if stakeholder is None or stakeholder.user_id is not None:
        return stakeholder
    if Stakeholder.objects.filter(user=user).exists():
        return stakeholder
    linked = Stakeholder.objects.filter(pk=stakeholder.pk, user__isnull=True).update(user=user)
    if linked:
        stakeholder.user = user
        logger.info(
            "stakeholder linked to account",
            extra={"stakeholder_id": stakeholder.pk, "user_id": user.pk},
        )
    return stakeholder


def stakeholder_update(
    *,
    stakeholder: Stakeholder,
    actor=None,
    first_name=_UNSET,
    last_name=_UNSET,
    email=_UNSET,
    phone=_UNSET,
    area=_UNSET,
    preferred_language=_UNSET,
    source=_UNSET,
    notes=_UNSET,
) -> list[str]:
    """Change the given fields of one person; returns the names of the fields that changed.

    Raises ValidationError for an invalid address or one another person has. Writes an audit row
    (field names only, never values) when `actor` is given and something changed.
    """
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "area": area,
        "preferred_language": preferred_language,
        "source": source,
        "notes": notes,
    }
    if values["email"] is not _UNSET:
        values["email"] = _check_email_free(values["email"], exclude_pk=stakeholder.pk)
    changed = []
    for name in _STAKEHOLDER_FIELDS:
        value = values[name]
        if value is _UNSET:
            continue
        if isinstance(value, str) and name != "notes":
            value = value.strip()
        if getattr(stakeholder, name) != value:
            setattr(stakeholder, name, value)
            changed.append(name)
    if changed:
        stakeholder.save()
        if actor is not None:
            audit_log(
                actor=actor, action=AuditAction.EDIT, obj=stakeholder, detail={"fields": changed}
            )
    return changed


# --- Consent ledger ------------------------------------------------------------------------------


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
    if method in (ConsentMethod.PHONE, ConsentMethod.PAPER) and recorded_by is None:
        raise ValidationError(_("A phone or paper consent needs the staff member who recorded it."))
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
        privacy_notice_version=privacy_notice_version or settings.ENGAGE_PRIVACY_NOTICE_VERSION,
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


# --- Suppression list ----------------------------------------------------------------------------


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


# --- Joining the list (double opt-in) ------------------------------------------------------------


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
            "privacy_notice_version": settings.ENGAGE_PRIVACY_NOTICE_VERSION,
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


# --- Engagement team: organisations and tags on a person, saved segments ------------------------


@transaction.atomic
def stakeholder_memberships_set(
    *, stakeholder: Stakeholder, memberships: list[tuple[str, str]], actor=None
) -> bool:
    """Make the person's organisations exactly `memberships` ((name, role) pairs).

    Organisations are matched by name in any letter case; a new name creates an organisation of
    type "other". Returns whether anything changed; writes an edit audit row when it did.
    """
    wanted: dict[int, str] = {}
    for name, role in memberships:
        organisation = Organisation.objects.filter(name__iexact=name).first()
        if organisation is None:
            organisation = Organisation.objects.create(name=name)
        wanted[organisation.pk] = role
    current = {m.organisation_id: m for m in Membership.objects.filter(stakeholder=stakeholder)}
    changed = False
    for organisation_id, membership in current.items():
        if organisation_id not in wanted:
            membership.delete()
            changed = True
        elif membership.role != wanted[organisation_id]:
            membership.role = wanted[organisation_id]
            membership.save(update_fields=["role"])
            changed = True
    for organisation_id, role in wanted.items():
        if organisation_id not in current:
            Membership.objects.create(
                stakeholder=stakeholder, organisation_id=organisation_id, role=role
            )
            changed = True
    if changed and actor is not None:
        audit_log(
            actor=actor,
            action=AuditAction.EDIT,
            obj=stakeholder,
            detail={"fields": ["organisations"]},
        )
    return changed


@transaction.atomic
def stakeholder_tags_set(*, stakeholder: Stakeholder, names: list[str], actor=None) -> bool:
    """Make the person's tags exactly `names` (matched in any letter case, created if new).

    Returns whether anything changed; writes an edit audit row when it did.
    """
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(name=name)
            transaction.on_commit(stakeholder_filter_choices_forget)
        tags.append(tag)
    before = set(stakeholder.tags.values_list("pk", flat=True))
    after = {tag.pk for tag in tags}
    if before == after:
        return False
    stakeholder.tags.set(tags)
    if actor is not None:
        audit_log(
            actor=actor, action=AuditAction.EDIT, obj=stakeholder, detail={"fields": ["tags"]}
        )
    return True


def segment_create(*, name: str, filters: dict, actor):
    """Save a named stakeholder filter. Raises ValidationError if the name is taken."""
    name = name.strip()
    if Segment.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a segment with this name.")})
    return Segment.objects.create(name=name, filters=filters, created_by=actor)


def segment_update(*, segment, name: str, filters: dict | None = None) -> None:
    """Rename a segment (and replace its filters when given). Raises ValidationError on a clash."""
    name = name.strip()
    if Segment.objects.filter(name__iexact=name).exclude(pk=segment.pk).exists():
        raise ValidationError({"name": _("There is already a segment with this name.")})
    segment.name = name
    if filters is not None:
        segment.filters = filters
    segment.save()


def segment_delete(*, segment) -> None:
    """Delete a saved filter; the people in it are untouched."""
    segment.delete()


@transaction.atomic
def area_population_load(*, path: Path, source: str) -> int:
    """Set Area.population from a CSV of `code,population` (ONS GSS codes), with its stated source.

    All or nothing: every row is checked first (known area code, whole positive number, no code
    twice, a source given) and a ValidationError lists every problem with its row number; nothing
    is written then. Returns how many areas were updated. Side effect: Area.population and
    Area.population_source.
    """
    source = source.strip()
    if not source:
        raise ValidationError(_("Say where the figures come from (--source)."))
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    if rows and rows[0] and rows[0][0].strip().lower() == "code":
        start, rows = 2, rows[1:]
    else:
        start = 1
    areas = {a.code: a for a in Area.objects.exclude(code="")}
    errors, seen, updates = [], set(), []
    for number, row in enumerate(rows, start=start):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            errors.append(_("Row %(n)s: expected code,population.") % {"n": number})
            continue
        code, value = row[0].strip(), row[1].strip().replace(",", "")
        area = areas.get(code)
        if area is None:
            errors.append(
                _("Row %(n)s: no area has the code %(code)s.") % {"n": number, "code": code}
            )
        elif code in seen:
            errors.append(_("Row %(n)s: %(code)s appears twice.") % {"n": number, "code": code})
        elif not value.isdigit() or int(value) <= 0:
            errors.append(
                _("Row %(n)s: the population must be a whole number above zero.") % {"n": number}
            )
        else:
            seen.add(code)
            area.population = int(value)
            area.population_source = source[:300]
            updates.append(area)
    if errors:
        raise ValidationError(errors)
    Area.objects.bulk_update(updates, ["population", "population_source"])
    return len(updates)
