"""Writes for attendees' feedback: a meeting's survey and its questions, and saving a person's
response (to the survey or to one session's feedback form).

Anonymity is the default here, not a promise kept elsewhere: a response is saved with a
stakeholder only when `identify` is true, and equality answers are written as separate rows that
nothing links back (see feedback.models.survey).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from events.enums import AnswerSource
from events.models import DiscussionQuestion, Meeting
from feedback import equality
from feedback.enums import (
    SURVEY_ANSWER_TEXT_MAX,
    SURVEY_CHOICE_MAX,
    SURVEY_QUESTION_TEXT_MAX,
    SurveyQuestionKind,
)
from feedback.models import (
    EqualityAnswer,
    MeetingSurvey,
    QuestionTemplate,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from feedback.selectors.survey import respondent_key
from feedback.services.chat_import import chat_imports_tidy

logger = logging.getLogger(__name__)

# Marked for translation here, translated when a survey is made (its questions are stored text).
OVERALL_RATING = gettext_noop("Overall, how would you rate the meeting?")
AREA_QUESTION = gettext_noop("Which area of London are you from?")
CHANGE_ONE_THING = gettext_noop(
    "If you could have changed one thing about this meeting, what would it be?"
)


class SurveyClosed(ValidationError):
    """The survey closed (or has not opened) before the answers arrived."""


def meeting_survey_ensure(*, meeting_id: int) -> MeetingSurvey:
    """The meeting's survey, made on first use with a starting set of questions: an overall
    rating, the discussion questions whose answers come from the survey, "which area of London",
    and "if you could have changed one thing". Staff change the set on the survey page.
    Safe to call twice at once: the one-to-one constraint keeps a single survey."""
    survey = MeetingSurvey.objects.filter(meeting_id=meeting_id).first()
    if survey is not None:
        return survey
    try:
        with transaction.atomic():
            survey = MeetingSurvey.objects.create(meeting_id=meeting_id)
            rows = [
                SurveyQuestion(
                    survey=survey, kind=SurveyQuestionKind.RATING, text=_(OVERALL_RATING)
                )
            ]
            for question in DiscussionQuestion.objects.filter(
                session__meeting_id=meeting_id
            ).order_by("session__start", "order", "id"):
                if AnswerSource.SURVEY in (question.answer_sources or []):
                    rows.append(
                        SurveyQuestion(
                            survey=survey,
                            kind=SurveyQuestionKind.TEXT,
                            text=question.text[:SURVEY_QUESTION_TEXT_MAX],
                            discussion_question=question,
                        )
                    )
            rows.append(
                SurveyQuestion(survey=survey, kind=SurveyQuestionKind.AREA, text=_(AREA_QUESTION))
            )
            rows.append(
                SurveyQuestion(
                    survey=survey, kind=SurveyQuestionKind.TEXT, text=_(CHANGE_ONE_THING)
                )
            )
            for order, row in enumerate(rows):
                row.order = order
            SurveyQuestion.objects.bulk_create(rows)
    except IntegrityError:
        return MeetingSurvey.objects.get(meeting_id=meeting_id)
    return survey


def meeting_survey_update(
    *, meeting_id: int, closes_at: datetime | None, ask_equality: bool, actor
) -> MeetingSurvey:
    """Set when the survey closes (None: the default, FEEDBACK_SURVEY_OPEN_DAYS after the
    meeting) and whether it asks the equality monitoring questions."""
    meeting = Meeting.objects.get(pk=meeting_id)
    if closes_at is not None and closes_at <= meeting.start:
        raise ValidationError({"closes_at": _("The survey must close after the meeting starts.")})
    survey = meeting_survey_ensure(meeting_id=meeting_id)
    survey.closes_at = closes_at
    survey.ask_equality = ask_equality
    survey.save(update_fields=["closes_at", "ask_equality"])
    logger.info("survey updated", extra={"meeting_id": meeting_id, "user_id": actor.pk})
    return survey


def _clean_choices(kind: str, choices: list[str]) -> list[str]:
    if kind != SurveyQuestionKind.CHOICE:
        return []
    cleaned = []
    for choice in choices:
        choice = " ".join(choice.split())
        if choice and choice not in cleaned:
            cleaned.append(choice)
    if len(cleaned) < 2:
        raise ValidationError({"choices": _("Give at least two choices, one a line.")})
    if any(len(choice) > SURVEY_CHOICE_MAX for choice in cleaned):
        raise ValidationError(
            {
                "choices": _("Each choice must be %(max)s characters or fewer.")
                % {"max": SURVEY_CHOICE_MAX}
            }
        )
    return cleaned


def survey_question_add(
    *,
    meeting_id: int,
    kind: str,
    text: str = "",
    choices: list[str] | None = None,
    template_id: int | None = None,
    discussion_question_id: int | None = None,
    actor,
) -> SurveyQuestion:
    """Add a question at the end of the meeting's survey: copied from a question template or
    one of the meeting's discussion questions, or written here."""
    survey = meeting_survey_ensure(meeting_id=meeting_id)
    discussion_question = None
    if kind not in SurveyQuestionKind.values:
        raise ValidationError({"kind": _("Choose the type of answer.")})
    if template_id is not None:
        text = QuestionTemplate.objects.get(pk=template_id, archived=False).text
    elif discussion_question_id is not None:
        discussion_question = DiscussionQuestion.objects.get(
            pk=discussion_question_id, session__meeting_id=meeting_id
        )
        text = discussion_question.text
    text = " ".join((text or "").split())
    if kind == SurveyQuestionKind.AREA and not text:
        text = _(AREA_QUESTION)
    if not text:
        raise ValidationError({"text": _("Enter the question.")})
    if len(text) > SURVEY_QUESTION_TEXT_MAX:
        raise ValidationError(
            {
                "text": _("The question must be %(max)s characters or fewer.")
                % {"max": SURVEY_QUESTION_TEXT_MAX}
            }
        )
    cleaned = _clean_choices(kind, choices or [])
    last = survey.questions.order_by("-order").values_list("order", flat=True).first()
    question = SurveyQuestion.objects.create(
        survey=survey,
        kind=kind,
        text=text,
        choices=cleaned,
        order=(last + 1) if last is not None else 0,
        discussion_question=discussion_question,
    )
    logger.info("survey question added", extra={"meeting_id": meeting_id, "user_id": actor.pk})
    return question


def survey_question_remove(*, question_id: int, actor) -> None:
    """Take a question off the survey, with the answers already given to it."""
    question = SurveyQuestion.objects.get(pk=question_id)
    meeting_id = question.survey.meeting_id
    question.delete()
    logger.info("survey question removed", extra={"meeting_id": meeting_id, "user_id": actor.pk})


@dataclass
class Answer:
    """What a form gathered for one question; every part optional."""

    question_id: int | None = None
    discussion_question_id: int | None = None
    rating: int | None = None
    text: str = ""
    choice: str = ""
    area_id: int | None = None

    def is_empty(self) -> bool:
        return self.rating is None and not self.text and not self.choice and self.area_id is None


@dataclass
class Submission:
    answers: list[Answer]
    identify: bool = False
    equality: dict[str, str] = field(default_factory=dict)  # question slug -> option value


def _check(submission: Submission) -> list[Answer]:
    answers = []
    for answer in submission.answers:
        answer.text = (answer.text or "").strip()
        if len(answer.text) > SURVEY_ANSWER_TEXT_MAX:
            raise ValidationError(
                _("An answer is longer than %(max)s characters.") % {"max": SURVEY_ANSWER_TEXT_MAX}
            )
        if answer.rating is not None and not 1 <= answer.rating <= 5:
            raise ValidationError(_("A rating is from 1 to 5."))
        if not answer.is_empty():
            answers.append(answer)
    for slug, value in submission.equality.items():
        question = equality.BY_SLUG.get(slug)
        if question is None or value not in dict(question.options):
            raise ValidationError(_("Choose one of the answers given."))
    if not answers and not submission.equality:
        raise ValidationError(_("Answer at least one question before you send your answers."))
    return answers


def survey_response_save(
    *,
    survey_id: int,
    registration_id: int,
    stakeholder_id: int,
    submission: Submission,
    session_id: int | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """Save (or replace) the one response of this registration to the survey, or to one
    session's feedback form when `session_id` is given.

    The response is linked to the stakeholder only when `submission.identify` is true; changing
    one's mind later unlinks it. Equality answers are written once, as rows with no link to the
    response or the person; a second submission's equality answers are ignored (they cannot be
    matched to the first). Raises SurveyClosed once the survey has closed, ValidationError for
    an empty or out-of-range submission.
    """
    now = now or timezone.now()
    answers = _check(submission)
    key = respondent_key(registration_id=registration_id)
    with transaction.atomic():
        survey = (
            MeetingSurvey.objects.select_for_update().select_related("meeting").get(pk=survey_id)
        )
        if not survey.is_open(now=now):
            raise SurveyClosed(_("This survey has closed."))
        lookup = {"survey": survey, "respondent_key": key, "session_id": session_id}
        response = SurveyResponse.objects.select_for_update().filter(**lookup).first()
        if response is None:
            # The survey row lock serialises writers of one survey, so this create cannot race
            # another for the same key; the unique constraint stands behind it all the same.
            response = SurveyResponse.objects.create(**lookup, submitted_at=now, updated_at=now)
        response.stakeholder_id = stakeholder_id if submission.identify else None
        response.updated_at = now
        equality_rows = []
        if (
            submission.equality
            and survey.ask_equality
            and not response.equality_recorded
            and session_id is None
        ):
            equality_rows = [
                EqualityAnswer(survey=survey, question=slug, value=value)
                for slug, value in submission.equality.items()
            ]
            response.equality_recorded = True
        response.save(update_fields=["stakeholder", "updated_at", "equality_recorded"])
        response.answers.all().delete()
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(
                response=response,
                question_id=a.question_id,
                discussion_question_id=a.discussion_question_id,
                rating=a.rating,
                text=a.text,
                choice=a.choice,
                area_id=a.area_id,
            )
            for a in answers
        )
        # Shuffled so the insert order of a batch says nothing either.
        EqualityAnswer.objects.bulk_create(sorted(equality_rows, key=lambda row: row.pk))
    logger.info(
        "survey response saved",
        extra={"survey_id": survey_id, "session_id": session_id, "identified": submission.identify},
    )
    return response


def survey_retention_run(*, now: datetime | None = None) -> dict[str, int]:
    """Delete raw survey and session feedback answers FEEDBACK_SURVEY_RETENTION_DAYS after their
    meeting ended, and equality answers FEEDBACK_EQUALITY_RETENTION_DAYS after; mark each survey
    so its results page says so. Also deletes chat uploads never imported, after a day.
    Idempotent: a second run finds nothing left to delete. Returns counts of rows deleted."""
    now = now or timezone.now()
    answers_cutoff = now - timedelta(days=settings.FEEDBACK_SURVEY_RETENTION_DAYS)
    equality_cutoff = now - timedelta(days=settings.FEEDBACK_EQUALITY_RETENTION_DAYS)
    counts = {"responses": 0, "equality_answers": 0}
    for survey in MeetingSurvey.objects.filter(
        meeting__end__lt=answers_cutoff, answers_deleted_at__isnull=True
    ):
        with transaction.atomic():
            counts["responses"] += (
                SurveyResponse.objects.filter(survey=survey)
                .delete()[1]
                .get(SurveyResponse._meta.label, 0)
            )
            survey.answers_deleted_at = now
            survey.save(update_fields=["answers_deleted_at"])
    for survey in MeetingSurvey.objects.filter(
        meeting__end__lt=equality_cutoff, equality_deleted_at__isnull=True
    ):
        with transaction.atomic():
            counts["equality_answers"] += EqualityAnswer.objects.filter(survey=survey).delete()[0]
            survey.equality_deleted_at = now
            survey.save(update_fields=["equality_deleted_at"])
    counts["chat_uploads"] = chat_imports_tidy(now=now)
    logger.info("survey retention run", extra=counts)
    return counts
