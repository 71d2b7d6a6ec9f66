"""CSV exports of stakeholders. Every cell is neutralised so a spreadsheet never runs it as a formula."""

import csv
from collections.abc import Iterator

from django.db.models import Prefetch

from engage.enums import AuditAction
from engage.models import Membership
from engage.selectors import segment_members
from engage.services import audit_log

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "area",
    "organisations",
    "tags",
    "preferred_language",
    "source",
    "created_at",
]


def neutralise(value) -> str:
    """`value` as text, prefixed with an apostrophe when a spreadsheet would read it as a formula.

    The one formula guard: every CSV the apps write (exports, an import's invalid rows, a meeting's
    registrations and attendance) passes its cells through here.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _rows(queryset) -> Iterator[list[str]]:
    for person in queryset:
        yield [
            person.email,
            person.first_name,
            person.last_name,
            person.phone,
            person.area.name if person.area else "",
            "; ".join(
                f"{m.organisation.name} ({m.role})" if m.role else m.organisation.name
                for m in person.memberships.all()
            ),
            "; ".join(tag.name for tag in person.tags.all()),
            person.preferred_language,
            person.source,
            person.created_at.isoformat(),
        ]


def segment_export_csv(*, segment_or_filters, actor, chunk_size: int = 2000) -> Iterator[str]:
    """CSV lines (header first) of everyone in a segment or filter, for a streaming response.

    Writes one AuditLog row (action export, the segment or the filters, the row count) before
    the first line is produced, so an export that is started is always on record.
    """
    queryset = (
        segment_members(segment_or_filters)
        .select_related("area")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
            "tags",
        )
    )
    segment = segment_or_filters if hasattr(segment_or_filters, "filters") else None
    filters = dict(segment.filters if segment is not None else segment_or_filters or {})
    # Search text may be a name or an address: the log keeps only that there was one.
    if filters.get("q"):
        filters["q"] = True
    audit_log(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=segment,
        detail={"rows": queryset.count(), "filters": filters},
    )
    return _lines(queryset, chunk_size=chunk_size)


def _lines(queryset, *, chunk_size: int) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for row in _rows(queryset.iterator(chunk_size=chunk_size)):
        yield writer.writerow([neutralise(cell) for cell in row])
