"""Breakout capture pages and their JSON endpoints, for facilitators on a phone and staff keying
in paper notes. Thin: parse, call one service, answer.

The capture page works with its script (static/feedback/js/capture.js): points are queued in the
browser and posted as JSON with the CSRF token header. A facilitator of another session gets 403,
a closed capture 409 with code "closed", another author's key 409 with code "key_conflict".
"""

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from engage.permissions import permission_required
from events.models import Meeting, Session
from feedback import selectors, services
from feedback.enums import POINT_TEXT_MAX, PointSource
from feedback.models import Point

_CAPTURE = ("events.checkin_meeting",)
_STAFF = ("events.view_meeting", "events.change_meeting")


def _session_for(request, pk: int) -> Session:
    session = get_object_or_404(Session.objects.select_related("meeting"), pk=pk)
    if not services.user_can_capture(user=request.user, session=session):
        raise PermissionDenied
    return session


def _error(message: str, *, status: int, code: str, field: str = "") -> JsonResponse:
    return JsonResponse({"error": message, "code": code, "field": field}, status=status)


def _validation_error(error: ValidationError) -> JsonResponse:
    if hasattr(error, "error_dict"):
        field = next(iter(error.error_dict), "")
        codes = [e.code for errors in error.error_dict.values() for e in errors]
    else:
        field, codes = "", [e.code for e in error.error_list]
    if "closed" in codes:
        return _error(" ".join(error.messages), status=409, code="closed")
    return _error(" ".join(error.messages), status=400, code="invalid", field=field)


def _body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationError(_("The request could not be read."), code="invalid")
    return data


@permission_required(*_CAPTURE)
@require_GET
def capture(request, pk: int):
    session = _session_for(request, pk)
    questions = selectors.session_capture_questions(session=session)
    return render(
        request,
        "feedback/facilitate/capture.html",
        {
            "session": session,
            "meeting": session.meeting,
            "questions": questions,
            "themes": list(selectors.meeting_themes(meeting=session.meeting)),
            "closed": services.capture_is_closed(session_id=session.pk),
            "is_staff": request.user.has_perm("events.change_meeting"),
            "sources": PointSource.choices,
            "text_max": POINT_TEXT_MAX,
            "me": request.user.pk,
        },
    )


@permission_required(*_CAPTURE)
@require_GET
def session_points(request, pk: int):
    """The session's live points, for the running list after a reload."""
    session = _session_for(request, pk)
    return JsonResponse(
        {
            "closed": services.capture_is_closed(session_id=session.pk),
            "points": [
                selectors.point_as_dict(p) for p in selectors.session_points(session_id=session.pk)
            ],
        }
    )


@permission_required(*_CAPTURE)
@require_POST
def point_add(request, pk: int):
    # The service checks that the user facilitates the question's session (403) and that the
    # question is this session's: one lookup, not the page's and the service's.
    try:
        data = _body(request)
        key = uuid.UUID(str(data.get("key", "")))
    except ValueError:
        return _error(_("The point has no valid key."), status=400, code="invalid", field="key")
    except ValidationError as error:
        return _validation_error(error)
    try:
        question_id = int(data.get("question") or 0)
    except (ValueError, TypeError):
        question_id = 0
    try:
        point, created = services.point_capture(
            key=key,
            question_id=question_id,
            session_id=pk,
            author=request.user,
            text=str(data.get("text", "")),
            verbatim=bool(data.get("verbatim")),
            weight=data.get("weight", 1),
            theme=str(data.get("theme", "")),
            source=str(data.get("source") or PointSource.FACILITATOR),
        )
    except services.KeyConflict:
        return _error(
            _("This point's key belongs to another point. Nothing was saved."),
            status=409,
            code="key_conflict",
        )
    except ValidationError as error:
        return _validation_error(error)
    return JsonResponse(selectors.point_as_dict(point), status=201 if created else 200)


def _point_change(request, key: uuid.UUID, change):
    try:
        point = change()
    except Point.DoesNotExist:
        return _error(_("This point is not on the server."), status=404, code="not_found")
    except ValidationError as error:
        return _validation_error(error)
    return JsonResponse(selectors.point_as_dict(point))


@permission_required(*_CAPTURE)
@require_POST
def point_edit(request, key: uuid.UUID):
    try:
        data = _body(request)
    except ValidationError as error:
        return _validation_error(error)
    return _point_change(
        request,
        key,
        lambda: services.point_update(
            key=key,
            author=request.user,
            text=str(data.get("text", "")),
            verbatim=bool(data.get("verbatim")),
            weight=data.get("weight", 1),
            theme=str(data.get("theme", "")),
        ),
    )


@permission_required(*_CAPTURE)
@require_POST
def point_delete(request, key: uuid.UUID):
    return _point_change(request, key, lambda: services.point_delete(key=key, author=request.user))


@permission_required(*_STAFF)
@require_POST
def capture_state(request, pk: int):
    """Staff close or reopen a session's capture."""
    session = get_object_or_404(Session, pk=pk)
    if request.POST.get("action") == "reopen":
        services.session_capture_reopen(session_id=session.pk, actor=request.user)
    else:
        services.session_capture_close(session_id=session.pk, actor=request.user)
    return redirect("feedback:capture", pk=session.pk)


@require_GET
def service_worker(request):
    """The capture service worker, served under /facilitate/ so that its scope covers the
    capture pages (a script under /static/ could only control /static/)."""
    path = finders.find("feedback/js/capture-sw.js")
    if not path:
        raise Http404
    response = HttpResponse(Path(path).read_bytes(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/facilitate/"
    response["Cache-Control"] = "no-cache"
    return response


@permission_required(*_CAPTURE)
@require_GET
def report_back(request, pk: int):
    """Every breakout's points for one question side by side, for the plenary screen. The page's
    script fetches `?fragment=1` every few seconds and swaps the columns in."""
    meeting = get_object_or_404(Meeting, pk=pk)
    allowed = (
        request.user.has_perm("events.change_meeting")
        or Session.objects.filter(meeting=meeting, facilitators=request.user).exists()
    )
    if not allowed:
        raise PermissionDenied
    texts = selectors.report_back_questions(meeting=meeting)
    try:
        index = int(request.GET.get("q", "0"))
    except ValueError:
        index = 0
    index = index if 0 <= index < len(texts) else 0
    context = {
        "meeting": meeting,
        "questions": texts,
        "index": index,
        "question": texts[index] if texts else "",
        "columns": selectors.report_back(meeting=meeting, question_text=texts[index])
        if texts
        else [],
        "refresh_seconds": getattr(settings, "FEEDBACK_REPORT_BACK_REFRESH_SECONDS", 4),
    }
    if request.GET.get("fragment"):
        return render(request, "feedback/facilitate/_report_back_columns.html", context)
    return render(request, "feedback/facilitate/report_back.html", context)
