"""Public pages: join the list (double opt-in), preferences, one-click unsubscribe."""

from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from engage import services
from engage.enums import ConsentMethod
from engage.forms_public import DetailsForm, JoinForm
from engage.links import stakeholder_from_token, stakeholder_token
from engage.models import ConsentPurpose, Stakeholder
from engage.selectors import stakeholder_consents, stakeholder_for_user


def _client(request) -> tuple[str | None, str]:
    """The visitor's address and user agent, kept as consent evidence."""
    return request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")


def _link_invalid(request):
    return render(request, "engage/public/link_invalid.html", status=404)


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
                "preferences_url": reverse(
                    "engage:preferences", kwargs={"token": stakeholder_token(stakeholder)}
                )
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
        stakeholder, _purpose = stakeholder_from_token(token)
    except (signing.BadSignature, Stakeholder.DoesNotExist):
        return _link_invalid(request)
    return _preferences(
        request, stakeholder, reverse("engage:preferences", kwargs={"token": token})
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_preferences(request):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    stakeholder = stakeholder_for_user(request.user)
    if stakeholder is None:
        return render(request, "engage/public/preferences_none.html")
    return _preferences(request, stakeholder, reverse("engage:my_preferences"))


@csrf_exempt  # RFC 8058: mail clients POST with no cookie and no CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (changes nothing); POST withdraws the purpose the link names."""
    try:
        stakeholder, purpose_slug = stakeholder_from_token(token)
        purpose = ConsentPurpose.objects.get(slug=purpose_slug) if purpose_slug else None
    except (signing.BadSignature, Stakeholder.DoesNotExist, ConsentPurpose.DoesNotExist):
        return _link_invalid(request)
    context = {"purpose": purpose, "token": token}
    if request.method == "POST":
        services.consent_unsubscribe(stakeholder=stakeholder, purpose_slug=purpose_slug)
        context["preferences_url"] = reverse(
            "engage:preferences", kwargs={"token": stakeholder_token(stakeholder)}
        )
        return render(request, "engage/public/unsubscribe_done.html", context)
    return render(request, "engage/public/unsubscribe.html", context)
