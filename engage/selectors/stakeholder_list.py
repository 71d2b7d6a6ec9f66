"""The stakeholder list page: keyset pages of plain rows, and the cached count of everyone."""

import base64
import binascii
import json
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import CharField, F, Value
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

from engage.models import Membership, Stakeholder
from engage.selectors.stakeholder_filters import stakeholders_filter

STAKEHOLDER_ORDER = ("last_name", "first_name", "id")


@dataclass(slots=True)
class StakeholderRow:
    """One line of the list: what the page shows, without loading whole model rows."""

    pk: int
    first_name: str
    last_name: str
    email: str
    area_name: str | None
    organisation_roles: list = field(default_factory=list)  # [(organisation name, role)]
    tag_names: list = field(default_factory=list)


@dataclass
class StakeholderPage:
    """One page of the list, walked by keyset (no OFFSET, so a late page costs what the first does)."""

    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    total: int | None


def _cursor_encode(row) -> str:

    raw = json.dumps([row.last_name, row.first_name, row.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[str, str, int] | None:

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        last, first, pk = json.loads(raw)
        return str(last), str(first), int(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None


def stakeholder_page(
    filters: dict | None = None,
    *,
    after: str = "",
    before: str = "",
    last: bool = False,
    start: str = "",
    size: int = 25,
    count: bool = True,
    purpose_ids: dict | None = None,
) -> StakeholderPage:
    """A page of the filtered list in name order: StakeholderRow records, with area name,
    organisations (with role) and tags, both sorted.

    `after`/`before` are cursors from a previous page; `last` jumps to the end; `start` jumps to
    the first surname at or after that text. At most 3 queries (page, organisations and tags,
    count) plus one per consent filter not named in `purpose_ids`, whatever `size` is.
    """

    base = stakeholders_filter(filters, purpose_ids=purpose_ids)
    key = Tuple(*(F(name) for name in STAKEHOLDER_ORDER))
    queryset = base
    backwards = False
    after_key = _cursor_decode(after) if after else None
    before_key = _cursor_decode(before) if before else None
    if after_key:
        queryset = queryset.filter(TupleGreaterThan(key, after_key))
    elif before_key:
        queryset = queryset.filter(TupleLessThan(key, before_key))
        backwards = True
    elif last:
        backwards = True
    elif start:
        queryset = queryset.filter(last_name__gte=start)
    order = [f"-{name}" for name in STAKEHOLDER_ORDER] if backwards else list(STAKEHOLDER_ORDER)
    columns = ("pk", "first_name", "last_name", "email", "area__name")
    rows = [
        StakeholderRow(*values)
        for values in queryset.order_by(*order).values_list(*columns)[: size + 1]
    ]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_previous, has_next = more, bool(before_key)
    else:
        has_previous, has_next = bool(after_key or start), more
    _attach_organisations_and_tags(rows)
    return StakeholderPage(
        rows=rows,
        next_cursor=_cursor_encode(rows[-1]) if rows and has_next else None,
        previous_cursor=_cursor_encode(rows[0]) if rows and has_previous else None,
        total=base.count() if count else None,
    )


def _attach_organisations_and_tags(rows: list[StakeholderRow]) -> None:
    """Fill `organisation_roles` and `tag_names` of each row from one query (a UNION ALL of the
    memberships and the tags of these people) instead of two prefetches of full model rows."""

    by_id = {row.pk: row for row in rows}
    if not by_id:
        return
    organisations = Membership.objects.filter(stakeholder_id__in=by_id).values_list(
        "stakeholder_id", "organisation__name", "role", Value("o", output_field=CharField())
    )
    tags = Stakeholder.tags.through.objects.filter(stakeholder_id__in=by_id).values_list(
        "stakeholder_id",
        "tag__name",
        Value("", output_field=CharField()),
        Value("t", output_field=CharField()),
    )
    for stakeholder_id, name, role, kind in organisations.union(tags, all=True):
        row = by_id[stakeholder_id]
        if kind == "o":
            row.organisation_roles.append((name, role))
        else:
            row.tag_names.append(name)
    for row in rows:
        row.organisation_roles.sort(key=lambda pair: pair[0].casefold())
        row.tag_names.sort(key=str.casefold)


STAKEHOLDER_COUNT_CACHE_KEY = "engage:stakeholder-count:1"
STAKEHOLDER_COUNT_SECONDS = 60


def stakeholders_count_recent() -> int:
    """How many live people are on the list, counted at most STAKEHOLDER_COUNT_SECONDS ago.

    Counting 100,000 rows cost more than the rest of the unfiltered list page; the page says
    the figure may be up to a minute old. Filtered lists are counted exactly.
    """

    total = cache.get(STAKEHOLDER_COUNT_CACHE_KEY)
    if total is None:
        total = Stakeholder.objects.filter(anonymised_at__isnull=True).count()
        cache.set(STAKEHOLDER_COUNT_CACHE_KEY, total, STAKEHOLDER_COUNT_SECONDS)
    return total
