"""Public meeting pages and registration: thin views over events.selectors and events.services."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from engage import links
from engage.enums import PURPOSE_MEETING_INVITATIONS
from engage.models import ConsentPurpose, Stakeholder
from engage.normalise import normalise_email
from engage.selectors import consent_is_given
from engage.views_public import link_expired
from events import selectors, services
from events.enums import MeetingFormat, MeetingStatus, RegistrationStatus
from events.forms import CodeForm, EmailForm, GuestRegistrationForm, RegistrationForm
from events.models import Invitation, Meeting, Registration, Series

# Session keys: the email a guest proved with a code, and the code challenge in flight.
VERIFIED_EMAIL = "events_verified_email"
CODE_CHALLENGE = "events_code_challenge"
# A verified guest's form, kept for the one redirect back to it when its breakout filled up.
REGISTRATION_DRAFT = "events_registration_draft"
MAX_CODE_ATTEMPTS = 5


def _client(request) -> dict:
    return {
        "ip_address": request.META.get("REMOTE_ADDR"),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:400],
    }


def _visitor_stakeholder(request):
    """The stakeholder this visitor is known to be: signed in, or a checked email this session."""
    if request.user.is_authenticated:
        stakeholder = Stakeholder.objects.filter(
            user=request.user, anonymised_at__isnull=True
        ).first()
        if stakeholder is not None:
            return stakeholder
        email = request.user.email
    else:
        email = request.session.get(VERIFIED_EMAIL)
    if not email:
        return None
    return Stakeholder.objects.filter(
        email_normalised=normalise_email(email), anonymised_at__isnull=True
    ).first()


def _visitor_email(request) -> str | None:
    if request.user.is_authenticated:
        stakeholder = Stakeholder.objects.filter(user=request.user).first()
        return stakeholder.email if stakeholder else request.user.email
    return request.session.get(VERIFIED_EMAIL)


def _public_meeting(slug: str) -> Meeting:
    try:
        return selectors.meeting_public_get(slug=slug)
    except Meeting.DoesNotExist:
        raise Http404 from None


def _meeting_to_register(slug: str) -> Meeting:
    """The meeting alone (no agenda), for the registration steps."""
    return get_object_or_404(Meeting.objects.exclude(status=MeetingStatus.DRAFT), slug=slug)


def meeting_list(request):
    past = Paginator(selectors.meetings_public_past(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "events/public/meeting_list.html",
        {"upcoming": selectors.meetings_public_upcoming(), "past": past},
    )


def series_detail(request, slug):
    series = get_object_or_404(Series, slug=slug)
    return render(
        request,
        "events/public/series_detail.html",
        {"series": series, "meetings": selectors.series_public_meetings(series=series)},
    )


def meeting_detail(request, slug):
    meeting = _public_meeting(slug)
    stakeholder = _visitor_stakeholder(request)
    registration = selectors.registration_for_stakeholder(meeting=meeting, stakeholder=stakeholder)
    if registration is not None and registration.status == RegistrationStatus.CANCELLED:
        registration = None
    refusal = services.registration_refusal(meeting=meeting)
    repeat = None
    if request.user.is_authenticated and registration is None and refusal is None:
        repeat = selectors.registration_previous_attended(meeting=meeting, stakeholder=stakeholder)
    return render(
        request,
        "events/public/meeting_detail.html",
        {
            "meeting": meeting,
            "registration": registration,
            "refusal": refusal,
            "places": selectors.meeting_places(meeting=meeting),
            "repeat": repeat,
            "panel_questions": selectors.panel_questions_published(meeting),
            # Only for people who held a place: the list is published to fellow attendees.
            "attendee_list": selectors.meeting_attendee_list(meeting=meeting)
            if registration is not None and registration.status == RegistrationStatus.CONFIRMED
            else None,
            "show_online": bool(
                registration is not None
                and registration.status == RegistrationStatus.CONFIRMED
                and meeting.online_url
                and meeting.format != MeetingFormat.IN_PERSON
            ),
        },
    )


def _ask_to_join(stakeholder) -> bool:
    """Whether to offer joining the stakeholder list: not to someone already on it."""
    if stakeholder is None:
        return True
    purpose = ConsentPurpose.objects.filter(slug=PURPOSE_MEETING_INVITATIONS).first()
    return not (purpose and consent_is_given(stakeholder_id=stakeholder.pk, purpose_id=purpose.pk))


def _closed(request, meeting, refusal):
    return render(
        request,
        "events/public/register_closed.html",
        {"meeting": meeting, "message": refusal.message},
    )


def _invitation_proves(*, token: str, meeting):
    """The stakeholder a campaign invitation proves, or None: the invitation must be younger than
    ENGAGE_LINK_REGISTER_DAYS and mailed to the address the person has now."""
    stakeholder = selectors.invitation_stakeholder(token=token, meeting=meeting)
    if stakeholder is None or not stakeholder.email_normalised:
        return None
    sent = (
        Invitation.objects.filter(token=token, stakeholder=stakeholder)
        .values("created_at", "email__to_email")
        .first()
    )
    young = sent and sent["created_at"] > timezone.now() - dt.timedelta(
        days=settings.ENGAGE_LINK_REGISTER_DAYS
    )
    same_address = sent and normalise_email(sent["email__to_email"] or "") == (
        stakeholder.email_normalised
    )
    return stakeholder if young and same_address else None


@never_cache
@require_http_methods(["GET", "POST"])
def register(request, slug):
    meeting = _meeting_to_register(slug)
    token = request.GET.get("t")
    if token and not request.user.is_authenticated:
        # A link made to register as this person (and only such a link: an unsubscribe or
        # preferences link is refused) proves the address, as a code would.
        try:
            link = links.link_read(token=token, purpose=links.REGISTER)
        except links.LinkExpired:
            return link_expired(request, token=token, purpose=links.REGISTER)
        except links.LinkInvalid:
            messages.error(request, _("That link is not valid any more. Please enter your email."))
        else:
            request.session[VERIFIED_EMAIL] = link.stakeholder.email_normalised
        return redirect("events:register", slug=meeting.slug)
    invitation = request.GET.get("invitation")
    if invitation and not request.user.is_authenticated:
        # The personal link in a campaign invitation (Invitation.token) proves the address too,
        # while it is young and the person still has the address it was mailed to.
        invited = _invitation_proves(token=invitation, meeting=meeting)
        if invited is None:
            messages.error(
                request,
                _("That link is not valid any more. Please enter your email: we will send a code."),
            )
        else:
            request.session[VERIFIED_EMAIL] = invited.email_normalised
        return redirect("events:register", slug=meeting.slug)
    refusal = services.registration_refusal(meeting=meeting)
    if refusal is not None:
        return _closed(request, meeting, refusal)
    email = _visitor_email(request)
    if not email:
        return _register_guest(request, meeting)
    draft = request.session.pop(REGISTRATION_DRAFT, None)
    if request.method == "POST":
        # A submission skips what only drawing the page needs (who the visitor already is,
        # places left per breakout): registration_create finds the person and a repeat itself,
        # and refuses a full breakout under the meeting lock. In a rush every query here is paid
        # by every registrant.
        chosen = request.POST.getlist("breakout_preferences")
        form = RegistrationForm(
            request.POST,
            breakouts=selectors.breakouts_for_choice(meeting=meeting) if chosen else [],
            email=email,
            for_checking=True,
        )
        if form.is_valid():
            try:
                outcome = services.registration_create(
                    meeting_id=meeting.pk,
                    details=form.details(),
                    user=request.user,
                    **_client(request),
                )
            except services.RegistrationRefused as refused:
                if refused.code == "breakout_full":
                    form.add_error("breakout_preferences", refused.message)
                else:
                    return _closed(request, meeting, refused)
            else:
                if not outcome.created:
                    messages.info(request, _("You are already registered for this meeting."))
                return redirect("events:registration_detail", token=outcome.registration.token)
    stakeholder = _visitor_stakeholder(request)
    existing = selectors.registration_for_stakeholder(meeting=meeting, stakeholder=stakeholder)
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        messages.info(request, _("You are already registered for this meeting."))
        return redirect("events:registration_detail", token=existing.token)
    form_kwargs = {
        "breakouts": selectors.breakouts_with_room(meeting=meeting),
        "email": email,
        "ask_to_join": _ask_to_join(stakeholder),
        "access_needs_retention_days": meeting.access_needs_retention_days,
    }
    if request.method == "POST":
        # The submission is shown again with its errors, now with places left per breakout.
        refused_breakout = form.errors.get("breakout_preferences")
        form = RegistrationForm(request.POST, **form_kwargs)
        if form.is_valid() and refused_breakout:
            form.add_error("breakout_preferences", refused_breakout)
    elif draft is not None:
        # Back from the code page: the breakout chosen there filled up before the code came.
        form = RegistrationForm(QueryDict(draft["data"]), **form_kwargs)
        if form.is_valid():
            form.add_error("breakout_preferences", draft["error"])
    else:
        initial = {}
        if stakeholder is not None:
            membership = stakeholder.memberships.select_related("organisation").first()
            initial = {
                "first_name": stakeholder.first_name,
                "last_name": stakeholder.last_name,
                "area": stakeholder.area_id,
                "organisation_name": membership.organisation.name if membership else "",
            }
        form = RegistrationForm(initial=initial, **form_kwargs)
    return render(
        request,
        "events/public/register.html",
        {
            "meeting": meeting,
            "form": form,
            "email": email,
            "places": selectors.meeting_places(meeting=meeting),
        },
    )


def _register_guest(request, meeting):
    """A guest registers on one page; the code emailed to their address then confirms it."""
    form = GuestRegistrationForm(
        request.POST or None,
        breakouts=selectors.breakouts_with_room(meeting=meeting),
        access_needs_retention_days=meeting.access_needs_retention_days,
    )
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["guest_email"]
        try:
            challenge = services.registration_email_code_send(meeting=meeting, email=address)
        except services.RegistrationRefused as refused:
            form.add_error("guest_email", refused.message)
        else:
            data = request.POST.copy()
            for name in ("csrfmiddlewaretoken", "guest_email"):
                data.pop(name, None)
            # Kept in the session only until the code is entered (or refused for good): the
            # registration is made from it then, and nothing about the guest is stored before.
            request.session[CODE_CHALLENGE] = {
                "challenge": challenge,
                "email": address,
                "attempts": 0,
                "meeting": meeting.pk,
                "form": data.urlencode(),
            }
            return redirect("events:register_code", slug=meeting.slug)
    return render(
        request,
        "events/public/register.html",
        {
            "meeting": meeting,
            "form": form,
            "email": None,
            "places": selectors.meeting_places(meeting=meeting),
        },
    )


def _register_from_code(request, meeting, *, email: str, data: str):
    """The registration a guest filled in before their code, made now the address is proved."""
    chosen = QueryDict(data).getlist("breakout_preferences")
    form = RegistrationForm(
        QueryDict(data),
        breakouts=selectors.breakouts_for_choice(meeting=meeting) if chosen else [],
        email=email,
        for_checking=True,
    )
    if not form.is_valid():
        return redirect("events:register", slug=meeting.slug)
    try:
        outcome = services.registration_create(
            meeting_id=meeting.pk, details=form.details(), user=request.user, **_client(request)
        )
    except services.RegistrationRefused as refused:
        if refused.code != "breakout_full":
            return _closed(request, meeting, refused)
        request.session[REGISTRATION_DRAFT] = {"data": data, "error": refused.message}
        return redirect("events:register", slug=meeting.slug)
    if not outcome.created:
        messages.info(request, _("You are already registered for this meeting."))
    return redirect("events:registration_detail", token=outcome.registration.token)


@never_cache
@require_http_methods(["GET", "POST"])
def register_email(request, slug):
    meeting = _meeting_to_register(slug)
    refusal = services.registration_refusal(meeting=meeting)
    if refusal is not None:
        return _closed(request, meeting, refusal)
    if _visitor_email(request):
        return redirect("events:register", slug=meeting.slug)
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.registration_email_code_send(
                meeting=meeting, email=form.cleaned_data["email"]
            )
        except services.RegistrationRefused as refused:
            form.add_error("email", refused.message)
        else:
            request.session[CODE_CHALLENGE] = {
                "challenge": challenge,
                "email": form.cleaned_data["email"],
                "attempts": 0,
            }
            return redirect("events:register_code", slug=meeting.slug)
    return render(request, "events/public/register_email.html", {"meeting": meeting, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def register_code(request, slug):
    meeting = _meeting_to_register(slug)
    pending = request.session.get(CODE_CHALLENGE)
    if not pending:
        return redirect("events:register_email", slug=meeting.slug)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if pending["attempts"] >= MAX_CODE_ATTEMPTS:
            del request.session[CODE_CHALLENGE]
            messages.error(request, _("Too many wrong codes. Please ask for a new one."))
            if pending.get("form") is not None:
                return redirect("events:register", slug=meeting.slug)
            return redirect("events:register_email", slug=meeting.slug)
        try:
            email = services.registration_email_code_check(
                challenge=pending["challenge"], code=form.cleaned_data["code"]
            )
        except services.RegistrationRefused as refused:
            pending["attempts"] += 1
            if refused.code == "code_expired" and pending.get("form"):
                pending["form"] = ""  # the details kept for a code that can no longer come
            request.session[CODE_CHALLENGE] = pending
            form.add_error("code", refused.message)
        else:
            del request.session[CODE_CHALLENGE]
            request.session.cycle_key()
            request.session[VERIFIED_EMAIL] = email
            if pending.get("form") is not None and pending.get("meeting") == meeting.pk:
                return _register_from_code(request, meeting, email=email, data=pending["form"])
            return redirect("events:register", slug=meeting.slug)
    return render(
        request,
        "events/public/register_code.html",
        {
            "meeting": meeting,
            "form": form,
            "email": pending["email"],
            "one_page": pending.get("form") is not None,
        },
    )


@require_POST
def register_repeat(request, slug):
    meeting = _meeting_to_register(slug)
    if not request.user.is_authenticated:
        return redirect("events:register", slug=meeting.slug)
    try:
        outcome = services.registration_repeat(
            meeting_id=meeting.pk, user=request.user, **_client(request)
        )
    except services.RegistrationRefused as refused:
        messages.error(request, refused.message)
        return redirect("events:register", slug=meeting.slug)
    return redirect("events:registration_detail", token=outcome.registration.token)


def _registration_or_404(token) -> Registration:
    try:
        return selectors.registration_by_token(token=token)
    except Registration.DoesNotExist:
        raise Http404 from None


@never_cache
def registration_detail(request, token):
    registration = _registration_or_404(token)
    meeting = registration.meeting
    return render(
        request,
        "events/public/registration_detail.html",
        {
            "registration": registration,
            "meeting": meeting,
            "show_online": bool(
                registration.status == RegistrationStatus.CONFIRMED
                and meeting.online_url
                and meeting.format != MeetingFormat.IN_PERSON
            ),
            "panel_questions": registration.panel_questions.order_by("submitted_at", "id"),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def registration_cancel(request, token):
    registration = _registration_or_404(token)
    if request.method == "POST":
        services.registration_cancel(token=registration.token)
        messages.success(request, _("Your registration is cancelled."))
        return redirect("events:registration_detail", token=registration.token)
    return render(request, "events/public/registration_cancel.html", {"registration": registration})


@never_cache
@require_http_methods(["GET", "POST"])
def registration_accept(request, token):
    registration = _registration_or_404(token)
    error = None
    if request.method == "POST":
        try:
            services.registration_offer_accept(token=registration.token)
        except services.RegistrationRefused as refused:
            error = refused.message
        else:
            messages.success(request, _("Your place is confirmed."))
            return redirect("events:registration_detail", token=registration.token)
    return render(
        request,
        "events/public/registration_accept.html",
        {"registration": registration, "error": error},
    )
