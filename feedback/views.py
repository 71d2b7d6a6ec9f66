"""Public pages of the feedback app: a meeting's record (summary report and responses)."""

from django.http import Http404
from django.shortcuts import render

from events.models import Meeting
from feedback import selectors


def meeting_record(request, slug):
    """The published summary report and responses of a meeting the public may see."""
    try:
        meeting = selectors.meeting_record_public_get(slug=slug)
    except Meeting.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "feedback/public/meeting_record.html",
        {
            "meeting": meeting,
            "report": selectors.meeting_report_published(meeting_id=meeting.pk),
            "responses": list(selectors.responses_published(meeting_id=meeting.pk)),
        },
    )
