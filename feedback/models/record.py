"""The public record of a meeting: its summary report and the written responses to what people
said there ("you said, we did"). Breakout capture and surveys come in later issues.

No model here holds personal data: a report and a response speak for the team, never name a
stakeholder, so there is nothing here for subject access or erasure (engage.rights). A
ReportVersion's `published_by` is a staff account, kept as SET_NULL like a point's author.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.enums import ResponseStatus


def _paragraphs(text: str) -> list[str]:
    """Plain text split on blank lines; single line breaks stay inside a paragraph."""
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in text.split("\n\n")]
    return [block.strip() for block in blocks if block.strip()]


class Publishable(models.Model):
    """Published from `publish_at` on (it may be ahead); `notified_at` marks that the people who
    held a place were told, set under a row lock by feedback.notifications so it happens once."""

    publish_at = models.DateTimeField(null=True, blank=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def is_published(self, now=None) -> bool:
        return self.publish_at is not None and self.publish_at <= (now or timezone.now())

    def is_scheduled(self, now=None) -> bool:
        return self.publish_at is not None and self.publish_at > (now or timezone.now())


def published_q(now=None) -> Q:
    return Q(publish_at__isnull=False, publish_at__lte=now or timezone.now())


class MeetingReport(Publishable):
    """The summary of what was said at a meeting, written by the engagement team."""

    meeting = models.OneToOneField(
        "events.Meeting", on_delete=models.CASCADE, related_name="report"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("summary"), help_text=_("Plain text. Leave a blank line between paragraphs.")
    )
    # The rest of the report as the team edits it (feedback.documents.outline), generated from
    # the points by feedback.services.report and edited freely before each publication.
    draft = models.TextField(_("report"), blank=True, default="")
    draft_generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-publish_at", "id"]

    def __str__(self) -> str:
        return self.title

    def paragraphs(self) -> list[str]:
        return _paragraphs(self.body)


class ReportVersion(models.Model):
    """The report exactly as it was published, once per publication: the document (plain data of
    feedback.documents.model) is never changed afterwards. The public sees the latest version
    whose `published_at` has come, while the report is published."""

    report = models.ForeignKey(MeetingReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    published_at = models.DateTimeField(db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.number}"


class Response(Publishable):
    """One "you said, we did" item: a point raised at the meeting and what is being done about it.

    The status moves as the work does; a later action-plan feature can hang progress updates and
    commitments off this row (and widen `meeting` to optional for plan-wide responses).
    """

    meeting = models.ForeignKey(
        "events.Meeting", on_delete=models.CASCADE, related_name="responses"
    )
    you_said = models.TextField(_("you said"))
    we_did = models.TextField(_("we did"))
    status = models.CharField(
        _("status"), max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.PLANNED
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.you_said[:60]
