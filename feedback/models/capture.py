"""Breakout capture: the points a facilitator types during a session, their themes and history.

Personal data: a point holds what the room said, never who said it; facilitators are told not to
write names (moderation flags any that slip in, feedback.pii). Its only link to a person is
its author (a facilitator or staff user, never a stakeholder) and each PointRevision's `by`. A user's
own data is their account, and removing the account keeps the points (they are the community's
words) with author and `by` set to null (on_delete=SET_NULL). A stakeholder named in a point has
that name removed from it and its history when they are erased (feedback.rights.points).

Moderation (withhold with a reason, redact, merge duplicates, feedback.services.moderation)
keeps its state on Point, each change a PointRevision so nothing vanishes silently;
theming uses Theme (series-wide, so the same theme is one across meetings) through MeetingTheme;
the report reads points grouped by theme with their weight and verbatim flag.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.enums import (
    POINT_TEXT_MAX,
    THEME_NAME_MAX,
    ModerationState,
    PointAction,
    PointSource,
)


class Theme(models.Model):
    """A theme of a series (or of a meeting outside any series), named once: the same name typed
    at a later meeting of the series is the same theme, which is what makes it recurring."""

    series = models.ForeignKey(
        "events.Series", null=True, blank=True, on_delete=models.CASCADE, related_name="themes"
    )
    name = models.CharField(_("theme"), max_length=THEME_NAME_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "series",
                name="theme_unique_in_series",
                condition=Q(series__isnull=False),
            ),
            models.UniqueConstraint(
                Lower("name"), name="theme_unique_without_series", condition=Q(series__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MeetingTheme(models.Model):
    """The meeting's own list of themes, drawn from its series' list."""

    meeting = models.ForeignKey("events.Meeting", on_delete=models.CASCADE, related_name="+")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="meeting_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "theme"], name="meeting_theme_unique")
        ]


class SessionCapture(models.Model):
    """The capture state of a session: open until `closed_at`. No row means open."""

    session = models.OneToOneField("events.Session", on_delete=models.CASCADE, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def is_closed(self, now=None) -> bool:
        return self.closed_at is not None and self.closed_at <= (now or timezone.now())


class Point(models.Model):
    """One point captured for a discussion question.

    `key` is made in the browser (crypto.randomUUID) before the point is first sent; the unique
    constraint on it is what makes a resend return the point already saved instead of a second
    one. Deleting sets `deleted_at` (the row and its revisions stay, for the record).
    """

    key = models.UUIDField(unique=True, editable=False)
    question = models.ForeignKey(
        "events.DiscussionQuestion", on_delete=models.CASCADE, related_name="points"
    )
    # Denormalised from the question: capture pages and report-back read by session.
    session = models.ForeignKey("events.Session", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(
        max_length=20, choices=PointSource.choices, default=PointSource.FACILITATOR
    )
    text = models.TextField(_("point"), max_length=POINT_TEXT_MAX)
    verbatim = models.BooleanField(_("verbatim quote"), default=False)
    weight = models.PositiveSmallIntegerField(_("how many said this"), default=1)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="points"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Moderation (feedback.services.moderation): nothing is published until approved.
    moderation = models.CharField(
        max_length=20, choices=ModerationState.choices, default=ModerationState.PENDING
    )
    withheld_reason = models.TextField(_("why it is withheld"), blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    # A duplicate merged into another point: its weight went there; it stays, linked.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_points"
    )
    # Personal data found in `text` (feedback.pii): [{kind, start, end, text, dismissed}], as of
    # `pii_checked_at`; a point changed since then is checked again. `pii_open` counts the flags
    # not yet redacted or dismissed, for the "flagged" filter.
    pii_flags = models.JSONField(default=list, blank=True)
    pii_open = models.PositiveSmallIntegerField(default=0)
    pii_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "question"], name="point_session_question"),
            models.Index(fields=["session", "moderation"], name="point_session_moderation"),
        ]
        constraints = [
            # Captured as 1 to 3 (the capture services check that); merging duplicates adds weights.
            models.CheckConstraint(condition=Q(weight__gte=1), name="point_weight_positive"),
            models.CheckConstraint(
                condition=~Q(moderation=ModerationState.WITHHELD) | ~Q(withheld_reason=""),
                name="point_withheld_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="point_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class PointRevision(models.Model):
    """What a point was after each change, who made it and when: the history moderation and
    subject access read. Written in the same transaction as the change."""

    point = models.ForeignKey(Point, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(max_length=20, choices=PointAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()
    verbatim = models.BooleanField(default=False)
    weight = models.PositiveSmallIntegerField(default=1)
    theme_name = models.CharField(max_length=THEME_NAME_MAX, blank=True)
    moderation = models.CharField(max_length=20, choices=ModerationState.choices, blank=True)
    # Why (a withholding's reason), or what was removed ("name", "phone"), in words.
    note = models.TextField(blank=True)
    # The other point of a merge: the one it went into, or the one that came in.
    related = models.ForeignKey(
        Point, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
