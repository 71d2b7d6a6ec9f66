"""Pages for facilitators and staff at the meeting: their sessions, and the check-in list on a phone.

The check-in page works as plain form posts; a little script (static/js/checkin.js) sends the same
posts in the background to spare a reload on a slow phone connection.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engage.enums import AuditAction
from engage.permissions import permission_required
from engage.services import audit_log
from events import selectors, services
from events.forms_staff import WalkInForm
from events.models import Meeting, Registration


@permission_required("events.checkin_meeting")
def facilitator_home(request):
    return render(
        request,
        "events/facilitate/home.html",
        {
            "sessions": selectors.sessions_for_facilitator(user=request.user),
            "meetings": selectors.meetings_for_checkin(user=request.user),
        },
    )


def _meeting_for_checkin(request, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting, pk=pk)
    if not selectors.user_can_check_in(user=request.user, meeting=meeting):
        raise PermissionDenied
    return meeting


@permission_required("events.checkin_meeting")
def checkin(request, pk: int):
    meeting = _meeting_for_checkin(request, pk)
    if request.method == "POST":
        return _checkin_post(request, meeting)
    q = request.GET.get("q", "").strip()[:100]
    rows = list(selectors.checkin_list(meeting=meeting, q=q)[:300])
    counts = selectors.meetings_for_staff().filter(pk=meeting.pk).first()
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=meeting,
        detail={"kind": "check-in list", "rows": len(rows)},
    )
    return render(
        request,
        "events/facilitate/checkin.html",
        {
            "meeting": meeting,
            "registrations": rows,
            "q": q,
            "confirmed": counts.confirmed_count if counts else 0,
            "attended": counts.attended_count if counts else 0,
        },
    )


def _checkin_post(request, meeting: Meeting):
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    registration = get_object_or_404(
        Registration, pk=request.POST.get("registration") or 0, meeting=meeting
    )
    attended = request.POST.get("action") != "undo"
    try:
        registration = services.registration_mark_attended(
            registration_id=registration.pk, attended=attended, actor=request.user
        )
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        for message in error.messages:
            messages.error(request, message)
    else:
        if wants_json:
            return JsonResponse(
                {
                    "attended": registration.attended_at is not None,
                    "time": time_format(timezone.localtime(registration.attended_at), "H:i")
                    if registration.attended_at
                    else "",
                }
            )
        name = registration.stakeholder.full_name or _("This person")
        if attended:
            messages.success(request, _("%(name)s is checked in.") % {"name": name})
        else:
            messages.success(request, _("%(name)s is no longer checked in.") % {"name": name})
    url = reverse("events:checkin", args=[meeting.pk])
    q = request.POST.get("q", "").strip()
    if q:
        url += "?" + urlencode({"q": q})
    return redirect(url + f"#r{registration.pk}")


@permission_required("events.checkin_meeting")
@require_http_methods(["GET", "POST"])
def walk_in(request, pk: int):
    """Add someone who arrived without a place, and check them in at once."""
    meeting = _meeting_for_checkin(request, pk)
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.registration_walk_in(
                meeting_id=meeting.pk,
                walk_in=services.WalkIn(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    area_id=data["area"].pk if data["area"] else None,
                    purpose_ids=tuple(p.pk for p in data["purposes"]),
                ),
                actor=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            name = f"{data['first_name']} {data['last_name']}".strip()
            if outcome.had_place:
                text = _("%(name)s already had a place and is checked in.")
            else:
                text = _("%(name)s is added as a walk-in and checked in.")
            messages.success(request, text % {"name": name})
            url = reverse("events:checkin", args=[meeting.pk])
            return redirect(url + f"#r{outcome.registration.pk}")
    return render(request, "events/facilitate/walk_in.html", {"meeting": meeting, "form": form})
