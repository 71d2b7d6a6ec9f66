"""Figures for publication: small-number suppression of count tables, as pure functions.

A published table has rows (an area, an organisation type, first time or returning), each with a
registered and an attended count, and the totals of both columns. Counts from 1 to threshold - 1
are primary-suppressed and shown as "fewer than <threshold>". While the table would still let a
reader pin a hidden cell to one value, more cells are withheld (secondary suppression).

What a reader is assumed to know, and what the check below reasons with:
- a visible cell is exact; zero is shown as zero (it describes no one);
- a "fewer than" cell lies between 1 and threshold - 1;
- a withheld cell is at least the threshold (only counts at or above it are ever withheld), except
  in a table with every cell withheld (see below), where it is any count from 0;
- in every row attended <= registered (people are checked in from the registrations);
- the totals are known. The meeting's registered and attended totals are the same in all three
  tables and appear in the series chart, so withholding a total in one table hides nothing: a
  total is shown exactly, or as "fewer than <threshold>" everywhere when it is that small, and
  never withheld to protect a cell.
A hidden cell is "pinned" when those facts leave it exactly one possible value. Narrowing to a
range is accepted: a withheld registered count whose attended count is shown is known to be at
least that count, and a shown registered count caps a hidden attended one. That is the usual
standard for published tables, and the ranges stay wide (a "fewer than" cell keeps at least two
values, a withheld one a lower bound only), so no one's presence is given away.

The two columns are linked (attended <= registered), so they are protected together
(suppress_pair); the three tables of a meeting share only their totals, and any two tables with
the same totals are consistent with some list of people, so each table is protected on its own.

The check is exact for any number of rows. Fixing a cell's bounds, the question "can the hidden
cells take values that fit every fact above?" is answered in closed form by _feasible (see there);
a cell is pinned when it can be neither lower nor higher than its true count. If even withholding
every non-zero cell leaves one pinned (ten areas of one person each with a total of ten, say),
the table is published with every cell withheld, zeros included.
"""

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext as _

from engage.enums import AreaKind, OrganisationType
from engage.models import Area, Membership, Organisation
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration

_INF = math.inf


class CellState(StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # primary suppression: 1 <= count < threshold
    WITHHELD = "withheld"  # secondary suppression: hidden to protect others


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
    # Every cell withheld, zeros too: nothing less protected the table (see the module docstring).
    all_withheld: bool = False

    @property
    def any_hidden(self) -> bool:
        return self.total.hidden or any(c.hidden for c in self.cells.values())


def small_number_threshold() -> int:
    return settings.ENGAGE_SMALL_NUMBER_THRESHOLD


def total_cell(count: int, *, threshold: int) -> Cell:
    """A published total: shown, or "fewer than" when it is itself a small number."""
    return Cell(count, CellState.SMALL if 0 < count < threshold else CellState.SHOWN, threshold)


def reader_bounds(
    count: int, state: CellState, threshold: int, *, all_withheld: bool = False
) -> tuple[int, float]:
    """The least and greatest value a reader can give a cell, from how it is shown."""
    if all_withheld:
        return 0, _INF
    if state == CellState.SMALL:
        return 1, threshold - 1
    if state == CellState.WITHHELD:
        return threshold, _INF
    return count, count


def _feasible(rows, registered_total, attended_total) -> bool:
    """Whether whole numbers r_i, a_i exist with lr <= r_i <= ur, la <= a_i <= ua, a_i <= r_i in
    every row (lr, ur, la, ua), the r_i summing into registered_total (lo, hi) and the a_i into
    attended_total.

    Why this closed form is exact: cap each a_i at ur (a_i <= r_i <= ur). The attended sum can be
    any whole number from the sum of the la to the sum of the capped ua. Given the a_i, the r_i
    can take any sum from sum(max(lr, a_i)) up to sum(ur), one step at a time. That least sum
    grows with the attended sum, and is least when the attended count is spread first over the
    rows where a_i can rise to lr at no cost ("free" below), each further person adding one. So
    choosing the smallest attended sum allowed is never worse, and the test is two comparisons.
    """
    sum_la = sum_ua = sum_base = sum_free = sum_ur = 0
    for lr, ur, la, ua in rows:
        ua = min(ua, ur)
        if la > ua or lr > ur:
            return False
        sum_la += la
        sum_ua += ua
        sum_base += max(lr, la)
        sum_free += max(0, min(lr, ua) - la)
        sum_ur += ur
    attended = max(sum_la, attended_total[0])
    if attended > min(sum_ua, attended_total[1]):
        return False
    least_registered = sum_base + max(0, attended - sum_la - sum_free)
    return max(least_registered, registered_total[0]) <= min(sum_ur, registered_total[1])


_COLUMNS = ("reg", "att")


class _Pair:
    """The state of a registered/attended pair while suppression runs."""

    def __init__(self, counts: dict, keys: list, threshold: int):
        self.counts = counts
        self.keys = keys
        self.threshold = threshold
        self.states = {
            (col, key): CellState.SMALL if 0 < counts[col][key] < threshold else CellState.SHOWN
            for col in _COLUMNS
            for key in keys
        }
        self.totals = {}
        for col in _COLUMNS:
            total = total_cell(sum(counts[col].values()), threshold=threshold)
            self.totals[col] = reader_bounds(total.count, total.state, threshold)

    def bounds(self, cell, states) -> tuple[int, float]:
        col, key = cell
        return reader_bounds(self.counts[col][key], states[cell], self.threshold)

    def pinned(self, cell, states) -> bool:
        """Whether what the table shows under `states` leaves `cell` one possible value."""
        value = self.counts[cell[0]][cell[1]]
        lo, hi = self.bounds(cell, states)
        base = {c: self.bounds(c, states) for c in states}
        for other in ((lo, value - 1), (value + 1, hi)):
            if other[0] > other[1]:
                continue
            bounds = {**base, cell: other}
            rows = [(*bounds[("reg", k)], *bounds[("att", k)]) for k in self.keys]
            if _feasible(rows, self.totals["reg"], self.totals["att"]):
                return False
        return True

    def first_pinned(self, states=None):
        states = states or self.states
        for cell, state in states.items():
            if state != CellState.SHOWN and self.pinned(cell, states):
                return cell
        return None


def suppress_pair(
    registered: Mapping[Hashable, int],
    attended: Mapping[Hashable, int],
    *,
    threshold: int | None = None,
) -> tuple[SuppressedTable, SuppressedTable]:
    """Suppress a registered and an attended table over the same rows (attended <= registered).

    Primary suppression hides every count from 1 to threshold - 1. Then, to a fixed point: while
    some hidden cell is pinned (see the module docstring for what a reader knows), withhold one
    more visible non-zero cell, chosen from the pinned cell's column and its row partner: the
    smallest count among those whose withholding frees the pinned cell, else the smallest (ties:
    earlier rows first). When no visible non-zero cell is left and one is still pinned, every cell
    of both tables is withheld. Totals are never withheld (they are public; a small total shows
    as "fewer than").

    Pure: no database, no side effects. Raises ValueError for a threshold below 3 (with 2, "fewer
    than 2" would mean exactly 1), a negative count, different rows, or attended > registered.
    """
    threshold = small_number_threshold() if threshold is None else threshold
    if threshold < 3:
        raise ValueError("The small-number threshold must be at least 3.")
    keys = list(registered)
    if set(keys) != set(attended):
        raise ValueError("Registered and attended counts must have the same rows.")
    if any(c < 0 for c in [*registered.values(), *attended.values()]):
        raise ValueError("Counts cannot be negative.")
    if any(attended[k] > registered[k] for k in keys):
        raise ValueError("Attended cannot exceed registered in a row.")
    pair = _Pair({"reg": dict(registered), "att": dict(attended)}, keys, threshold)
    order = {key: index for index, key in enumerate(keys)}
    all_withheld = False
    while (target := pair.first_pinned()) is not None:
        visible = [
            cell
            for cell, state in pair.states.items()
            if state == CellState.SHOWN and pair.counts[cell[0]][cell[1]] > 0
        ]
        if not visible:
            all_withheld = True
            break
        near = [cell for cell in visible if cell[0] == target[0] or cell[1] == target[1]] or visible
        frees = [
            cell
            for cell in near
            if not pair.pinned(target, {**pair.states, cell: CellState.WITHHELD})
        ]
        chosen = min(
            frees or near,
            key=lambda cell: (pair.counts[cell[0]][cell[1]], order[cell[1]], cell[0]),
        )
        pair.states[chosen] = CellState.WITHHELD

    tables = []
    for col in _COLUMNS:
        cells = {
            key: Cell(
                pair.counts[col][key],
                CellState.WITHHELD if all_withheld else pair.states[(col, key)],
                threshold,
            )
            for key in keys
        }
        total = total_cell(sum(pair.counts[col].values()), threshold=threshold)
        tables.append(SuppressedTable(cells, total, threshold, all_withheld=all_withheld))
    return tables[0], tables[1]


def suppress_counts(
    counts: Mapping[Hashable, int], *, threshold: int | None = None
) -> SuppressedTable:
    """Suppress one table of counts and its total, as suppress_pair does (a pair whose second
    column is all zeros adds nothing a reader could use). Pure; raises as suppress_pair does."""
    table, _zeros = suppress_pair(counts, dict.fromkeys(counts, 0), threshold=threshold)
    return table


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
    return list(Area.objects.filter(kind__in=[AreaKind.BOROUGH, AreaKind.CITY]).order_by("name"))


def _organisation_types(registrations: list[dict]) -> dict[int, str]:
    """Organisation type per registration id: the named organisation's type, else the person's own."""
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
    registered_display: str = ""
    attended_display: str = ""


def series_representation(series) -> list[SeriesPoint]:
    """Per meeting of a series (not cancelled, oldest first): registered, attended and how many
    London areas were represented (by attendance once recorded). Two queries. Bar widths are
    percentages (at most 80, leaving room for labels) of the largest figure, for the chart."""
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
    _series_scale(points, shown=lambda count: count)
    for p in points:
        p.registered_display, p.attended_display = str(p.registered), str(p.attended)
    return points


def _series_scale(points: list[SeriesPoint], *, shown) -> None:
    top = max([shown(p.registered) for p in points] + [1])
    for p in points:
        p.registered_width = round(80 * shown(p.registered) / top, 1)
        p.attended_width = round(80 * shown(p.attended) / top, 1)


def series_for_publication(points: list[SeriesPoint], *, threshold: int | None = None) -> None:
    """Apply small-number suppression to series points in place: a meeting's registered or
    attended total under the threshold reads "fewer than <threshold>" and its bar is drawn at the
    threshold's length, so neither the label nor the bar tells the count. These are the same
    totals the meeting's own published tables show."""
    threshold = small_number_threshold() if threshold is None else threshold
    _series_scale(points, shown=lambda count: threshold if 0 < count < threshold else count)
    for p in points:
        p.registered_display = total_cell(p.registered, threshold=threshold).display
        p.attended_display = total_cell(p.attended, threshold=threshold).display


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
    all_withheld: bool = False


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
                all_withheld=reg.all_withheld,
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
