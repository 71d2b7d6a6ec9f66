"""Writes and side effects for the stakeholder database. Every write goes through a function here."""

import csv
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from engage.models import Area

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
    return len(rows)
