"""The next meeting's pre-reading: the staff page where the team assembles, edits and publishes
it, and its public page and downloads (accessible PDF, DOCX). Thin: parse, call one service or
selector, render."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from engage.permissions import permission_required
from events.forms_staff import apply_service_errors
from events.models import Meeting
from feedback.documents import DOCX_TYPE, document_docx, document_pdf
from feedback.forms_prereading import PreReadingForm, PreReadingPublishForm
from feedback.models import PreReading
from feedback.selectors import meeting_record_public_get
from feedback.selectors.prereading import prereading_public, prereading_publish_default
from feedback.services import prereading as prereading_services

_EDIT = ("events.view_meeting", "events.change_meeting")
_FILE_TYPES = {"pdf": ("application/pdf", document_pdf), "docx": (DOCX_TYPE, document_docx)}
_FILE_CACHE_SECONDS = 24 * 3600


@permission_required(*_EDIT)
def staff_prereading(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "assemble":
        prereading_services.prereading_assemble(meeting_id=pk, actor=request.user)
        messages.success(request, _("Pre-reading assembled from what changed since last time."))
        return redirect("feedback:staff_prereading", pk=pk)
    prereading = PreReading.objects.filter(meeting=meeting).first()
    initial = (
        {
            "title": prereading.title,
            "introduction": prereading.introduction,
            "outline": prereading.outline,
        }
        if prereading
        else {}
    )
    form = PreReadingForm(request.POST if action == "save" else None, initial=initial)
    publish = PreReadingPublishForm(request.POST if action == "publish" else None)
    if prereading is not None and action == "save" and form.is_valid():
        try:
            prereading_services.prereading_save(
                meeting_id=pk, **form.cleaned_data, actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Pre-reading saved."))
            return redirect("feedback:staff_prereading", pk=pk)
    if prereading is not None and action == "publish" and publish.is_valid():
        try:
            prereading_services.prereading_publish(
                meeting_id=pk, publish_at=publish.cleaned_data["publish_at"], actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(publish, error)
        else:
            messages.success(request, _("Pre-reading published."))
            return redirect("feedback:staff_prereading", pk=pk)
    invalid = form.errors or publish.errors
    return render(
        request,
        "feedback/staff/prereading.html",
        {
            "meeting": meeting,
            "prereading": prereading,
            "form": form,
            "publish": publish,
            "default_moment": prereading_publish_default(meeting=meeting),
        },
        status=400 if invalid else 200,
    )


def _public(slug: str):
    try:
        meeting = meeting_record_public_get(slug=slug)
    except Meeting.DoesNotExist:
        raise Http404 from None
    published = prereading_public(meeting=meeting)
    if published is None:
        raise Http404
    return meeting, *published


def prereading(request, slug: str):
    """The published pre-reading of a meeting, as a page with its downloads."""
    meeting, document, _prereading = _public(slug)
    return render(
        request,
        "feedback/public/prereading.html",
        {"meeting": meeting, "document": document},
    )


@require_GET
def prereading_file(request, slug: str, kind: str):
    if kind not in _FILE_TYPES:
        raise Http404
    meeting, document, published = _public(slug)
    content_type, build = _FILE_TYPES[kind]
    # Publishing again changes updated_at, so a stale file is never served.
    key = f"feedback:prereading:{published.pk}:{published.updated_at.timestamp()}:{kind}"
    data = cache.get_or_set(key, lambda: build(document), _FILE_CACHE_SECONDS)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{meeting.slug}-pre-reading.{kind}"'
    return response
