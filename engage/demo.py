"""Demo data for the stakeholder side, written in the project's own words. Idempotent."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from engage.enums import OrganisationType, Role
from engage.models import Area, Organisation, User
from engage.roles import roles_ensure, user_set_role
from engage.services import areas_load

# A fixed base32 secret so the demo's staff can add it to an authenticator app once.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (demo only, printed)
DEMO_PASSWORD = "engage-demo-password"  # noqa: S105 (demo only, printed)


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    password: str | None
    totp: bool


DEMO_USERS = [
    DemoUser("admin@engage.test", Role.ADMINISTRATOR, DEMO_PASSWORD, True),
    DemoUser("team@engage.test", Role.ENGAGEMENT_TEAM, DEMO_PASSWORD, True),
    DemoUser("facilitator@engage.test", Role.FACILITATOR, None, False),
    DemoUser("rep@engage.test", Role.REPRESENTATIVE, None, False),
]

DEMO_ORGANISATIONS = [
    ("Northside Youth Forum", OrganisationType.YOUTH, ["Haringey", "Enfield"]),
    ("Riverside Residents' Association", OrganisationType.RESIDENTS, ["Southwark"]),
    ("Eastgate Faith Network", OrganisationType.FAITH, ["Newham", "Tower Hamlets"]),
    (
        "Community Voices for Fair Policing",
        OrganisationType.VOLUNTARY,
        ["Lambeth", "Lewisham", "Croydon"],
    ),
    ("Safer Neighbourhood Board, Brent", OrganisationType.STATUTORY, ["Brent"]),
    ("Young Londoners Stop and Search Panel", OrganisationType.YOUTH, ["Hackney", "Islington"]),
]


def _user(spec: DemoUser) -> User:
    user, _ = User.objects.get_or_create(email=spec.email, defaults={"first_name": spec.role.label})
    if spec.password:
        user.set_password(spec.password)
    else:
        user.set_unusable_password()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    user_set_role(user=user, role=spec.role)
    if spec.role == Role.ADMINISTRATOR:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    if (
        spec.totp
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


@transaction.atomic
def demo_load_engage() -> dict[str, User]:
    """Areas, roles, demo users and organisations. Returns the demo users by role."""
    areas_load()
    roles_ensure()
    users = {spec.role: _user(spec) for spec in DEMO_USERS}
    for name, org_type, area_names in DEMO_ORGANISATIONS:
        organisation, _ = Organisation.objects.get_or_create(name=name, defaults={"type": org_type})
        organisation.areas.set(Area.objects.filter(name__in=area_names))
    return users
