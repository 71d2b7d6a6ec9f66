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
    APPROVED = "approved", _("Approved for publication")
    WITHHELD = "withheld", _("Withheld from publication")
    RETURNED = "returned", _("Returned to review")
    REDACTED = "redacted", _("Personal data removed")
    FLAGS_DISMISSED = "flags_dismissed", _("Marked as not personal data")
    THEMED = "themed", _("Theme changed")
    MERGED = "merged", _("Merged into another point")
    MERGED_IN = "merged_in", _("Another point merged into this one")


class ModerationState(models.TextChoices):
    """Where a point stands before publication. Withheld points stay in the record."""

    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    WITHHELD = "withheld", _("Withheld")


POINT_TEXT_MAX = 2000
THEME_NAME_MAX = 80
WITHHELD_REASON_MAX = 500
