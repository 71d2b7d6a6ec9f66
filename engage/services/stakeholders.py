"""Stakeholders: adding and editing a person, their organisations and tags."""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction
from engage.models import Area, Membership, Organisation, Stakeholder, Tag
from engage.normalise import normalise_email
from engage.selectors import stakeholder_filter_choices_forget, stakeholder_for_user
from engage.services.audit import audit_log

logger = logging.getLogger(__name__)


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
