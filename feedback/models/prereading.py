"""The next meeting's pre-reading: what changed in the action plan since the series' previous
meeting and the responses to what people said there, assembled as a draft the team edits (the
outline text the summary report uses), then published as a document on the meeting's page.

Publishing keeps the document as it is then (`document`, plain data as ReportVersion keeps it)
and adds an events.Document pointing at the public page, public from `publish_at`: events'
pre-reading notice tells the registrants when that moment comes, as for any other pre-reading.
No personal data: what people said is the published, moderated text of responses.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PreReading(models.Model):
    meeting = models.OneToOneField(
        "events.Meeting", on_delete=models.CASCADE, related_name="feedback_prereading"
    )
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    outline = models.TextField(_("pre-reading"), blank=True)
    # What "since the last meeting" meant when it was assembled (the previous meeting's start).
    since = models.DateTimeField(null=True, blank=True)
    assembled_at = models.DateTimeField(null=True, blank=True)
    document = models.JSONField(null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    listing = models.ForeignKey(
        "events.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title
