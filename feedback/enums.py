from django.db import models
from django.utils.translation import gettext_lazy as _


class ResponseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


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


POINT_TEXT_MAX = 2000
THEME_NAME_MAX = 80


class SurveyQuestionKind(models.TextChoices):
    TEXT = "text", _("Free text")
    RATING = "rating", _("Rating from 1 to 5")
    CHOICE = "choice", _("Choose one")
    AREA = "area", _("Which area of London are you from")


SURVEY_ANSWER_TEXT_MAX = 2000
SURVEY_QUESTION_TEXT_MAX = 500
SURVEY_CHOICE_MAX = 200
