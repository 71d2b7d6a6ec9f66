"""Reads of question templates."""

from django.db.models import QuerySet

from feedback.models import QuestionTemplate


def question_templates_active() -> QuerySet[QuestionTemplate]:
    """Templates the team can pick from: the seeded ones first, then the team's own."""
    return QuestionTemplate.objects.filter(archived=False)
