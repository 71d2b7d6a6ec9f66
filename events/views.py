from django.shortcuts import render

from engage.permissions import permission_required
from events import selectors


def home(request):
    return render(request, "events/home.html", {"meetings": selectors.meetings_upcoming(limit=5)})


@permission_required("events.checkin_meeting")
def facilitator_home(request):
    sessions = selectors.sessions_for_facilitator(user=request.user)
    return render(request, "events/facilitator_home.html", {"sessions": sessions})
