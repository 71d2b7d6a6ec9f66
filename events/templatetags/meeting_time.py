"""Time display for meeting pages."""

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def tzabbr(value) -> str:
    """GMT or BST for an aware datetime in the current time zone.

    Django's "T" date format prints nothing for a wall-clock time that happens twice (01:30 on the
    last Sunday of October), which is exactly when the abbreviation matters; the datetime's own
    fold, set by the conversion from UTC, tells the two apart.
    """
    if not value:
        return ""
    return timezone.localtime(value).tzname() or ""
