"""`manage.py demo`: a list worth looking at, created once and never overwritten."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from engage.demo_people import DEMO_SOURCE
from engage.enums import PURPOSE_MEETING_INVITATIONS, ConsentAction, SuppressionReason
from engage.models import Area, ConsentRecord, Organisation, Stakeholder, Suppression, User
from engage.selectors import stakeholder_consents
from events.models import Meeting, Registration


@pytest.mark.django_db
def test_demo_again_keeps_the_teams_edits_and_their_sessions(client, capsys):
    call_command("demo")
    meeting = Meeting.objects.get(slug="next-public-review")
    moved = meeting.start + dt.timedelta(minutes=30)
    Meeting.objects.filter(pk=meeting.pk).update(start=moved, capacity=40, ical_sequence=3)
    plenary = meeting.sessions.get(order=0)
    plenary.title = "Opening remarks"
    plenary.save()
    team = User.objects.get(email="team@engage.test")
    client.force_login(team)
    assert client.get(reverse("account_email")).status_code == 200

    call_command("demo")

    meeting.refresh_from_db()
    assert (meeting.start, meeting.capacity, meeting.ical_sequence) == (moved, 40, 3)
    assert meeting.sessions.get(order=0).title == "Opening remarks"
    # Still signed in: the password hash the session is tied to did not change.
    assert client.get(reverse("account_email")).status_code == 200
    team.refresh_from_db()
    assert team.check_password("engage-demo-password")


@pytest.mark.django_db
def test_demo_people_cover_every_area_with_a_realistic_mix_of_consents(capsys):
    call_command("demo")

    people = Stakeholder.objects.filter(source=DEMO_SOURCE)
    assert 300 <= people.count() <= 400
    assert Area.objects.exclude(stakeholders__source=DEMO_SOURCE).count() == 0
    assert all(
        p.email.endswith(("example.org", "example.com", "example.net", "engage.test"))
        for p in people
    )
    records = ConsentRecord.objects.filter(stakeholder__source=DEMO_SOURCE)
    withdrawn = records.filter(action=ConsentAction.WITHDRAWN).values("stakeholder").distinct()
    assert 10 <= withdrawn.count() <= 60
    never_asked = people.exclude(consent_records__purpose__slug=PURPOSE_MEETING_INVITATIONS)
    assert never_asked.count() > 0
    reasons = set(Suppression.objects.values_list("reason", flat=True))
    assert {SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT} <= reasons
    assert Organisation.objects.count() >= 25
    assert people.filter(memberships__isnull=False).count() > 50


@pytest.mark.django_db
def test_demo_areas_carry_ons_population_with_its_year(capsys):
    call_command("demo")

    areas = Area.objects.all()
    assert areas.filter(population__isnull=True).count() == 0
    assert 8_700_000 < sum(a.population for a in areas) < 8_900_000
    assert areas.get(name="City of London").population == 8600
    assert all("ONS" in a.population_source and "2021" in a.population_source for a in areas)
    assert "Open Government Licence" in areas.first().population_source


@pytest.mark.django_db
def test_demo_staff_population_figures_are_not_replaced(capsys):
    call_command("demo")
    Area.objects.update(population=1000, population_source="Our own count, 2025")

    call_command("demo")

    assert set(Area.objects.values_list("population", "population_source")) == {
        (1000, "Our own count, 2025")
    }


@pytest.mark.django_db
def test_demo_two_past_meetings_have_attendance_with_the_representative(capsys):
    call_command("demo")

    rep = Stakeholder.objects.get(user__email="rep@engage.test")
    assert [
        c.given for c in stakeholder_consents(rep) if c.purpose.slug == PURPOSE_MEETING_INVITATIONS
    ] == [True]
    with_registrations = Meeting.objects.filter(registrations__isnull=False).distinct()
    assert with_registrations.count() == 2
    for meeting in with_registrations:
        registrations = meeting.registrations.all()
        attended = registrations.filter(attended_at__isnull=False)
        assert 40 <= attended.count() < registrations.count()
        assert registrations.filter(stakeholder=rep, attended_at__isnull=False).exists()
        assert attended.values("area").distinct().count() >= 15
    # Nothing is owed: loading the demo mails nobody.
    assert not Registration.objects.exclude(notice_pending="").exists()
    assert not Registration.objects.filter(
        survey_sent_at__isnull=True, meeting__in=with_registrations
    ).exists()
