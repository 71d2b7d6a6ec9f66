"""Staff meeting pages and the check-in page: behaviour through HTTP, and query counts on lists."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engage.enums import AuditAction
from engage.models import Area, AuditLog, Segment
from engage.services import areas_load
from events.enums import MeetingStatus, PanelQuestionStatus, RegistrationStatus
from events.models import Meeting, Registration
from tests.factories import (
    AreaReservationFactory,
    DocumentFactory,
    MeetingFactory,
    PanelQuestionFactory,
    RegistrationFactory,
    SeriesFactory,
    SessionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, engagement_team):
    client.force_login(engagement_team)
    return client


def _meeting_with_people(n: int = 5) -> Meeting:
    meeting = MeetingFactory()
    breakouts = SessionFactory.create_batch(2, meeting=meeting, capacity=20)
    for i in range(n):
        registration = RegistrationFactory(
            meeting=meeting, breakout=breakouts[i % 2], access_requirements="Step-free access"
        )
        PanelQuestionFactory(meeting=meeting, registration=registration)
    return meeting


# --- Query counts on every list view --------------------------------------------------------


def test_meeting_list_queries_do_not_grow_with_meetings(
    staff_client, django_assert_max_num_queries
):
    for _ in range(3):
        _meeting_with_people(3)
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("events:staff_meeting_list"))
    MeetingFactory.create_batch(10)
    with django_assert_max_num_queries(12):
        bigger = staff_client.get(reverse("events:staff_meeting_list"))

    assert response.status_code == bigger.status_code == 200
    assert len(bigger.context["meetings"]) == 13


@pytest.mark.parametrize(
    "url_name",
    [
        "events:staff_meeting_detail",
        "events:staff_registrations",
        "events:staff_panel_questions",
        "events:staff_representation",
        "events:staff_documents",
        "events:staff_reservations",
        "events:checkin",
    ],
)
def test_meeting_pages_use_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries, url_name
):
    small = _meeting_with_people(2)
    large = _meeting_with_people(30)
    for meeting in (small, large):
        DocumentFactory.create_batch(3, meeting=meeting)
        AreaReservationFactory.create_batch(2, meeting=meeting)

    with django_assert_max_num_queries(25) as small_queries:
        assert staff_client.get(reverse(url_name, args=[small.pk])).status_code == 200
    with django_assert_max_num_queries(25) as large_queries:
        assert staff_client.get(reverse(url_name, args=[large.pk])).status_code == 200

    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


def test_facilitator_home_queries(client, facilitator, django_assert_max_num_queries):
    for _ in range(4):
        SessionFactory(meeting=MeetingFactory()).facilitators.add(facilitator)
    client.force_login(facilitator)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("events:facilitator_home"))

    assert len(response.context["meetings"]) == 4


# --- Meetings ---------------------------------------------------------------------------------


def test_create_meeting_through_the_form(staff_client):
    response = staff_client.post(
        reverse("events:staff_meeting_create"),
        {
            "title": "Spring public review meeting",
            "start": "2027-03-30T18:00",
            "end": "2027-03-30T20:00",
            "format": "hybrid",
            "capacity": "120",
            "reminder_days": "7, 1, 7",
            "access_needs_retention_days": "30",
            "waitlist_offer_hours": "48",
        },
    )

    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:staff_meeting_detail", args=[meeting.pk])
    assert (meeting.status, meeting.reminder_days, meeting.start.hour) == (
        MeetingStatus.DRAFT,
        [7, 1],
        17,  # 18:00 British Summer Time is 17:00 UTC
    )


def test_capacity_below_registrations_shows_the_reason_on_the_form(staff_client):
    meeting = MeetingFactory(capacity=10)
    RegistrationFactory.create_batch(4, meeting=meeting)
    form = staff_client.get(reverse("events:staff_meeting_edit", args=[meeting.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "series"}
    data.update(
        start=meeting.start.strftime("%Y-%m-%dT%H:%M"),
        end=meeting.end.strftime("%Y-%m-%dT%H:%M"),
        capacity="2",
    )

    response = staff_client.post(reverse("events:staff_meeting_edit", args=[meeting.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "The capacity cannot be 2: 4 places are already taken (confirmed or offered). "
        "Move or cancel registrations first."
    ]
    meeting.refresh_from_db()
    assert meeting.capacity == 10


def test_publish_and_cancel(staff_client):
    meeting = MeetingFactory(status=MeetingStatus.DRAFT)

    staff_client.post(reverse("events:staff_meeting_publish", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED
    confirm = staff_client.get(reverse("events:staff_meeting_cancel", args=[meeting.pk]))
    staff_client.post(reverse("events:staff_meeting_cancel", args=[meeting.pk]))

    meeting.refresh_from_db()
    assert confirm.status_code == 200
    assert meeting.status == MeetingStatus.CANCELLED


def test_copy_from_the_last_meeting_goes_to_the_new_draft(staff_client):
    source = MeetingFactory()
    SessionFactory(meeting=source)

    response = staff_client.post(
        reverse("events:staff_meeting_copy", args=[source.pk]), {"start": "2027-06-01T18:30"}
    )

    copy = Meeting.objects.exclude(pk=source.pk).get()
    assert response["Location"] == reverse("events:staff_meeting_edit", args=[copy.pk])
    assert copy.sessions.count() == 1


def test_document_upload_of_the_wrong_kind_is_shown_on_the_form(staff_client):
    meeting = MeetingFactory()

    response = staff_client.post(
        reverse("events:staff_documents", args=[meeting.pk]),
        {"title": "Plan", "file": SimpleUploadedFile("plan.pdf", b"MZ not a pdf")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["The file's content is not a .pdf document."]
    assert meeting.documents.count() == 0


# --- Registrations ----------------------------------------------------------------------------


def test_registrations_list_shows_access_requirements_and_is_audited(staff_client):
    meeting = _meeting_with_people(2)

    response = staff_client.get(reverse("events:staff_registrations", args=[meeting.pk]))

    assert "Step-free access" in response.content.decode()
    log = AuditLog.objects.get()
    assert (log.action, log.object_id, log.detail) == (
        AuditAction.VIEW,
        str(meeting.pk),
        {"kind": "registrations", "rows": 2},
    )


def test_export_csv(staff_client):
    meeting = _meeting_with_people(3)

    response = staff_client.get(reverse("events:staff_registrations_export", args=[meeting.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(response.content.decode().splitlines()) == 4
    assert AuditLog.objects.get().action == AuditAction.EXPORT


def test_move_and_promote_through_the_page(staff_client):
    meeting = MeetingFactory(capacity=2)
    breakout = SessionFactory(meeting=meeting, capacity=5)
    registration = RegistrationFactory(meeting=meeting)
    waiting = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1
    )

    staff_client.post(
        reverse("events:staff_registration_move", args=[registration.pk]),
        {"breakout": str(breakout.pk)},
    )
    staff_client.post(reverse("events:staff_registration_promote", args=[waiting.pk]))

    registration.refresh_from_db(), waiting.refresh_from_db()
    assert registration.breakout == breakout
    assert waiting.status == RegistrationStatus.CONFIRMED


def test_attendance_import_page_reports_unmatched_rows(staff_client):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting)
    content = f"Email\n{registration.stakeholder.email}\nnobody@example.org\n".encode()

    response = staff_client.post(
        reverse("events:staff_attendance_import", args=[meeting.pk]),
        {"file": SimpleUploadedFile("attendance.csv", content, content_type="text/csv")},
    )

    assert response.context["report"].matched == 1
    assert "nobody@example.org" in response.content.decode()


def test_moderate_a_panel_question(staff_client):
    question = PanelQuestionFactory()
    prefix = f"q{question.pk}"

    staff_client.post(
        reverse("events:staff_panel_question_moderate", args=[question.pk]),
        {f"{prefix}-status": "answered", f"{prefix}-group": "Schools", f"{prefix}-answer": "Yes."},
    )

    question.refresh_from_db()
    assert (question.status, question.group, question.answer) == (
        PanelQuestionStatus.ANSWERED,
        "Schools",
        "Yes.",
    )


# --- Check-in ---------------------------------------------------------------------------------


def test_facilitator_checks_in_without_javascript(client, facilitator):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting).facilitators.add(facilitator)
    registration = RegistrationFactory(meeting=meeting, access_requirements="Sign language")
    client.force_login(facilitator)
    url = reverse("events:checkin", args=[meeting.pk])

    page = client.get(url)
    response = client.post(url, {"registration": registration.pk, "action": "attend", "q": "x"})

    assert "Sign language" not in page.content.decode()
    assert response["Location"] == f"{url}?q=x#r{registration.pk}"
    assert Registration.objects.get(pk=registration.pk).attended_at is not None


def test_check_in_answers_json_for_the_script(staff_client):
    registration = RegistrationFactory()
    url = reverse("events:checkin", args=[registration.meeting_id])

    done = staff_client.post(
        url, {"registration": registration.pk, "action": "attend"}, HTTP_ACCEPT="application/json"
    )
    undone = staff_client.post(
        url, {"registration": registration.pk, "action": "undo"}, HTTP_ACCEPT="application/json"
    )

    assert done.json()["attended"] is True
    assert undone.json() == {"attended": False, "time": ""}


def test_check_in_search_finds_by_name(staff_client):
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting, stakeholder=StakeholderFactory(first_name="Adaeze"))
    RegistrationFactory(meeting=meeting, stakeholder=StakeholderFactory(first_name="Bronwen"))

    response = staff_client.get(reverse("events:checkin", args=[meeting.pk]), {"q": "adae"})

    assert [r.stakeholder.first_name for r in response.context["registrations"]] == ["Adaeze"]


def test_a_facilitator_of_another_meeting_is_refused(client, facilitator):
    SessionFactory().facilitators.add(facilitator)
    elsewhere = MeetingFactory()
    registration = RegistrationFactory(meeting=elsewhere)
    client.force_login(facilitator)
    url = reverse("events:checkin", args=[elsewhere.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"registration": registration.pk}).status_code == 403
    assert Registration.objects.get(pk=registration.pk).attended_at is None


# --- Representation ---------------------------------------------------------------------------


def test_representation_lists_every_london_area_and_saves_a_segment(staff_client):
    areas_load()
    meeting = MeetingFactory()

    camden = Area.objects.get(name="Camden")
    RegistrationFactory(
        meeting=meeting,
        area=camden,
        stakeholder=StakeholderFactory(area=camden),
        attended_at=meeting.start,
    )

    page = staff_client.get(reverse("events:staff_representation", args=[meeting.pk]))
    staff_client.post(reverse("events:staff_representation_segment", args=[meeting.pk]))

    table = page.context["tables"]["areas"]
    assert len(table.rows) == 34  # the 33 London areas and "outside London or not stated"
    assert [line.attended.count for line in table.rows if line.row.key == "camden"] == [1]
    segment = Segment.objects.get()
    assert len(segment.filters["area"]) == 32
    assert "camden" not in segment.filters["area"]


def test_published_representation_suppresses_small_numbers(staff_client):
    areas_load()
    meeting = MeetingFactory()

    camden, brent = Area.objects.get(name="Camden"), Area.objects.get(name="Brent")
    RegistrationFactory.create_batch(12, meeting=meeting, area=camden, stakeholder__area=camden)
    RegistrationFactory.create_batch(3, meeting=meeting, area=brent, stakeholder__area=brent)

    page = staff_client.get(
        reverse("events:staff_representation", args=[meeting.pk]), {"published": "1"}
    )

    cells = {line.row.key: line.registered.display for line in page.context["tables"]["areas"].rows}
    assert (cells["brent"], cells["camden"], cells["barnet"]) == ("fewer than 10", "withheld", "0")
    assert "fewer than 10" in page.content.decode()


def test_representation_shows_population_shares_once_every_area_has_a_figure(staff_client):
    areas_load()

    Area.objects.update(population=1000, population_source="Test figures")
    meeting = MeetingFactory()
    camden = Area.objects.get(name="Camden")
    RegistrationFactory(
        meeting=meeting,
        area=camden,
        stakeholder=StakeholderFactory(area=camden),
        attended_at=dt.datetime.now(dt.UTC),
    )

    page = staff_client.get(reverse("events:staff_representation", args=[meeting.pk]))

    rows = {line.row.key: line.row for line in page.context["tables"]["areas"].rows}
    assert rows["camden"].attendee_share == 100.0
    assert round(rows["camden"].population_share, 3) == round(100 / 33, 3)
    assert "Share of London's population" in page.content.decode()


def test_published_representation_shows_small_totals_as_fewer_than_everywhere(staff_client):
    areas_load()
    series = SeriesFactory()
    earlier = MeetingFactory(series=series, start=dt.datetime(2026, 3, 3, 18, tzinfo=dt.UTC))
    earlier.end = earlier.start + dt.timedelta(hours=2)
    earlier.save()
    RegistrationFactory.create_batch(12, meeting=earlier, attended_at=earlier.start)
    meeting = MeetingFactory(series=series)
    camden = Area.objects.get(name="Camden")
    RegistrationFactory.create_batch(4, meeting=meeting, area=camden, stakeholder__area=camden)

    page = staff_client.get(
        reverse("events:staff_representation", args=[meeting.pk]), {"published": "1"}
    )

    text = page.content.decode()
    assert "fewer than 10 registered, 0 attended." in text
    assert "4 registered" not in text
    assert [(p.registered_display, p.attended_display) for p in page.context["series_points"]] == [
        ("12", "12"),
        ("fewer than 10", "0"),
    ]
    assert "Areas represented" not in text


def test_published_representation_leaves_out_empty_areas_when_every_area_is_withheld(
    staff_client,
):
    areas_load()
    meeting = MeetingFactory()
    # Ten areas with one person each and a total of ten: "fewer than 10" in each would pin them
    # all at one, so the whole table is withheld, and the list of empty areas must go with it.
    for area in Area.objects.order_by("name")[:10]:
        RegistrationFactory(meeting=meeting, area=area, stakeholder__area=area)

    published = staff_client.get(
        reverse("events:staff_representation", args=[meeting.pk]), {"published": "1"}
    )
    exact = staff_client.get(reverse("events:staff_representation", args=[meeting.pk]))

    assert published.context["tables"]["areas"].all_withheld is True
    assert "Save these areas as a segment" not in published.content.decode()
    assert "10 of 33 London areas represented" not in published.content.decode()
    assert "10 of 33 London areas represented" in exact.content.decode()
    assert "Save these areas as a segment" in exact.content.decode()
