"""Check-in on a facilitator's phone, the representation page and the staff meeting pages,
in a real browser checked by axe-core."""

import pytest
from django.urls import reverse

from engage.services import areas_load
from events.models import Registration
from tests.browser.conftest import check_page
from tests.factories import (
    MeetingFactory,
    PanelQuestionFactory,
    RegistrationFactory,
    SeriesFactory,
    SessionFactory,
    StakeholderFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checkin_meeting(facilitator):
    meeting = MeetingFactory(title="Evening public review meeting")
    SessionFactory(meeting=meeting, title="Young people and safer schools").facilitators.add(
        facilitator
    )
    people = [
        RegistrationFactory(
            meeting=meeting,
            stakeholder=StakeholderFactory(first_name=first, last_name=last),
            organisation_name="Tenants' association",
        )
        for first, last in [("Adaeze", "Okafor"), ("Bronwen", "Hughes"), ("Chidi", "Mensah")]
    ]
    return meeting, people


def test_facilitator_checks_people_in_on_a_phone(live_server, phone, login, facilitator):
    meeting, people = _checkin_meeting(facilitator)
    login(phone, facilitator)

    phone.goto(live_server.url + reverse("events:checkin", args=[meeting.pk]))
    check_page(phone)
    phone.get_by_label("Find a person").fill("bronwen")
    phone.get_by_role("button", name="Search").click()
    phone.wait_for_url("**?q=bronwen")
    phone.get_by_role("button", name="Check in Bronwen Hughes").click()
    phone.get_by_text("Checked in at").wait_for()

    assert phone.locator("#checkin-count").inner_text() == "1 of 3 checked in"
    assert phone.url.endswith("?q=bronwen")  # the script spared a reload
    assert list(
        Registration.objects.filter(attended_at__isnull=False).values_list("pk", flat=True)
    ) == [people[1].pk]
    check_page(phone)


def test_check_in_works_without_javascript(live_server, browser, login, facilitator):
    meeting, people = _checkin_meeting(facilitator)
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="en-GB"
    )
    page = context.new_page()
    login(page, facilitator)

    page.goto(live_server.url + reverse("events:checkin", args=[meeting.pk]))
    page.get_by_role("button", name="Check in Adaeze Okafor").click()
    page.wait_for_load_state()

    assert page.get_by_role("status").inner_text() == "Adaeze Okafor is checked in."
    assert Registration.objects.get(pk=people[0].pk).attended_at is not None
    context.close()


def test_representation_page_on_a_phone(live_server, phone, login, engagement_team):
    areas_load()
    from engage.models import Area

    series = SeriesFactory()
    camden = Area.objects.get(name="Camden")
    for n in range(2):
        meeting = MeetingFactory(series=series, title=f"Quarterly meeting {n}")
        RegistrationFactory.create_batch(
            3 + n,
            meeting=meeting,
            area=camden,
            stakeholder__area=camden,
            attended_at=meeting.start,
        )
    login(phone, engagement_team)

    phone.goto(live_server.url + reverse("events:staff_representation", args=[meeting.pk]))
    check_page(phone)
    assert phone.get_by_role("img").count() == 1
    phone.get_by_role("link", name="Show figures for publication").click()
    phone.get_by_text("fewer than 10").first.wait_for()
    check_page(phone)
    phone.get_by_role("button", name="Save these areas as a segment").click()
    phone.get_by_text("Saved the segment").wait_for()


@pytest.mark.parametrize(
    "url_name",
    [
        "events:staff_meeting_list",
        "events:staff_meeting_detail",
        "events:staff_registrations",
        "events:staff_panel_questions",
        "events:staff_meeting_edit",
        "events:staff_session_create",
        "events:staff_documents",
        "events:staff_reservations",
        "events:staff_attendance_import",
        "events:staff_meeting_copy",
    ],
)
def test_staff_meeting_pages_on_a_phone(live_server, phone, login, engagement_team, url_name):
    meeting = MeetingFactory()
    SessionFactory(meeting=meeting, capacity=10)
    RegistrationFactory.create_batch(2, meeting=meeting, access_requirements="Hearing loop")
    PanelQuestionFactory(meeting=meeting)
    login(phone, engagement_team)
    kwargs = {} if url_name == "events:staff_meeting_list" else {"pk": meeting.pk}

    phone.goto(live_server.url + reverse(url_name, kwargs=kwargs))

    assert phone.url.endswith(reverse(url_name, kwargs=kwargs))
    check_page(phone)
