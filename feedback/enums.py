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


class PointAction(models.TextChoices):
    CREATED = "created", _("Added")
    EDITED = "edited", _("Edited")
    DELETED = "deleted", _("Deleted")


POINT_TEXT_MAX = 2000
THEME_NAME_MAX = 80
