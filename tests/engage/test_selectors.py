"""The consent state is derived from the ledger: per person, per purpose, and as a filter."""

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engage import services
from engage.enums import ConsentMethod, LawfulBasis
from engage.models import Stakeholder
from engage.selectors import (
    consent_is_given,
    stakeholder_consents,
    stakeholders_annotate_consent,
    stakeholders_consenting,
    stakeholders_filter_consent,
)
from tests.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

SLUGS = ["meeting-invitations", "action-plan-news", "attendee-list"]


def _give(stakeholder, slug):
    services.consent_give(stakeholder=stakeholder, purpose=slug, method=ConsentMethod.WEB)


def _withdraw(stakeholder, slug):
    services.consent_withdraw(stakeholder=stakeholder, purpose=slug, method=ConsentMethod.WEB)


def test_stakeholders_consenting_follows_each_persons_latest_record(consent_purposes):
    given_now = StakeholderFactory()
    _give(given_now, "meeting-invitations")
    withdrew = StakeholderFactory()
    _give(withdrew, "meeting-invitations")
    _withdraw(withdrew, "meeting-invitations")
    gave_again = StakeholderFactory()
    _withdraw(gave_again, "meeting-invitations")
    _give(gave_again, "meeting-invitations")
    other_purpose = StakeholderFactory()
    _give(other_purpose, "action-plan-news")
    StakeholderFactory()

    result = stakeholders_consenting("meeting-invitations")

    assert sorted(result.values_list("pk", flat=True)) == sorted([given_now.pk, gave_again.pk])


def test_stakeholders_consenting_leaves_out_anonymised_people(consent_purposes):
    person = StakeholderFactory()
    _give(person, "meeting-invitations")
    Stakeholder.objects.filter(pk=person.pk).update(anonymised_at=timezone.now())

    assert list(stakeholders_consenting("meeting-invitations")) == []


def test_filter_by_state_given_withdrawn_and_never_asked(consent_purposes):
    gave = StakeholderFactory()
    _give(gave, "action-plan-news")
    withdrew = StakeholderFactory()
    _give(withdrew, "action-plan-news")
    _withdraw(withdrew, "action-plan-news")
    never = StakeholderFactory()
    everyone = Stakeholder.objects.all()

    states = {
        state: list(
            stakeholders_filter_consent(
                everyone, purpose_slug="action-plan-news", state=state
            ).values_list("pk", flat=True)
        )
        for state in ("given", "withdrawn", "none")
    }

    assert states == {"given": [gave.pk], "withdrawn": [withdrew.pk], "none": [never.pk]}


def test_an_objection_under_public_task_counts_as_withdrawn(consent_purposes):
    purpose = consent_purposes["action-plan-news"]
    purpose.lawful_basis = LawfulBasis.PUBLIC_TASK
    purpose.save()
    person = StakeholderFactory()
    _give(person, "action-plan-news")
    _withdraw(person, "action-plan-news")

    withdrawn = stakeholders_filter_consent(
        Stakeholder.objects.all(), purpose_slug="action-plan-news", state="withdrawn"
    )

    assert list(withdrawn) == [person]


def test_filter_by_an_unknown_state_is_an_error(consent_purposes):
    with pytest.raises(ValueError):
        stakeholders_filter_consent(
            Stakeholder.objects.all(), purpose_slug="action-plan-news", state="maybe"
        )


def test_annotation_names_every_active_purpose(consent_purposes):
    person = StakeholderFactory()
    _give(person, "attendee-list")

    row = stakeholders_annotate_consent(Stakeholder.objects.filter(pk=person.pk)).get()

    assert (row.consent_attendee_list, row.consent_meeting_invitations) == ("given", None)


def test_stakeholder_consents_costs_two_queries(consent_purposes, django_assert_num_queries):
    person = StakeholderFactory()
    for slug in SLUGS:
        _give(person, slug)
        _withdraw(person, slug)
        _give(person, slug)

    with django_assert_num_queries(2):
        states = stakeholder_consents(person)

    assert [s.state for s in states] == ["given", "given", "none", "none", "given"]


def test_a_person_filter_page_is_one_query_whatever_the_size(
    consent_purposes, django_assert_num_queries
):
    for _ in range(30):
        _give(StakeholderFactory(), "meeting-invitations")
    queryset = stakeholders_consenting("meeting-invitations")

    with django_assert_num_queries(1):
        page = list(queryset.order_by("last_name", "first_name", "id")[:25])

    assert len(page) == 25


actions = st.lists(st.tuples(st.sampled_from(SLUGS), st.booleans()), max_size=12)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=actions, frozen=st.booleans())
def test_derived_state_is_always_the_last_action(consent_purposes, sequence, frozen):
    person = StakeholderFactory()
    # With the clock frozen every record has the same time: the id must break the tie.
    traveller = time_machine.travel(timezone.now(), tick=not frozen)
    with traveller:
        for slug, give in sequence:
            (_give if give else _withdraw)(person, slug)
    expected = {slug: "none" for slug in SLUGS}
    for slug, give in sequence:
        expected[slug] = "given" if give else "withdrawn"

    per_person = {
        s.purpose.slug: s.state for s in stakeholder_consents(person) if s.purpose.slug in SLUGS
    }
    by_filter = {
        slug: next(
            state
            for state in ("given", "withdrawn", "none")
            if stakeholders_filter_consent(
                Stakeholder.objects.filter(pk=person.pk), purpose_slug=slug, state=state
            ).exists()
        )
        for slug in SLUGS
    }
    by_point_check = {
        slug: consent_is_given(stakeholder_id=person.pk, purpose_id=consent_purposes[slug].pk)
        for slug in SLUGS
    }

    assert per_person == expected
    assert by_filter == expected
    assert by_point_check == {slug: state == "given" for slug, state in expected.items()}


def test_consent_filters_chain_across_purposes(consent_purposes):
    both = StakeholderFactory()
    _give(both, "meeting-invitations")
    _give(both, "action-plan-news")
    one = StakeholderFactory()
    _give(one, "meeting-invitations")
    _withdraw(one, "action-plan-news")

    chained = stakeholders_filter_consent(
        stakeholders_filter_consent(
            Stakeholder.objects.all(), purpose_slug="meeting-invitations", state="given"
        ),
        purpose_slug="action-plan-news",
        state="withdrawn",
    )

    assert list(chained) == [one]
