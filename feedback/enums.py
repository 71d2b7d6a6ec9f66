from django.db import models
from django.utils.translation import gettext_lazy as _


class ResponseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
