"""`{% meeting_sections meeting "public" %}`: renders the sections other apps registered for a
meeting page (events.sections)."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from events.sections import meeting_sections as sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def meeting_sections(context, meeting, page: str):
    request = context.get("request")
    html = "".join(
        render_to_string(section.template, section.context, request=request)
        for section in sections_for(page=page, meeting=meeting, request=request)
    )
    # Each part is a template rendered with autoescaping; joining them keeps it.
    return mark_safe(html)  # noqa: S308
