"""Meeting management services: meetings, agenda, documents, registrations, attendance, panel."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from engage.enums import AuditAction, Role
from engage.models import Area, AuditLog, OutboundEmail, Segment
from engage.roles import user_set_role
from engage.selectors import segment_members
from engage.services import areas_load
from events import selectors, services
from events.enums import MeetingStatus, PanelQuestionStatus, RegistrationStatus, SessionKind
from events.models import Document, Meeting, Registration
from tests.factories import (
    AreaFactory,
    AreaReservationFactory,
    DiscussionQuestionFactory,
    MeetingFactory,
    PanelQuestionFactory,
    RegistrationFactory,
    SessionFactory,
    StakeholderFactory,
    UserFactory,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def _meeting_data(**overrides) -> dict:
    data = {
        "series": None,
        "title": "Public review meeting",
        "summary": "Updates, then plenary and breakouts.",
        "start": _london(2027, 2, 25, 18, 0),
        "end": _london(2027, 2, 25, 20, 0),
        "format": "in_person",
        "venue": "City Hall",
        "venue_address": "",
        "access_information": "Step-free access.",
        "online_url": "",
        "capacity": 80,
        "registration_opens": None,
        "registration_closes": None,
        "reminder_days": [7, 1],
        "access_needs_retention_days": 30,
        "waitlist_offer_hours": 48,
    }
    data.update(overrides)
    return data


# --- Meetings ----------------------------------------------------------------------------------


def test_meeting_create_makes_a_draft_with_a_unique_slug():
    first = services.meeting_create(data=_meeting_data(), actor=None)
    second = services.meeting_create(data=_meeting_data(), actor=None)

    assert (first.status, first.slug) == (MeetingStatus.DRAFT, "public-review-meeting-2027-02-25")
    assert second.slug == "public-review-meeting-2027-02-25-2"


def test_meeting_create_refuses_an_end_before_the_start():
    with pytest.raises(ValidationError) as excinfo:
        services.meeting_create(data=_meeting_data(end=_london(2027, 2, 25, 17, 0)), actor=None)

    assert excinfo.value.message_dict == {"end": ["The meeting must end after it starts."]}
    assert Meeting.objects.count() == 0


def test_capacity_below_places_taken_is_refused_and_nothing_changes():
    meeting = MeetingFactory(capacity=5)
    RegistrationFactory.create_batch(3, meeting=meeting)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.OFFERED)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)

    with pytest.raises(ValidationError) as excinfo:
        services.meeting_update(meeting_id=meeting.pk, data={"capacity": 3}, actor=None)

    assert excinfo.value.message_dict["capacity"] == [
        "The capacity cannot be 3: 4 places are already taken (confirmed or offered). "
        "Move or cancel registrations first."
    ]
    meeting.refresh_from_db()
    assert meeting.capacity == 5


def test_capacity_down_to_places_taken_is_accepted():
    meeting = MeetingFactory(capacity=5)
    RegistrationFactory.create_batch(3, meeting=meeting)

    updated, changes = services.meeting_update(
        meeting_id=meeting.pk, data={"capacity": 3}, actor=None
    )

    assert (updated.capacity, changes) == (3, {"capacity": (5, 3)})


def test_a_time_change_bumps_the_sequence_and_emails_confirmed_registrants(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(status=MeetingStatus.PUBLISHED)
    confirmed = RegistrationFactory.create_batch(2, meeting=meeting)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    new_start = meeting.start + dt.timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            meeting_id=meeting.pk,
            data={"start": new_start, "end": new_start + dt.timedelta(hours=2)},
            actor=None,
        )

    meeting.refresh_from_db()
    assert meeting.ical_sequence == 1
    emails = OutboundEmail.objects.filter(template="events/meeting_changed")
    assert sorted(e.to_email for e in emails) == sorted(r.stakeholder.email for r in confirmed)
    assert {e.dedupe_key.rsplit(":", 2)[1] for e in emails} == {"1"}


def test_a_title_change_is_not_significant():
    meeting = MeetingFactory(status=MeetingStatus.PUBLISHED)
    RegistrationFactory(meeting=meeting)

    services.meeting_update(meeting_id=meeting.pk, data={"title": "Renamed"}, actor=None)

    meeting.refresh_from_db()
    assert (meeting.title, meeting.ical_sequence) == ("Renamed", 0)
    assert OutboundEmail.objects.count() == 0


def test_a_draft_change_of_place_bumps_the_sequence_but_emails_no_one():
    meeting = MeetingFactory(status=MeetingStatus.DRAFT)
    RegistrationFactory(meeting=meeting)

    services.meeting_update(meeting_id=meeting.pk, data={"venue": "Town Hall"}, actor=None)

    meeting.refresh_from_db()
    assert meeting.ical_sequence == 1
    assert OutboundEmail.objects.count() == 0


def test_publish_only_from_draft():
    meeting = MeetingFactory(status=MeetingStatus.DRAFT)

    services.meeting_publish(meeting_id=meeting.pk, actor=None)

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED
    with pytest.raises(ValidationError, match="Only a draft"):
        services.meeting_publish(meeting_id=meeting.pk, actor=None)


def test_cancel_raises_the_sequence_and_tells_every_confirmed_registrant(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(status=MeetingStatus.PUBLISHED, ical_sequence=2)
    confirmed = RegistrationFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)

    with django_capture_on_commit_callbacks(execute=True):  # the fan-out task runs on commit
        services.meeting_cancel(meeting_id=meeting.pk, actor=None)

    meeting.refresh_from_db()
    assert (meeting.status, meeting.ical_sequence) == (MeetingStatus.CANCELLED, 3)
    assert list(
        OutboundEmail.objects.filter(template="events/meeting_cancelled").values_list(
            "to_email", flat=True
        )
    ) == [confirmed.stakeholder.email]
    with pytest.raises(ValidationError, match="already cancelled"):
        services.meeting_cancel(meeting_id=meeting.pk, actor=None)
    with pytest.raises(ValidationError, match="cancelled meeting cannot be changed"):
        services.meeting_update(meeting_id=meeting.pk, data={"title": "x"}, actor=None)


def test_copy_keeps_london_times_of_day_across_the_clock_change(roles):
    facilitator = UserFactory()
    user_set_role(user=facilitator, role=Role.FACILITATOR)
    # July is British Summer Time (UTC+1); the copy falls in January, Greenwich Mean Time.
    source = MeetingFactory(
        start=_london(2026, 7, 7, 18, 0),
        end=_london(2026, 7, 7, 20, 0),
        registration_opens=_london(2026, 6, 1, 9, 0),
        capacity=90,
        reminder_days=[10, 2],
    )
    breakout = SessionFactory(
        meeting=source,
        start=_london(2026, 7, 7, 18, 45),
        end=_london(2026, 7, 7, 19, 30),
        capacity=15,
        room="Room 2",
    )
    breakout.facilitators.add(facilitator)
    DiscussionQuestionFactory(
        session=breakout, text="What should we start doing?", publish_at=_london(2026, 6, 30, 9, 0)
    )
    area = AreaFactory()
    AreaReservationFactory(
        meeting=source, area=area, places=3, release_at=_london(2026, 6, 30, 9, 0)
    )
    RegistrationFactory(meeting=source)

    copy = services.meeting_copy(source_id=source.pk, start=_london(2027, 1, 18, 18, 0), actor=None)

    assert copy.status == MeetingStatus.DRAFT
    assert (copy.start, copy.end) == (_london(2027, 1, 18, 18, 0), _london(2027, 1, 18, 20, 0))
    assert copy.registration_opens == _london(2026, 12, 13, 9, 0)
    assert (copy.capacity, copy.reminder_days) == (90, [10, 2])
    session = copy.sessions.get()
    assert (session.start, session.capacity, session.room) == (
        _london(2027, 1, 18, 18, 45),
        15,
        "Room 2",
    )
    assert list(session.facilitators.all()) == [facilitator]
    assert [(q.text, q.publish_at) for q in session.questions.all()] == [
        ("What should we start doing?", _london(2027, 1, 11, 9, 0))
    ]
    reservation = copy.area_reservations.get()
    assert (reservation.area, reservation.places, reservation.release_at) == (
        area,
        3,
        _london(2027, 1, 11, 9, 0),
    )
    assert copy.registrations.count() == 0
    assert copy.ical_uid != source.ical_uid


def test_copy_keeps_where_each_question_takes_its_answers_from():
    source = MeetingFactory(start=_london(2026, 7, 7, 18, 0), end=_london(2026, 7, 7, 20, 0))
    breakout = SessionFactory(
        meeting=source, start=_london(2026, 7, 7, 18, 45), end=_london(2026, 7, 7, 19, 30)
    )
    DiscussionQuestionFactory(
        session=breakout, text="Stop, start, continue?", order=1, answer_sources=["capture"]
    )
    DiscussionQuestionFactory(
        session=breakout,
        text="One thing to change?",
        order=2,
        answer_sources=["session_feedback", "survey"],
    )

    copy = services.meeting_copy(source_id=source.pk, start=_london(2027, 1, 18, 18, 0), actor=None)

    questions = copy.sessions.get().questions.order_by("order")
    assert [(q.text, q.answer_sources) for q in questions] == [
        ("Stop, start, continue?", ["capture"]),
        ("One thing to change?", ["session_feedback", "survey"]),
    ]


def test_series_last_meeting_skips_cancelled_ones():
    older = MeetingFactory(start=_london(2027, 1, 1, 18, 0))
    MeetingFactory(start=_london(2027, 4, 1, 18, 0), status=MeetingStatus.CANCELLED)

    assert selectors.series_last_meeting(series=older.series) == older


# --- Agenda --------------------------------------------------------------------------------


def test_breakout_capacity_below_its_people_is_refused():
    breakout = SessionFactory(capacity=10)
    RegistrationFactory.create_batch(4, meeting=breakout.meeting, breakout=breakout)

    with pytest.raises(ValidationError) as excinfo:
        services.session_update(
            session_id=breakout.pk, data={"capacity": 3}, facilitators=[], actor=None
        )

    assert "4 people are already in this breakout" in excinfo.value.message_dict["capacity"][0]
    breakout.refresh_from_db()
    assert breakout.capacity == 10


def test_facilitators_must_have_the_facilitator_role(roles):
    meeting = MeetingFactory()
    not_a_facilitator = UserFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.session_create(
            meeting_id=meeting.pk,
            data={
                "kind": SessionKind.BREAKOUT,
                "title": "Stop and search",
                "start": meeting.start,
                "end": meeting.end,
            },
            facilitators=[not_a_facilitator],
            actor=None,
        )

    assert excinfo.value.message_dict == {
        "facilitators": ["Facilitators must have the facilitator role."]
    }
    assert meeting.sessions.count() == 0


def test_a_session_with_people_in_it_cannot_be_removed():
    breakout = SessionFactory()
    RegistrationFactory(meeting=breakout.meeting, breakout=breakout)

    with pytest.raises(ValidationError, match="move them first"):
        services.session_delete(session_id=breakout.pk, actor=None)


# --- Documents -----------------------------------------------------------------------------


def test_a_pdf_is_stored_with_its_publish_date():
    meeting = MeetingFactory()
    publish_at = _london(2027, 2, 11, 9, 0)
    upload = SimpleUploadedFile("progress.pdf", b"%PDF-1.7\n...", content_type="application/pdf")

    document = services.document_create(
        meeting_id=meeting.pk,
        title="Progress update",
        file=upload,
        publish_at=publish_at,
        actor=None,
    )

    assert document.file.name.startswith("documents/progress")
    assert document.publish_at == publish_at


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "is not accepted"),
        ("paper.pdf", b"<html>not a pdf</html>", "is not a .pdf document"),
        ("notes.docx", b"%PDF-1.7", "is not a .docx document"),
        ("notes.txt", b"text\x00with a nul", "must contain text"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_uploads_of_the_wrong_kind_are_refused(name, content, message):
    meeting = MeetingFactory()

    with pytest.raises(ValidationError, match=message):
        services.document_create(
            meeting_id=meeting.pk,
            title="Paper",
            file=SimpleUploadedFile(name, content),
            publish_at=None,
            actor=None,
        )

    assert Document.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused(settings):
    settings.ENGAGE_DOCUMENT_MAX_BYTES = 1024
    meeting = MeetingFactory()

    with pytest.raises(ValidationError, match="the largest accepted is 1.0"):
        services.document_create(
            meeting_id=meeting.pk,
            title="Big",
            file=SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2000),
            publish_at=None,
            actor=None,
        )


def test_a_document_needs_a_file_or_a_link_not_both():
    meeting = MeetingFactory()

    with pytest.raises(ValidationError, match="either a file or a link"):
        services.document_create(meeting_id=meeting.pk, title="x", publish_at=None, actor=None)


def test_reservations_cannot_exceed_capacity():
    meeting = MeetingFactory(capacity=10)
    AreaReservationFactory(meeting=meeting, places=6)

    with pytest.raises(ValidationError, match="would total 11"):
        services.area_reservation_set(
            meeting_id=meeting.pk,
            area_id=AreaFactory().pk,
            places=5,
            release_at=meeting.start,
            actor=None,
        )


# --- Registrations -------------------------------------------------------------------------


def test_move_into_a_full_breakout_is_refused():
    meeting = MeetingFactory()
    full = SessionFactory(meeting=meeting, capacity=1, title="Use of force")
    other = SessionFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting, breakout=full)
    mover = RegistrationFactory(meeting=meeting, breakout=other)

    with pytest.raises(ValidationError) as excinfo:
        services.registration_move(registration_id=mover.pk, breakout_id=full.pk, actor=None)

    assert excinfo.value.messages == ["Use of force is full (1 places)."]
    mover.refresh_from_db()
    assert mover.breakout == other


def test_move_writes_an_audit_row(engagement_team):
    meeting = MeetingFactory()
    target = SessionFactory(meeting=meeting, capacity=2)
    registration = RegistrationFactory(meeting=meeting)

    services.registration_move(
        registration_id=registration.pk, breakout_id=target.pk, actor=engagement_team
    )

    registration.refresh_from_db()
    assert registration.breakout == target
    assert list(AuditLog.objects.values_list("action", "object_id")) == [
        (AuditAction.EDIT, str(registration.pk))
    ]


def test_move_to_another_meetings_breakout_is_refused():
    registration = RegistrationFactory()

    with pytest.raises(ValidationError, match="breakout of this meeting"):
        services.registration_move(
            registration_id=registration.pk, breakout_id=SessionFactory().pk, actor=None
        )


def test_promote_gives_a_free_place_and_emails(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=2)
    RegistrationFactory(meeting=meeting)
    waiting = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.registration_promote(registration_id=waiting.pk, actor=None)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.waitlist_position) == (RegistrationStatus.CONFIRMED, None)
    assert len(callbacks) >= 1


def test_promote_never_oversells():
    meeting = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=meeting)
    waiting = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlist_position=1
    )

    with pytest.raises(ValidationError, match="No place is free"):
        services.registration_promote(registration_id=waiting.pk, actor=None)

    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.WAITLISTED


def test_promote_an_offer_uses_the_place_it_holds():
    meeting = MeetingFactory(capacity=1)
    offered = RegistrationFactory(meeting=meeting, status=RegistrationStatus.OFFERED)

    services.registration_promote(registration_id=offered.pk, actor=None)

    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.CONFIRMED


def test_check_in_and_undo():
    registration = RegistrationFactory()

    services.registration_mark_attended(registration_id=registration.pk, actor=None)
    first = Registration.objects.get(pk=registration.pk).attended_at
    services.registration_mark_attended(registration_id=registration.pk, actor=None)
    again = Registration.objects.get(pk=registration.pk).attended_at
    services.registration_mark_attended(registration_id=registration.pk, attended=False, actor=None)

    assert first is not None and again == first
    assert Registration.objects.get(pk=registration.pk).attended_at is None


def test_only_confirmed_people_can_be_checked_in():
    registration = RegistrationFactory(status=RegistrationStatus.WAITLISTED, waitlist_position=1)

    with pytest.raises(ValidationError, match="confirmed place"):
        services.registration_mark_attended(registration_id=registration.pk, actor=None)


# --- Attendance import ----------------------------------------------------------------------


def _teams_csv(*emails: str) -> str:
    lines = [
        "1. Summary",
        "Meeting title\tPublic review meeting",
        "",
        "2. Participants",
        "Name\tFirst Join\tLast Leave\tEmail\tRole",
    ]
    lines += [
        f"Person {i}\t25/02/2027 18:01\t25/02/2027 19:58\t{e}\tAttendee"
        for i, e in enumerate(emails)
    ]
    return "\n".join(lines) + "\n"


def test_attendance_import_matches_by_normalised_email_and_reports_the_rest(engagement_team):
    meeting = MeetingFactory(format="online")
    amina = RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(email="amina@example.org")
    )
    bola = RegistrationFactory(
        meeting=meeting, stakeholder=StakeholderFactory(email="bola@example.org")
    )
    already = RegistrationFactory(meeting=meeting, attended_at=meeting.start)
    waiting = RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.WAITLISTED,
        waitlist_position=1,
        stakeholder=StakeholderFactory(email="wait@example.org"),
    )
    content = _teams_csv(
        " Amina@Example.ORG ",
        "amina@example.org",
        already.stakeholder.email,
        "stranger@example.org",
        "wait@example.org",
    ).encode("utf-16")

    report = services.attendance_import(
        meeting_id=meeting.pk, content=content, actor=engagement_team
    )

    assert (report.rows, report.matched, report.already) == (5, 1, 1)
    assert report.unmatched == [(9, "stranger@example.org"), (10, "wait@example.org")]
    amina.refresh_from_db(), bola.refresh_from_db(), waiting.refresh_from_db()
    assert (amina.attended_at, bola.attended_at, waiting.attended_at) == (meeting.start, None, None)
    log = AuditLog.objects.get()
    assert (log.action, log.detail["matched"], log.detail["unmatched"]) == (
        AuditAction.IMPORT,
        1,
        2,
    )


def test_attendance_import_reads_a_zoom_style_comma_file():
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting)
    content = (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
        f"Someone,{registration.stakeholder.email.upper()},x,y,95\n"
    ).encode()

    report = services.attendance_import(meeting_id=meeting.pk, content=content, actor=None)

    assert (report.matched, report.unmatched) == (1, [])


def test_attendance_import_without_an_email_column_writes_nothing():
    meeting = MeetingFactory()
    RegistrationFactory(meeting=meeting)

    with pytest.raises(ValidationError, match="No email column"):
        services.attendance_import(
            meeting_id=meeting.pk, content=b"Name,Minutes\nA,3\n", actor=None
        )

    assert Registration.objects.filter(attended_at__isnull=False).count() == 0
    assert AuditLog.objects.count() == 0


# --- Export, panel questions, segments --------------------------------------------------------


def test_export_neutralises_formulas_and_is_audited(engagement_team):
    meeting = MeetingFactory()
    RegistrationFactory(
        meeting=meeting,
        stakeholder=StakeholderFactory(first_name='=HYPERLINK("http://x")', last_name="@SUM(A1)"),
        organisation_name="+44 group",
        access_requirements="Hearing loop",
    )

    plain = services.registrations_export_csv(meeting_id=meeting.pk, actor=engagement_team)
    with_access = services.registrations_export_csv(
        meeting_id=meeting.pk, actor=engagement_team, include_access=True
    )

    row = plain.splitlines()[1]
    assert row.startswith('"\'=HYPERLINK(""http://x"")",\'@SUM(A1),')
    assert "'+44 group" in row
    assert "Hearing loop" not in plain
    assert with_access.splitlines()[1].endswith(",Hearing loop")
    assert list(AuditLog.objects.order_by("id").values_list("action", "detail")) == [
        (AuditAction.EXPORT, {"kind": "registrations", "rows": 1, "access_requirements": False}),
        (AuditAction.EXPORT, {"kind": "registrations", "rows": 1, "access_requirements": True}),
    ]


def test_answered_needs_an_answer():
    question = PanelQuestionFactory()

    with pytest.raises(ValidationError, match="Write the answer"):
        services.panel_question_moderate(
            question_id=question.pk, status=PanelQuestionStatus.ANSWERED, actor=None
        )


def test_published_panel_questions_appear_after_the_meeting_only(time_machine):
    meeting = MeetingFactory()
    approved = PanelQuestionFactory(meeting=meeting)
    answered = PanelQuestionFactory(meeting=meeting)
    rejected = PanelQuestionFactory(meeting=meeting)
    PanelQuestionFactory(meeting=meeting)  # not yet moderated
    services.panel_question_moderate(
        question_id=approved.pk, status=PanelQuestionStatus.APPROVED, group="Schools", actor=None
    )
    services.panel_question_moderate(
        question_id=answered.pk,
        status=PanelQuestionStatus.ANSWERED,
        group="Stop and search",
        answer="Figures are published monthly.",
        actor=None,
    )
    services.panel_question_moderate(
        question_id=rejected.pk, status=PanelQuestionStatus.REJECTED, actor=None
    )

    before = list(selectors.panel_questions_published(meeting))
    time_machine.move_to(meeting.end + dt.timedelta(minutes=1))
    after = list(selectors.panel_questions_published(meeting))

    assert before == []
    assert after == [approved, answered]


def test_segment_for_areas_not_represented_uses_the_stakeholder_filter():
    meeting = MeetingFactory(title="Winter meeting")
    bexley, brent, camden = (
        AreaFactory(name=n, slug=n.lower()) for n in ("Bexley", "Brent", "Camden")
    )
    in_bexley = StakeholderFactory(area=bexley)
    StakeholderFactory(area=camden)
    in_brent = StakeholderFactory(area=brent)

    segment = services.segment_create_for_areas(
        meeting_id=meeting.pk, area_slugs=["brent", "bexley"], actor=None
    )
    again = services.segment_create_for_areas(
        meeting_id=meeting.pk, area_slugs=["brent"], actor=None
    )

    assert (segment.pk, Segment.objects.count()) == (again.pk, 1)
    assert segment.name == "Areas not represented at Winter meeting"
    assert Segment.objects.get().filters == {"area": ["brent"]}
    assert list(segment_members({"area": ["bexley", "brent"]})) == [in_bexley, in_brent]


# --- Population figures ---------------------------------------------------------------------


def test_load_area_population_sets_figures_with_their_source(tmp_path):
    areas_load()
    path = tmp_path / "population.csv"
    path.write_text('code,population\nE09000001,8600\nE09000002,"220,000"\n', encoding="utf-8")

    call_command("load_area_population", str(path), "--source", "Test figures (not real)")

    assert list(
        Area.objects.filter(population__isnull=False)
        .order_by("code")
        .values_list("code", "population", "population_source")
    ) == [
        ("E09000001", 8600, "Test figures (not real)"),
        ("E09000002", 220000, "Test figures (not real)"),
    ]


def test_load_area_population_with_a_bad_row_writes_nothing(tmp_path):
    areas_load()
    path = tmp_path / "population.csv"
    path.write_text(
        "code,population\nE09000001,8600\nE99999999,5\nE09000002,-3\n", encoding="utf-8"
    )

    with pytest.raises(CommandError) as excinfo:
        call_command("load_area_population", str(path), "--source", "Test")

    assert str(excinfo.value).splitlines() == [
        "Row 3: no area has the code E99999999.",
        "Row 4: the population must be a whole number above zero.",
    ]
    assert Area.objects.filter(population__isnull=False).count() == 0


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_moves_into_the_last_breakout_place_at_once_take_it_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers itself")
    meeting = MeetingFactory()
    target = SessionFactory(meeting=meeting, capacity=1)
    movers = RegistrationFactory.create_batch(2, meeting=meeting)
    barrier = threading.Barrier(2)
    outcomes = []

    def move(registration_id):
        try:
            barrier.wait()
            services.registration_move(
                registration_id=registration_id, breakout_id=target.pk, actor=None
            )
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(r.pk,)) for r in movers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["full", "moved"]
    assert Registration.objects.filter(breakout=target).count() == 1


@pytest.mark.django_db(transaction=True)
def test_capacity_cut_and_a_registration_at_once_never_leave_it_oversold():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers itself")
    meeting = MeetingFactory(capacity=3, start=timezone.now() + dt.timedelta(days=10))
    meeting.end = meeting.start + dt.timedelta(hours=2)
    meeting.save()
    RegistrationFactory.create_batch(2, meeting=meeting)
    barrier = threading.Barrier(2)
    errors = []

    def cut():
        try:
            barrier.wait()
            services.meeting_update(meeting_id=meeting.pk, data={"capacity": 2}, actor=None)
        except ValidationError as error:
            errors.append(error)
        finally:
            connection.close()

    def register():
        try:
            barrier.wait()
            services.registration_create(
                meeting_id=meeting.pk,
                details=services.RegistrationDetails(email="late@example.org", first_name="Late"),
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=cut), threading.Thread(target=register)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    meeting.refresh_from_db()
    confirmed = Registration.objects.filter(
        meeting=meeting, status=RegistrationStatus.CONFIRMED
    ).count()
    assert confirmed <= meeting.capacity
    assert (meeting.capacity, confirmed) in {(3, 3), (2, 2)}


def test_a_session_starting_before_its_meeting_is_refused():
    meeting = MeetingFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.session_create(
            meeting_id=meeting.pk,
            data={
                "kind": SessionKind.PLENARY,
                "title": "Welcome",
                "start": meeting.start - dt.timedelta(minutes=30),
                "end": meeting.start + dt.timedelta(minutes=15),
            },
            facilitators=[],
            actor=None,
        )

    assert "within the meeting's times" in excinfo.value.message_dict["start"][0]
    assert meeting.sessions.count() == 0


def test_a_room_change_leaves_a_session_that_a_moved_meeting_left_behind_alone():
    breakout = SessionFactory(room="Room 1")
    Meeting.objects.filter(pk=breakout.meeting_id).update(
        start=breakout.end + dt.timedelta(hours=1), end=breakout.end + dt.timedelta(hours=3)
    )

    services.session_update(
        session_id=breakout.pk, data={"room": "Room 2"}, facilitators=[], actor=None
    )

    breakout.refresh_from_db()
    assert breakout.room == "Room 2"
