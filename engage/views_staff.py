"""The engagement team's stakeholder pages: list, detail, edit, consent by phone or paper,
segments, export and import. Thin: parse input, call one service or selector, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from engage import importers
from engage.enums import AuditAction, ConsentMethod, ImportJobState, ImportJobStep
from engage.exports import segment_export_csv
from engage.forms import (
    ImportMappingForm,
    ImportUploadForm,
    SegmentForm,
    StaffConsentForm,
    StakeholderFilterForm,
    StakeholderForm,
    filters_querydict,
)
from engage.importers.jobs import (
    import_job_commit,
    import_job_create,
    import_job_dry_run,
    import_job_report,
)
from engage.models import ConsentPurpose, ImportJob, Segment, Stakeholder
from engage.permissions import permission_required
from engage.selectors import (
    segment_members,
    stakeholder_consent_history,
    stakeholder_consents,
    stakeholder_detail,
    stakeholder_filter_choices,
    stakeholder_page,
    stakeholder_timeline,
    stakeholders_count_recent,
)
from engage.services import (
    audit_log,
    consent_give,
    consent_withdraw,
    segment_create,
    segment_delete,
    segment_update,
    stakeholder_create,
    stakeholder_memberships_set,
    stakeholder_tags_set,
    stakeholder_update,
)

PAGE_SIZES = (25, 50, 100, 200)


def _filter_form(data):
    return StakeholderFilterForm(data, choices=stakeholder_filter_choices())


# --- List and detail -----------------------------------------------------------------------------


@permission_required("engage.view_stakeholder")
def stakeholder_list(request):
    form = _filter_form(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    try:
        size = int(request.GET.get("size", 25))
    except ValueError:
        size = 25
    size = size if size in PAGE_SIZES else 25
    page = stakeholder_page(
        filters,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        last=request.GET.get("last") == "1",
        start=request.GET.get("start", "").strip()[:50],
        size=size,
        count=bool(filters),
        purpose_ids=form.purpose_ids,
    )
    start = request.GET.get("start", "").strip()
    if filters or start:
        # A search says who was looked for; the audit row keeps which filters and whom they
        # showed (ids), not the search text, so the log itself holds no names or addresses.
        audit_log(
            actor=request.user,
            action=AuditAction.VIEW,
            detail={
                "page": "stakeholder_search",
                "filters": sorted(filters) + (["start"] if start else []),
                "rows": len(page.rows),
                "stakeholder_ids": [row.pk for row in page.rows],
            },
        )
    # Everyone: a count up to a minute old (the template says so); a filtered list: exact.
    total = page.total if filters else stakeholders_count_recent()
    query = filters_querydict(filters)
    if size != 25:
        query["size"] = str(size)
    return render(
        request,
        "engage/staff/stakeholder_list.html",
        {
            "form": form,
            "page": page,
            "list_total": total,
            "filters": filters,
            "query": query.urlencode(),
            "query_pairs": [(key, value) for key, values in query.lists() for value in values],
            "size": size,
            "page_sizes": PAGE_SIZES,
        },
    )


@permission_required("engage.view_stakeholder")
def stakeholder_view(request, pk: int):
    try:
        stakeholder = stakeholder_detail(pk=pk)
    except Stakeholder.DoesNotExist:
        raise Http404 from None
    audit_log(actor=request.user, action=AuditAction.VIEW, obj=stakeholder)
    return render(
        request,
        "engage/staff/stakeholder_detail.html",
        {
            "stakeholder": stakeholder,
            "consents": stakeholder_consents(stakeholder),
            "history": stakeholder_consent_history(stakeholder),
            "timeline": stakeholder_timeline(stakeholder),
        },
    )


# --- Create and edit ----------------------------------------------------------------------------


def _save_relations(stakeholder, form, actor) -> None:
    stakeholder_memberships_set(
        stakeholder=stakeholder, memberships=form.cleaned_data["organisations"], actor=actor
    )
    stakeholder_tags_set(stakeholder=stakeholder, names=form.cleaned_data["tags"], actor=actor)


def _apply_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@permission_required("engage.add_stakeholder")
@require_http_methods(["GET", "POST"])
def stakeholder_add(request):
    form = StakeholderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                stakeholder = stakeholder_create(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    phone=data["phone"],
                    area=data["area"],
                    preferred_language=data["preferred_language"],
                    source=data["source"],
                    notes=data["notes"],
                    actor=request.user,
                )
                _save_relations(stakeholder, form, request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Added to the stakeholder list."))
            return redirect("engage:staff_stakeholder", pk=stakeholder.pk)
    return render(
        request, "engage/staff/stakeholder_form.html", {"form": form, "stakeholder": None}
    )


@permission_required("engage.change_stakeholder")
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request, pk: int):
    try:
        stakeholder = stakeholder_detail(pk=pk)
    except Stakeholder.DoesNotExist:
        raise Http404 from None
    form = StakeholderForm(request.POST or None, initial=StakeholderForm.initial_for(stakeholder))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                stakeholder_update(
                    stakeholder=stakeholder,
                    actor=request.user,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone=data["phone"],
                    area=data["area"],
                    preferred_language=data["preferred_language"],
                    source=data["source"],
                    notes=data["notes"],
                )
                _save_relations(stakeholder, form, request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("engage:staff_stakeholder", pk=stakeholder.pk)
    return render(
        request, "engage/staff/stakeholder_form.html", {"form": form, "stakeholder": stakeholder}
    )


@permission_required("engage.add_consentrecord")
@require_http_methods(["GET", "POST"])
def stakeholder_consent(request, pk: int):
    stakeholder = get_object_or_404(Stakeholder, pk=pk, anonymised_at__isnull=True)
    form = StaffConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = consent_give if data["action"] == "given" else consent_withdraw
        record(
            stakeholder=stakeholder,
            purpose=data["purpose"],
            method=data["method"],
            wording=data["wording"].strip() or None,
            recorded_by=request.user,
            evidence={"reference": data["reference"]} if data["reference"] else None,
        )
        messages.success(request, _("Consent recorded."))
        return redirect("engage:staff_stakeholder", pk=stakeholder.pk)
    return render(
        request,
        "engage/staff/consent_form.html",
        {"form": form, "stakeholder": stakeholder, "methods": ConsentMethod},
    )


# --- Segments -----------------------------------------------------------------------------------


@permission_required("engage.view_segment")
def segment_list(request):
    segments = list(Segment.objects.select_related("created_by"))
    for segment in segments:
        segment.query = filters_querydict(segment.filters).urlencode()
    return render(request, "engage/staff/segment_list.html", {"segments": segments})


@permission_required("engage.add_segment")
@require_http_methods(["GET", "POST"])
def segment_add(request):
    filter_form = _filter_form(request.GET)
    if not filter_form.is_valid():
        messages.error(request, _("Correct the filters before saving them as a segment."))
        return redirect(f"{reverse('engage:staff_stakeholders')}?{request.GET.urlencode()}")
    filters = filter_form.filters()
    form = SegmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            segment = segment_create(
                name=form.cleaned_data["name"], filters=filters, actor=request.user
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Segment saved."))
            return redirect("engage:staff_segment", pk=segment.pk)
    return render(
        request,
        "engage/staff/segment_form.html",
        {
            "form": form,
            "filters": filters,
            "count": segment_members(filters).count(),
            "query": filters_querydict(filters).urlencode(),
        },
    )


@permission_required("engage.view_segment")
def segment_view(request, pk: int):
    segment = get_object_or_404(Segment.objects.select_related("created_by"), pk=pk)
    try:
        count = segment_members(segment).count()
    except ConsentPurpose.DoesNotExist:
        count = None
    return render(
        request,
        "engage/staff/segment_detail.html",
        {
            "segment": segment,
            "count": count,
            "query": filters_querydict(segment.filters).urlencode(),
        },
    )


@permission_required("engage.change_segment")
@require_http_methods(["GET", "POST"])
def segment_edit(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    form = SegmentForm(request.POST or None, initial={"name": segment.name})
    if request.method == "POST" and form.is_valid():
        try:
            segment_update(segment=segment, name=form.cleaned_data["name"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Segment renamed."))
            return redirect("engage:staff_segment", pk=segment.pk)
    return render(request, "engage/staff/segment_edit.html", {"form": form, "segment": segment})


@permission_required("engage.delete_segment")
@require_POST
def segment_remove(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    segment_delete(segment=segment)
    messages.success(request, _("Segment deleted."))
    return redirect("engage:staff_segments")


@permission_required("engage.export_stakeholder")
def segment_export(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    lines = segment_export_csv(segment_or_filters=segment, actor=request.user)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}-{stamp}.csv"'
    return response


@permission_required("engage.export_stakeholder")
def stakeholder_export(request):
    form = _filter_form(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Exporting everyone because a filter was mistyped would be a data leak, not a fallback.
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('engage:staff_stakeholders')}?{request.GET.urlencode()}")
    filters = form.filters() if form.is_bound else {}
    lines = segment_export_csv(segment_or_filters=filters, actor=request.user)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="stakeholders-{stamp}.csv"'
    return response


# --- Import -------------------------------------------------------------------------------------
# Each step is a job run by a task (engage.importers.jobs): the requests below store what the team
# asked for and answer at once; the job page shows progress, refreshing itself (a Refresh header,
# so it works without JavaScript), and moves on to the next step's page when the step is done.

_REFRESH_SECONDS = 2


def _import_job(pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, kind="stakeholders")


@permission_required("engage.import_stakeholder")
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            upload=form.cleaned_data["file"], options=form.cleaned_data, actor=request.user
        )
        return redirect("engage:staff_import_job", pk=job.pk)
    return render(request, "engage/staff/import_upload.html", {"form": form})


@permission_required("engage.import_stakeholder")
def import_job(request, pk):
    job = _import_job(pk)
    if job.state == ImportJobState.DONE and job.step == ImportJobStep.HEADERS:
        return redirect("engage:staff_import_mapping", pk=job.pk)
    if job.state == ImportJobState.DONE and job.step == ImportJobStep.DRY_RUN:
        return redirect("engage:staff_import_report", pk=job.pk)
    response = render(request, "engage/staff/import_job.html", {"job": job})
    if job.active:
        response["Refresh"] = str(_REFRESH_SECONDS)
    return response


@permission_required("engage.import_stakeholder")
@require_http_methods(["GET", "POST"])
def import_mapping(request, pk):
    job = _import_job(pk)
    if not job.headers:
        return redirect("engage:staff_import_job", pk=job.pk)
    form = ImportMappingForm(request.POST or None, headers=job.headers, initial=job.mapping)
    if request.method == "POST" and form.is_valid():
        try:
            import_job_dry_run(job=job, mapping=form.mapping())
        except importers.ImportFileError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("engage:staff_import_job", pk=job.pk)
    return render(request, "engage/staff/import_mapping.html", {"form": form, "job": job})


@permission_required("engage.import_stakeholder")
def import_report(request, pk):
    job = _import_job(pk)
    report = import_job_report(job=job)
    if report is None or job.step != ImportJobStep.DRY_RUN:
        return redirect("engage:staff_import_job", pk=job.pk)
    # The preview and invalid rows show people's details: viewing them is on record.
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=job,
        detail={"import_report": True, "rows": len(report.preview), "invalid": report.invalid},
    )
    return render(
        request,
        "engage/staff/import_report.html",
        {
            "job": job,
            "report": report,
            "invalid_shown": report.invalid_rows[:500],
            "warnings_shown": report.warnings[:100],
        },
    )


@permission_required("engage.import_stakeholder")
def import_invalid_csv(request, pk):
    job = _import_job(pk)
    report = import_job_report(job=job)
    if report is None:
        return redirect("engage:staff_import_job", pk=job.pk)
    audit_log(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=job,
        detail={"import_invalid_rows": report.invalid},
    )
    response = HttpResponse(
        importers.invalid_rows_csv(report), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="invalid-rows.csv"'
    return response


@permission_required("engage.import_stakeholder")
@require_POST
def import_commit(request, pk):
    job = _import_job(pk)
    try:
        import_job_commit(job=job)
    except importers.ImportFileError as exc:
        messages.error(request, str(exc))
    return redirect("engage:staff_import_job", pk=job.pk)
