"""An online meeting's chat or poll export, between its dry run and its import.

The uploaded file is kept only between the two steps: it may hold the names participants chat
under, so committing empties `data` (the points it made hold the messages, never the names),
and an upload never committed is deleted by the retention job after a day.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from feedback.enums import PointSource


class ChatImport(models.Model):
    question = models.ForeignKey(
        "events.DiscussionQuestion", on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=20, choices=PointSource.choices)
    file_name = models.CharField(max_length=255)
    data = models.BinaryField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
