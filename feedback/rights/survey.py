"""Feedback's part in subject access and erasure (engage.rights): the survey and session
feedback responses a person chose to link to themselves. Anonymous responses hold no person's
id, so there is nothing of them to find; erasure also clears the keyed digest on every response
made by the person's registrations, so not even the site's secret leads back to them afterwards.
Equality answers are never linked to anyone and so never appear here.
"""

from datetime import datetime

from django.db.models import Q

from engage.rights import SubjectDataProvider
from events.models import Registration
from feedback.enums import SurveyQuestionKind
from feedback.models import SurveyAnswer, SurveyResponse
from feedback.selectors.survey import respondent_key


def _identified(stakeholder):
    return (
        SurveyResponse.objects.filter(stakeholder=stakeholder)
        .select_related("survey__meeting", "session")
        .prefetch_related("answers__question", "answers__discussion_question", "answers__area")
        .order_by("submitted_at", "id")
    )


def _answer_text(answer) -> str:
    if answer.rating is not None and answer.text:
        return f"{answer.rating} out of 5. {answer.text}"
    if answer.rating is not None:
        return f"{answer.rating} out of 5"
    if answer.area_id:
        return answer.area.name
    return answer.choice or answer.text


def _collect(stakeholder) -> dict[str, list[dict]]:
    rows = []
    for response in _identified(stakeholder):
        for answer in response.answers.all():
            question = answer.question or answer.discussion_question
            rows.append(
                {
                    "meeting": response.survey.meeting.title,
                    "form": response.session.title if response.session_id else "Survey",
                    "question": question.text if question else "",
                    "answer": _answer_text(answer),
                    "submitted_at": response.submitted_at,
                    "updated_at": response.updated_at,
                }
            )
    return {"Your feedback (answers you chose to give with your name)": rows}


def _anonymise(stakeholder) -> int:
    identified = SurveyResponse.objects.filter(stakeholder=stakeholder)
    # Free text they gave with their name is theirs and goes; ratings, choices and areas stay
    # for the counts, with nothing left to say whose they were.
    changed = (
        SurveyAnswer.objects.filter(response__in=identified)
        .exclude(text="")
        .filter(Q(question__kind=SurveyQuestionKind.TEXT) | Q(discussion_question__isnull=False))
        .update(text="")
    )
    changed += identified.update(stakeholder=None)
    keys = [
        respondent_key(registration_id=pk)
        for pk in Registration.objects.filter(stakeholder=stakeholder).values_list("pk", flat=True)
    ]
    if keys:
        changed += SurveyResponse.objects.filter(respondent_key__in=keys).update(
            respondent_key=None
        )
    return changed


def _active_since(when: datetime) -> Q:
    return Q(
        pk__in=SurveyResponse.objects.filter(
            stakeholder__isnull=False, updated_at__gte=when
        ).values("stakeholder_id")
    )


SURVEY_PROVIDER = SubjectDataProvider(
    name="feedback.survey", collect=_collect, anonymise=_anonymise, active_since=_active_since
)
