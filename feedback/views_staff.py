"""Staff pages for a meeting's record: the summary report (draft from the points, edit, preview,
publish) and the responses ("you said, we did").
Thin: parse, call one service, render. Guarded by the meeting permissions the engagement team holds."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from engage.permissions import permission_required
from events.forms_staff import apply_service_errors
from events.models import Meeting
from feedback import selectors, services
from feedback.documents import DOCX_TYPE, document_docx, document_pdf
from feedback.forms import MeetingReportForm, PublicationForm, ResponseForm
from feedback.models import MeetingReport
from feedback.models import Response as MeetingResponse

_EDIT = ("events.view_meeting", "events.change_meeting")


def _flash_error(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _publication(request, *, publish, unpublish, what: str) -> None:
    """Apply a PublicationForm post with the given service calls, and say what happened."""
    form = PublicationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return
    action = form.cleaned_data["action"]
    try:
        if action == PublicationForm.UNPUBLISH:
            unpublish()
            messages.success(request, _("%(what)s taken off the public page.") % {"what": what})
            return
        at = form.cleaned_data["publish_at"] if action == PublicationForm.SCHEDULE else None
        publish(at)
    except ValidationError as error:
        _flash_error(request, error)
        return
    if at is None:
        messages.success(
            request,
            _("%(what)s published. The people who held a place will be emailed shortly.")
            % {"what": what},
        )
    else:
        messages.success(request, _("%(what)s scheduled.") % {"what": what})


# --- Summary report ----------------------------------------------------------------------------


@permission_required(*_EDIT)
def report(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    existing = MeetingReport.objects.filter(meeting=meeting).first()
    initial = (
        {"title": existing.title, "body": existing.body, "draft": existing.draft}
        if existing
        else {}
    )
    form = MeetingReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if existing is None:
                report = services.meeting_report_create(
                    meeting_id=pk, title=data["title"], body=data["body"], actor=request.user
                )
                if data["draft"]:
                    services.meeting_report_update(
                        report_id=report.pk,
                        title=data["title"],
                        body=data["body"],
                        draft=data["draft"],
                        actor=request.user,
                    )
            else:
                services.meeting_report_update(
                    report_id=existing.pk,
                    title=data["title"],
                    body=data["body"],
                    draft=data["draft"],
                    actor=request.user,
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Summary report saved."))
            return redirect("feedback:staff_report", pk=pk)
    return render(
        request,
        "feedback/staff/report.html",
        {
            "meeting": meeting,
            "report": existing,
            "form": form,
            "publication": PublicationForm(),
            "now": timezone.now(),
            "versions": list(selectors.meeting_report_versions(report_id=existing.pk))
            if existing
            else [],
        },
    )


@permission_required(*_EDIT)
@require_POST
def report_generate(request, pk: int):
    """Write the draft from the points, replacing the draft there was."""
    get_object_or_404(Meeting, pk=pk)
    services.meeting_report_draft_generate(meeting_id=pk, actor=request.user)
    messages.success(
        request, _("Draft written from the points. Edit it below, then save and publish.")
    )
    return redirect("feedback:staff_report", pk=pk)


@permission_required(*_EDIT)
def report_preview(request, pk: int, kind: str):
    """The report as it stands (saved, not yet published) as PDF or DOCX, to check before
    publishing."""
    builders = {"pdf": ("application/pdf", document_pdf), "docx": (DOCX_TYPE, document_docx)}
    if kind not in builders:
        raise Http404
    existing = get_object_or_404(MeetingReport.objects.select_related("meeting"), meeting_id=pk)
    content_type, build = builders[kind]
    response = HttpResponse(
        build(selectors.meeting_report_as_document(report=existing)), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="draft-report-{pk}.{kind}"'
    return response


@permission_required(*_EDIT)
@require_POST
def report_publication(request, pk: int):
    existing = get_object_or_404(MeetingReport, meeting_id=pk)
    _publication(
        request,
        publish=lambda at: services.meeting_report_publish(
            report_id=existing.pk, actor=request.user, at=at
        ),
        unpublish=lambda: services.meeting_report_unpublish(
            report_id=existing.pk, actor=request.user
        ),
        what=_("The summary report"),
    )
    return redirect("feedback:staff_report", pk=pk)


# --- Responses ---------------------------------------------------------------------------------


@permission_required(*_EDIT)
def responses(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    form = ResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.response_create(
                meeting_id=pk,
                you_said=data["you_said"],
                we_did=data["we_did"],
                status=data["status"],
                order=data["order"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Response added. It is not published yet."))
            return redirect("feedback:staff_responses", pk=pk)
    items = list(MeetingResponse.objects.filter(meeting=meeting).order_by("order", "id"))
    return render(
        request,
        "feedback/staff/responses.html",
        {
            "meeting": meeting,
            "responses": items,
            "drafts": sum(1 for item in items if item.publish_at is None),
            "form": form,
            "publication": PublicationForm(),
            "now": timezone.now(),
        },
    )


@permission_required(*_EDIT)
@require_POST
def responses_publication(request, pk: int):
    get_object_or_404(Meeting, pk=pk)
    form = PublicationForm(request.POST)
    if form.is_valid() and form.cleaned_data["action"] != PublicationForm.UNPUBLISH:
        schedule = form.cleaned_data["action"] == PublicationForm.SCHEDULE
        try:
            count = services.responses_publish(
                meeting_id=pk,
                actor=request.user,
                at=form.cleaned_data["publish_at"] if schedule else None,
            )
        except ValidationError as error:
            _flash_error(request, error)
        else:
            if schedule:
                text = ngettext(
                    "%(count)d response scheduled.", "%(count)d responses scheduled.", count
                )
            else:
                text = ngettext(
                    "%(count)d response published. The people who held a place will be emailed "
                    "shortly.",
                    "%(count)d responses published. The people who held a place will be emailed "
                    "shortly.",
                    count,
                )
            messages.success(request, text % {"count": count})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("feedback:staff_responses", pk=pk)


@permission_required(*_EDIT)
def response_edit(request, pk: int):
    item = get_object_or_404(MeetingResponse.objects.select_related("meeting"), pk=pk)
    form = ResponseForm(
        request.POST or None,
        initial={
            "you_said": item.you_said,
            "we_did": item.we_did,
            "status": item.status,
            "order": item.order,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.response_update(
                response_id=pk,
                you_said=data["you_said"],
                we_did=data["we_did"],
                status=data["status"],
                order=data["order"] if data["order"] is not None else item.order,
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Response saved."))
            return redirect("feedback:staff_responses", pk=item.meeting_id)
    return render(
        request,
        "feedback/staff/response_form.html",
        {
            "meeting": item.meeting,
            "response": item,
            "form": form,
            "publication": PublicationForm(),
            "now": timezone.now(),
        },
    )


@permission_required(*_EDIT)
@require_POST
def response_publication(request, pk: int):
    item = get_object_or_404(MeetingResponse, pk=pk)
    _publication(
        request,
        publish=lambda at: services.response_publish(response_id=pk, actor=request.user, at=at),
        unpublish=lambda: services.response_unpublish(response_id=pk, actor=request.user),
        what=_("The response"),
    )
    return redirect("feedback:staff_responses", pk=item.meeting_id)


@permission_required(*_EDIT)
@require_POST
def response_delete(request, pk: int):
    item = get_object_or_404(MeetingResponse, pk=pk)
    try:
        services.response_delete(response_id=pk, actor=request.user)
    except ValidationError as error:
        _flash_error(request, error)
    else:
        messages.success(request, _("Response deleted."))
    return redirect("feedback:staff_responses", pk=item.meeting_id)
