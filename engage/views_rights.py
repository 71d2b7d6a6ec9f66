"""Staff pages for the suppression list, the audit log, subject access and erasure."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engage import rights, selectors, services
from engage.enums import AuditAction, SuppressionReason
from engage.forms_public import SuppressionAddForm
from engage.models import Stakeholder, Suppression
from engage.permissions import permission_required

PAGE_SIZE = 50


@permission_required("engage.view_suppression")
def suppression_list(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(selectors.suppressions_list(search=search), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    services.audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        detail={"page": "suppression_list", "rows": len(page.object_list)},
    )
    return render(request, "engage/rights/suppression_list.html", {"page": page, "q": search})


@permission_required("engage.add_suppression")
@require_http_methods(["GET", "POST"])
def suppression_add(request):
    form = SuppressionAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _row, created = services.suppression_add(
                email=form.cleaned_data["email"],
                reason=SuppressionReason.MANUAL,
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, _("The address will never be emailed."))
            else:
                messages.info(request, _("That address was already on the suppression list."))
            return redirect("engage:suppression_list")
    return render(request, "engage/rights/suppression_add.html", {"form": form})


@permission_required("engage.delete_suppression")
@require_http_methods(["GET", "POST"])
def suppression_remove(request, pk: int):
    suppression = get_object_or_404(Suppression, pk=pk)
    if request.method == "POST":
        services.suppression_remove(suppression=suppression, actor=request.user)
        messages.success(request, _("The address is off the suppression list."))
        return redirect("engage:suppression_list")
    return render(request, "engage/rights/suppression_remove.html", {"suppression": suppression})


@permission_required("engage.view_auditlog")
def audit_log(request):
    action = request.GET.get("action", "")
    if action not in AuditAction.values:
        action = ""
    page = Paginator(selectors.audit_log_list(action=action), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "engage/rights/audit_log.html",
        {"page": page, "action": action, "actions": AuditAction.choices},
    )


@permission_required("engage.erase_stakeholder")
@require_http_methods(["GET", "POST"])
def stakeholder_subject_access(request, pk: int):
    stakeholder = get_object_or_404(Stakeholder, pk=pk)
    if request.method == "POST":
        archive = rights.subject_access_export(stakeholder=stakeholder, actor=request.user)
        response = HttpResponse(archive, content_type="application/zip")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="subject-access-{stakeholder.pk}-{stamp}.zip"'
        )
        return response
    return render(request, "engage/rights/subject_access.html", {"stakeholder": stakeholder})


@permission_required("engage.erase_stakeholder")
@require_http_methods(["GET", "POST"])
def stakeholder_erase(request, pk: int):
    stakeholder = get_object_or_404(Stakeholder, pk=pk)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            rights.stakeholder_erase(stakeholder=stakeholder, actor=request.user)
            messages.success(request, _("Stakeholder #%(id)s is erased.") % {"id": stakeholder.pk})
            return redirect("engage:staff_home")
        error = _("Tick the box to confirm that this person's data should be erased.")
    return render(request, "engage/rights/erase.html", {"stakeholder": stakeholder, "error": error})
