"""Figures for publication: small-number suppression of count tables, as pure functions.

A published table is a set of counts (one per row: an area, an organisation type) and their total.
Counts from 1 to threshold - 1 are primary-suppressed and shown as "fewer than <threshold>". If the
total and the visible cells would let a reader work a hidden cell out, more cells are withheld
(secondary suppression, the smallest visible counts first) and, as a last resort, the total itself.

What a reader is assumed to know, and what the check below reasons with:
- a visible cell is exact; zero is shown as zero (it describes no one);
- a "fewer than" cell lies between 1 and threshold - 1;
- a withheld cell is at least the threshold (only counts at or above it are ever withheld);
- the total, when shown, is the exact sum of all cells.
A hidden cell is "derivable" when those facts leave it exactly one possible value.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext as _


class CellState(StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # primary suppression: 1 <= count < threshold
    WITHHELD = "withheld"  # secondary suppression: count >= threshold, hidden to protect others


@dataclass(frozen=True)
class Cell:
    count: int
    state: CellState
    threshold: int

    @property
    def hidden(self) -> bool:
        return self.state != CellState.SHOWN

    @property
    def visible_count(self) -> int | None:
        """The count a reader may see, or None when it is hidden."""
        return None if self.hidden else self.count

    @property
    def display(self) -> str:
        if self.state == CellState.SMALL:
            return _("fewer than %(threshold)s") % {"threshold": self.threshold}
        if self.state == CellState.WITHHELD:
            return _("withheld")
        return str(self.count)


@dataclass(frozen=True)
class SuppressedTable:
    cells: dict[Hashable, Cell]
    total: Cell
    threshold: int

    @property
    def any_hidden(self) -> bool:
        return self.total.hidden or any(c.hidden for c in self.cells.values())


def small_number_threshold() -> int:
    return settings.ENGAGE_SMALL_NUMBER_THRESHOLD


def _known_range(cell_count: int, state: CellState, threshold: int) -> tuple[int, float]:
    if state == CellState.SMALL:
        return 1, threshold - 1
    if state == CellState.WITHHELD:
        return threshold, float("inf")
    return cell_count, cell_count


def derivable_cells(
    states: Mapping[Hashable, CellState],
    counts: Mapping[Hashable, int],
    *,
    threshold: int,
    total_shown: bool,
) -> set[Hashable]:
    """The hidden cells a reader could pin to one value, from what the table shows."""
    hidden = [k for k, s in states.items() if s != CellState.SHOWN]
    ranges = {k: _known_range(counts[k], states[k], threshold) for k in hidden}
    if not total_shown:
        return {k for k in hidden if ranges[k][0] == ranges[k][1]}
    # The hidden cells sum to the total less the visible cells.
    hidden_sum = sum(counts.values()) - sum(
        counts[k] for k, s in states.items() if s == CellState.SHOWN
    )
    lows = sum(lo for lo, _hi in ranges.values())
    # Unbounded (withheld) cells are counted apart: inf - inf would be NaN and slip past max().
    unbounded = sum(1 for _lo, hi in ranges.values() if hi == float("inf"))
    finite_highs = sum(hi for _lo, hi in ranges.values() if hi != float("inf"))
    pinned = set()
    for key in hidden:
        lo, hi = ranges[key]
        others_lo = lows - lo
        if hi == float("inf"):
            others_hi = float("inf") if unbounded > 1 else finite_highs
        else:
            others_hi = float("inf") if unbounded else finite_highs - hi
        least = max(lo, hidden_sum - others_hi)
        most = min(hi, hidden_sum - others_lo)
        if least >= most:
            pinned.add(key)
    return pinned


def suppress_counts(
    counts: Mapping[Hashable, int],
    *,
    threshold: int | None = None,
    withhold: frozenset | set = frozenset(),
    withhold_total: bool = False,
) -> SuppressedTable:
    """Apply primary and secondary small-number suppression to one table of counts.

    `counts` maps each row key to a count (>= 0); the order of keys breaks ties (earlier rows are
    withheld first among equal counts). `withhold` names cells to hide as well (used to protect a
    paired table; see suppress_pair); zeros among them stay shown, as they describe no one.
    Pure: no database, no side effects. Raises ValueError for a negative count or a threshold
    below 3 (with a threshold of 2, "fewer than 2" would mean exactly 1).
    """
    threshold = small_number_threshold() if threshold is None else threshold
    if threshold < 3:
        raise ValueError("The small-number threshold must be at least 3.")
    if any(c < 0 for c in counts.values()):
        raise ValueError("Counts cannot be negative.")
    states = {
        key: CellState.SMALL if 0 < count < threshold else CellState.SHOWN
        for key, count in counts.items()
    }
    for key in withhold:
        if counts[key] >= threshold:
            states[key] = CellState.WITHHELD
    total_state = CellState.WITHHELD if withhold_total else CellState.SHOWN
    order = {key: index for index, key in enumerate(counts)}
    while derivable_cells(
        states, counts, threshold=threshold, total_shown=total_state == CellState.SHOWN
    ):
        candidates = [k for k, s in states.items() if s == CellState.SHOWN and counts[k] > 0]
        if candidates:
            chosen = min(candidates, key=lambda k: (counts[k], order[k]))
            states[chosen] = CellState.WITHHELD
        else:
            total_state = CellState.WITHHELD
    total = sum(counts.values())
    if 0 < total < threshold:
        total_state = CellState.SMALL
    return SuppressedTable(
        cells={k: Cell(counts[k], states[k], threshold) for k in counts},
        total=Cell(total, total_state, threshold),
        threshold=threshold,
    )


def _pair_ranges(reg: SuppressedTable, att: SuppressedTable) -> dict:
    """What a reader can narrow each hidden cell of a registered/attended pair to.

    Bounds propagation to a fixed point over: each cell's known range, each shown total (the
    hidden cells sum to it) and attended <= registered in every row. Keys are ("reg"|"att", row).
    """
    inf = float("inf")
    tables = {"reg": reg, "att": att}
    ranges = {}
    for name, table in tables.items():
        for key, cell in table.cells.items():
            ranges[(name, key)] = list(_known_range(cell.count, cell.state, table.threshold))
    for _round in range(200):
        changed = False
        for name, table in tables.items():
            if table.total.hidden:
                continue
            keys = [(name, k) for k in table.cells]
            for key in keys:
                others = [ranges[o] for o in keys if o != key]
                others_lo = sum(r[0] for r in others)
                others_hi = inf if any(r[1] == inf for r in others) else sum(r[1] for r in others)
                lo = max(ranges[key][0], table.total.count - others_hi)
                hi = min(ranges[key][1], table.total.count - others_lo)
                if [lo, hi] != ranges[key]:
                    ranges[key], changed = [lo, hi], True
        for row in reg.cells:
            r, a = ranges[("reg", row)], ranges[("att", row)]
            if a[0] > r[0]:
                r[0], changed = a[0], True
            if r[1] < a[1]:
                a[1], changed = r[1], True
        if not changed:
            break
    return ranges


def suppress_pair(
    registered: Mapping[Hashable, int],
    attended: Mapping[Hashable, int],
    *,
    threshold: int | None = None,
) -> tuple[SuppressedTable, SuppressedTable]:
    """Suppress two tables over the same rows where attended <= registered in every row.

    Each table alone is protected by suppress_counts; together a reader has more to go on (a
    row's attended count bounds its registered count from below, and the other way round). While
    any hidden cell can be narrowed to one value using both tables (_pair_ranges), the smallest
    visible non-zero count of that cell's table is withheld as well, else that table's total.
    Known limit: bounds propagation is exact for two rows (property-tested) but not in general;
    with three or more rows a deduction combining several constraints at once can be missed
    (e.g. registered 2/3/3 with attended 2/2/3 at threshold 3).
    """
    forced = {"reg": set(), "att": set()}
    hide_total = {"reg": False, "att": False}
    counts = {"reg": registered, "att": attended}
    while True:
        tables = {
            name: suppress_counts(
                counts[name],
                threshold=threshold,
                withhold=forced[name],
                withhold_total=hide_total[name],
            )
            for name in ("reg", "att")
        }
        ranges = _pair_ranges(tables["reg"], tables["att"])
        pinned = [
            (name, key)
            for name, table in tables.items()
            for key, cell in table.cells.items()
            if cell.hidden and ranges[(name, key)][0] >= ranges[(name, key)][1]
        ]
        if not pinned:
            return tables["reg"], tables["att"]
        name = pinned[0][0]
        table = tables[name]
        candidates = [k for k, c in table.cells.items() if not c.hidden and c.count > 0]
        if candidates:
            forced[name].add(min(candidates, key=lambda k: table.cells[k].count))
        elif not hide_total[name]:
            hide_total[name] = True
        else:
            # Both totals and every non-zero cell already hidden: nothing more can be done here.
            other = "att" if name == "reg" else "reg"
            if hide_total[other]:
                return tables["reg"], tables["att"]
            hide_total[other] = True


# --- Representation: who came, from where ------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    registered: int = 0
    attended: int = 0
    population: int | None = None
    # Percentages (0 to 100) of London's attendees and of London's population.
    attendee_share: float | None = None
    population_share: float | None = None
    area: object = None


@dataclass
class Representation:
    meeting: object
    areas: list[Row]
    elsewhere: Row
    organisation_types: list[Row]
    first_time: list[Row]
    registered: int
    attended: int
    # Judged by attendance once any is recorded, by registration before then.
    basis: str
    not_represented: list
    population_complete: bool
    population_loaded: int
    population_sources: list[str]

    @property
    def represented_count(self) -> int:
        return len(self.areas) - len(self.not_represented)


def _london_areas():
    from engage.enums import AreaKind
    from engage.models import Area

    return list(Area.objects.filter(kind__in=[AreaKind.BOROUGH, AreaKind.CITY]).order_by("name"))


def _organisation_types(registrations: list[dict]) -> dict[int, str]:
    """Organisation type per registration id: the named organisation's type, else the person's own."""
    from django.db.models.functions import Lower

    from engage.models import Membership, Organisation

    names = {
        r["organisation_name"].strip().lower() for r in registrations if r["organisation_name"]
    }
    by_name = dict(
        Organisation.objects.annotate(lname=Lower("name"))
        .filter(lname__in=names)
        .values_list("lname", "type")
    )
    by_person: dict[int, str] = {}
    for stakeholder_id, org_type in (
        Membership.objects.filter(stakeholder_id__in={r["stakeholder_id"] for r in registrations})
        .order_by("stakeholder_id", "id")
        .values_list("stakeholder_id", "organisation__type")
    ):
        by_person.setdefault(stakeholder_id, org_type)
    return {
        r["id"]: by_name.get(r["organisation_name"].strip().lower())
        or by_person.get(r["stakeholder_id"])
        or ""
        for r in registrations
    }


def meeting_representation(meeting) -> Representation:
    """Registered and attended by area (all London areas, zeros included), organisation type and
    first time or returning, for one meeting. Counts confirmed registrations. Five queries."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from engage.enums import OrganisationType
    from events.enums import RegistrationStatus
    from events.models import Registration

    registrations = list(
        Registration.objects.filter(meeting=meeting, status=RegistrationStatus.CONFIRMED)
        .annotate(area_or_home=Coalesce(F("area_id"), F("stakeholder__area_id")))
        .values("id", "stakeholder_id", "area_or_home", "organisation_name", "attended_at")
    )
    areas = _london_areas()
    returning_ids = set(
        Registration.objects.filter(
            stakeholder_id__in={r["stakeholder_id"] for r in registrations},
            attended_at__isnull=False,
            meeting__start__lt=meeting.start,
        ).values_list("stakeholder_id", flat=True)
    )
    org_types = _organisation_types(registrations)

    area_rows = {
        a.pk: Row(key=a.slug, label=a.name, population=a.population, area=a) for a in areas
    }
    elsewhere = Row(key="elsewhere", label=_("Outside London or not stated"))
    type_rows = {
        value: Row(key=value, label=str(label)) for value, label in OrganisationType.choices
    }
    type_rows[""] = Row(key="none", label=_("No organisation stated"))
    first_rows = {
        False: Row(key="first", label=_("First meeting")),
        True: Row(key="returning", label=_("Came before")),
    }
    for r in registrations:
        attended = r["attended_at"] is not None
        for row in (
            area_rows.get(r["area_or_home"], elsewhere),
            type_rows.get(org_types[r["id"]], type_rows[""]),
            first_rows[r["stakeholder_id"] in returning_ids],
        ):
            row.registered += 1
            row.attended += int(attended)

    total_attended = sum(1 for r in registrations if r["attended_at"] is not None)
    basis = "attended" if total_attended else "registered"
    not_represented = [row.area for row in area_rows.values() if getattr(row, basis) == 0]

    loaded = [a for a in areas if a.population]
    complete = bool(areas) and len(loaded) == len(areas)
    london_attended = sum(row.attended for row in area_rows.values())
    if complete:
        london_population = sum(a.population for a in areas)
        for row in area_rows.values():
            row.population_share = 100 * row.population / london_population
            if london_attended:
                row.attendee_share = 100 * row.attended / london_attended
    return Representation(
        meeting=meeting,
        areas=list(area_rows.values()),
        elsewhere=elsewhere,
        organisation_types=[row for row in type_rows.values() if row.registered],
        first_time=list(first_rows.values()),
        registered=len(registrations),
        attended=total_attended,
        basis=basis,
        not_represented=not_represented,
        population_complete=complete,
        population_loaded=len(loaded),
        population_sources=sorted({a.population_source for a in loaded if a.population_source}),
    )


def representation_published(
    representation: Representation, *, threshold: int | None = None
) -> dict:
    """The representation tables with small-number suppression applied, as they may be published.

    Returns {"areas": {"registered": SuppressedTable, "attended": ...}, "organisation_types": ...,
    "first_time": ...}; each table's keys are the row keys, the "elsewhere" row included with areas.
    """
    tables = {
        "areas": [*representation.areas, representation.elsewhere],
        "organisation_types": representation.organisation_types,
        "first_time": representation.first_time,
    }
    published = {}
    for name, rows in tables.items():
        registered, attended = suppress_pair(
            {row.key: row.registered for row in rows},
            {row.key: row.attended for row in rows},
            threshold=threshold,
        )
        published[name] = {"registered": registered, "attended": attended}
    return published


@dataclass
class SeriesPoint:
    meeting: object
    registered: int
    attended: int
    areas_represented: int
    registered_width: float = 0.0
    attended_width: float = 0.0


def series_representation(series) -> list[SeriesPoint]:
    """Per meeting of a series (not cancelled, oldest first): registered, attended and how many
    London areas were represented (by attendance once recorded). Two queries. Bar widths are
    percentages (at most 80, leaving room for labels) of the largest figure, for the chart."""
    from django.db.models import Count, F, Q
    from django.db.models.functions import Coalesce

    from engage.enums import AreaKind
    from events.enums import MeetingStatus, RegistrationStatus
    from events.models import Meeting, Registration

    meetings = list(
        Meeting.objects.filter(series=series)
        .exclude(status__in=[MeetingStatus.CANCELLED, MeetingStatus.DRAFT])
        .annotate(
            registered=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            ),
            attended=Count(
                "registrations",
                filter=Q(
                    registrations__status=RegistrationStatus.CONFIRMED,
                    registrations__attended_at__isnull=False,
                ),
            ),
        )
        .order_by("start", "id")
    )
    areas_by_meeting: dict[int, dict[str, set]] = {
        m.pk: {"registered": set(), "attended": set()} for m in meetings
    }
    rows = (
        Registration.objects.filter(meeting__in=meetings, status=RegistrationStatus.CONFIRMED)
        .annotate(area_or_home=Coalesce(F("area_id"), F("stakeholder__area_id")))
        .filter(
            Q(area__kind__in=[AreaKind.BOROUGH, AreaKind.CITY])
            | Q(area__isnull=True, stakeholder__area__kind__in=[AreaKind.BOROUGH, AreaKind.CITY])
        )
        .values_list("meeting_id", "area_or_home", "attended_at")
    )
    for meeting_id, area_id, attended_at in rows:
        areas_by_meeting[meeting_id]["registered"].add(area_id)
        if attended_at is not None:
            areas_by_meeting[meeting_id]["attended"].add(area_id)
    points = [
        SeriesPoint(
            meeting=m,
            registered=m.registered,
            attended=m.attended,
            areas_represented=len(
                areas_by_meeting[m.pk]["attended" if m.attended else "registered"]
            ),
        )
        for m in meetings
    ]
    top = max([p.registered for p in points] + [1])
    for p in points:
        p.registered_width = round(80 * p.registered / top, 1)
        p.attended_width = round(80 * p.attended / top, 1)
    return points


@dataclass
class TableRow:
    row: Row
    registered: Cell
    attended: Cell


@dataclass
class Table:
    rows: list[TableRow]
    registered_total: Cell
    attended_total: Cell


def representation_tables(representation: Representation, *, published: bool) -> dict[str, Table]:
    """The three representation tables ready to show: exact counts for the engagement team, or
    with small-number suppression applied when `published`."""
    groups = {
        "areas": [*representation.areas, representation.elsewhere],
        "organisation_types": representation.organisation_types,
        "first_time": representation.first_time,
    }
    suppressed = representation_published(representation) if published else None
    threshold = small_number_threshold()
    tables = {}
    for name, rows in groups.items():
        if suppressed:
            reg, att = suppressed[name]["registered"], suppressed[name]["attended"]
            tables[name] = Table(
                rows=[TableRow(r, reg.cells[r.key], att.cells[r.key]) for r in rows],
                registered_total=reg.total,
                attended_total=att.total,
            )
        else:
            tables[name] = Table(
                rows=[
                    TableRow(
                        r,
                        Cell(r.registered, CellState.SHOWN, threshold),
                        Cell(r.attended, CellState.SHOWN, threshold),
                    )
                    for r in rows
                ],
                registered_total=Cell(sum(r.registered for r in rows), CellState.SHOWN, threshold),
                attended_total=Cell(sum(r.attended for r in rows), CellState.SHOWN, threshold),
            )
    return tables
