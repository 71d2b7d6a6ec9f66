"""The engagement team's stakeholder pages: list, detail, edit, consent by phone or paper,
segments, export and import. Thin: parse input, call one service or selector, render."""

import json
import uuid
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from engage import importers
from engage.enums import AuditAction, ConsentMethod
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
from engage.models import ConsentPurpose, Segment, Stakeholder
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
# The upload is kept in the default storage under imports/ between the steps (mapping, dry run,
# commit); the session holds only its key, options and the dry-run counts.

_SESSION_KEY = "engage_import"


def _pending(request) -> dict | None:
    pending = request.session.get(_SESSION_KEY)
    if not pending or not default_storage.exists(pending["path"]):
        return None
    return pending


def _options(pending: dict) -> importers.ImportOptions:
    return importers.ImportOptions(
        source=pending["source"],
        consent_wording=pending["consent_wording"],
        delimiter=pending["delimiter"],
        encoding=pending["encoding"],
        mapping=pending.get("mapping"),
    )


def _read(pending: dict) -> bytes:
    with default_storage.open(pending["path"], "rb") as handle:
        return handle.read()


def _discard(request) -> None:
    pending = request.session.pop(_SESSION_KEY, None)
    if pending:
        for path in (pending["path"], pending["path"] + ".report.json"):
            if default_storage.exists(path):
                default_storage.delete(path)


@permission_required("engage.import_stakeholder")
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        _discard(request)
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        path = default_storage.save(f"imports/{uuid.uuid4().hex}{suffix}", upload)
        pending = {
            "path": path,
            "file_name": Path(upload.name).name[:255],
            "source": form.cleaned_data["source"],
            "consent_wording": form.cleaned_data["consent_wording"],
            "delimiter": form.cleaned_data["delimiter"],
            "encoding": form.cleaned_data["encoding"],
            "mapping": None,
        }
        try:
            table = importers.read_table(
                _read(pending), file_name=pending["file_name"], options=_options(pending)
            )
        except importers.ImportFileError as exc:
            default_storage.delete(path)
            form.add_error("file", str(exc))
        else:
            pending["headers"] = [h.strip() for h in table.headers]
            pending["mapping"] = importers.default_mapping(pending["headers"])
            request.session[_SESSION_KEY] = pending
            return redirect("engage:staff_import_mapping")
    return render(request, "engage/staff/import_upload.html", {"form": form})


@permission_required("engage.import_stakeholder")
@require_http_methods(["GET", "POST"])
def import_mapping(request):
    pending = _pending(request)
    if pending is None:
        return redirect("engage:staff_import")
    form = ImportMappingForm(
        request.POST or None, headers=pending["headers"], initial=pending["mapping"]
    )
    if request.method == "POST" and form.is_valid():
        pending["mapping"] = form.mapping()
        try:
            report = importers.stakeholders_import(
                data=_read(pending),
                file_name=pending["file_name"],
                actor=request.user,
                options=_options(pending),
                dry_run=True,
            )
        except importers.ImportFileError as exc:
            form.add_error(None, str(exc))
        else:
            with default_storage.open(pending["path"] + ".report.json", "wb") as handle:
                handle.write(json.dumps(_report_data(report)).encode())
            pending["counts"] = report.counts()
            request.session[_SESSION_KEY] = pending
            audit_log(
                actor=request.user,
                action=AuditAction.IMPORT,
                detail={"dry_run": True, **report.counts()},
            )
            return redirect("engage:staff_import_report")
    return render(request, "engage/staff/import_mapping.html", {"form": form, "pending": pending})


def _report_data(report: importers.ImportReport) -> dict:
    return {
        "counts": report.counts(),
        "headers": report.headers,
        "consent_columns": report.consent_columns,
        "consents": report.consents_recorded,
        "unknown_areas": report.unknown_areas,
        "invalid_rows": [[r.line, r.reason, r.cells] for r in report.invalid_rows],
    }


def _load_report(pending: dict) -> importers.ImportReport | None:
    path = pending["path"] + ".report.json"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        data = json.loads(handle.read())
    report = importers.ImportReport(file_name=pending["file_name"], dry_run=True)
    report.headers = data["headers"]
    report.consent_columns = data["consent_columns"]
    report.consents_recorded = data["consents"]
    report.unknown_areas = data["unknown_areas"]
    report.created = data["counts"]["created"]
    report.updated = data["counts"]["updated"]
    report.unchanged = data["counts"]["unchanged"]
    report.invalid_rows = [
        importers.InvalidRow(line=line, reason=reason, cells=cells)
        for line, reason, cells in data["invalid_rows"]
    ]
    return report


@permission_required("engage.import_stakeholder")
def import_report(request):
    pending = _pending(request)
    report = _load_report(pending) if pending else None
    if report is None:
        return redirect("engage:staff_import")
    return render(
        request,
        "engage/staff/import_report.html",
        {"pending": pending, "report": report, "invalid_shown": report.invalid_rows[:500]},
    )


@permission_required("engage.import_stakeholder")
def import_invalid_csv(request):
    pending = _pending(request)
    report = _load_report(pending) if pending else None
    if report is None:
        return redirect("engage:staff_import")
    audit_log(
        actor=request.user,
        action=AuditAction.EXPORT,
        detail={"import_invalid_rows": report.invalid},
    )
    response = HttpResponse(
        importers.invalid_rows_csv(report), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="invalid-rows.csv"'
    return response


@permission_required("engage.import_stakeholder")
@require_POST
def import_commit(request):
    pending = _pending(request)
    if pending is None or "counts" not in pending:
        messages.error(request, _("Upload the file again: the import in progress has expired."))
        return redirect("engage:staff_import")
    try:
        report = importers.stakeholders_import(
            data=_read(pending),
            file_name=pending["file_name"],
            actor=request.user,
            options=_options(pending),
            dry_run=False,
        )
    except (importers.ImportFileError, DatabaseError) as exc:
        message = str(exc) if isinstance(exc, importers.ImportFileError) else ""
        messages.error(
            request,
            _("The import failed and nothing was changed. %(reason)s") % {"reason": message},
        )
        return redirect("engage:staff_import_report")
    _discard(request)
    return render(request, "engage/staff/import_done.html", {"report": report})
