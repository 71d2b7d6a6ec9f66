"""Registration engine: places, waiting list, offers, reservations, refusals, concurrency."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from engage.enums import ConsentAction
from engage.models import ConsentRecord, OutboundEmail, Stakeholder
from events import services
from events.enums import MeetingStatus, RegistrationStatus, SessionKind
from events.models import PanelQuestion, Registration
from events.services import RegistrationDetails, RegistrationRefused
from tests.factories import (
    AreaFactory,
    AreaReservationFactory,
    MeetingFactory,
    RegistrationFactory,
    SessionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The limit on emailed codes counts in the cache; each test starts with none sent.
    from django.core.cache import cache

    cache.clear()


LONDON = ZoneInfo("Europe/London")


def _register(meeting, email, **details):
    return services.registration_create(
        meeting_id=meeting.pk, details=RegistrationDetails(email=email, **details)
    )


def _statuses(meeting) -> list[tuple[str, str, int | None]]:
    return list(
        Registration.objects.filter(meeting=meeting)
        .order_by("id")
        .values_list("stakeholder__email_normalised", "status", "waitlist_position")
    )


def test_guest_registration_creates_stakeholder_questions_consents_and_email(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(capacity=10)
    area = AreaFactory(name="Lambeth")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = _register(
            meeting,
            "  Amara.Okafor@Example.org ",
            first_name="Amara",
            last_name="Okafor",
            area_id=area.pk,
            organisation_name="Community Voices",
            access_requirements="Step-free access, please",
            access_consent=True,
            panel_questions=("How many stops led to an arrest?", "  ", "When is the next report?"),
            attendee_list_ok=True,
            join_stakeholder_list=True,
        )

    registration = outcome.registration
    assert outcome.created is True
    assert registration.status == RegistrationStatus.CONFIRMED
    stakeholder = Stakeholder.objects.get()
    assert (stakeholder.email_normalised, stakeholder.first_name, stakeholder.area_id) == (
        "amara.okafor@example.org",
        "Amara",
        area.pk,
    )
    assert (registration.area_id, registration.organisation_name) == (area.pk, "Community Voices")
    assert registration.access_requirements == "Step-free access, please"
    assert list(
        PanelQuestion.objects.filter(registration=registration).values_list("text", flat=True)
    ) == ["How many stops led to an arrest?", "When is the next report?"]
    assert sorted(
        ConsentRecord.objects.filter(
            stakeholder=stakeholder, action=ConsentAction.GIVEN
        ).values_list("purpose__slug", flat=True)
    ) == ["access-needs", "attendee-list", "meeting-invitations"]
    email = OutboundEmail.objects.get(template="events/registration_confirmed")
    assert email.to_email == stakeholder.email
    assert email.dedupe_key == f"registration-confirmed:{registration.pk}:{registration.token}"
    assert str(registration.token) in email.body_text


def test_access_requirements_without_consent_are_not_kept():
    meeting = MeetingFactory()

    outcome = _register(meeting, "a@example.org", access_requirements="BSL interpreter")

    assert outcome.registration.access_requirements == ""
    assert not ConsentRecord.objects.filter(purpose__slug="access-needs").exists()


def test_registering_twice_with_the_same_email_returns_the_first_registration():
    meeting = MeetingFactory(capacity=5)
    first = _register(meeting, "sam@example.org", first_name="Sam")

    second = _register(meeting, "SAM@example.org ", first_name="Samuel")

    assert (second.created, second.registration.pk) == (False, first.registration.pk)
    assert Registration.objects.filter(meeting=meeting).count() == 1
    assert Stakeholder.objects.count() == 1


def test_registering_again_records_no_second_consent_or_question():
    meeting = MeetingFactory(capacity=5)
    first = _register(meeting, "kofi@example.org", first_name="Kofi", attendee_list_ok=True)
    stakeholder = Stakeholder.objects.get()

    second = _register(
        meeting,
        "kofi@example.org",
        attendee_list_ok=True,
        join_stakeholder_list=True,
        panel_questions=("A second question",),
    )

    assert (second.created, second.registration.pk) == (False, first.registration.pk)
    assert list(
        ConsentRecord.objects.filter(stakeholder=stakeholder).values_list(
            "purpose__slug", flat=True
        )
    ) == ["attendee-list"]
    assert not PanelQuestion.objects.exists()


def test_a_refused_registration_leaves_no_stakeholder_and_no_consent():
    meeting = MeetingFactory(status=MeetingStatus.CANCELLED)

    with pytest.raises(RegistrationRefused):
        _register(meeting, "late@example.org", attendee_list_ok=True)

    assert not Stakeholder.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_signed_in_representative_registers_as_their_stakeholder(representative):
    stakeholder = StakeholderFactory(email="rep-own@example.org", user=representative)
    meeting = MeetingFactory()

    outcome = services.registration_create(
        meeting_id=meeting.pk,
        details=RegistrationDetails(email=stakeholder.email, first_name="Rep"),
        user=representative,
    )

    assert outcome.registration.stakeholder_id == stakeholder.pk


def test_a_full_meeting_puts_people_on_the_waiting_list_in_order(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(capacity=1)

    with django_capture_on_commit_callbacks(execute=True):
        for email in ["one@example.org", "two@example.org", "three@example.org"]:
            _register(meeting, email)

    assert _statuses(meeting) == [
        ("one@example.org", RegistrationStatus.CONFIRMED, None),
        ("two@example.org", RegistrationStatus.WAITLISTED, 1),
        ("three@example.org", RegistrationStatus.WAITLISTED, 2),
    ]
    assert OutboundEmail.objects.filter(template="events/waitlist_joined").count() == 2


def test_cancelling_offers_the_place_to_the_next_person(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=1, waitlist_offer_hours=24)
    first = _register(meeting, "one@example.org").registration
    second = _register(meeting, "two@example.org").registration
    _register(meeting, "three@example.org")

    with time_machine.travel(timezone.now(), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            services.registration_cancel(token=first.token)
        now = timezone.now()

    second.refresh_from_db()
    assert second.status == RegistrationStatus.OFFERED
    assert second.offer_expires_at == now + dt.timedelta(hours=24)
    offer = OutboundEmail.objects.get(template="events/waitlist_offer")
    assert offer.to_email == "two@example.org"
    assert f"/registrations/{second.token}/accept/" in offer.body_text
    assert _statuses(meeting)[2] == ("three@example.org", RegistrationStatus.WAITLISTED, 2)


def test_cancelling_twice_is_harmless():
    meeting = MeetingFactory(capacity=1)
    first = _register(meeting, "one@example.org").registration

    services.registration_cancel(token=first.token)
    again = services.registration_cancel(token=first.token)

    assert again.status == RegistrationStatus.CANCELLED


def test_accepting_an_offer_confirms_the_place_in_a_preferred_breakout():
    meeting = MeetingFactory(capacity=1)
    SessionFactory(meeting=meeting, title="Trust", capacity=5, order=1)
    knowing = SessionFactory(meeting=meeting, title="Rights", capacity=5, order=2)
    first = _register(meeting, "one@example.org").registration
    second = _register(
        meeting, "two@example.org", breakout_preference_ids=(knowing.pk,)
    ).registration
    services.registration_cancel(token=first.token)

    accepted = services.registration_offer_accept(token=second.token)

    assert (accepted.status, accepted.breakout_id, accepted.waitlist_position) == (
        RegistrationStatus.CONFIRMED,
        knowing.pk,
        None,
    )
    assert services.registration_offer_accept(token=second.token).status == "confirmed"


def test_an_expired_offer_passes_to_the_next_person():
    meeting = MeetingFactory(capacity=1, waitlist_offer_hours=48)
    first = _register(meeting, "one@example.org").registration
    second = _register(meeting, "two@example.org").registration
    third = _register(meeting, "three@example.org").registration
    services.registration_cancel(token=first.token)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=49)):
        with pytest.raises(RegistrationRefused) as refused:
            services.registration_offer_accept(token=second.token)
        expired = services.registrations_expire_offers()

    assert refused.value.code == "offer_expired"
    assert expired == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, third.status) == (
        RegistrationStatus.CANCELLED,
        RegistrationStatus.OFFERED,
    )


def test_places_reserved_for_an_area_are_kept_until_release():
    meeting = MeetingFactory(capacity=3)
    reserved_area, other_area = AreaFactory(name="Barking"), AreaFactory(name="Camden")
    reservation = AreaReservationFactory(
        meeting=meeting,
        area=reserved_area,
        places=1,
        release_at=timezone.now() + dt.timedelta(days=3),
    )

    statuses = [
        _register(meeting, f"p{i}@example.org", area_id=other_area.pk).registration.status
        for i in range(3)
    ]
    from_reserved = _register(meeting, "local@example.org", area_id=reserved_area.pk).registration

    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert from_reserved.status == RegistrationStatus.CONFIRMED
    # A second reserved-area person has no reservation left and no general place either.
    assert (
        _register(meeting, "local2@example.org", area_id=reserved_area.pk).registration.status
        == RegistrationStatus.WAITLISTED
    )
    assert reservation.places == 1


def test_an_unused_reservation_is_released_to_the_waiting_list():
    meeting = MeetingFactory(capacity=2)
    reserved_area, other_area = AreaFactory(name="Bexley"), AreaFactory(name="Brent")
    AreaReservationFactory(
        meeting=meeting,
        area=reserved_area,
        places=1,
        release_at=timezone.now() + dt.timedelta(days=1),
    )
    _register(meeting, "a@example.org", area_id=other_area.pk)
    waiting = _register(meeting, "b@example.org", area_id=other_area.pk).registration
    assert waiting.status == RegistrationStatus.WAITLISTED

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        services.registrations_expire_offers()

    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.OFFERED


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        (
            {"registration_opens": dt.datetime(2031, 5, 1, 9, 0, tzinfo=LONDON)},
            "not_open",
            "Registration opens on 1 May 2031, 09:00 BST.",
        ),
        (
            {"registration_closes": dt.datetime(2020, 5, 1, 17, 30, tzinfo=LONDON)},
            "closed",
            "Registration closed on 1 May 2020, 17:30 BST.",
        ),
        ({"status": MeetingStatus.CANCELLED}, "cancelled", "This meeting has been cancelled."),
        (
            {"status": MeetingStatus.DRAFT},
            "not_published",
            "Registration is not open for this meeting.",
        ),
        (
            {
                "start": timezone.now() - dt.timedelta(days=2),
                "end": timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=2),
            },
            "past",
            "This meeting has already taken place.",
        ),
        (
            {
                "start": timezone.now() - dt.timedelta(minutes=10),
                "end": timezone.now() + dt.timedelta(hours=2),
            },
            "closed",
            "Registration closed when the meeting started.",
        ),
    ],
    ids=["before-opening", "after-closing", "cancelled", "draft", "past", "started"],
)
def test_registration_is_refused_with_a_clear_message(changes, code, message):
    meeting = MeetingFactory(**changes)

    with pytest.raises(RegistrationRefused) as refused:
        _register(meeting, "late@example.org")

    assert (refused.value.code, refused.value.message) == (code, message)
    assert Registration.objects.count() == 0
    assert Stakeholder.objects.count() == 0


def test_a_full_chosen_breakout_is_refused_and_no_choice_is_placed_where_there_is_room():
    meeting = MeetingFactory(capacity=10)
    small = SessionFactory(meeting=meeting, capacity=1, order=1)
    roomy = SessionFactory(meeting=meeting, capacity=5, order=2)
    SessionFactory(meeting=meeting, kind=SessionKind.PLENARY, capacity=None, order=0)
    _register(meeting, "first@example.org", breakout_preference_ids=(small.pk,))

    with pytest.raises(RegistrationRefused) as refused:
        _register(meeting, "second@example.org", breakout_preference_ids=(small.pk,))
    open_choice = _register(meeting, "third@example.org").registration
    fallback = _register(
        meeting, "fourth@example.org", breakout_preference_ids=(small.pk, roomy.pk)
    ).registration

    assert refused.value.code == "breakout_full"
    assert (open_choice.breakout_id, fallback.breakout_id) == (roomy.pk, roomy.pk)


def test_a_cancelled_registration_can_be_reopened_with_a_fresh_link():
    meeting = MeetingFactory(capacity=2)
    first = _register(meeting, "back@example.org").registration
    services.registration_cancel(token=first.token)

    again = _register(meeting, "back@example.org")

    assert again.created is True
    assert again.registration.pk == first.pk
    assert again.registration.status == RegistrationStatus.CONFIRMED
    assert again.registration.token != first.token


def test_one_click_registration_for_someone_who_attended_the_last_meeting(representative):
    area = AreaFactory(name="Hackney")
    stakeholder = StakeholderFactory(user=representative, area=area)
    last = MeetingFactory(
        start=timezone.now() - dt.timedelta(days=90),
        end=timezone.now() - dt.timedelta(days=90) + dt.timedelta(hours=2),
        status=MeetingStatus.COMPLETED,
    )
    RegistrationFactory(
        meeting=last,
        stakeholder=stakeholder,
        area=area,
        organisation_name="Young Londoners Panel",
        attendee_list_ok=True,
        attended_at=last.start,
    )
    meeting = MeetingFactory(series=last.series)

    outcome = services.registration_repeat(meeting_id=meeting.pk, user=representative)

    registration = outcome.registration
    assert (registration.stakeholder_id, registration.area_id, registration.organisation_name) == (
        stakeholder.pk,
        area.pk,
        "Young Londoners Panel",
    )
    assert registration.attendee_list_ok is True


def test_one_click_registration_is_refused_to_someone_who_did_not_attend(representative):
    stakeholder = StakeholderFactory(user=representative)
    last = MeetingFactory(
        start=timezone.now() - dt.timedelta(days=90),
        end=timezone.now() - dt.timedelta(days=90) + dt.timedelta(hours=2),
        status=MeetingStatus.COMPLETED,
    )
    RegistrationFactory(meeting=last, stakeholder=stakeholder, attended_at=None)
    meeting = MeetingFactory(series=last.series)

    with pytest.raises(RegistrationRefused) as refused:
        services.registration_repeat(meeting_id=meeting.pk, user=representative)

    assert refused.value.code == "not_eligible"


def test_access_requirements_are_wiped_after_the_retention_period():
    meeting = MeetingFactory(access_needs_retention_days=30)
    kept = _register(
        meeting, "a@example.org", access_requirements="Hearing loop", access_consent=True
    ).registration

    with time_machine.travel(meeting.end + dt.timedelta(days=29)):
        early = services.registrations_wipe_access_requirements()
    with time_machine.travel(meeting.end + dt.timedelta(days=31)):
        wiped = services.registrations_wipe_access_requirements()

    kept.refresh_from_db()
    assert (early, wiped, kept.access_requirements) == (0, 1, "")


def test_email_code_proves_the_address(mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()

    with django_capture_on_commit_callbacks(execute=True):
        challenge = services.registration_email_code_send(
            meeting=meeting, email="Guest@Example.org"
        )
    code = OutboundEmail.objects.get(template="events/registration_code").subject.split()[-1]

    with pytest.raises(RegistrationRefused) as wrong:
        services.registration_email_code_check(
            challenge=challenge, code=f"{(int(code) + 1) % 10**6:06d}"
        )
    assert wrong.value.code == "code_wrong"
    assert services.registration_email_code_check(challenge=challenge, code=code) == (
        "guest@example.org"
    )
    assert mailoutbox[-1].to == ["Guest@Example.org"]


def test_an_old_code_has_expired(settings):
    settings.ENGAGE_REGISTRATION_CODE_MINUTES = 15
    meeting = MeetingFactory()
    challenge = services.registration_email_code_send(meeting=meeting, email="g@example.org")
    code = OutboundEmail.objects.get().subject.split()[-1]

    with (
        time_machine.travel(timezone.now() + dt.timedelta(minutes=16)),
        pytest.raises(RegistrationRefused) as refused,
    ):
        services.registration_email_code_check(challenge=challenge, code=code)

    assert refused.value.code == "code_expired"


# --- Real concurrent transactions ------------------------------------------------------------------
# Each thread has its own connection. On PostgreSQL the meeting row lock serialises them; on SQLite
# the IMMEDIATE transaction mode does (the suite runs on both).


def _run_at_once(functions) -> list:
    """Run each function in its own thread (its own connection), released together."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # kept to assert on, so no failure is lost
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_fifty_people_at_once_for_ten_places_never_oversells():
    meeting = MeetingFactory(capacity=10)

    results = _run_at_once(
        [
            lambda i=i: _register(meeting, f"rush{i}@example.org").registration.status
            for i in range(50)
        ]
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    rows = Registration.objects.filter(meeting=meeting)
    assert rows.filter(status=RegistrationStatus.CONFIRMED).count() == 10
    positions = sorted(
        rows.filter(status=RegistrationStatus.WAITLISTED).values_list(
            "waitlist_position", flat=True
        )
    )
    assert positions == list(range(1, 41))


@pytest.mark.django_db(transaction=True)
def test_the_same_person_from_two_tabs_at_once_gets_one_registration():
    meeting = MeetingFactory(capacity=10)

    results = _run_at_once(
        [lambda: _register(meeting, "tabs@example.org", first_name="Tab") for _ in range(2)]
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    assert {r.registration.pk for r in results} == {Registration.objects.get().pk}
    assert sorted(r.created for r in results) == [False, True]
    assert Stakeholder.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_at_once_with_consents_record_each_consent_once(consent_purposes):
    meeting = MeetingFactory(capacity=10)

    results = _run_at_once(
        [
            lambda: _register(
                meeting,
                "tabs@example.org",
                first_name="Tab",
                attendee_list_ok=True,
                join_stakeholder_list=True,
                panel_questions=("Will the slides be shared?",),
            )
            for _ in range(4)
        ]
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    registration = Registration.objects.get()
    assert {r.registration.pk for r in results} == {registration.pk}
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert sorted(
        ConsentRecord.objects.filter(action=ConsentAction.GIVEN).values_list(
            "purpose__slug", flat=True
        )
    ) == ["attendee-list", "meeting-invitations"]
    assert list(PanelQuestion.objects.values_list("registration_id", flat=True)) == [
        registration.pk
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rush_keeps_area_reservations_and_breakout_capacity():
    meeting = MeetingFactory(capacity=10)
    reserved_area, other_area = AreaFactory(name="Hackney"), AreaFactory(name="Harrow")
    AreaReservationFactory(
        meeting=meeting,
        area=reserved_area,
        places=3,
        release_at=timezone.now() + dt.timedelta(days=3),
    )
    first = SessionFactory(meeting=meeting, kind=SessionKind.BREAKOUT, capacity=4, order=1)
    second = SessionFactory(meeting=meeting, kind=SessionKind.BREAKOUT, capacity=4, order=2)
    people = [(f"other{i}@example.org", other_area.pk) for i in range(20)] + [
        (f"local{i}@example.org", reserved_area.pk) for i in range(5)
    ]

    results = _run_at_once(
        [
            lambda email=email, area_id=area_id: _register(meeting, email, area_id=area_id)
            for email, area_id in people
        ]
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    rows = Registration.objects.filter(meeting=meeting)
    confirmed = rows.filter(status=RegistrationStatus.CONFIRMED)
    assert confirmed.count() == 10
    # The three reserved places went to the reserved area, whoever came first.
    assert confirmed.filter(area=reserved_area).count() >= 3
    assert confirmed.filter(area=other_area).count() <= 7
    assert confirmed.filter(breakout=first).count() == 4
    assert confirmed.filter(breakout=second).count() == 4
    assert confirmed.filter(breakout__isnull=True).count() == 2
    positions = sorted(
        rows.filter(status=RegistrationStatus.WAITLISTED).values_list(
            "waitlist_position", flat=True
        )
    )
    assert positions == list(range(1, 16))


@pytest.mark.django_db(transaction=True)
def test_cancellations_and_registrations_at_once_keep_capacity():
    meeting = MeetingFactory(capacity=5)
    confirmed = [_register(meeting, f"c{i}@example.org").registration for i in range(5)]

    _run_at_once(
        [lambda r=r: services.registration_cancel(token=r.token) for r in confirmed[:3]]
        + [lambda i=i: _register(meeting, f"new{i}@example.org") for i in range(10)]
    )

    holding = Registration.objects.filter(
        meeting=meeting, status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED]
    ).count()
    assert holding == 5


def test_codes_to_one_address_are_limited():
    meeting = MeetingFactory()
    for _ in range(services.MAX_CODES_PER_ADDRESS):
        services.registration_email_code_send(meeting=meeting, email="flood@example.org")

    with pytest.raises(RegistrationRefused) as refused:
        services.registration_email_code_send(meeting=meeting, email="FLOOD@example.org")

    assert refused.value.code == "too_many_codes"
    assert OutboundEmail.objects.count() == services.MAX_CODES_PER_ADDRESS
