import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.models import Area, Segment, Stakeholder
from events.enums import (
    AnswerSource,
    CampaignStatus,
    MeetingChangeKind,
    MeetingFormat,
    MeetingStatus,
    PanelQuestionStatus,
    RegistrationStatus,
    SessionKind,
)


def default_reminder_days() -> list[int]:
    return [7, 1]


class Series(models.Model):
    """A run of meetings, such as the quarterly public review meetings."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:series_detail", kwargs={"slug": self.slug})


class Meeting(models.Model):
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    format = models.CharField(
        max_length=20, choices=MeetingFormat.choices, default=MeetingFormat.IN_PERSON
    )
    venue = models.CharField(max_length=300, blank=True)
    venue_address = models.TextField(blank=True)
    access_information = models.TextField(blank=True)
    online_url = models.URLField(blank=True, help_text=_("Shown only to registered people"))
    capacity = models.PositiveIntegerField(default=100)
    registration_opens = models.DateTimeField(null=True, blank=True)
    registration_closes = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT, db_index=True
    )
    # Calendar identity: one UID for the meeting's whole life, SEQUENCE rises on every significant change.
    ical_uid = models.CharField(max_length=200, unique=True, editable=False)
    ical_sequence = models.PositiveIntegerField(default=0)
    reminder_days = models.JSONField(default=default_reminder_days)
    access_needs_retention_days = models.PositiveIntegerField(default=30)
    waitlist_offer_hours = models.PositiveIntegerField(default=48)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="meeting_end_after_start")
        ]
        permissions = [("checkin_meeting", "Can check in attendees")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.ical_uid:
            self.ical_uid = f"meeting-{uuid.uuid4()}@engage"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("events:meeting_detail", kwargs={"slug": self.slug})


class MeetingChange(models.Model):
    """A change (or the cancellation) of a meeting that people must be told about, at the
    calendar SEQUENCE it raised the meeting to. Written by the staff request under the meeting
    lock; the notices are fanned out by a task after commit. A newer change of the same meeting
    supersedes this one (`superseded_at`): its notices not yet queued are never queued, and its
    queued ones are withdrawn. Holds no personal data (labels and new values of meeting fields,
    user ids).

    A change of one session's time or room (`session` set, kind session_changed) goes the same
    way, at the meeting's SEQUENCE of the moment, which it does not raise; nothing supersedes it.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="changes")
    session = models.ForeignKey(
        "Session", null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    # A session change: facilitators just added, whose assignment notice has the new details.
    skip_user_ids = models.JSONField(default=list, blank=True)
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=MeetingChangeKind.choices)
    # Field label -> its new value, as text, as the update email lists them.
    changes = models.JSONField(default=dict, blank=True)
    tell_registrants = models.BooleanField(default=True)
    tell_facilitators = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "sequence"],
                condition=models.Q(session__isnull=True),
                name="meeting_change_once_per_sequence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.sequence} {self.kind}"


class Session(models.Model):
    """A part of a meeting's agenda: the plenary or a breakout. Questions and facilitators hang here."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=20, choices=SessionKind.choices, default=SessionKind.PLENARY)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.CharField(max_length=200, blank=True)
    online_room = models.URLField(blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_sessions"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["start", "order", "id"]

    def __str__(self) -> str:
        return self.title


def default_answer_sources() -> list[str]:
    return ["capture"]


class DiscussionQuestion(models.Model):
    """A question put to a session. `answer_sources` (a list of events.enums.AnswerSource values)
    says where its answers come from: points captured in the breakout, the session feedback form,
    the post-meeting survey, or several of them."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)
    publish_at = models.DateTimeField(null=True, blank=True)
    answer_sources = models.JSONField(default=default_answer_sources)

    class Meta:
        ordering = ["order", "id"]

    def answer_sources_display(self) -> list[str]:
        labels = dict(AnswerSource.choices)
        return [str(labels.get(value, value)) for value in self.answer_sources]


class Document(models.Model):
    """Pre-reading, published ahead of the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="documents/", blank=True)
    url = models.URLField(blank=True)
    description = models.TextField(blank=True)
    publish_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["publish_at", "id"]


class AreaReservation(models.Model):
    """Places held back for people from one area until `release_at`, to widen representation."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="area_reservations")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    places = models.PositiveIntegerField()
    release_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "area"], name="reservation_unique")
        ]


class Registration(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="registrations"
    )
    status = models.CharField(max_length=20, choices=RegistrationStatus.choices, db_index=True)
    breakout = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations"
    )
    breakout_preferences = models.ManyToManyField(Session, blank=True, related_name="+")
    # Sensitive: shown to the engagement team only, wiped after the meeting (access_needs_retention_days).
    access_requirements = models.TextField(blank=True)
    attendee_list_ok = models.BooleanField(default=False)
    organisation_name = models.CharField(max_length=200, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    # Added at the door by staff: counts toward attendance but holds none of the capacity, so a
    # walk-in never takes a place the waiting list is owed.
    walk_in = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Scheduled-send markers: set under a row lock so each reminder goes once.
    reminders_sent = models.JSONField(default=list, blank=True)
    joining_instructions_sent_at = models.DateTimeField(null=True, blank=True)
    survey_sent_at = models.DateTimeField(null=True, blank=True)
    # The email this registration is owed and not yet queued (events.notices.registration
    # REGISTRATION_NOTICES), or "": written with the change it announces, cleared by the sender.
    notice_pending = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "stakeholder"], name="registration_once_per_meeting"
            ),
            models.UniqueConstraint(
                fields=["meeting", "waitlist_position"],
                condition=Q(waitlist_position__isnull=False),
                name="waitlist_position_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "status"], name="registration_meeting_status"),
            # The sender's sweep reads only the few rows still owed an email.
            models.Index(
                fields=["id"], condition=~Q(notice_pending=""), name="registration_notice_pending"
            ),
        ]


class PanelQuestion(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="panel_questions")
    registration = models.ForeignKey(
        Registration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="panel_questions",
    )
    text = models.TextField()
    status = models.CharField(
        max_length=20, choices=PanelQuestionStatus.choices, default=PanelQuestionStatus.SUBMITTED
    )
    group = models.CharField(max_length=120, blank=True)
    answer = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group", "submitted_at", "id"]


class Campaign(models.Model):
    """An invitation send: one meeting, one audience, exactly one email per stakeholder."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="campaigns")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filters = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Invitation(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.OneToOneField(
        "engage.OutboundEmail", null=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "stakeholder"], name="invitation_once")
        ]
