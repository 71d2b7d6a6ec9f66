import csv
import io

import pytest
from django.urls import reverse

from engage.enums import AuditAction, ConsentAction, ConsentMethod
from engage.exports import neutralise
from engage.models import AuditLog, ConsentRecord, Segment, Stakeholder
from tests.factories import (
    AreaFactory,
    ConsentPurposeFactory,
    ConsentRecordFactory,
    MembershipFactory,
    RegistrationFactory,
    SegmentFactory,
    StakeholderFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, engagement_team):
    client.force_login(engagement_team)
    client.user = engagement_team
    return client


def _seed(n: int) -> None:
    purpose = ConsentPurposeFactory()
    tag = TagFactory(name="Young people")
    for _ in range(n):
        person = StakeholderFactory()
        person.tags.add(tag)
        MembershipFactory(stakeholder=person)
        ConsentRecordFactory(stakeholder=person, purpose=purpose)


@pytest.mark.parametrize(
    "query",
    ["", "consent_meeting-invitations=given&tag=Young+people&q=example.org"],
    ids=["everyone", "filtered"],
)
@pytest.mark.parametrize("size", [25, 200])
def test_a_list_request_takes_at_most_five_queries_for_25_or_200_rows(
    staff_client, django_assert_max_num_queries, size, query
):
    _seed(205)
    url = f"{reverse('engage:staff_stakeholders')}?size={size}&{query}"
    staff_client.get(url)  # the filter options and the everyone count are cached from here on

    # Everything the request does: session, user with permissions, roles and authenticator,
    # the page, its organisations and tags, the count; a search adds its audit row.
    with django_assert_max_num_queries(6 if query else 5):
        response = staff_client.get(url)

    rows = response.context["page"].rows
    assert len(rows) == size
    assert all(r.tag_names == ["Young people"] and len(r.organisation_roles) == 1 for r in rows)


def test_the_list_counts_everyone_recently_and_a_filtered_list_exactly(staff_client):
    hackney = AreaFactory(name="Hackney", slug="hackney")
    StakeholderFactory(area=hackney)
    StakeholderFactory()
    url = reverse("engage:staff_stakeholders")
    staff_client.get(url)
    StakeholderFactory(area=hackney)

    everyone = staff_client.get(url)
    filtered = staff_client.get(url, {"area": "hackney"})

    assert "2 people on the list (counted in the last minute)." in everyone.content.decode()
    assert "2 people match." in filtered.content.decode()


def test_a_tag_added_by_a_service_is_offered_as_a_filter_at_once(
    staff_client, django_capture_on_commit_callbacks
):
    from engage.services import stakeholder_tags_set

    person = StakeholderFactory()
    url = reverse("engage:staff_stakeholders")
    staff_client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        stakeholder_tags_set(stakeholder=person, names=["Faith groups"])
    response = staff_client.get(url, {"tag": "Faith groups"})

    assert response.context["form"].errors == {}
    assert [p.pk for p in response.context["page"].rows] == [person.pk]


def test_list_searches_by_name_and_email_and_escapes_html(staff_client):
    StakeholderFactory(first_name="<b>Amara</b>", last_name="Okafor", email="amara@example.org")
    StakeholderFactory(first_name="Kofi", last_name="Mensah", email="kofi@example.org")

    by_name = staff_client.get(reverse("engage:staff_stakeholders"), {"q": "okafor"})
    by_email = staff_client.get(reverse("engage:staff_stakeholders"), {"q": "kofi@"})

    assert [p.email for p in by_name.context["page"].rows] == ["amara@example.org"]
    assert "&lt;b&gt;Amara&lt;/b&gt;" in by_name.content.decode()
    assert "<b>Amara</b>" not in by_name.content.decode()
    assert [p.email for p in by_email.context["page"].rows] == ["kofi@example.org"]


def test_list_pages_with_next_links(staff_client):
    for i in range(30):
        StakeholderFactory(last_name=f"Name{i:02d}")

    first = staff_client.get(reverse("engage:staff_stakeholders"))
    cursor = first.context["page"].next_cursor
    second = staff_client.get(reverse("engage:staff_stakeholders"), {"after": cursor})

    assert [p.last_name for p in second.context["page"].rows] == [
        f"Name{i:02d}" for i in range(25, 30)
    ]
    assert f"after={cursor}" in first.content.decode()


def test_detail_shows_consent_history_and_timeline_and_is_audited(staff_client):
    purpose = ConsentPurposeFactory()
    person = StakeholderFactory()
    ConsentRecordFactory(stakeholder=person, purpose=purpose, wording="The exact words shown.")
    RegistrationFactory(stakeholder=person, meeting__title="Public review, July")

    response = staff_client.get(reverse("engage:staff_stakeholder", args=[person.pk]))

    body = response.content.decode()
    assert "The exact words shown." in body
    assert "Registered for Public review, July" in body
    log = AuditLog.objects.get(action=AuditAction.VIEW)
    assert (log.actor, log.object_type, log.object_id) == (
        staff_client.user,
        "engage.stakeholder",
        str(person.pk),
    )


def test_create_normalises_email_splits_tags_and_saves_organisations(staff_client):
    area = AreaFactory(name="Lambeth", slug="lambeth")

    response = staff_client.post(
        reverse("engage:staff_stakeholder_add"),
        {
            "first_name": "Amara",
            "last_name": "Okafor",
            "email": " Amara@Example.ORG ",
            "phone": "020 7946 0000",
            "area": area.pk,
            "organisations": "Brixton Youth Forum | Chair\nLambeth Faith Network",
            "tags": "young people; stop and search;;",
            "preferred_language": "en-gb",
            "source": "Phone call",
            "notes": "Prefers evening meetings.",
        },
    )

    person = Stakeholder.objects.get()
    assert response.status_code == 302
    assert person.email_normalised == "amara@example.org"
    assert sorted((m.organisation.name, m.role) for m in person.memberships.all()) == [
        ("Brixton Youth Forum", "Chair"),
        ("Lambeth Faith Network", ""),
    ]
    assert sorted(t.name for t in person.tags.all()) == ["Stop and search", "young people"]
    assert ConsentRecord.objects.count() == 0
    assert AuditLog.objects.filter(action=AuditAction.CREATE, object_id=str(person.pk)).exists()


def test_create_refuses_an_address_already_on_the_list(staff_client):
    StakeholderFactory(email="amara@example.org")

    response = staff_client.post(
        reverse("engage:staff_stakeholder_add"),
        {"email": "AMARA@example.org", "preferred_language": "en-gb"},
    )

    assert response.status_code == 200
    assert "already has this email address" in response.content.decode()
    assert Stakeholder.objects.count() == 1


def test_edit_changes_fields_and_replaces_organisations_and_tags(staff_client):
    person = StakeholderFactory(first_name="Old")
    MembershipFactory(stakeholder=person, organisation__name="Old Group")
    person.tags.add(TagFactory(name="Old tag"))

    staff_client.post(
        reverse("engage:staff_stakeholder_edit", args=[person.pk]),
        {
            "first_name": "New",
            "last_name": person.last_name,
            "email": person.email,
            "organisations": "New Group | Secretary",
            "tags": "New tag",
            "preferred_language": "en-gb",
        },
    )

    person.refresh_from_db()
    assert person.first_name == "New"
    assert [(m.organisation.name, m.role) for m in person.memberships.all()] == [
        ("New Group", "Secretary")
    ]
    assert [t.name for t in person.tags.all()] == ["New tag"]
    assert AuditLog.objects.filter(action=AuditAction.EDIT).count() == 3


def test_record_consent_by_phone_keeps_the_staff_member(staff_client):
    purpose = ConsentPurposeFactory()
    person = StakeholderFactory()

    response = staff_client.post(
        reverse("engage:staff_stakeholder_consent", args=[person.pk]),
        {
            "purpose": purpose.pk,
            "action": "given",
            "method": ConsentMethod.PHONE,
            "wording": "",
            "reference": "Call on 3 March",
        },
    )

    record = ConsentRecord.objects.get()
    assert response.status_code == 302
    assert (record.action, record.method, record.recorded_by, record.wording) == (
        ConsentAction.GIVEN,
        ConsentMethod.PHONE,
        staff_client.user,
        purpose.wording,
    )
    assert record.evidence == {"reference": "Call on 3 March"}


def test_record_consent_refuses_web_method(staff_client):
    purpose = ConsentPurposeFactory()
    person = StakeholderFactory()

    response = staff_client.post(
        reverse("engage:staff_stakeholder_consent", args=[person.pk]),
        {"purpose": purpose.pk, "action": "given", "method": ConsentMethod.WEB},
    )

    assert response.status_code == 200
    assert ConsentRecord.objects.count() == 0


def test_save_segment_from_list_filters_with_live_count(staff_client):
    hackney = AreaFactory(name="Hackney", slug="hackney")
    StakeholderFactory(area=hackney)
    StakeholderFactory()
    url = reverse("engage:staff_segment_add") + "?area=hackney&q="

    response = staff_client.post(url, {"name": "Hackney people"})

    segment = Segment.objects.get()
    assert segment.filters == {"area": ["hackney"]}
    assert segment.created_by == staff_client.user
    detail = staff_client.get(response["Location"])
    assert detail.context["count"] == 1
    StakeholderFactory(area=hackney)
    assert staff_client.get(response["Location"]).context["count"] == 2


def test_rename_segment_keeps_its_filters(staff_client):
    segment = SegmentFactory(name="Hackney people", filters={"area": ["hackney"]})
    url = reverse("engage:staff_segment_edit", args=[segment.pk])

    form_page = staff_client.get(url)
    response = staff_client.post(url, {"name": "  Hackney residents "})

    assert form_page.context["form"]["name"].value() == "Hackney people"
    assert response["Location"] == reverse("engage:staff_segment", args=[segment.pk])
    segment.refresh_from_db()
    assert (segment.name, segment.filters) == ("Hackney residents", {"area": ["hackney"]})


def test_rename_segment_refuses_a_name_already_taken(staff_client):
    SegmentFactory(name="Young people")
    segment = SegmentFactory(name="Hackney people")

    response = staff_client.post(
        reverse("engage:staff_segment_edit", args=[segment.pk]), {"name": "young PEOPLE"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["There is already a segment with this name."]
    }
    segment.refresh_from_db()
    assert segment.name == "Hackney people"


def test_segment_page_links_to_rename(staff_client):
    segment = SegmentFactory()
    edit_url = reverse("engage:staff_segment_edit", args=[segment.pk])

    page = staff_client.get(reverse("engage:staff_segment", args=[segment.pk]))

    assert f'href="{edit_url}"' in page.content.decode()


def test_segment_export_neutralises_formulas_and_is_logged(staff_client):
    StakeholderFactory(
        first_name="=HYPERLINK(1)", last_name="+44", phone="-1", email="a@example.org"
    )
    StakeholderFactory(first_name="@SUM", last_name="\tTab", phone="\r1", email="b@example.org")
    segment = SegmentFactory(filters={})

    response = staff_client.get(reverse("engage:staff_segment_export", args=[segment.pk]))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["email", "first_name", "last_name", "phone"]
    assert sorted(r[:4] for r in rows[1:]) == [
        ["a@example.org", "'=HYPERLINK(1)", "'+44", "'-1"],
        ["b@example.org", "'@SUM", "'\tTab", "'\r1"],
    ]
    log = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert (log.object_id, log.detail["rows"]) == (str(segment.pk), 2)


def test_list_export_logs_filters_without_search_text(staff_client):
    StakeholderFactory(last_name="Okafor")

    response = staff_client.get(reverse("engage:staff_stakeholders_export"), {"q": "okafor"})

    assert len(b"".join(response.streaming_content).decode().splitlines()) == 2
    assert AuditLog.objects.get(action=AuditAction.EXPORT).detail == {
        "rows": 1,
        "filters": {"q": True},
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_export_with_a_mistyped_filter_exports_nothing(staff_client):
    StakeholderFactory()

    response = staff_client.get(reverse("engage:staff_stakeholders_export"), {"area": "nowhere"})

    assert response.status_code == 302
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()
