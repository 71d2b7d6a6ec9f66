"""Staff pages for the privacy notice: its versions, drafting a new one, publishing it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engage import privacy, services
from engage.forms_public import PrivacyNoticeDraftForm
from engage.models import PrivacyNotice
from engage.permissions import permission_required


@permission_required("engage.view_privacynotice")
def privacy_notice_list(request):
    return render(
        request,
        "engage/staff/privacy_notices.html",
        {
            "notices": privacy.privacy_notices_all(),
            "current": privacy.privacy_notice_version_current(),
        },
    )


@permission_required("engage.add_privacynotice")
@require_http_methods(["GET", "POST"])
def privacy_notice_draft(request, pk: int | None = None):
    notice = get_object_or_404(PrivacyNotice, pk=pk) if pk is not None else None
    if notice is not None and notice.published_at is not None:
        messages.error(request, _("A published privacy notice is never changed: draft a new one."))
        return redirect("engage:staff_privacy_notices")
    if notice is None:
        current = privacy.privacy_notice_current()
        # A new version starts from the current words, so the change is an edit of them.
        initial = (
            {
                "title": current.title,
                "lawful_basis": current.lawful_basis,
                "text": services.privacy_notice_text(current),
            }
            if current
            else {}
        )
    else:
        initial = {
            "version": notice.version,
            "title": notice.title,
            "lawful_basis": notice.lawful_basis,
            "text": services.privacy_notice_text(notice),
        }
    form = PrivacyNoticeDraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.privacy_notice_draft_save(
                notice_id=notice.pk if notice else None, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field, message)
            else:
                for message in error.messages:
                    form.add_error(None, message)
        else:
            messages.success(request, _("Draft %(v)s saved.") % {"v": saved.version})
            return redirect("engage:staff_privacy_notice_publish", pk=saved.pk)
    return render(
        request, "engage/staff/privacy_notice_form.html", {"form": form, "notice": notice}
    )


@permission_required("engage.change_privacynotice")
@require_http_methods(["GET", "POST"])
def privacy_notice_publish(request, pk: int):
    notice = get_object_or_404(PrivacyNotice, pk=pk)
    if request.method == "POST":
        services.privacy_notice_publish(notice_id=notice.pk, actor=request.user)
        messages.success(
            request,
            _("Version %(v)s is published: it is the current privacy notice.")
            % {"v": notice.version},
        )
        return redirect("engage:staff_privacy_notices")
    return render(request, "engage/staff/privacy_notice_publish.html", {"notice": notice})
