"""The survey's writes: one response per registration, anonymous unless asked, equality answers
kept apart and counted with small numbers hidden, retention, subject access and erasure."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from engage.rights import stakeholder_erase, subject_data_providers
from feedback.enums import SurveyQuestionKind
from feedback.models import EqualityAnswer, MeetingSurvey, SurveyAnswer, SurveyResponse
from feedback.notifications import registration_survey_send
from feedback.selectors.survey import equality_results, respondent_key, survey_results
from feedback.services.survey import (
    Answer,
    Submission,
    SurveyClosed,
    meeting_survey_ensure,
    survey_question_add,
    survey_response_save,
    survey_retention_run,
)
from tests.factories import AreaFactory, MeetingFactory, RegistrationFactory, UserFactory
from tests.feedback.survey_helpers import attendee, past_meeting

pytestmark = pytest.mark.django_db


def _text_question(survey):
    return survey.questions.filter(kind=SurveyQuestionKind.TEXT).first()


def _save(survey, registration, *, text="More evening meetings, please.", **kwargs):
    question = _text_question(survey)
    submission = Submission(
        answers=[Answer(question_id=question.pk, text=text)],
        identify=kwargs.pop("identify", False),
        equality=kwargs.pop("equality", {}),
    )
    return survey_response_save(
        survey_id=survey.pk,
        registration_id=registration.pk,
        stakeholder_id=registration.stakeholder_id,
        submission=submission,
        **kwargs,
    )


def test_a_new_survey_starts_with_a_rating_the_survey_questions_an_area_and_one_thing():
    meeting = past_meeting()

    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    again = meeting_survey_ensure(meeting_id=meeting.pk)

    assert again.pk == survey.pk
    assert [q.kind for q in survey.questions.all()] == ["rating", "text", "area", "text"]
    assert survey.questions.all()[1].text.startswith("What should the police")
    assert survey.close_time() == meeting.end + dt.timedelta(days=28)


def test_a_response_is_anonymous_by_default_and_changing_it_replaces_it():
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)

    first = _save(survey, registration, text="First thoughts")
    second = _save(survey, registration, text="Second thoughts")

    assert first.pk == second.pk
    response = SurveyResponse.objects.get()
    assert response.stakeholder_id is None
    assert list(SurveyAnswer.objects.values_list("text", flat=True)) == ["Second thoughts"]


def test_a_response_is_linked_only_while_the_person_asks_for_it():
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)

    linked = _save(survey, registration, identify=True).stakeholder_id
    unlinked = _save(survey, registration, identify=False).stakeholder_id

    assert (linked, unlinked) == (registration.stakeholder_id, None)


def test_the_database_refuses_a_second_response_for_one_key():
    meeting = past_meeting()
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    SurveyResponse.objects.create(survey=survey, respondent_key="k")

    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(survey=survey, respondent_key="k")


def test_session_feedback_is_a_response_of_its_own():
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    session = meeting.sessions.get()
    question = session.questions.get()

    survey_response_save(
        survey_id=survey.pk,
        registration_id=registration.pk,
        stakeholder_id=registration.stakeholder_id,
        session_id=session.pk,
        submission=Submission(answers=[Answer(discussion_question_id=question.pk, rating=4)]),
    )
    _save(survey, registration)

    assert SurveyResponse.objects.count() == 2
    results = survey_results(survey=survey)
    assert results["sessions"][0]["questions"][0]["ratings"]["average"] == 4


def test_a_closed_survey_takes_no_answers():
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    survey.closes_at = timezone.now() - dt.timedelta(minutes=1)
    survey.save()

    with pytest.raises(SurveyClosed):
        _save(survey, registration)
    assert not SurveyResponse.objects.exists()


def test_an_empty_or_too_long_submission_is_refused():
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)

    with pytest.raises(ValidationError, match="at least one question"):
        _save(survey, registration, text="   ")
    with pytest.raises(ValidationError, match="longer than 2000"):
        _save(survey, registration, text="x" * 2001)
    assert not SurveyResponse.objects.exists()


def test_equality_answers_are_stored_apart_once_and_only_when_the_survey_asks():
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)

    _save(survey, registration, equality={"age": "25_34"})
    not_asked = EqualityAnswer.objects.count()
    MeetingSurvey.objects.filter(pk=survey.pk).update(ask_equality=True)
    _save(survey, registration, equality={"age": "25_34", "disability": "no"})
    _save(survey, registration, equality={"age": "50_64"})

    assert not_asked == 0
    assert sorted(EqualityAnswer.objects.values_list("question", "value")) == [
        ("age", "25_34"),
        ("disability", "no"),
    ]
    assert SurveyResponse.objects.get().equality_recorded
    field_names = {f.name for f in EqualityAnswer._meta.get_fields()}
    assert field_names == {"id", "survey", "question", "value"}


def test_equality_counts_under_the_threshold_are_shown_as_fewer_than(settings):
    meeting = past_meeting()
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    EqualityAnswer.objects.bulk_create(
        [EqualityAnswer(survey=survey, question="age", value="18_24") for _ in range(4)]
        + [EqualityAnswer(survey=survey, question="age", value="65_plus") for _ in range(5)]
    )
    settings.ENGAGE_SMALL_NUMBER_THRESHOLD = 5

    rows = dict(equality_results(survey=survey)[0]["rows"])
    settings.ENGAGE_SMALL_NUMBER_THRESHOLD = 10
    stricter = dict(equality_results(survey=survey)[0]["rows"])

    assert (rows["18 to 24"], rows["65 or over"], rows["25 to 34"]) == ("fewer than 5", "5", "0")
    assert stricter["65 or over"] == "fewer than 10"


def test_retention_deletes_old_answers_once_and_keeps_recent_ones(settings):
    settings.FEEDBACK_SURVEY_RETENTION_DAYS = 30
    settings.FEEDBACK_EQUALITY_RETENTION_DAYS = 10
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    survey.ask_equality = True
    survey.save()
    _save(survey, registration, equality={"sex": "female"})
    recent = past_meeting()
    recent_survey = meeting_survey_ensure(meeting_id=recent.pk)
    _save(recent_survey, attendee(recent))

    at_20_days = survey_retention_run(now=meeting.end + dt.timedelta(days=20))
    at_40_days = survey_retention_run(now=meeting.end + dt.timedelta(days=40))
    again = survey_retention_run(now=meeting.end + dt.timedelta(days=40))

    assert (at_20_days["responses"], at_20_days["equality_answers"]) == (0, 1)
    assert at_40_days["responses"] == 2  # both meetings ended on the same day
    assert (again["responses"], again["equality_answers"]) == (0, 0)
    survey.refresh_from_db()
    assert survey.answers_deleted_at is not None and survey.equality_deleted_at is not None


def test_subject_access_finds_identified_responses_only_and_erasure_unlinks_them(
    engagement_team,
):
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    _save(survey, registration, text="Named answer", identify=True)
    session = meeting.sessions.get()
    survey_response_save(
        survey_id=survey.pk,
        registration_id=registration.pk,
        stakeholder_id=registration.stakeholder_id,
        session_id=session.pk,
        submission=Submission(
            answers=[Answer(discussion_question_id=session.questions.get().pk, text="Anonymous")]
        ),
    )
    provider = next(p for p in subject_data_providers() if p.name == "feedback.survey")

    found = provider.collect(registration.stakeholder)
    stakeholder_erase(stakeholder=registration.stakeholder, actor=engagement_team)

    rows = next(iter(found.values()))
    assert [row["answer"] for row in rows] == ["Named answer"]
    assert not SurveyResponse.objects.filter(stakeholder__isnull=False).exists()
    assert not SurveyResponse.objects.filter(respondent_key__isnull=False).exists()
    assert sorted(SurveyAnswer.objects.values_list("text", flat=True)) == ["", "Anonymous"]


def test_the_survey_email_links_to_the_survey_with_a_token_for_the_registration():
    meeting = past_meeting()
    registration = RegistrationFactory(meeting=meeting)

    registration_survey_send(
        registration_id=registration.pk, now=meeting.end + dt.timedelta(hours=3)
    )

    from engage.models import OutboundEmail

    email = OutboundEmail.objects.get()
    assert f"/meetings/{meeting.slug}/survey/?t=" in email.body_text
    assert "#feedback" not in email.body_text


def test_staff_add_a_choice_question_and_a_question_from_a_discussion_question(engagement_team):
    meeting = past_meeting()
    discussion_question = meeting.sessions.get().questions.get()

    choice = survey_question_add(
        meeting_id=meeting.pk,
        kind="choice",
        text="How did you hear about the meeting?",
        choices=["Email", "A friend", "", "Email"],
        actor=engagement_team,
    )
    copied = survey_question_add(
        meeting_id=meeting.pk,
        kind="text",
        discussion_question_id=discussion_question.pk,
        actor=engagement_team,
    )

    assert choice.choices == ["Email", "A friend"]
    assert copied.text == discussion_question.text
    with pytest.raises(ValidationError):
        survey_question_add(
            meeting_id=meeting.pk,
            kind="choice",
            text="One?",
            choices=["Only"],
            actor=engagement_team,
        )
    other = MeetingFactory()
    from events.models import DiscussionQuestion

    with pytest.raises(DiscussionQuestion.DoesNotExist):
        survey_question_add(
            meeting_id=other.pk,
            kind="text",
            discussion_question_id=discussion_question.pk,
            actor=engagement_team,
        )


def test_the_respondent_key_is_not_the_registration_id():
    registration_id = 12345
    key = respondent_key(registration_id=registration_id)
    assert str(registration_id) not in key and len(key) == 64


def test_area_answers_are_counted_by_name(engagement_team):
    meeting = past_meeting()
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    area = AreaFactory(name="Hackney")
    question = survey.questions.get(kind=SurveyQuestionKind.AREA)
    for _ in range(2):
        registration = attendee(meeting, stakeholder__user=UserFactory())
        survey_response_save(
            survey_id=survey.pk,
            registration_id=registration.pk,
            stakeholder_id=registration.stakeholder_id,
            submission=Submission(answers=[Answer(question_id=question.pk, area_id=area.pk)]),
        )

    row = next(
        r for r in survey_results(survey=survey)["questions"] if r["question"].pk == question.pk
    )
    assert row["counts"] == [("Hackney", 2)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_submissions_of_one_link_make_one_response():
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts need PostgreSQL (run with DATABASE_URL)")
    meeting = past_meeting()
    registration = attendee(meeting)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    barrier = threading.Barrier(6)
    errors = []

    def send(n):
        try:
            barrier.wait()
            _save(survey, registration, text=f"Answer {n}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert SurveyResponse.objects.count() == 1
    assert SurveyAnswer.objects.count() == 1


def test_the_retention_beat_job_runs_the_retention_and_is_scheduled(settings):
    from feedback.tasks import survey_retention_task

    settings.FEEDBACK_SURVEY_RETENTION_DAYS = 0
    meeting = past_meeting()
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    _save(survey, attendee(meeting))

    first = survey_retention_task()
    second = survey_retention_task()

    assert (first["responses"], second["responses"]) == (1, 0)
    assert settings.CELERY_BEAT_SCHEDULE["feedback.survey_retention"]["task"] == (
        "feedback.survey_retention"
    )
