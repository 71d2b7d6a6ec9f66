"""Areas: the London areas list and their population figures, loaded from CSV files."""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from engage.models import Area
from engage.selectors import stakeholder_filter_choices_forget

AREAS_FILE = Path(__file__).resolve().parent.parent / "data" / "london_areas.csv"


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
