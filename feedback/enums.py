from django.db import models
from django.utils.translation import gettext_lazy as _


class ResponseStatus(models.TextChoices):
    """Where a response owed to what people said stands. Declined needs a reason, published with it."""

    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESPONDED = "responded", _("Responded")
    DECLINED = "declined", _("Declined")


# Answered: nothing more is owed to the people who raised it.
RESPONSE_CLOSED = (ResponseStatus.RESPONDED, ResponseStatus.DECLINED)


class ResponseSource(models.TextChoices):
    """What the response answers."""

    THEME = "theme", _("A theme")
    POINT = "point", _("A point made in a breakout")
    PANEL_QUESTION = "panel_question", _("A question for the panel")
    RECOMMENDATION = "recommendation", _("A recommendation from a report")
    OTHER = "other", _("Something else said at the meeting")


class ResponseAction(models.TextChoices):
    """One line of a response's history."""

    CREATED = "created", _("Added")
    EDITED = "edited", _("Edited")
    ASSIGNED = "assigned", _("Put to an owner")
    OWNER_ASKED = "owner_asked", _("Owner emailed")
    OWNER_REPLIED = "owner_replied", _("Owner wrote a response")
    OWNER_DECLINED = "owner_declined", _("Owner proposed to decline")
    MORE_TIME_ASKED = "more_time_asked", _("Owner asked for more time")
    MORE_TIME_GRANTED = "more_time_granted", _("More time granted")
    MORE_TIME_REFUSED = "more_time_refused", _("More time refused")
    APPROVED = "approved", _("Approved by the team")
    RETURNED = "returned", _("Returned to the owner")
    STATUS = "status", _("Status changed")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")


class ReplyKind(models.TextChoices):
    """What an owner sent through their link."""

    RESPONSE = "response", _("A response")
    DECLINE = "decline", _("A reason to decline")
    MORE_TIME = "more_time", _("A request for more time")


class ReplyDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for the team")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class PointSource(models.TextChoices):
    """How a point reached the system: typed in the room, or keyed in later from paper."""

    FACILITATOR = "facilitator", _("Typed by the facilitator")
    PAPER = "paper", _("Keyed in from paper notes")
    FLIP_CHART = "flip_chart", _("Keyed in from a flip chart")
    CHAT = "chat", _("Imported from the online meeting's chat")
    POLL = "poll", _("Imported from the online meeting's poll")


class PointAction(models.TextChoices):
    CREATED = "created", _("Added")
    EDITED = "edited", _("Edited")
    DELETED = "deleted", _("Deleted")
    APPROVED = "approved", _("Approved for publication")
    WITHHELD = "withheld", _("Withheld from publication")
    RETURNED = "returned", _("Returned to review")
    REDACTED = "redacted", _("Personal data removed")
    FLAGS_DISMISSED = "flags_dismissed", _("Marked as not personal data")
    THEMED = "themed", _("Theme changed")
    MERGED = "merged", _("Merged into another point")
    MERGED_IN = "merged_in", _("Another point merged into this one")
    # A person's erasure removed their name from the point and its history (which name is not kept).
    ERASURE_REDACTED = "erasure_redacted", _("A name removed when a person's data was erased")


class ModerationState(models.TextChoices):
    """Where a point stands before publication. Withheld points stay in the record."""

    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    WITHHELD = "withheld", _("Withheld")


POINT_TEXT_MAX = 2000
THEME_NAME_MAX = 80
WITHHELD_REASON_MAX = 500


class SurveyQuestionKind(models.TextChoices):
    TEXT = "text", _("Free text")
    RATING = "rating", _("Rating from 1 to 5")
    CHOICE = "choice", _("Choose one")
    AREA = "area", _("Which area of London are you from")


SURVEY_ANSWER_TEXT_MAX = 2000
SURVEY_QUESTION_TEXT_MAX = 500
SURVEY_CHOICE_MAX = 200
