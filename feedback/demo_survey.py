"""Demo survey answers for the past demo meeting: a dozen anonymous responses, session feedback
for its breakouts, and equality answers, so the staff results page has something to show.

The demo has no registrations, so each response's key is made from a negative number, which no
registration ever has. Safe to run again: responses are found by their key, and equality
answers are written only with a response made in this run.
"""

from django.db import transaction

from engage.models import Area
from events.models import Meeting
from feedback.enums import SurveyQuestionKind
from feedback.models import EqualityAnswer, SurveyAnswer, SurveyResponse
from feedback.selectors.survey import feedback_sessions, respondent_key
from feedback.services.survey import meeting_survey_ensure

RATINGS = [5, 4, 4, 3, 5, 4, 2, 4, 5, 3, 4, 4]
ONE_THING = [
    "More time in the breakouts; the plenary ran long.",
    "Hold it in the evening so that people who work can come.",
    "Send the questions with the papers, two weeks before.",
    "",
]
AREAS = ["Hackney", "Lambeth", "Southwark", "Croydon", "Newham", "Brent"]
AGES = ["18_24", "25_34", "35_49", "50_64", "65_plus", "prefer_not"]


@transaction.atomic
def demo_load_survey(*, meeting_slug: str) -> None:
    meeting = Meeting.objects.filter(slug=meeting_slug).first()
    if meeting is None:
        return
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    if not survey.ask_equality:
        survey.ask_equality = True
        survey.save(update_fields=["ask_equality"])
    questions = {q.kind: q for q in reversed(list(survey.questions.all()))}
    change_one = survey.questions.filter(kind=SurveyQuestionKind.TEXT).last()
    areas = {a.name: a for a in Area.objects.filter(name__in=AREAS)}
    sessions = feedback_sessions(meeting=meeting)
    at = meeting.end
    for n, rating in enumerate(RATINGS, start=1):
        key = respondent_key(registration_id=-n)
        response, created = SurveyResponse.objects.get_or_create(
            survey=survey,
            session=None,
            respondent_key=key,
            defaults={"submitted_at": at, "updated_at": at, "equality_recorded": True},
        )
        if not created:
            continue
        answers = [
            SurveyAnswer(
                response=response, question=questions[SurveyQuestionKind.RATING], rating=rating
            )
        ]
        area = areas.get(AREAS[n % len(AREAS)])
        if area is not None and SurveyQuestionKind.AREA in questions:
            answers.append(
                SurveyAnswer(
                    response=response, question=questions[SurveyQuestionKind.AREA], area=area
                )
            )
        text = ONE_THING[n % len(ONE_THING)]
        if text and change_one is not None:
            answers.append(SurveyAnswer(response=response, question=change_one, text=text))
        SurveyAnswer.objects.bulk_create(answers)
        EqualityAnswer.objects.create(survey=survey, question="age", value=AGES[n % len(AGES)])
        for session in sessions:
            feedback = SurveyResponse.objects.create(
                survey=survey, session=session, respondent_key=key, submitted_at=at, updated_at=at
            )
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(response=feedback, discussion_question=q, rating=max(1, rating - 1))
                for q in session.feedback_questions
            )
