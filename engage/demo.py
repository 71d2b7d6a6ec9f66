"""Demo data for the stakeholder side, written in the project's own words. Created once:
running it again adds what is missing and leaves what the team changed."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from engage.demo_people import DEMO_SOURCE, demo_load_people
from engage.enums import PURPOSE_MEETING_INVITATIONS, ConsentMethod, OrganisationType, Role
from engage.models import Area, Membership, Organisation, Stakeholder, User
from engage.normalise import normalise_email
from engage.roles import roles_ensure, user_set_role
from engage.services import areas_load, consent_give, stakeholder_create

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
    user, created = User.objects.get_or_create(
        email=spec.email, defaults={"first_name": spec.role.label}
    )
    if not created:
        # Once made, the account is the team's: setting the password again would end its
        # sessions (Django ties them to the password hash), and the role may have been changed.
        return user
    if spec.password:
        user.set_password(spec.password)
    else:
        user.set_unusable_password()
    user.is_superuser = spec.role == Role.ADMINISTRATOR
    user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    user_set_role(user=user, role=spec.role)
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
        organisation, created = Organisation.objects.get_or_create(
            name=name, defaults={"type": org_type}
        )
        if created:
            organisation.areas.set(Area.objects.filter(name__in=area_names))
    demo_load_people()
    _representative_stakeholder(users[Role.REPRESENTATIVE])
    return users


def _representative_stakeholder(user: User) -> Stakeholder:
    """The demo representative's place on the list, linked to their account by its address."""
    stakeholder = Stakeholder.objects.filter(email_normalised=normalise_email(user.email)).first()
    if stakeholder is not None:
        return stakeholder
    stakeholder = stakeholder_create(
        email=user.email,
        first_name="Remi",
        last_name="Adeyemi",
        area=Area.objects.filter(name="Lambeth").first(),
        source=DEMO_SOURCE,
        user=user,
    )
    consent_give(
        stakeholder=stakeholder, purpose=PURPOSE_MEETING_INVITATIONS, method=ConsentMethod.WEB
    )
    organisation = Organisation.objects.filter(name="Community Voices for Fair Policing").first()
    if organisation is not None:
        Membership.objects.get_or_create(
            stakeholder=stakeholder, organisation=organisation, defaults={"role": "Volunteer"}
        )
    return stakeholder


def demo_representative(user: User) -> Stakeholder | None:
    return Stakeholder.objects.filter(user=user).first()
