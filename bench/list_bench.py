"""Staff stakeholder list at 100,000 people, through gunicorn on PostgreSQL, 8 concurrent clients.

    .venv/bin/python bench/list_bench.py [--quick] [--people N] [--requests N]

Seeds the people with bulk inserts (a third with an organisation, most with a tag and a consent),
signs in an engagement-team member, then times, each with 8 concurrent clients:
  first page          /staff/stakeholders/
  deep page           a keyset cursor 90% of the way through the list
  last page           ?last=1
  name search         a surname shared by about 1 in 400 people
  email search        part of one address
  filtered page       consent given for meeting invitations, in one area
Targets (issue #3): pages p95 at most 100 ms, searches p95 at most 200 ms.
"""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    arg_parser,
    bench_database,
    gunicorn,
    load,
    login_cookie,
    print_table,
    setup_django,
    summarise,
    write_results,
)

SYLLABLES = ["ka", "lo", "mi", "ne", "sa", "to", "ri", "an", "be", "do", "fe", "gu", "ha", "jo"]


def _names(rng: random.Random, count: int) -> list[str]:
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title())
    return sorted(names)


def seed(people: int) -> dict:
    """Bulk-insert `people` stakeholders with memberships, tags and consents; what to search for."""
    from django.utils import timezone

    from engage.enums import ConsentAction, ConsentMethod
    from engage.models import (
        Area,
        ConsentPurpose,
        ConsentRecord,
        Membership,
        Organisation,
        Stakeholder,
        Tag,
    )
    from engage.services import areas_load

    rng = random.Random(11)
    areas_load()
    area_ids = list(Area.objects.values_list("pk", flat=True))
    firsts, lasts = _names(rng, 300), _names(rng, 400)
    organisations = Organisation.objects.bulk_create(
        [Organisation(name=f"Community group {i}") for i in range(500)]
    )
    tags = list(Tag.objects.all()) or [Tag.objects.create(name="Young people")]
    purpose = ConsentPurpose.objects.get(slug="meeting-invitations")
    now = timezone.now()
    batch = 5000
    for start in range(0, people, batch):
        rows = [
            Stakeholder(
                first_name=rng.choice(firsts),
                last_name=rng.choice(lasts),
                email=f"person{i}@example.org",
                email_normalised=f"person{i}@example.org",
                area_id=rng.choice(area_ids),
                phone=f"020 7946 {i % 10000:04d}",
                source="bench",
            )
            for i in range(start, min(start + batch, people))
        ]
        created = Stakeholder.objects.bulk_create(rows)
        Membership.objects.bulk_create(
            [
                Membership(stakeholder=p, organisation=rng.choice(organisations), role="Member")
                for p in created
                if rng.random() < 0.33
            ]
        )
        Stakeholder.tags.through.objects.bulk_create(
            [
                Stakeholder.tags.through(stakeholder_id=p.pk, tag_id=rng.choice(tags).pk)
                for p in created
                if rng.random() < 0.8
            ]
        )
        ConsentRecord.objects.bulk_create(
            [
                ConsentRecord(
                    stakeholder=p,
                    purpose=purpose,
                    action=ConsentAction.GIVEN,
                    at=now,
                    method=ConsentMethod.IMPORT,
                    wording=purpose.wording,
                    privacy_notice_version="bench",
                )
                for p in created
                if rng.random() < 0.7
            ]
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from engage.selectors import STAKEHOLDER_ORDER, _cursor_encode

    deep = Stakeholder.objects.order_by(*STAKEHOLDER_ORDER)[int(people * 0.9)]
    return {
        "surname": lasts[len(lasts) // 2],
        "email": f"person{people // 3}@",
        "deep_cursor": _cursor_encode(deep),
        "area": Area.objects.order_by("name").values_list("slug", flat=True)[3],
    }


def staff_user():
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from engage.enums import Role
    from engage.models import User
    from engage.roles import roles_ensure, user_set_role

    roles_ensure()
    user = User.objects.create_user("bench-staff@example.org", "bench-password-not-secret")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=Role.ENGAGEMENT_TEAM)
    TOTP.activate(user, generate_totp_secret())
    return user


def main() -> int:
    parser = arg_parser("Staff stakeholder list at 100,000 people")
    parser.add_argument("--people", type=int, default=0)
    parser.add_argument("--requests", type=int, default=0, help="per scenario")
    args = parser.parse_args()
    people = args.people or (3_000 if args.quick else 100_000)
    total = args.requests or (40 if args.quick else 400)

    with bench_database("engage_bench_list") as url:
        setup_django(url)
        targets = seed(people)
        headers = login_cookie(staff_user())
        from django.db import connections

        connections.close_all()
        base = "/staff/stakeholders/"
        scenarios = [
            ("first page", base, 100),
            ("deep page", f"{base}?after={targets['deep_cursor']}", 100),
            ("last page", f"{base}?last=1", 100),
            ("name search", f"{base}?q={targets['surname']}", 200),
            ("email search", f"{base}?q={targets['email']}", 200),
            (
                "filtered page",
                f"{base}?area={targets['area']}&consent_meeting-invitations=given",
                100,
            ),
        ]
        rows, results = [], {}
        with gunicorn(url, workers=4) as server:
            for _name, path, _target in scenarios:  # warm every worker
                load(server.url + path, total=8, concurrency=8, headers=headers)
            for name, path, target in scenarios:
                latencies = load(server.url + path, total=total, concurrency=8, headers=headers)
                summary = summarise(latencies)
                ok = summary["p95"] <= target
                results[name] = {**summary, "target_p95_ms": target, "pass": ok}
                rows.append({"scenario": name, **summary, "target_p95": target, "ok": ok})
    print_table(rows)
    path = write_results(
        "list_bench",
        {"quick": args.quick, "people": people, "concurrency": 8, "scenarios": results},
    )
    print(f"results: {path}")
    return 0 if args.quick or all(r["pass"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
