"""The public record of a meeting: its summary report and the written responses to what people
said there ("you said, we did"). Breakout capture and surveys come in later issues.

No model here holds personal data: a report and a response speak for the team, never name a
stakeholder, so there is nothing here for subject access or erasure (engage.rights). A
ReportVersion's `published_by` is a staff account, kept as SET_NULL like a point's author. A
response's owner (feedback.models.responses.Owner) has a named contact; that model joins the
rights registry.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.enums import ResponseSource, ResponseStatus


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


class ReportVersionFile(models.Model):
    """A published version's download (its PDF or DOCX), built once by a task after publishing
    (feedback.services.report_files) and served from here: the bytes in the database, beside the
    version they were built from, so they go with it and need no file storage of their own."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=8)  # "pdf" or "docx"
    content = models.BinaryField()
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="report_version_file_unique")
        ]


class Response(Publishable):
    """One "you said, we did" item: something raised at the meeting (a theme, a point, a panel
    question, a recommendation of an outside report) and the written response owed to it.

    It may be put to an Owner, who answers through a signed link by `due_on`; the team approves
    before it is published. `we_did` is empty until there is a response; a declined item keeps its
    published reason in `declined_reason`. `responded_at` is when the answer was approved, which
    is what "answered before the next meeting" counts. `reminders_sent` lists the reminder and
    escalation stages already sent for the current due date (feedback.reminders).
    """

    meeting = models.ForeignKey(
        "events.Meeting", on_delete=models.CASCADE, related_name="responses"
    )
    you_said = models.TextField(_("you said"))
    we_did = models.TextField(_("we did"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.OPEN
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.CharField(
        _("what it answers"),
        max_length=20,
        choices=ResponseSource.choices,
        default=ResponseSource.OTHER,
    )
    reference = models.CharField(
        _("reference"), max_length=40, blank=True, help_text=_("For example: Recommendation 3")
    )
    theme = models.ForeignKey(
        "feedback.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    point = models.ForeignKey(
        "feedback.Point", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    panel_question = models.ForeignKey(
        "events.PanelQuestion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        "feedback.Owner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
    )
    due_on = models.DateField(_("due"), null=True, blank=True, db_index=True)
    owner_asked_at = models.DateTimeField(null=True, blank=True)
    # The latest email to the owner: its status tells the team when the address bounced.
    owner_email = models.ForeignKey(
        "engage.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    declined_reason = models.TextField(_("reason for declining"), blank=True)
    reminders_sent = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(declined_reason=""),
                name="response_declined_has_reason",
            )
        ]

    def __str__(self) -> str:
        return self.you_said[:60]
