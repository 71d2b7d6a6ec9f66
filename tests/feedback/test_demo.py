import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from engage.models import Area


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("engage", "events", "feedback", "auth", "mfa", "account")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.mark.django_db
def test_demo_twice_gives_the_same_counts(capsys):
    call_command("demo")
    first = _counts()
    call_command("demo")

    assert _counts() == first
    assert Area.objects.count() == 33
    assert Area.objects.filter(kind="city").get().name == "City of London"
    assert first["events.Meeting"] == 5
    assert "team@engage.test" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_has_a_published_meeting_record_that_emails_nobody(capsys):
    from feedback.models import MeetingReport, Response
    from feedback.notifications import report_published_notify_due, responses_published_notify_due

    call_command("demo")

    report = MeetingReport.objects.get(meeting__slug="2021-07-public-review")
    assert report.is_published()
    assert Response.objects.filter(meeting=report.meeting, publish_at__isnull=False).count() == 7
    assert (report_published_notify_due(), responses_published_notify_due()) == (0, 0)


@pytest.mark.django_db
def test_demo_has_captured_points_in_every_breakout_with_themes(capsys):
    from feedback.models import Point, Theme

    call_command("demo")

    points = Point.objects.filter(session__meeting__slug="2021-07-public-review")
    assert points.count() > 0
    assert set(points.values_list("session__kind", flat=True)) == {"breakout"}
    assert set(Theme.objects.values_list("name", flat=True)) >= {"Trust", "Openness", "Youth"}
    assert all(p.revisions.first().action == "created" for p in points)


@pytest.mark.django_db
def test_demo_has_moderated_points_and_some_still_waiting(capsys):
    from feedback.enums import ModerationState
    from feedback.models import Point

    call_command("demo")

    points = Point.objects.filter(session__meeting__slug="2021-07-public-review")
    states = set(points.values_list("moderation", flat=True))
    assert states == {ModerationState.APPROVED, ModerationState.WITHHELD, ModerationState.PENDING}
    assert points.filter(merged_into__isnull=False).count() == 1
    assert points.filter(text__contains="[phone number removed]").count() == 1
    assert not points.filter(text__contains="7946").exists()
    assert not points.filter(text__contains="Collins").exists()


@pytest.mark.django_db
def test_demo_has_survey_answers_for_the_past_meeting(capsys, client, engagement_team):
    from feedback.models import MeetingSurvey
    from feedback.selectors.survey import survey_results

    call_command("demo")

    survey = MeetingSurvey.objects.get(meeting__slug="2021-07-public-review")
    results = survey_results(survey=survey)
    rating = next(r for r in results["questions"] if r["question"].kind == "rating")
    assert results["responses"] == 12 and results["identified"] == 0
    assert rating["ratings"]["average"] == 3.9
    # Twelve answers in all: every age group is under the one small-number threshold (10).
    assert dict(results["equality"][0]["rows"])["18 to 24"] == "fewer than 10"
    client.force_login(engagement_team)
    page = client.get(reverse("feedback:staff_survey_results", args=[survey.meeting_id]))
    assert "12 responses to the survey" in page.content.decode()


@pytest.mark.django_db
def test_demo_report_is_a_published_version_drawn_from_the_points(client):
    from django.urls import reverse

    from feedback.models import ReportVersion

    call_command("demo")

    version = ReportVersion.objects.get(report__meeting__slug="2021-07-public-review")
    page = client.get(reverse("feedback:meeting_record", kwargs={"slug": "2021-07-public-review"}))
    headings = [section["heading"] for section in version.document["sections"]]
    assert version.number == 1
    assert "Introduction / Overview" in headings
    assert "Download this report" in page.content.decode()
    # Drawn from the captured points, which the demo shows as reviewed.
    assert "share the footage with communities" in page.content.decode()


@pytest.mark.django_db
def test_demo_has_responses_in_every_status_and_two_quarters_of_the_plan(capsys, client):
    from feedback.enums import ResponseStatus
    from feedback.models import ActionPlan, Response

    call_command("demo")

    statuses = set(
        Response.objects.filter(meeting__slug="2021-07-public-review").values_list(
            "status", flat=True
        )
    )
    plan = ActionPlan.objects.get(slug="mayors-action-plan")
    assert statuses == set(ResponseStatus.values)
    assert plan.rounds.filter(published_at__isnull=False).count() == 2
    assert client.get(plan.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_demo_has_the_upcoming_meetings_pre_reading_and_announces_no_old_round(capsys):
    import datetime as dt

    from feedback.models import PreReading
    from feedback.notifications import rounds_published_notify_due

    call_command("demo")

    prereading = PreReading.objects.get(meeting__slug="next-public-review")
    assert prereading.publish_at == prereading.meeting.start - dt.timedelta(days=14)
    assert "## What changed in the action plan" in prereading.outline
    assert prereading.document["sections"][0]["heading"] == "What changed in the action plan"
    assert rounds_published_notify_due() == 0
