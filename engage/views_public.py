"""Public pages: join the list (double opt-in), preferences, one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from engage import links, privacy, retention, services
from engage.enums import ConsentMethod
from engage.forms_public import DetailsForm, JoinForm
from engage.models import ConsentPurpose, Stakeholder
from engage.selectors import stakeholder_consents, stakeholder_for_user


def _client(request) -> tuple[str | None, str]:
    """The visitor's address and user agent, kept as consent evidence."""
    return request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")


def _link_invalid(request):
    return render(request, "engage/public/link_invalid.html", status=404)


def link_expired(request, *, token: str, purpose: str):
    """A genuine but expired link: offer to mail a fresh one to the address on file."""
    return render(
        request,
        "engage/public/link_expired.html",
        {"token": token, "purpose": purpose, "days": links.lifetime(purpose).days},
        status=410,
    )


def _preferences_path(stakeholder) -> str:
    token = links.link_token(stakeholder=stakeholder, purpose=links.PREFERENCES)
    return reverse("engage:preferences", kwargs={"token": token})


@require_http_methods(["GET", "POST"])
def join(request):
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip_address, user_agent = _client(request)
        data = form.cleaned_data
        services.signup_request(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            area=data["area"],
            organisation_name=data["organisation"],
            interest_ids=[tag.pk for tag in data.get("interests", [])],
            purposes=list(data["purposes"]),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        # The same answer whether or not the address is already on the list.
        return redirect("engage:join_sent")
    return render(request, "engage/public/join.html", {"form": form})


def join_sent(request):
    return render(request, "engage/public/join_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def join_confirm(request, token: str):
    # GET only shows a button: mail scanners follow links, and must not confirm for the person.
    try:
        pending = services.signup_pending(token=token)
    except services.SignupLinkInvalid:
        return _link_invalid(request)
    if request.method == "POST":
        ip_address, user_agent = _client(request)
        try:
            stakeholder = services.signup_confirm(
                token=token, ip_address=ip_address, user_agent=user_agent
            )
        except services.SignupLinkInvalid:
            return _link_invalid(request)
        return render(
            request,
            "engage/public/join_confirmed.html",
            {
                # Shown to the person who has just proved the address by the emailed link.
                "preferences_url": _preferences_path(stakeholder)
            },
        )
    return render(
        request,
        "engage/public/join_confirm.html",
        {"already": pending.confirmed_at is not None},
    )


def _preferences(request, stakeholder: Stakeholder, here: str):
    """The preferences page for one person, reached by a signed link or by signing in."""
    details = DetailsForm(
        request.POST if request.POST.get("form") == "details" else None,
        initial={
            "first_name": stakeholder.first_name,
            "last_name": stakeholder.last_name,
            "phone": stakeholder.phone,
            "area": stakeholder.area_id,
        },
    )
    if request.method == "POST":
        if request.POST.get("form") == "stop_all":
            withdrawn = services.consent_unsubscribe(
                stakeholder=stakeholder, method=ConsentMethod.WEB
            )
            messages.success(
                request,
                _(
                    "Done: we will send you no more emails about meetings or the action plan. "
                    "You will still get emails you ask for, such as a sign-in code, and about a "
                    "meeting you are registered for."
                )
                if withdrawn
                else _("You had not agreed to any emails from us, so there was nothing to stop."),
            )
            return redirect(here)
        if request.POST.get("form") == "renew":
            ip_address, user_agent = _client(request)
            retention.consent_renew(
                stakeholder=stakeholder, ip_address=ip_address, user_agent=user_agent
            )
            messages.success(request, _("Thank you: we will keep your choices as they are."))
            return redirect(here)
        if request.POST.get("form") == "consent":
            purpose = ConsentPurpose.objects.filter(
                slug=request.POST.get("purpose", ""), active=True
            ).first()
            if purpose is None:
                messages.error(request, _("That choice is no longer offered."))
                return redirect(here)
            given = request.POST.get("action") == "give"
            ip_address, user_agent = _client(request)
            services.consent_set(
                stakeholder=stakeholder,
                purpose=purpose,
                given=given,
                method=ConsentMethod.WEB,
                ip_address=ip_address,
                user_agent=user_agent,
            )
            if given:
                messages.success(request, _("Thank you: you agreed to “%s”.") % purpose.name)
            else:
                messages.success(request, _("Done: “%s” is withdrawn, from now on.") % purpose.name)
            return redirect(here)
        if details.is_valid():
            data = details.cleaned_data
            services.stakeholder_update(
                stakeholder=stakeholder,
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                area=data["area"],
            )
            messages.success(request, _("Your details are saved."))
            return redirect(here)
    return render(
        request,
        "engage/public/preferences.html",
        {
            "stakeholder": stakeholder,
            "consents": stakeholder_consents(stakeholder),
            "details": details,
            "here": here,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    try:
        link = links.link_read(token=token, purpose=links.PREFERENCES)
    except links.LinkExpired:
        return link_expired(request, token=token, purpose=links.PREFERENCES)
    except links.LinkInvalid:
        return _link_invalid(request)
    return _preferences(
        request, link.stakeholder, reverse("engage:preferences", kwargs={"token": token})
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_preferences(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    stakeholder = stakeholder_for_user(request.user)
    if stakeholder is None:
        return render(request, "engage/public/preferences_none.html")
    return _preferences(request, stakeholder, reverse("engage:my_preferences"))


@csrf_exempt  # RFC 8058: mail clients POST with no cookie and no CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (changes nothing); POST withdraws the purpose the link names.

    The link only unsubscribes: the page after offers to mail a preferences link to the address
    on file rather than opening preferences for whoever holds this one."""
    try:
        link = links.link_read(token=token, purpose=links.UNSUBSCRIBE)
        purpose = ConsentPurpose.objects.get(slug=link.consent_slug) if link.consent_slug else None
    except links.LinkExpired:
        return link_expired(request, token=token, purpose=links.UNSUBSCRIBE)
    except (links.LinkInvalid, ConsentPurpose.DoesNotExist):
        return _link_invalid(request)
    context = {"purpose": purpose, "token": token}
    if request.method == "POST":
        services.consent_unsubscribe(stakeholder=link.stakeholder, purpose_slug=link.consent_slug)
        return render(request, "engage/public/unsubscribe_done.html", context)
    return render(request, "engage/public/unsubscribe.html", context)


@never_cache
@require_http_methods(["POST"])
def link_renew(request):
    """Mail a fresh link to the address on file. The same answer whether or not anything was
    sent, so the page reveals neither the address nor whether the token was known."""
    services.link_renew(
        token=request.POST.get("token", ""),
        purpose=request.POST.get("purpose", ""),
        want=request.POST.get("want", ""),
        ip_address=_client(request)[0],
    )
    return render(request, "engage/public/link_renew_sent.html")


def privacy_notice(request, version: str | None = None):
    """The current privacy notice, or an older version by its name, word for word."""
    notice = privacy.privacy_notice_get(version) if version else privacy.privacy_notice_current()
    if notice is None:
        raise Http404("No such privacy notice")
    current = notice.version == privacy.privacy_notice_version_current()
    return render(
        request,
        "engage/public/privacy_notice.html",
        {
            "notice": notice,
            "current": current,
            "older": privacy.privacy_notices_older() if current else [],
        },
    )
