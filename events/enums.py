from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")


class SessionKind(models.TextChoices):
    PLENARY = "plenary", _("Plenary")
    BREAKOUT = "breakout", _("Breakout")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    OFFERED = "offered", _("Offered a place")
    CANCELLED = "cancelled", _("Cancelled")


class PanelQuestionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not taken forward")
    ANSWERED = "answered", _("Answered")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class AnswerSource(models.TextChoices):
    """Where a discussion question's answers come from; a question may take several."""

    CAPTURE = "capture", _("Breakout capture")
    SESSION_FEEDBACK = "session_feedback", _("Session feedback")
    SURVEY = "survey", _("Post-meeting survey")


class MeetingChangeKind(models.TextChoices):
    CHANGED = "changed", _("Changed")
    CANCELLED = "cancelled", _("Cancelled")
    # A session's time or room: no new calendar SEQUENCE (the meeting's entry is unchanged).
    SESSION_CHANGED = "session_changed", _("Session changed")
