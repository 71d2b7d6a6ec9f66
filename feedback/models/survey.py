"""Attendees' feedback: the post-meeting survey and the session feedback form.

Personal data, and how little of it there is:
- A SurveyResponse is anonymous unless the person ticks that they want it linked to them; only
  then is `stakeholder` set, and only those responses join subject access and erasure
  (feedback.rights). An anonymous one holds no person's id.
- `respondent_key` is what makes "one response per link" a database constraint: a keyed digest
  (HMAC with the site's secret) of the registration, the same whether the person came by the
  emailed link or by the meeting page. Without the secret the database cannot tell whose
  response it is; erasing a person clears the key on their responses, so even with the secret
  nothing leads back to them afterwards (their answers stay for the counts, unchangeable).
- EqualityAnswer is special-category data, asked only with its own consent. It is stored apart:
  no link to the response, the person or the registration; a random primary key (so row order
  tells nothing about when, and so whose, it was) and no timestamp. Reported only in aggregate
  with small-number suppression. Retention counts from the meeting's end, not from the row.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.enums import (
    SURVEY_ANSWER_TEXT_MAX,
    SURVEY_CHOICE_MAX,
    SURVEY_QUESTION_TEXT_MAX,
    SurveyQuestionKind,
)


class MeetingSurvey(models.Model):
    """A meeting's survey and session feedback: open from the meeting's start until `closes_at`
    (default: FEEDBACK_SURVEY_OPEN_DAYS after the meeting ends)."""

    meeting = models.OneToOneField("events.Meeting", on_delete=models.CASCADE, related_name="+")
    closes_at = models.DateTimeField(_("survey closes"), null=True, blank=True)
    ask_equality = models.BooleanField(_("ask equality monitoring questions"), default=False)
    # Set by the retention job once the raw answers are gone, so the results page can say so.
    answers_deleted_at = models.DateTimeField(null=True, blank=True)
    equality_deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def close_time(self, meeting=None):
        if self.closes_at is not None:
            return self.closes_at
        meeting = meeting or self.meeting
        return meeting.end + timedelta(days=settings.FEEDBACK_SURVEY_OPEN_DAYS)

    def is_open(self, now=None, meeting=None) -> bool:
        meeting = meeting or self.meeting
        now = now or timezone.now()
        return meeting.start <= now < self.close_time(meeting)


class SurveyQuestion(models.Model):
    """One question of the post-meeting survey, copied from a template or a discussion question
    (so later edits there never change answers already given) or written for this survey."""

    survey = models.ForeignKey(MeetingSurvey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("type of answer"), max_length=20, choices=SurveyQuestionKind.choices)
    text = models.CharField(_("question"), max_length=SURVEY_QUESTION_TEXT_MAX)
    choices = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    discussion_question = models.ForeignKey(
        "events.DiscussionQuestion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class SurveyResponse(models.Model):
    """One person's answers, by one link: to the survey (session null) or to one session's
    feedback form. Changed in place until the survey closes."""

    survey = models.ForeignKey(MeetingSurvey, on_delete=models.CASCADE, related_name="responses")
    session = models.ForeignKey(
        "events.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    respondent_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    stakeholder = models.ForeignKey(
        "engage.Stakeholder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Only whether equality answers were given (never which): they cannot be changed, being
    # stored where nothing links them to this row.
    equality_recorded = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent_key"],
                condition=Q(session__isnull=True),
                name="survey_response_one_per_key",
            ),
            models.UniqueConstraint(
                fields=["survey", "session", "respondent_key"],
                condition=Q(session__isnull=False),
                name="session_feedback_one_per_key",
            ),
        ]


class SurveyAnswer(models.Model):
    """One answer: to a survey question, or (session feedback) to a discussion question."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        SurveyQuestion, null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    discussion_question = models.ForeignKey(
        "events.DiscussionQuestion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=SURVEY_ANSWER_TEXT_MAX)
    choice = models.CharField(max_length=SURVEY_CHOICE_MAX, blank=True)
    area = models.ForeignKey(
        "engage.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_answer_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(question__isnull=False) ^ Q(discussion_question__isnull=False),
                name="survey_answer_one_question",
            ),
        ]


class EqualityAnswer(models.Model):
    """One equality monitoring answer, stored apart (see the module docstring)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(MeetingSurvey, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(max_length=40)
    value = models.CharField(max_length=80)
