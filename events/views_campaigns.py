"""Staff pages for invitation campaigns: create, audience and preview, send or schedule, status."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.enums import AuditAction, EmailStatus
from engage.mail.services import email_render
from engage.models import Stakeholder
from engage.permissions import permission_required
from engage.services import audit_log
from events import selectors, services
from events.enums import CampaignStatus
from events.forms_campaigns import CampaignForm, ScheduleForm
from events.models import Campaign


@permission_required("events.view_campaign")
def campaign_list(request):
    page = Paginator(selectors.campaigns_list(), 50).get_page(request.GET.get("page"))
    return render(request, "events/campaigns/list.html", {"page": page})


@permission_required("events.add_campaign")
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                meeting_id=form.cleaned_data["meeting"].pk,
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
                segment_id=form.cleaned_data["segment"].pk
                if form.cleaned_data["segment"]
                else None,
                filters=form.filters(),
                actor=request.user,
            )
        except services.CampaignError as error:
            form.add_error("meeting", str(error))
        else:
            return redirect("events:campaign_detail", pk=campaign.pk)
    return render(request, "events/campaigns/create.html", {"form": form})


def _status_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(value, EmailStatus(value).label, n) for value, n in counts.items()]


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("meeting", "segment"), pk=pk)


def _preview(campaign: Campaign, stakeholder: Stakeholder | None) -> dict | None:
    if stakeholder is None:
        return None
    recipient = services.campaign_recipient_values(
        stakeholder=stakeholder,
        invitation_url=services.invitation_link(meeting=campaign.meeting),
    )
    subject, text, html = email_render(
        template="events/invitation",
        context={**services.campaign_email_context(campaign=campaign), "recipient": recipient},
    )
    return {"stakeholder": stakeholder, "subject": subject, "text": text, "html": html}


@permission_required("events.view_campaign")
def campaign_detail(request, pk):
    campaign = _campaign(pk)
    audience = selectors.campaign_audience(
        meeting=campaign.meeting, segment=campaign.segment, filters=campaign.filters
    )
    preview_id = request.GET.get("preview", "")
    preview_people = audience.eligible.prefetch_related("organisations")
    chosen = None
    if preview_id.isdigit():
        chosen = preview_people.filter(pk=int(preview_id)).first()
    chosen = chosen or preview_people.order_by("last_name", "first_name", "pk").first()
    left_out = audience.left_out(limit=100)
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=campaign,
        detail={"use": "campaign audience", "left_out_shown": len(left_out)},
    )
    return render(
        request,
        "events/campaigns/detail.html",
        {
            "campaign": campaign,
            "counts": audience.counts(),
            "left_out": left_out,
            "preview_choices": preview_people.order_by("last_name", "first_name", "pk")[:200],
            "preview": _preview(campaign, chosen),
            "schedule_form": ScheduleForm(),
            "status_rows": _status_rows(selectors.campaign_status_counts(campaign=campaign)),
            "editable": campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED),
        },
    )


@permission_required("events.view_campaign")
def campaign_recipients(request, pk):
    campaign = _campaign(pk)
    status = request.GET.get("status", "")
    if status not in selectors.CAMPAIGN_RECIPIENT_STATUSES:
        status = ""
    recipients = selectors.campaign_recipients(campaign=campaign, status=status)
    counts = selectors.campaign_status_counts(campaign=campaign)
    page = Paginator(recipients, 100).get_page(request.GET.get("page"))
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=campaign,
        detail={"use": "campaign recipients", "shown": len(page.object_list)},
    )
    return render(
        request,
        "events/campaigns/recipients.html",
        {
            "campaign": campaign,
            "page": page,
            "status": status,
            "status_counts": counts,
            "status_rows": _status_rows(counts),
        },
    )


@permission_required("events.change_campaign")
@require_POST
def campaign_send(request, pk):
    campaign = _campaign(pk)
    action = request.POST.get("action")
    try:
        if action == "now" and request.POST.get("confirmed") != "yes":
            # Asked once more, with the number of people, before anything irreversible.
            counts = selectors.campaign_audience(
                meeting=campaign.meeting, segment=campaign.segment, filters=campaign.filters
            ).counts()
            return render(
                request,
                "events/campaigns/send_confirm.html",
                {"campaign": campaign, "counts": counts},
            )
        if action == "now":
            services.campaign_send_now(campaign_id=campaign.pk, actor=request.user)
            messages.success(request, _("The invitations are being sent."))
        elif action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("scheduled_for", []):
                    messages.error(request, error)
                return redirect("events:campaign_detail", pk=campaign.pk)
            services.campaign_schedule(
                campaign_id=campaign.pk,
                scheduled_for=form.cleaned_data["scheduled_for"],
                actor=request.user,
            )
            messages.success(request, _("The invitations are scheduled."))
        elif action == "unschedule":
            services.campaign_unschedule(campaign_id=campaign.pk, actor=request.user)
            messages.success(request, _("The campaign is back to draft."))
        else:
            messages.error(request, _("Choose to send now or at a set time."))
    except services.CampaignError as error:
        messages.error(request, str(error))
    return redirect("events:campaign_detail", pk=campaign.pk)


@permission_required("events.change_campaign")
@require_POST
def campaign_test(request, pk):
    campaign = _campaign(pk)
    stakeholder_id = request.POST.get("stakeholder", "")
    audience = selectors.campaign_audience(
        meeting=campaign.meeting, segment=campaign.segment, filters=campaign.filters
    )
    if (
        not stakeholder_id.isdigit()
        or not audience.eligible.filter(pk=int(stakeholder_id)).exists()
    ):
        messages.error(request, _("Choose someone from this campaign's audience to preview as."))
        return redirect("events:campaign_detail", pk=campaign.pk)
    if not request.user.email:
        messages.error(request, _("Your account has no email address to send the test to."))
        return redirect("events:campaign_detail", pk=campaign.pk)
    services.campaign_test_send(
        campaign_id=campaign.pk, stakeholder_id=int(stakeholder_id), actor=request.user
    )
    messages.success(request, _("A test email is on its way to you."))
    detail = reverse("events:campaign_detail", kwargs={"pk": campaign.pk})
    return redirect(f"{detail}?preview={stakeholder_id}")


@permission_required("events.change_campaign")
@require_POST
def campaign_resend(request, pk):
    campaign = _campaign(pk)
    count = services.campaign_resend_failed(campaign_id=campaign.pk, actor=request.user)
    if count:
        messages.success(
            request, _("%(count)d failed invitations are queued again.") % {"count": count}
        )
    else:
        messages.info(request, _("No invitations have failed."))
    return redirect("events:campaign_recipients", pk=campaign.pk)
