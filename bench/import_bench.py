"""Stakeholder import: 100,000 rows (about 1% invalid) committed on PostgreSQL, then re-imported.

    .venv/bin/python bench/import_bench.py [--quick] [--rows N] [--baseline-rows N]

Measured, each in a child process of its own (so peak memory is that import's alone, read with
resource.getrusage in the child, Django included):
  commit     the bulk import service (validation, organisations, tags, one consent per consenting
             row), target at most 15 s and under 300 MB peak;
  re-import  the same file again: must create nothing, target at most twice the commit time;
  baseline   a row-by-row import (one ORM create per stakeholder, membership, tag link and
             consent) of --baseline-rows fresh rows, as rows per second; ours must be at least
             5 times faster. The baseline runs on a sample because at ORM speed 100,000 rows
             would take minutes; rates are compared, both from this run on this machine.
The files are made with the standard library (csv, random) with a fixed seed.
"""

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BIN,
    ROOT,
    arg_parser,
    bench_database,
    bench_env,
    print_table,
    setup_django,
    write_results,
)

WORDING = "Email me invitations to public review meetings and updates about them (bench)."
FIRST = ["Amara", "Kofi", "Siobhán", "Zoë", "Mohammed", "Priya", "Tom", "Grace", "Wei", "Ola"]
LAST = ["Okafor", "Mensah", "O'Brien", "Smith", "Khan", "Patel", "Jones", "Nguyen", "Ali", "Cohen"]
TAGS = ["young people", "stop and search", "faith", "tenants", "schools", "mental health"]


def generate(path: Path, *, rows: int, prefix: str, areas: list[str], seed: int = 7) -> int:
    """Write a CSV of `rows` data rows; about 1% are invalid. Returns how many are invalid."""
    rng = random.Random(seed)
    organisations = [f"Community group {i}" for i in range(max(10, rows // 50))]
    invalid = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "email",
                "first_name",
                "last_name",
                "organisation",
                "role",
                "area",
                "phone",
                "tags",
                "consent_meeting-invitations",
            ]
        )
        for i in range(rows):
            email = f"{prefix}{i}@example.org"
            area = rng.choice(areas)
            kind = i % 100
            if kind == 17:
                email = f"{prefix}{i}-at-example.org"  # invalid address
                invalid += 1
            elif kind == 42:
                area = "Atlantis"  # unknown area
                invalid += 1
            elif kind == 73 and i:
                email = f"{prefix}{i - 1}@example.org".upper()  # duplicate within the file
                invalid += 1
            writer.writerow(
                [
                    email,
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    rng.choice(organisations) if rng.random() < 0.5 else "",
                    "Member" if rng.random() < 0.3 else "",
                    area,
                    f"020 7946 {i % 10000:04d}",
                    "; ".join(rng.sample(TAGS, rng.randint(0, 2))),
                    "yes" if rng.random() < 0.7 else "",
                ]
            )
    return invalid


# --- Child process ------------------------------------------------------------------------------


def child(mode: str, file_path: str) -> None:
    import resource

    import django

    django.setup()
    from django.db import transaction

    start = time.perf_counter()
    if mode == "baseline":
        result = _row_by_row(Path(file_path))
    else:
        from engage.importers import ImportOptions, stakeholders_import

        report = stakeholders_import(
            data=Path(file_path).read_bytes(),
            file_name=Path(file_path).name,
            dry_run=mode == "dry-run",
            options=ImportOptions(source="bench", consent_wording=WORDING),
        )
        result = report.counts()
    elapsed = time.perf_counter() - start
    transaction.get_connection().close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024, **result}))


def _row_by_row(path: Path) -> dict:
    """The naive import: validate as the service does, then one ORM create per row and relation."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import transaction
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

    purpose = ConsentPurpose.objects.get(slug="meeting-invitations")
    created = invalid = 0
    with transaction.atomic(), path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                validate_email(row["email"])
                area = Area.objects.get(name__iexact=row["area"])
            except (ValidationError, Area.DoesNotExist):
                invalid += 1
                continue
            if Stakeholder.objects.filter(email_normalised=row["email"].lower()).exists():
                invalid += 1
                continue
            person = Stakeholder.objects.create(
                email=row["email"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                phone=row["phone"],
                area=area,
                source="bench baseline",
            )
            if row["organisation"]:
                organisation, _ = Organisation.objects.get_or_create(name=row["organisation"])
                Membership.objects.create(
                    stakeholder=person, organisation=organisation, role=row["role"]
                )
            for name in filter(None, (t.strip() for t in row["tags"].split(";"))):
                tag, _ = Tag.objects.get_or_create(name=name)
                person.tags.add(tag)
            if row["consent_meeting-invitations"] == "yes":
                ConsentRecord.objects.create(
                    stakeholder=person,
                    purpose=purpose,
                    action=ConsentAction.GIVEN,
                    at=timezone.now(),
                    method=ConsentMethod.IMPORT,
                    wording=WORDING,
                    privacy_notice_version="bench",
                )
            created += 1
    return {"created": created, "invalid": invalid}


def run_child(database_url: str, mode: str, file_path: Path) -> dict:
    output = subprocess.run(
        [str(BIN / "python"), __file__, "--child", mode, str(file_path)],
        cwd=ROOT,
        env=bench_env(database_url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- Parent -------------------------------------------------------------------------------------


def main() -> int:
    parser = arg_parser("Stakeholder import of 100,000 rows")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--baseline-rows", type=int, default=0)
    parser.add_argument(
        "--database", default="engage_bench_import", help="PostgreSQL database name"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse_hidden())
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    rows = args.rows or (2_000 if args.quick else 100_000)
    baseline_rows = args.baseline_rows or (500 if args.quick else 10_000)

    with tempfile.TemporaryDirectory() as tmp, bench_database(args.database) as url:
        setup_django(url)
        from engage.models import Area
        from engage.services import areas_load

        areas_load()
        areas = list(Area.objects.values_list("name", flat=True))
        main_file = Path(tmp) / "stakeholders.csv"
        baseline_file = Path(tmp) / "baseline.csv"
        invalid = generate(main_file, rows=rows, prefix="person", areas=areas)
        generate(baseline_file, rows=baseline_rows, prefix="baseline", areas=areas, seed=8)
        from django.db import connections

        connections.close_all()

        dry = run_child(url, "dry-run", main_file)
        commit = run_child(url, "commit", main_file)
        again = run_child(url, "commit", main_file)
        baseline = run_child(url, "baseline", baseline_file)

    ours_rate = commit["created"] / commit["seconds"]
    base_rate = baseline["created"] / baseline["seconds"]
    speedup = ours_rate / base_rate
    table = [
        {
            "step": "dry run",
            "rows": rows,
            "seconds": f"{dry['seconds']:.2f}",
            "peak_mb": f"{dry['peak_mb']:.0f}",
            "created": dry["created"],
            "invalid": dry["invalid"],
            "rows_per_s": f"{rows / dry['seconds']:.0f}",
        },
        {
            "step": "commit",
            "rows": rows,
            "seconds": f"{commit['seconds']:.2f}",
            "peak_mb": f"{commit['peak_mb']:.0f}",
            "created": commit["created"],
            "invalid": commit["invalid"],
            "rows_per_s": f"{ours_rate:.0f}",
        },
        {
            "step": "re-import",
            "rows": rows,
            "seconds": f"{again['seconds']:.2f}",
            "peak_mb": f"{again['peak_mb']:.0f}",
            "created": again["created"],
            "invalid": again["invalid"],
            "rows_per_s": f"{rows / again['seconds']:.0f}",
        },
        {
            "step": "row-by-row baseline",
            "rows": baseline_rows,
            "seconds": f"{baseline['seconds']:.2f}",
            "peak_mb": f"{baseline['peak_mb']:.0f}",
            "created": baseline["created"],
            "invalid": baseline["invalid"],
            "rows_per_s": f"{base_rate:.0f}",
        },
    ]
    print_table(table)
    checks = {
        "commit_at_most_15s": commit["seconds"] <= 15,
        "peak_under_300mb": commit["peak_mb"] < 300,
        "reimport_creates_nothing": again["created"] == 0 and again["updated"] == 0,
        "reimport_at_most_twice_commit": again["seconds"] <= 2 * commit["seconds"],
        "at_least_5x_baseline": speedup >= 5,
        "invalid_rows_reported": commit["invalid"] == invalid,
    }
    print(f"speed-up over row-by-row: {speedup:.1f}x")
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'} {name}")
    path = write_results(
        "import_bench",
        {
            "quick": args.quick,
            "rows": rows,
            "baseline_rows": baseline_rows,
            "dry_run_s": round(dry["seconds"], 3),
            "commit_s": round(commit["seconds"], 3),
            "commit_peak_mb": round(commit["peak_mb"], 1),
            "reimport_s": round(again["seconds"], 3),
            "reimport_peak_mb": round(again["peak_mb"], 1),
            "baseline_s": round(baseline["seconds"], 3),
            "rows_per_s": round(ours_rate),
            "baseline_rows_per_s": round(base_rate),
            "speedup": round(speedup, 2),
            "counts": {"commit": commit, "reimport": again, "dry_run": dry},
            "checks": checks,
        },
    )
    print(f"results: {path}")
    return 0 if all(checks.values()) or args.quick else 1


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())
