import ast
from pathlib import Path

import pytest
from django.utils import timezone

from engage.enums import ConsentAction, OrganisationType
from engage.models import Stakeholder
from engage.selectors import segment_members, stakeholder_page, stakeholders_filter
from tests.factories import (
    AreaFactory,
    ConsentPurposeFactory,
    ConsentRecordFactory,
    MembershipFactory,
    OrganisationFactory,
    RegistrationFactory,
    SegmentFactory,
    StakeholderFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

ENGAGE = Path(__file__).resolve().parents[2] / "engage"


def _emails(queryset) -> list[str]:
    return sorted(queryset.values_list("email", flat=True))


def test_search_by_name_words_email_and_organisation():
    StakeholderFactory(first_name="Amara", last_name="Okafor", email="amara@example.org")
    StakeholderFactory(first_name="Kofi", last_name="Mensah", email="kofi@youth.example.org")
    forum = MembershipFactory(
        stakeholder__email="sam@example.org", organisation__name="Brixton Youth Forum"
    )

    assert _emails(stakeholders_filter({"q": "amara okafor"})) == ["amara@example.org"]
    assert _emails(stakeholders_filter({"q": "OKAF"})) == ["amara@example.org"]
    assert _emails(stakeholders_filter({"q": "KOFI@YOUTH"})) == ["kofi@youth.example.org"]
    assert _emails(stakeholders_filter({"q": "brixton"})) == [forum.stakeholder.email]
    assert _emails(stakeholders_filter({"q": "nobody"})) == []


def test_search_words_match_a_name_an_address_or_an_organisation_each():
    StakeholderFactory(first_name="Kofi", last_name="Mensah", email="kofi@youth.example.org")
    forum = MembershipFactory(
        stakeholder__first_name="Sam",
        stakeholder__email="sam@example.org",
        organisation__name="Brixton Youth Forum",
    )
    StakeholderFactory(first_name="Sam", last_name="Other", email="other@example.org")

    assert _emails(stakeholders_filter({"q": "youth"})) == [
        "kofi@youth.example.org",
        "sam@example.org",
    ]
    assert _emails(stakeholders_filter({"q": "sam brixton"})) == [forum.stakeholder.email]
    # Full-width letters, as some phone keyboards type them, find the normalised address.
    assert _emails(stakeholders_filter({"q": "ｋｏｆｉ"})) == ["kofi@youth.example.org"]


def test_search_follows_a_name_changed_by_a_bulk_update():
    person = StakeholderFactory(first_name="Amara", last_name="Okafor")

    Stakeholder.objects.filter(pk=person.pk).update(last_name="Mensah")

    assert list(stakeholders_filter({"q": "mensah"})) == [person]
    assert list(stakeholders_filter({"q": "okafor"})) == []


def test_filter_by_area_organisation_type_and_tag():
    hackney = AreaFactory(name="Hackney", slug="hackney")
    youth = TagFactory(name="Young people")
    a = StakeholderFactory(email="a@example.org", area=hackney)
    a.tags.add(youth)
    b = StakeholderFactory(email="b@example.org")
    MembershipFactory(stakeholder=b, organisation=OrganisationFactory(type=OrganisationType.FAITH))
    MembershipFactory(stakeholder=b, organisation=OrganisationFactory(type=OrganisationType.FAITH))

    assert _emails(stakeholders_filter({"area": ["hackney"]})) == ["a@example.org"]
    assert _emails(stakeholders_filter({"organisation_type": ["faith"]})) == ["b@example.org"]
    assert _emails(stakeholders_filter({"tag": ["Young people"]})) == ["a@example.org"]
    assert _emails(stakeholders_filter({"area": ["hackney"], "tag": ["other"]})) == []


def test_filter_by_consent_state_per_purpose_uses_the_latest_record():
    invitations = ConsentPurposeFactory()
    news = ConsentPurposeFactory(slug="action-plan-news", name="News", wording="News")
    given = StakeholderFactory(email="given@example.org")
    ConsentRecordFactory(stakeholder=given, purpose=invitations)
    ConsentRecordFactory(stakeholder=given, purpose=news)
    withdrawn = StakeholderFactory(email="withdrawn@example.org")
    ConsentRecordFactory(stakeholder=withdrawn, purpose=invitations)
    ConsentRecordFactory(
        stakeholder=withdrawn,
        purpose=invitations,
        action=ConsentAction.WITHDRAWN,
        at=timezone.now() + timezone.timedelta(seconds=1),
    )
    StakeholderFactory(email="never@example.org")

    consent = {"meeting-invitations": "given"}
    assert _emails(stakeholders_filter({"consent": consent})) == ["given@example.org"]
    consent = {"meeting-invitations": "withdrawn"}
    assert _emails(stakeholders_filter({"consent": consent})) == ["withdrawn@example.org"]
    consent = {"meeting-invitations": "none"}
    assert _emails(stakeholders_filter({"consent": consent})) == ["never@example.org"]
    both = {"meeting-invitations": "given", "action-plan-news": "given"}
    assert _emails(stakeholders_filter({"consent": both})) == ["given@example.org"]


def test_filter_by_meetings_attended():
    twice = StakeholderFactory(email="twice@example.org")
    once = StakeholderFactory(email="once@example.org")
    StakeholderFactory(email="never@example.org")
    registered = StakeholderFactory(email="registered@example.org")
    now = timezone.now()
    RegistrationFactory(stakeholder=twice, attended_at=now)
    RegistrationFactory(stakeholder=twice, attended_at=now)
    RegistrationFactory(stakeholder=once, attended_at=now)
    RegistrationFactory(stakeholder=registered)

    assert _emails(stakeholders_filter({"attended": "any"})) == [
        "once@example.org",
        "twice@example.org",
    ]
    assert _emails(stakeholders_filter({"attended": "none"})) == [
        "never@example.org",
        "registered@example.org",
    ]
    assert _emails(stakeholders_filter({"attended_min": 2})) == ["twice@example.org"]


def test_anonymised_people_are_never_in_a_list_or_segment():
    StakeholderFactory(email="gone@example.org", anonymised_at=timezone.now())
    StakeholderFactory(email="here@example.org")

    assert _emails(stakeholders_filter({})) == ["here@example.org"]
    assert _emails(segment_members(SegmentFactory(filters={}))) == ["here@example.org"]


def test_segment_members_takes_a_segment_or_filters_and_is_live():
    hackney = AreaFactory(name="Hackney", slug="hackney")
    segment = SegmentFactory(filters={"area": ["hackney"]})
    StakeholderFactory(email="a@example.org", area=hackney)
    before = segment_members(segment).count()
    StakeholderFactory(email="b@example.org", area=hackney)

    assert before == 1
    assert list(segment_members(segment).values_list("email", flat=True)) == [
        "a@example.org",
        "b@example.org",
    ]
    assert segment_members({"area": "hackney"}).count() == 2


def test_unknown_filter_keys_are_ignored():
    StakeholderFactory()

    assert stakeholders_filter({"retired_filter": "x"}).count() == 1


def test_keyset_pages_walk_forwards_and_backwards_without_gaps():
    names = [f"Surname{i:02d}" for i in range(23)]
    for name in names:
        StakeholderFactory(last_name=name, first_name="A")

    seen = []
    page = stakeholder_page({}, size=5)
    seen += [p.last_name for p in page.rows]
    while page.next_cursor:
        page = stakeholder_page({}, after=page.next_cursor, size=5)
        seen += [p.last_name for p in page.rows]
    back = stakeholder_page({}, before=page.previous_cursor, size=5)
    last = stakeholder_page({}, last=True, size=5)
    jump = stakeholder_page({}, start="Surname10", size=2)

    assert seen == names
    assert [p.last_name for p in back.rows] == names[15:20]
    assert [p.last_name for p in last.rows] == names[18:]
    assert last.next_cursor is None
    assert [p.last_name for p in jump.rows] == names[10:12]
    assert page.total == 23


def test_a_bad_cursor_shows_the_first_page():
    StakeholderFactory(last_name="Adams")

    page = stakeholder_page({}, after="not-a-cursor")

    assert [p.last_name for p in page.rows] == ["Adams"]


@pytest.mark.parametrize("size", [25, 200])
def test_a_page_takes_the_same_few_queries_for_25_or_200_rows(size, django_assert_max_num_queries):
    purpose = ConsentPurposeFactory()
    youth = TagFactory(name="Young people")
    for _ in range(size + 5):
        person = StakeholderFactory()
        person.tags.add(youth)
        MembershipFactory(stakeholder=person)
        ConsentRecordFactory(stakeholder=person, purpose=purpose)

    # The page, its organisations and tags (one query), the count, the purpose's id.
    with django_assert_max_num_queries(4):
        page = stakeholder_page({"consent": {purpose.slug: "given"}}, size=size)
        rendered = [(p.area_name, p.organisation_roles, p.tag_names) for p in page.rows]

    assert len(rendered) == size
    assert all(len(orgs) == 1 and tags == ["Young people"] for _, orgs, tags in rendered)


def test_a_page_lists_organisations_with_roles_and_tags_sorted():
    person = StakeholderFactory()
    StakeholderFactory()  # someone with neither
    MembershipFactory(stakeholder=person, organisation__name="zeta Forum", role="")
    MembershipFactory(stakeholder=person, organisation__name="Alpha Trust", role="Chair")
    for name in ("young people", "Faith groups"):
        person.tags.add(TagFactory(name=name))

    page = stakeholder_page({})

    rows = {p.pk: (p.organisation_roles, p.tag_names) for p in page.rows}
    assert rows[person.pk] == (
        [("Alpha Trust", "Chair"), ("zeta Forum", "")],
        ["Faith groups", "young people"],
    )
    assert [v for k, v in rows.items() if k != person.pk] == [([], [])]


@pytest.mark.parametrize(
    "module",
    # Every module of the app, the packages' modules included: dependencies run events -> engage.
    sorted(
        str(path.relative_to(ENGAGE))
        for path in ENGAGE.rglob("*.py")
        if "migrations" not in path.relative_to(ENGAGE).parts
    ),
)
def test_engage_modules_never_import_events(module):
    tree = ast.parse((ENGAGE / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)

    assert sorted(m for m in imported if m == "events" or m.startswith("events.")) == []
