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
        if table.all_withheld:
            return range(0, cap + 1)
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
            # "fewer than", unless nothing short of withholding the whole table protected it
            assert cell.state == (CellState.WITHHELD if table.all_withheld else CellState.SMALL)
        if cell.state == CellState.WITHHELD:
            assert count >= threshold or table.all_withheld
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


def _reader_view(table) -> tuple[list[tuple[int, int]], list[int]]:
    """What a reader knows of a published table, with no help from events.reports: each cell's
    least and greatest possible value (the greatest capped at a number above any real total),
    and the possible totals."""
    t = table.threshold
    cap = 10_000
    bounds = []
    for cell in table.cells.values():
        if table.all_withheld:
            bounds.append((0, cap))
        elif cell.state == CellState.SMALL:
            bounds.append((1, t - 1))
        elif cell.state == CellState.WITHHELD:
            bounds.append((t, cap))
        else:
            bounds.append((cell.count, cell.count))
    if table.total.state == CellState.SMALL:
        totals = list(range(1, t))
    else:
        assert table.total.state == CellState.SHOWN  # a total is never withheld
        totals = [table.total.count]
    return bounds, totals


def _possible_values(reg_table, att_table) -> tuple[list[set], list[set]]:
    """Every value each registered and each attended cell can take given the published tables,
    the totals and attended <= registered in every row.

    Exhaustive, with no help from events.reports: each row's possible (registered, attended)
    pairs are listed; the sums (registered, attended) reachable by all rows but one are a set of
    points, kept as the bits of one integer (bit sr * width + sa); a pair for that row is possible
    when it completes some reachable point to a possible pair of totals.
    """
    reg_bounds, reg_totals = _reader_view(reg_table)
    att_bounds, att_totals = _reader_view(att_table)
    n = len(reg_bounds)
    r_max, a_max = max(reg_totals), max(att_totals)
    # Twice the widest attended sum, so one row's addition cannot carry into the next sr.
    width = 2 * a_max + 2
    mask = sum(((1 << (a_max + 1)) - 1) << (sr * width) for sr in range(r_max + 1))
    options = [
        [
            (r, a)
            for r in range(r_lo, min(r_hi, r_max) + 1)
            for a in range(a_lo, min(a_hi, r, a_max) + 1)
        ]
        for (r_lo, r_hi), (a_lo, a_hi) in zip(reg_bounds, att_bounds, strict=True)
    ]

    def reachable(skip: int) -> int:
        bits = 1  # the empty sum (0, 0)
        for i in range(n):
            if i != skip:
                sum_bits = 0
                for r, a in options[i]:
                    sum_bits |= bits << (r * width + a)
                bits = sum_bits & mask
        return bits

    reg_values = [set() for _ in range(n)]
    att_values = [set() for _ in range(n)]
    for k in range(n):
        others = reachable(k)
        for r, a in options[k]:
            if any(
                others >> ((total_r - r) * width + (total_a - a)) & 1
                for total_r in reg_totals
                for total_a in att_totals
                if total_r >= r and total_a >= a
            ):
                reg_values[k].add(r)
                att_values[k].add(a)
    return reg_values, att_values


def _assert_nothing_pinned(reg_table, att_table):
    reg_values, att_values = _possible_values(reg_table, att_table)
    for table, values in ((reg_table, reg_values), (att_table, att_values)):
        for (key, cell), possible in zip(table.cells.items(), values, strict=True):
            # The truth is always possible (the reader's model is sound) ...
            assert cell.count in possible, (key, cell, possible)
            # ... and no hidden cell that counts someone is pinned to one value.
            if cell.hidden and cell.count > 0:
                assert len(possible) >= 2, (key, cell, possible)


pair_strategy = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 12), st.sampled_from([0, 1, 2, 10, 11, 20])),
        st.integers(0, 12),
    ).map(lambda p: (p[0], min(p))),
    min_size=1,
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(rows=pair_strategy, threshold=st.integers(3, 10))
@example(rows=[(1, 0), (4, 4)], threshold=3)  # one withheld cell alone once slipped through (NaN)
@example(rows=[(2, 2), (3, 2), (3, 3)], threshold=3)  # missed by bounds propagation
@example(rows=[(1, 1)] * 5, threshold=5)  # five ones and a total of five: all withheld
def test_no_hidden_cell_of_a_registered_attended_pair_can_be_worked_out(rows, threshold):
    from events.reports import suppress_pair

    registered = {f"r{i}": reg for i, (reg, _att) in enumerate(rows)}
    attended = {f"r{i}": att for i, (_reg, att) in enumerate(rows)}

    reg_table, att_table = suppress_pair(registered, attended, threshold=threshold)

    _assert_nothing_pinned(reg_table, att_table)
    for table, counts in ((reg_table, registered), (att_table, attended)):
        for key, count in counts.items():
            cell = table.cells[key]
            if 0 < count < threshold:
                assert cell.hidden
            if not cell.hidden:
                assert cell.visible_count == count
        total = sum(counts.values())
        assert table.total.count == total
        assert table.total.hidden == (0 < total < threshold)


def test_many_random_tables_of_up_to_eight_rows_keep_every_hidden_cell_open():
    import random

    from events.reports import suppress_pair

    rng = random.Random(20261129)
    for _ in range(300):
        threshold = rng.choice([3, 5, 10])
        rows = rng.randint(3, 8)
        registered = {f"r{i}": rng.choice([0, 1, 2, 4, 9, 10, 12, 15]) for i in range(rows)}
        attended = {k: rng.randint(0, v) for k, v in registered.items()}

        reg_table, att_table = suppress_pair(registered, attended, threshold=threshold)

        _assert_nothing_pinned(reg_table, att_table)


def test_three_rows_that_bounds_propagation_got_wrong_are_protected():
    from events.reports import suppress_pair

    # Registered 2/3/3 and attended 2/2/3 at threshold 3: the old check let attended "b" be
    # pinned through registered and attended together.
    reg, att = suppress_pair({"a": 2, "b": 3, "c": 3}, {"a": 2, "b": 2, "c": 3}, threshold=3)

    _assert_nothing_pinned(reg, att)
    assert att.cells["b"].hidden


def test_ten_single_people_and_a_total_of_ten_withhold_the_whole_table():
    from events.reports import suppress_pair

    counts = {f"area-{i}": int(i < 10) for i in range(34)}

    reg, att = suppress_pair(counts, counts, threshold=10)

    assert reg.all_withheld and att.all_withheld
    assert {c.display for c in reg.cells.values()} == {"withheld"}
    assert (reg.total.display, att.total.display) == ("10", "10")
    _assert_nothing_pinned(reg, att)


def test_attended_may_not_exceed_registered():
    from events.reports import suppress_pair

    with pytest.raises(ValueError, match="exceed"):
        suppress_pair({"a": 1}, {"a": 2}, threshold=10)


def test_the_partner_column_is_used_when_choosing_what_to_withhold():
    from events.reports import suppress_pair

    # Withholding Brent's registered 10 (the smallest) would not protect Camden's registered 3:
    # the attended column alone gives Camden's attendance as 3, and registered >= attended, so
    # Camden's registered count would be pinned at 3. Ealing goes instead, in both columns.
    reg, att = suppress_pair(
        {"brent": 10, "camden": 3, "ealing": 40},
        {"brent": 10, "camden": 3, "ealing": 30},
        threshold=10,
    )

    assert [reg.cells[k].display for k in ("brent", "camden", "ealing")] == [
        "10",
        "fewer than 10",
        "withheld",
    ]
    assert [att.cells[k].display for k in ("brent", "camden", "ealing")] == [
        "10",
        "fewer than 10",
        "withheld",
    ]
    _assert_nothing_pinned(reg, att)


def test_a_withheld_attendance_count_is_not_pinned_by_a_shown_registered_count():
    from events.reports import suppress_pair

    # Attended alone would withhold Brent's 10 to protect Camden; Brent's registered count, shown
    # as 10, would then give Brent's attendance as exactly 10 and Camden's with it.
    reg, att = suppress_pair(
        {"brent": 10, "camden": 12, "ealing": 40},
        {"brent": 10, "camden": 3, "ealing": 30},
        threshold=10,
    )

    _assert_nothing_pinned(reg, att)
    assert att.cells["camden"].state == CellState.SMALL
    assert not (att.cells["brent"].hidden and not reg.cells["brent"].hidden)


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
