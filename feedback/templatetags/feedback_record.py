"""`{% meeting_record_link meeting %}`: the public meeting page's section about the meeting's
record. A template tag keeps events' Python free of feedback (feedback -> events, never back)."""

from django import template

from feedback.selectors import meeting_record_summary

register = template.Library()


@register.inclusion_tag("feedback/public/_record_link.html")
def meeting_record_link(meeting) -> dict:
    return {"meeting": meeting, **meeting_record_summary(meeting_id=meeting.pk)}
