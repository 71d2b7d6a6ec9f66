"""Saved segments: named stakeholder filters."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from engage.models import Segment


def segment_create(*, name: str, filters: dict, actor):
    """Save a named stakeholder filter. Raises ValidationError if the name is taken."""
    name = name.strip()
    if Segment.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a segment with this name.")})
    return Segment.objects.create(name=name, filters=filters, created_by=actor)


def segment_update(*, segment, name: str, filters: dict | None = None) -> None:
    """Rename a segment (and replace its filters when given). Raises ValidationError on a clash."""
    name = name.strip()
    if Segment.objects.filter(name__iexact=name).exclude(pk=segment.pk).exists():
        raise ValidationError({"name": _("There is already a segment with this name.")})
    segment.name = name
    if filters is not None:
        segment.filters = filters
    segment.save()


def segment_delete(*, segment) -> None:
    """Delete a saved filter; the people in it are untouched."""
    segment.delete()
