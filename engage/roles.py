"""Roles are groups with permissions. This module is the one place that says which role may do what."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from engage.enums import Role

# Group names as people see them in the admin; the Role values are their stable keys.
ROLE_GROUP_NAMES = {
    Role.REPRESENTATIVE: "Community representative",
    Role.FACILITATOR: "Facilitator",
    Role.ENGAGEMENT_TEAM: "Engagement team",
    Role.ADMINISTRATOR: "Administrator",
}

_ENGAGEMENT_TEAM = [
    "engage.view_stakeholder",
    "engage.add_stakeholder",
    "engage.change_stakeholder",
    "engage.export_stakeholder",
    "engage.import_stakeholder",
    "engage.view_organisation",
    "engage.add_organisation",
    "engage.change_organisation",
    "engage.view_segment",
    "engage.add_segment",
    "engage.change_segment",
    "engage.delete_segment",
    "engage.view_consentrecord",
    "engage.add_consentrecord",
    "engage.view_suppression",
    "engage.add_suppression",
    "engage.view_outboundemail",
    "events.view_meeting",
    "events.add_meeting",
    "events.change_meeting",
    "events.checkin_meeting",
    "events.view_registration",
    "events.change_registration",
    "events.view_panelquestion",
    "events.change_panelquestion",
    "events.view_campaign",
    "events.add_campaign",
    "events.change_campaign",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.REPRESENTATIVE: [],
    Role.FACILITATOR: ["events.checkin_meeting"],
    Role.ENGAGEMENT_TEAM: _ENGAGEMENT_TEAM,
    Role.ADMINISTRATOR: [
        *_ENGAGEMENT_TEAM,
        "engage.erase_stakeholder",
        "engage.view_auditlog",
        "engage.delete_stakeholder",
        "engage.change_suppression",
        "engage.delete_suppression",
        "engage.change_consentpurpose",
        "engage.add_consentpurpose",
        "engage.view_privacynotice",
        "engage.add_privacynotice",
        "engage.change_privacynotice",
        "events.delete_meeting",
    ],
}

# Roles whose members must use a password and a second factor.
MFA_ROLES = {Role.ENGAGEMENT_TEAM, Role.ADMINISTRATOR}


def _permission(codename: str) -> Permission | None:
    app_label, name = codename.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=name).first()


@transaction.atomic
def roles_ensure() -> None:
    """Create the role groups and set exactly their permissions. Idempotent."""
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = [p for p in (_permission(c) for c in ROLE_PERMISSIONS[role]) if p is not None]
        group.permissions.set(permissions)


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    names = {name: role for role, name in ROLE_GROUP_NAMES.items()}
    # engage.auth loads the group names with the signed-in user; other users are asked here.
    groups = getattr(user, "access_group_names", None)
    if groups is None:
        groups = user.groups.values_list("name", flat=True)
    roles = {names[g] for g in groups if g in names}
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    return roles


def user_requires_mfa(user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user_roles(user) & MFA_ROLES))


def user_set_role(*, user, role: str) -> None:
    """Add `user` to the group of `role` (staff roles also get the admin flag they need)."""
    group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
    user.groups.add(group)
    if role == Role.ADMINISTRATOR and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
