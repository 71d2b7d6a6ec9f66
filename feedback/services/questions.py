"""Writes of question templates and of the questions put to a session."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from events.enums import AnswerSource
from events.models import DiscussionQuestion, Session
from feedback.models import QuestionTemplate

logger = logging.getLogger(__name__)


def _clean(*, text: str, answer_sources: list[str]) -> tuple[str, list[str]]:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Enter the question.")}, code="required")
    if len(text) > 500:
        raise ValidationError(
            {"text": _("A question can be at most 500 characters.")}, code="max_length"
        )
    sources = [value for value in AnswerSource.values if value in set(answer_sources or [])]
    if not sources:
        raise ValidationError(
            {"answer_sources": _("Choose where the answers come from.")}, code="required"
        )
    return text, sources


def question_template_create(*, text: str, answer_sources: list[str], actor) -> QuestionTemplate:
    """Add one of the team's own question templates. Raises ValidationError for an empty or
    long question, or no answer source."""
    text, sources = _clean(text=text, answer_sources=answer_sources)
    template = QuestionTemplate.objects.create(text=text, answer_sources=sources, created_by=actor)
    logger.info(
        "question template created", extra={"template_id": template.pk, "actor_id": actor.pk}
    )
    return template


def session_question_add(
    *,
    session_id: int,
    actor,
    template_id: int | None = None,
    text: str = "",
    answer_sources: list[str] | None = None,
) -> DiscussionQuestion:
    """Put a question to the session, last: a template's text and sources (copied, so a later
    change of the template leaves this meeting alone) or the given ones."""
    if template_id is not None:
        template = QuestionTemplate.objects.get(pk=template_id, archived=False)
        text, answer_sources = template.text, template.answer_sources
    text, sources = _clean(text=text, answer_sources=answer_sources or [])
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session_id)
        last = session.questions.aggregate(n=Max("order"))["n"] or 0
        question = DiscussionQuestion.objects.create(
            session=session, text=text, order=last + 1, answer_sources=sources
        )
    logger.info(
        "session question added",
        extra={"question_id": question.pk, "session_id": session_id, "actor_id": actor.pk},
    )
    return question


def session_question_remove(*, question_id: int, actor) -> int:
    """Remove a question from its session, unless points were captured for it. Returns the
    meeting id. Raises ValidationError when it has points (they would be lost)."""
    with transaction.atomic():
        question = DiscussionQuestion.objects.select_related("session").get(pk=question_id)
        if question.points.exists():
            raise ValidationError(
                _("Points have been captured for this question, so it stays."), code="has_points"
            )
        meeting_id = question.session.meeting_id
        question.delete()
    logger.info(
        "session question removed", extra={"question_id": question_id, "actor_id": actor.pk}
    )
    return meeting_id
