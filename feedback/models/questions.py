"""Question templates: the questions the team asks again and again, picked from when building an
agenda. Picking one copies its text and answer sources into an events.DiscussionQuestion, so a
later edit of the template never changes a meeting that has happened. No personal data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from events.models import default_answer_sources


class QuestionTemplate(models.Model):
    text = models.TextField(_("question"))
    answer_sources = models.JSONField(default=default_answer_sources)
    # Seeded from the team's past reports (migration 0002); the team's own have seeded=False.
    seeded = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-seeded", "text", "id"]

    def __str__(self) -> str:
        return self.text[:80]
