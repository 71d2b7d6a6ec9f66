"""Responses owed: the staff pages (owners, the list of what is owed, one item with its history
and the owner's replies), the owner's signed-link page, and the public "you said, we did" pages.
Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.links import LinkExpired, LinkInvalid
from engage.permissions import permission_required
from events.forms_staff import apply_service_errors
from events.models import Meeting, PanelQuestion, Series
from feedback import selectors, services
from feedback.enums import ReplyDecision, ResponseStatus
from feedback.forms_plan import ImportForm
from feedback.forms_responses import (
    ApproveForm,
    AssignForm,
    OwnerForm,
    OwnerReplyForm,
    RaiseForm,
    ReturnForm,
    StatusForm,
)
from feedback.models import Owner, OwnerReply, Response, Theme
from feedback.services import recommendations as recommendations_service

_EDIT = ("events.view_meeting", "events.change_meeting")


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Owners --------------------------------------------------------------------------------


@permission_required(*_EDIT)
def owners(request):
    form = OwnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.owner_create(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Owner added."))
            return redirect("feedback:staff_owners")
    return render(
        request,
        "feedback/staff/owners.html",
        {"owners": list(selectors.owners_all()), "form": form},
    )


@permission_required(*_EDIT)
def owner_edit(request, pk: int):
    owner = get_object_or_404(Owner, pk=pk)
    initial = {
        "name": owner.name,
        "contact_name": owner.contact_name,
        "contact_email": owner.contact_email,
    }
    form = OwnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.owner_update(owner_id=pk, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Owner saved."))
            return redirect("feedback:staff_owners")
    return render(request, "feedback/staff/owner_form.html", {"owner": owner, "form": form})


# --- What is owed --------------------------------------------------------------------------


@permission_required(*_EDIT)
def owed(request):
    status = request.GET.get("status", "")
    if status not in ResponseStatus.values:
        status = ""
    return render(
        request,
        "feedback/staff/owed.html",
        {
            "items": list(selectors.responses_owed_staff(status=status)),
            "replies": list(selectors.replies_pending()),
            "statuses": ResponseStatus.choices,
            "status": status,
        },
    )


@permission_required(*_EDIT)
def raise_item(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    themes = Theme.objects.filter(series_id=meeting.series_id) if meeting.series_id else []
    questions = PanelQuestion.objects.filter(meeting=meeting).order_by("pk")
    form = RaiseForm(request.POST or None, themes=themes, questions=questions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.response_raise(
                meeting_id=pk,
                you_said=data["you_said"],
                source=data["source"],
                theme_id=data["theme"],
                panel_question_id=data["panel_question"],
                reference=data["reference"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Added. Put it to an owner for a written response."))
            return redirect("feedback:staff_owed_item", pk=item.pk)
    return render(
        request,
        "feedback/staff/raise.html",
        {"meeting": meeting, "form": form, "import_form": ImportForm()},
    )


@permission_required(*_EDIT)
@require_POST
def recommendations_import(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        report = recommendations_service.recommendations_import(
            meeting_id=pk,
            data=upload.read(),
            file_name=upload.name,
            dry_run=request.POST.get("action") != "import",
            actor=request.user,
        )
        if report.ok and not report.dry_run:
            messages.success(
                request, _("%(n)s recommendations added, unpublished.") % {"n": report.created}
            )
            return redirect("feedback:staff_responses", pk=pk)
    themes = Theme.objects.filter(series_id=meeting.series_id) if meeting.series_id else []
    questions = PanelQuestion.objects.filter(meeting=meeting).order_by("pk")
    return render(
        request,
        "feedback/staff/raise.html",
        {
            "meeting": meeting,
            "form": RaiseForm(themes=themes, questions=questions),
            "import_form": form,
            "report": report,
        },
        status=200 if report and report.ok else 400,
    )


def _item_context(item: Response, **forms) -> dict:
    owners = list(selectors.owners_all())
    pending = next((r for r in item.replies.all() if r.decision == ReplyDecision.PENDING), None)
    context = {
        "item": item,
        "meeting": item.meeting,
        "pending": pending,
        "assign_form": AssignForm(
            owners=owners, initial={"owner": item.owner_id, "due_on": item.due_on}
        ),
        "status_form": StatusForm(initial={"status": item.status}),
        "approve_form": ApproveForm(initial={"text": pending.text if pending else ""}),
        "return_form": ReturnForm(),
        "due_default": selectors.response_due_default(meeting=item.meeting),
    }
    context.update(forms)
    return context


def _item_get(pk: int) -> Response:
    try:
        return selectors.response_staff_get(pk=pk)
    except Response.DoesNotExist:
        raise Http404 from None


@permission_required(*_EDIT)
def owed_item(request, pk: int):
    return render(request, "feedback/staff/owed_item.html", _item_context(_item_get(pk)))


@permission_required(*_EDIT)
@require_POST
def owed_assign(request, pk: int):
    item = _item_get(pk)
    form = AssignForm(request.POST, owners=list(selectors.owners_all()))
    if form.is_valid():
        try:
            services.response_assign(
                response_id=pk,
                owner_id=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Put to the owner. They have been emailed a link."))
            return redirect("feedback:staff_owed_item", pk=pk)
    return render(
        request, "feedback/staff/owed_item.html", _item_context(item, assign_form=form), status=400
    )


@permission_required(*_EDIT)
@require_POST
def owed_status(request, pk: int):
    item = _item_get(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.response_status_set(
                response_id=pk,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Status saved."))
            return redirect("feedback:staff_owed_item", pk=pk)
    return render(
        request, "feedback/staff/owed_item.html", _item_context(item, status_form=form), status=400
    )


@permission_required(*_EDIT)
@require_POST
def reply_approve(request, pk: int):
    reply = get_object_or_404(OwnerReply, pk=pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["text"] or None
        try:
            services.owner_reply_approve(reply_id=pk, text=text, actor=request.user)
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Approved."))
    return redirect("feedback:staff_owed_item", pk=reply.response_id)


@permission_required(*_EDIT)
@require_POST
def reply_return(request, pk: int):
    reply = get_object_or_404(OwnerReply, pk=pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.owner_reply_return(
                reply_id=pk, note=form.cleaned_data["note"], actor=request.user
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Returned to the owner with your note."))
            return redirect("feedback:staff_owed_item", pk=reply.response_id)
    item = _item_get(reply.response_id)
    return render(
        request, "feedback/staff/owed_item.html", _item_context(item, return_form=form), status=400
    )


# --- The owner's page (no account: the signed link is the proof) ---------------------------


def owner_response(request, pk: int, token: str):
    item = Response.objects.select_related("owner", "meeting").filter(pk=pk).first()
    if item is None:
        return render(request, "feedback/owner/link_invalid.html", status=404)
    try:
        services.owner_link_check(response=item, token=token)
    except LinkExpired:
        return render(request, "feedback/owner/link_expired.html", status=410)
    except LinkInvalid:
        return render(request, "feedback/owner/link_invalid.html", status=404)
    form = OwnerReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.owner_reply_submit(
                response_id=pk,
                token=token,
                kind=data["kind"],
                text=data["text"],
                proposed_due=data["proposed_due"],
            )
        except (LinkInvalid, LinkExpired):
            return render(request, "feedback/owner/link_invalid.html", status=404)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return render(request, "feedback/owner/sent.html", {"item": item})
    pending = item.replies.filter(decision=ReplyDecision.PENDING).order_by("-pk").first()
    return render(
        request,
        "feedback/owner/respond.html",
        {"item": item, "form": form, "pending": pending},
        status=400 if form.errors else 200,
    )


# --- Public "you said, we did" -------------------------------------------------------------


def _theme_id(request) -> int | None:
    try:
        return int(request.GET.get("theme", "")) or None
    except ValueError:
        return None


def meeting_you_said(request, slug: str):
    try:
        meeting = selectors.meeting_record_public_get(slug=slug)
    except Meeting.DoesNotExist:
        raise Http404 from None
    page = selectors.you_said_we_did_meeting(meeting=meeting, theme_id=_theme_id(request))
    return render(request, "feedback/public/you_said_meeting.html", {"meeting": meeting, **page})


def series_you_said(request, slug: str):
    series = get_object_or_404(Series, slug=slug)
    theme_id = _theme_id(request)
    page = selectors.you_said_we_did_series(
        series=series, theme_id=theme_id, page=request.GET.get("page")
    )
    # The page links keep the theme chosen.
    query = f"theme={theme_id}&" if theme_id else ""
    return render(
        request,
        "feedback/public/you_said_series.html",
        {"series": series, "query": query, **page},
    )
