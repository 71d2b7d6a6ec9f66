"""The offer made after a meeting's start moves: shift its whole agenda by the same amount."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from engage.permissions import permission_required
from events import selectors, services
from events.forms_staff import AgendaShiftForm
from events.models import Meeting


def _minutes(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@permission_required("events.change_meeting")
@require_http_methods(["GET", "POST"])
def agenda_shift(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    if request.method == "POST" and request.POST.get("action") == "keep":
        messages.info(request, _("The sessions keep their times."))
        return redirect("events:staff_meeting_detail", pk=pk)
    form = AgendaShiftForm(
        request.POST or None, initial={"minutes": _minutes(request.GET.get("minutes"))}
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.meeting_agenda_shift(
                meeting_id=pk, minutes=form.cleaned_data["minutes"], actor=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s session moved; the people it concerns are told.",
                    "%(count)s sessions moved; the people they concern are told.",
                    len(moved),
                )
                % {"count": len(moved)},
            )
            return redirect("events:staff_meeting_detail", pk=pk)
    minutes = form["minutes"].value()
    return render(
        request,
        "events/staff/agenda_shift.html",
        {
            "meeting": meeting,
            "form": form,
            "minutes": _minutes(minutes),
            "later": _minutes(minutes) >= 0,
            "distance": abs(_minutes(minutes)),
            "outside": selectors.sessions_outside_meeting(meeting=meeting),
            "sessions": meeting.sessions.order_by("start", "order", "id"),
        },
    )
