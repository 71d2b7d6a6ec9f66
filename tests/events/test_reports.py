"""Small-number suppression: property tests that no hidden count can be worked out."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from events.reports import CellState, suppress_counts

THRESHOLD = 10


def _feasible_values(table, key) -> set[int]:
    """Every value `key` could take, given only what a reader sees. Brute force, independent of
    the module's interval reasoning: a subset-sum over the other hidden cells' possible values."""
    t = table.threshold
    visible_sum = sum(c.count for c in table.cells.values() if not c.hidden)

    def candidates(cell, cap):
        if cell.state == CellState.SMALL:
            return range(1, min(t - 1, cap) + 1)
        if cell.state == CellState.WITHHELD:
            return range(t, cap + 1)
        return range(cell.count, cell.count + 1)

    target = table.cells[key]
    if table.total.hidden:
        cap = 10 * t + 1000  # unbounded for our purpose: anything above the threshold range
        return set(candidates(target, cap))
    hidden_sum = table.total.count - visible_sum
    others = [c for k, c in table.cells.items() if c.hidden and k != key]
    sums = {0}
    for cell in others:
        sums = {s + v for s in sums for v in candidates(cell, hidden_sum) if s + v <= hidden_sum}
    return {v for v in candidates(target, hidden_sum) if hidden_sum - v in sums}


counts_strategy = st.lists(
    st.one_of(st.integers(0, 12), st.integers(0, 60)), min_size=1, max_size=12
).map(lambda values: {f"area-{i}": v for i, v in enumerate(values)})


@settings(max_examples=300, deadline=None)
@given(counts=counts_strategy, threshold=st.integers(3, 12))
def test_no_hidden_cell_can_be_worked_out_from_the_visible_cells_and_total(counts, threshold):
    table = suppress_counts(counts, threshold=threshold)

    for key, cell in table.cells.items():
        if cell.hidden:
            feasible = _feasible_values(table, key)
            assert cell.count in feasible
            assert len(feasible) >= 2, (key, counts, table)


@settings(max_examples=300, deadline=None)
@given(counts=counts_strategy, threshold=st.integers(3, 12))
def test_every_small_count_is_hidden_and_every_shown_count_is_true(counts, threshold):
    table = suppress_counts(counts, threshold=threshold)

    for key, count in counts.items():
        cell = table.cells[key]
        if 0 < count < threshold:
            assert cell.state == CellState.SMALL
        if cell.state == CellState.WITHHELD:
            assert count >= threshold
        if not cell.hidden:
            assert cell.visible_count == count
    if not table.total.hidden:
        assert table.total.count == sum(counts.values()) >= threshold or sum(counts.values()) == 0


def test_one_small_area_makes_the_next_smallest_withheld():
    table = suppress_counts({"Barnet": 4, "Brent": 30, "Camden": 12, "Ealing": 0}, threshold=10)

    assert [table.cells[k].display for k in ("Barnet", "Brent", "Camden", "Ealing")] == [
        "fewer than 10",
        "30",
        "withheld",
        "0",
    ]
    assert table.total.display == "46"


def test_no_small_numbers_means_nothing_hidden():
    table = suppress_counts({"Barnet": 14, "Brent": 30, "Camden": 0}, threshold=10)

    assert table.any_hidden is False
    assert table.total.display == "44"


def test_two_ones_hide_a_third_cell_because_their_sum_would_pin_them():
    # Hidden sum 2 with two "fewer than 10" cells means both are 1: something else must go.
    table = suppress_counts({"a": 1, "b": 1, "c": 50, "d": 40}, threshold=10)

    assert table.cells["d"].state == CellState.WITHHELD
    assert len(_feasible_values(table, "a")) >= 2


def test_a_table_of_only_small_counts_hides_its_total():
    table = suppress_counts({"a": 3, "b": 0}, threshold=10)

    assert table.cells["a"].display == "fewer than 10"
    assert table.total.state == CellState.SMALL


def test_the_default_threshold_comes_from_settings(settings):
    settings.ENGAGE_SMALL_NUMBER_THRESHOLD = 5

    table = suppress_counts({"a": 4, "b": 6, "c": 7})

    assert [table.cells[k].state for k in "abc"] == [
        CellState.SMALL,
        CellState.WITHHELD,
        CellState.SHOWN,
    ]


@pytest.mark.parametrize("threshold", [0, 1, 2])
def test_a_threshold_below_three_is_refused(threshold):
    with pytest.raises(ValueError, match="at least 3"):
        suppress_counts({"a": 1}, threshold=threshold)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        suppress_counts({"a": -1}, threshold=10)


def _assignments(table, cap):
    """Every assignment of the hidden cells of `table` consistent with what it shows."""
    import itertools

    t = table.threshold
    hidden = [k for k, c in table.cells.items() if c.hidden]
    ranges = []
    for key in hidden:
        cell = table.cells[key]
        if cell.state == CellState.SMALL:
            ranges.append(range(1, t))
        else:
            ranges.append(range(t, cap + 1))
    visible = {k: c.count for k, c in table.cells.items() if not c.hidden}
    for values in itertools.product(*ranges):
        full = {**visible, **dict(zip(hidden, values, strict=True))}
        if not table.total.hidden and sum(full.values()) != table.total.count:
            continue
        yield full


pair_strategy = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 12)).map(lambda p: (max(p), min(p))),
    min_size=1,
    # Bounds propagation is exact for two rows; with three or more it can miss a deduction that
    # needs the constraints combined (see events.reports.suppress_pair).
    max_size=2,
)


@settings(max_examples=60, deadline=None)
@given(rows=pair_strategy, threshold=st.integers(3, 6))
@example(rows=[(1, 0), (4, 4)], threshold=3)  # one withheld cell alone once slipped through (NaN)
def test_paired_tables_hide_cells_even_using_attended_at_most_registered(rows, threshold):
    from events.reports import suppress_pair

    registered = {f"r{i}": reg for i, (reg, _att) in enumerate(rows)}
    attended = {f"r{i}": att for i, (_reg, att) in enumerate(rows)}

    reg_table, att_table = suppress_pair(registered, attended, threshold=threshold)

    cap = sum(registered.values()) + threshold
    feasible_reg = {k: set() for k in registered}
    feasible_att = {k: set() for k in attended}
    att_options = list(_assignments(att_table, cap))
    for reg in _assignments(reg_table, cap):
        for att in att_options:
            if all(att[k] <= reg[k] for k in reg):
                for k in reg:
                    feasible_reg[k].add(reg[k])
                    feasible_att[k].add(att[k])
    for table, feasible in ((reg_table, feasible_reg), (att_table, feasible_att)):
        for key, cell in table.cells.items():
            if cell.hidden:
                assert len(feasible[key]) >= 2, (key, rows, threshold)


def test_a_withheld_attendance_count_is_not_pinned_by_its_registered_count():
    from events.reports import suppress_pair

    # Alone, "attended" would withhold Brent (10) to protect Camden (3); with Brent's registered
    # count shown as 10, a reader would know Brent's attendance was exactly 10.
    reg, att = suppress_pair(
        {"brent": 10, "camden": 3, "ealing": 40},
        {"brent": 10, "camden": 3, "ealing": 30},
        threshold=10,
    )

    assert att.cells["brent"].state == CellState.WITHHELD
    assert reg.cells["brent"].hidden


# --- Representation from the database -------------------------------------------------------


@pytest.mark.django_db
def test_representation_counts_areas_types_and_returning_people():
    import datetime as dt

    from engage.enums import OrganisationType
    from engage.models import Area, Membership
    from engage.services import areas_load
    from events.reports import meeting_representation, series_representation
    from tests.factories import (
        MeetingFactory,
        OrganisationFactory,
        RegistrationFactory,
        StakeholderFactory,
    )

    areas_load()
    camden, brent = Area.objects.get(name="Camden"), Area.objects.get(name="Brent")
    earlier = MeetingFactory()
    meeting = MeetingFactory(start=earlier.start + dt.timedelta(days=90))
    meeting.end = meeting.start + dt.timedelta(hours=2)
    meeting.save()
    regular = StakeholderFactory(area=camden)
    RegistrationFactory(meeting=earlier, stakeholder=regular, attended_at=earlier.start)
    OrganisationFactory(name="Brent Youth Forum", type=OrganisationType.YOUTH)
    faith = OrganisationFactory(name="Camden Faith Network", type=OrganisationType.FAITH)
    newcomer = StakeholderFactory(area=brent)
    Membership.objects.create(stakeholder=newcomer, organisation=faith)
    RegistrationFactory(
        meeting=meeting,
        stakeholder=regular,
        organisation_name="brent youth forum",
        attended_at=meeting.start,
    )
    RegistrationFactory(meeting=meeting, stakeholder=newcomer, area=brent)
    RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(area=None), status="cancelled"
    )

    rep = meeting_representation(meeting)

    areas = {row.key: (row.registered, row.attended) for row in rep.areas}
    assert len(areas) == 33
    assert (areas["camden"], areas["brent"], areas["barnet"]) == ((1, 1), (1, 0), (0, 0))
    assert (rep.registered, rep.attended, rep.basis) == (2, 1, "attended")
    assert [a.slug for a in rep.not_represented] == sorted(
        slug for slug in areas if slug != "camden"
    )
    assert {row.key: row.registered for row in rep.organisation_types} == {"youth": 1, "faith": 1}
    assert [(row.key, row.registered, row.attended) for row in rep.first_time] == [
        ("first", 1, 0),
        ("returning", 1, 1),
    ]
    assert rep.population_complete is False
    points = series_representation(meeting.series)
    assert [(p.registered, p.attended, p.areas_represented) for p in points] == [
        (1, 1, 1),
        (2, 1, 1),
    ]
    assert points[1].registered_width == 80.0
