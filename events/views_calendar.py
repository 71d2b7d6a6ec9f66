"""Calendar files: the public feed of published meetings and each registrant's own copy."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from events import ical
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration
from events.notices import meeting_url


def _ics_response(text: str, *, filename: str, max_age: int) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = f"max-age={max_age}"
    return response


@require_GET
def calendar_feed(request):
    """Every published meeting, for subscribing in a calendar app (no join links, no people)."""
    meetings = Meeting.objects.filter(status=MeetingStatus.PUBLISHED).order_by("start", "pk")
    urls = {m.pk: meeting_url(m) for m in meetings}
    return _ics_response(
        ical.feed_calendar(meetings=meetings, urls=urls), filename="meetings.ics", max_age=900
    )


@require_GET
def registration_calendar(request, token):
    """One registrant's copy of their meeting, with the join link; the token is the key."""
    registration = (
        Registration.objects.select_related("meeting", "stakeholder")
        .filter(
            token=token,
            status=RegistrationStatus.CONFIRMED,
            meeting__status=MeetingStatus.PUBLISHED,
        )
        .first()
    )
    if registration is None:
        raise Http404("No confirmed place for this link")
    meeting = registration.meeting
    text = ical.personal_calendar(meeting=meeting, url=meeting_url(meeting))
    response = _ics_response(text, filename=f"{meeting.slug}.ics", max_age=0)
    response["Cache-Control"] = "private, no-store"
    return response
