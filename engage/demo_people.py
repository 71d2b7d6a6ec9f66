"""Demo stakeholders, organisations and area populations: a list worth looking at.

Every person is fictitious, mailed at reserved example domains, and made the same way on every
machine (a fixed seed). Rows are created once: a person already on the list is left as the team
left them, and population figures already loaded are not replaced.
"""

import csv
import datetime as dt
import random
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from engage.enums import (
    PURPOSE_ACTION_PLAN_NEWS,
    PURPOSE_MEETING_INVITATIONS,
    ConsentAction,
    ConsentMethod,
    OrganisationType,
    SuppressionReason,
)
from engage.models import (
    Area,
    ConsentPurpose,
    ConsentRecord,
    Membership,
    Organisation,
    Stakeholder,
    Suppression,
)
from engage.normalise import normalise_email
from engage.services import area_population_load

DEMO_SOURCE = "Demo data"
DEMO_PEOPLE = 320
DEMO_PRIVACY_NOTICE = "demo"

POPULATION_FILE = Path(__file__).parent / "data" / "area_population_census2021.csv"
POPULATION_SOURCE = (
    "ONS, Census 2021 usual resident population (March 2021), rounded to the nearest 100; "
    "Open Government Licence v3.0"
)

FIRST_NAMES = [
    "Aisha",
    "Amara",
    "Ben",
    "Chloe",
    "Daniel",
    "Deepa",
    "Ebony",
    "Elif",
    "Fatima",
    "Femi",
    "Grace",
    "Hassan",
    "Ife",
    "Imran",
    "Jade",
    "Jamal",
    "Kemi",
    "Kwame",
    "Leah",
    "Liam",
    "Marcus",
    "Maya",
    "Mohammed",
    "Nadia",
    "Nia",
    "Omar",
    "Priya",
    "Rahul",
    "Rosa",
    "Ruth",
    "Samir",
    "Sara",
    "Tariq",
    "Tomasz",
    "Una",
    "Yusuf",
    "Zainab",
    "Zoe",
    "Ade",
    "Bogdan",
    "Carmen",
    "Dev",
    "Esther",
    "Gabriel",
    "Hana",
]
LAST_NAMES = [
    "Adebayo",
    "Ahmed",
    "Ali",
    "Begum",
    "Brown",
    "Campbell",
    "Chen",
    "Clarke",
    "Costa",
    "Davies",
    "Edwards",
    "Evans",
    "Francis",
    "Green",
    "Hall",
    "Hussain",
    "Ibrahim",
    "Jones",
    "Kaur",
    "Khan",
    "Kowalski",
    "Lewis",
    "Mensah",
    "Murphy",
    "Nowak",
    "Okafor",
    "Osei",
    "Patel",
    "Rahman",
    "Roberts",
    "Santos",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Walker",
    "Williams",
    "Wilson",
    "Yilmaz",
]
DOMAINS = ("example.org", "example.com", "example.net")
ROLES = ("Chair", "Secretary", "Youth worker", "Volunteer", "Trustee", "Coordinator", "")

# (name, type, areas) for more groups than the six in engage.demo, so most areas have one.
MORE_ORGANISATIONS = [
    ("Barking Riverside Community Trust", OrganisationType.VOLUNTARY, ["Barking and Dagenham"]),
    ("Barnet Multicultural Forum", OrganisationType.VOLUNTARY, ["Barnet"]),
    ("Bexley Parents Network", OrganisationType.VOLUNTARY, ["Bexley", "Bromley"]),
    ("Camden Young Advisers", OrganisationType.YOUTH, ["Camden"]),
    ("Croydon BME Forum", OrganisationType.VOLUNTARY, ["Croydon"]),
    ("Ealing and Hounslow Mosques Council", OrganisationType.FAITH, ["Ealing", "Hounslow"]),
    ("Greenwich Estates Residents' Federation", OrganisationType.RESIDENTS, ["Greenwich"]),
    ("Hackney Independent Advisory Group", OrganisationType.VOLUNTARY, ["Hackney"]),
    ("West London Churches Together", OrganisationType.FAITH, ["Hammersmith and Fulham"]),
    ("Harrow Council for Voluntary Service", OrganisationType.VOLUNTARY, ["Harrow"]),
    ("Havering Youth Parliament", OrganisationType.YOUTH, ["Havering"]),
    ("Hillingdon Community Safety Partnership", OrganisationType.STATUTORY, ["Hillingdon"]),
    ("North Kensington Residents Together", OrganisationType.RESIDENTS, ["Kensington and Chelsea"]),
    ("Kingston Race Equality Council", OrganisationType.VOLUNTARY, ["Kingston upon Thames"]),
    ("Brixton Community Panel", OrganisationType.VOLUNTARY, ["Lambeth"]),
    ("Merton Youth Voice", OrganisationType.YOUTH, ["Merton", "Sutton"]),
    ("Redbridge Faith Forum", OrganisationType.FAITH, ["Redbridge"]),
    ("Richmond Safer Streets Group", OrganisationType.RESIDENTS, ["Richmond upon Thames"]),
    ("Walthamstow Mothers' Network", OrganisationType.VOLUNTARY, ["Waltham Forest"]),
    ("Wandsworth Community Empowerment Network", OrganisationType.VOLUNTARY, ["Wandsworth"]),
    (
        "Westminster and City Residents' Forum",
        OrganisationType.RESIDENTS,
        ["Westminster", "City of London"],
    ),
]


def _organisations() -> list[Organisation]:
    for name, org_type, area_names in MORE_ORGANISATIONS:
        organisation, created = Organisation.objects.get_or_create(
            name=name, defaults={"type": org_type}
        )
        if created:
            organisation.areas.set(Area.objects.filter(name__in=area_names))
    return list(Organisation.objects.prefetch_related("areas").order_by("name"))


def _population_weights() -> dict[str, int]:
    # From the file, not the rows: the same people come out even after staff load other figures.
    with POPULATION_FILE.open(newline="", encoding="utf-8") as handle:
        return {row["code"]: int(row["population"]) for row in csv.DictReader(handle)}


def _area(rng: random.Random, n: int, areas: list[Area], weights: list[int]) -> Area | None:
    # The first few people cover every area once, so even the City has someone to show.
    if n < len(areas):
        return areas[n]
    # One in twelve gave no area, as on the real list.
    return None if rng.random() < 1 / 12 else rng.choices(areas, weights)[0]


def _people(rng: random.Random, areas: list[Area]) -> list[dict]:
    """The same list of fictitious people on every run, areas weighted by population."""
    population = _population_weights()
    areas = [area for area in areas if area.code in population]
    weights = [population[area.code] for area in areas]
    people = []
    for n in range(DEMO_PEOPLE):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        people.append(
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}.{n}@{rng.choice(DOMAINS)}".lower(),
                "area": _area(rng, n, areas, weights),
                "joined_days_ago": rng.randint(20, 900),
                "roll": rng.random(),
                "news": rng.random() < 0.45,
                "member": rng.random() < 0.4,
            }
        )
    return people


def _ledger(person: dict, stakeholder: Stakeholder, purposes: dict, joined) -> list:
    """Consent rows for one person: most said yes to invitations, some later withdrew."""
    rows = []
    method = ConsentMethod.WEB if person["roll"] < 0.7 else ConsentMethod.EMAIL
    invitations = purposes[PURPOSE_MEETING_INVITATIONS]
    if person["roll"] < 0.88:
        rows.append((invitations, ConsentAction.GIVEN, joined, method))
        if person["roll"] > 0.78:
            later = joined + (timezone.now() - joined) / 2
            rows.append((invitations, ConsentAction.WITHDRAWN, later, ConsentMethod.UNSUBSCRIBE))
    if person["news"]:
        rows.append((purposes[PURPOSE_ACTION_PLAN_NEWS], ConsentAction.GIVEN, joined, method))
    return [
        ConsentRecord(
            stakeholder=stakeholder,
            purpose=purpose,
            action=action,
            at=at,
            method=how,
            wording=purpose.wording,
            privacy_notice_version=DEMO_PRIVACY_NOTICE,
            evidence={"demo": True},
        )
        for purpose, action, at, how in rows
    ]


def _suppression(person: dict, email: str) -> Suppression | None:
    # A few addresses bounced or complained: still on the list, never mailed.
    if 0.95 <= person["roll"] < 0.98:
        return Suppression(email_normalised=email, reason=SuppressionReason.HARD_BOUNCE)
    if person["roll"] >= 0.98:
        return Suppression(email_normalised=email, reason=SuppressionReason.COMPLAINT)
    return None


@transaction.atomic
def demo_load_people(*, seed: int = 2021) -> int:
    """Area populations (when none are loaded), more organisations and a few hundred people with
    their consents, memberships and a few bounced or complained addresses. Writes rows directly,
    in bulk: these are past facts being recorded, not actions that should notify or audit anyone.
    Returns how many people it added (0 on a second run)."""
    if not Area.objects.filter(population__isnull=False).exists():
        area_population_load(path=POPULATION_FILE, source=POPULATION_SOURCE)
    areas = list(Area.objects.order_by("code"))
    organisations = _organisations()
    rng = random.Random(seed)
    people = _people(rng, areas)
    known = set(
        Stakeholder.objects.filter(
            email_normalised__in=[normalise_email(p["email"]) for p in people]
        ).values_list("email_normalised", flat=True)
    )
    now = timezone.now()
    new = [p for p in people if normalise_email(p["email"]) not in known]
    created = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                first_name=p["first_name"],
                last_name=p["last_name"],
                email=p["email"],
                email_normalised=normalise_email(p["email"]),
                area=p["area"],
                source=DEMO_SOURCE,
                created_at=now - dt.timedelta(days=p["joined_days_ago"]),
                last_activity_at=now - dt.timedelta(days=p["joined_days_ago"]),
            )
            for p in new
        ]
    )
    if not created[:1] or created[0].pk is None:
        # Databases that return no ids from a bulk insert: read them back by address.
        by_email = dict(
            Stakeholder.objects.filter(
                email_normalised__in=[s.email_normalised for s in created]
            ).values_list("email_normalised", "pk")
        )
        for stakeholder in created:
            stakeholder.pk = by_email[stakeholder.email_normalised]
    purposes = {p.slug: p for p in ConsentPurpose.objects.all()}
    records, memberships, suppressions = [], [], []
    for person, stakeholder in zip(new, created, strict=True):
        records += _ledger(person, stakeholder, purposes, stakeholder.created_at)
        local = [o for o in organisations if person["area"] in o.areas.all()]
        if person["member"] and local:
            memberships.append(
                Membership(
                    stakeholder=stakeholder,
                    organisation=rng.choice(local),
                    role=rng.choice(ROLES),
                )
            )
        suppression = _suppression(person, stakeholder.email_normalised)
        if suppression is not None:
            suppressions.append(suppression)
    ConsentRecord.objects.bulk_create(records)
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)
    Suppression.objects.bulk_create(suppressions, ignore_conflicts=True)
    return len(created)
