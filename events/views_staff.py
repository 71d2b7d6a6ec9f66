"""Staff pages for meetings: create, edit, publish, cancel, copy; agenda, documents, reservations;
registrations, panel questions, attendance import and representation. Thin: parse, call, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.enums import AuditAction
from engage.permissions import permission_required
from engage.services import audit_log
from events import reports, selectors, services
from events.enums import MeetingStatus, PanelQuestionStatus
from events.forms_staff import (
    AreaReservationForm,
    AttendanceImportForm,
    DiscussionQuestionForm,
    DocumentForm,
    MeetingCopyForm,
    MeetingForm,
    MeetingListFilterForm,
    PanelQuestionForm,
    RegistrationFilterForm,
    RegistrationMoveForm,
    SessionForm,
    apply_service_errors,
)
from events.models import (
    AreaReservation,
    DiscussionQuestion,
    Document,
    Meeting,
    PanelQuestion,
    Registration,
    Series,
    Session,
)


def _detail(meeting_id: int):
    return redirect("events:staff_meeting_detail", pk=meeting_id)


def _flash_error(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@permission_required("events.view_meeting")
def meeting_list(request):
    form = MeetingListFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    meetings = list(selectors.meetings_for_staff(status=status))
    series = [(s, selectors.series_last_meeting(series=s)) for s in Series.objects.order_by("name")]
    return render(
        request,
        "events/staff/meeting_list.html",
        {"meetings": meetings, "form": form, "series_list": series},
    )


@permission_required("events.add_meeting")
def meeting_create(request):
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(data=form.service_data(), actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Meeting created as a draft."))
            return _detail(meeting.pk)
    return render(request, "events/staff/meeting_form.html", {"form": form, "meeting": None})


@permission_required("events.view_meeting")
def meeting_detail(request, pk: int):
    meeting = get_object_or_404(Meeting.objects.all(), pk=pk)
    meeting = selectors.meeting_for_staff(pk=meeting.pk)
    return render(
        request,
        "events/staff/meeting_detail.html",
        {
            "meeting": meeting,
            "places": selectors.meetings_for_staff().get(pk=meeting.pk),
            "can_publish": meeting.status == MeetingStatus.DRAFT,
            "can_cancel": meeting.status in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED),
        },
    )


@permission_required("events.change_meeting")
def meeting_edit(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    if meeting.status == MeetingStatus.CANCELLED:
        messages.error(request, _("A cancelled meeting cannot be changed."))
        return _detail(meeting.pk)
    form = MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            _meeting, changes = services.meeting_update(
                meeting_id=pk, data=form.service_data(), actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if changes:
                messages.success(request, _("Meeting saved."))
            outside = selectors.sessions_outside_meeting(meeting=_meeting)
            if outside:
                messages.warning(
                    request,
                    _(
                        "These sessions now fall outside the meeting's times; edit them in the "
                        "agenda: %(sessions)s."
                    )
                    % {
                        "sessions": "; ".join(
                            f"{s.title} ({date_format(timezone.localtime(s.start), 'H:i T')})"
                            for s in outside
                        )
                    },
                )
                if "start" in changes:
                    # The offer: move the whole agenda by as much as the meeting's start moved.
                    old, new = changes["start"]
                    minutes = int((new - old).total_seconds() // 60)
                    url = reverse("events:staff_agenda_shift", args=[pk])
                    return redirect(f"{url}?minutes={minutes}")
            return _detail(pk)
    return render(request, "events/staff/meeting_form.html", {"form": form, "meeting": meeting})


@permission_required("events.change_meeting")
@require_POST
def meeting_publish(request, pk: int):
    get_object_or_404(Meeting, pk=pk)
    try:
        services.meeting_publish(meeting_id=pk, actor=request.user)
    except ValidationError as error:
        _flash_error(request, error)
    else:
        messages.success(request, _("Meeting published."))
    return _detail(pk)


@permission_required("events.change_meeting")
def meeting_cancel(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    if request.method == "POST":
        try:
            services.meeting_cancel(meeting_id=pk, actor=request.user)
        except ValidationError as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("Meeting cancelled. Registrants are being told."))
        return _detail(pk)
    confirmed = selectors.meetings_for_staff().get(pk=pk).confirmed_count
    return render(
        request, "events/staff/meeting_cancel.html", {"meeting": meeting, "confirmed": confirmed}
    )


@permission_required("events.add_meeting")
def meeting_copy(request, pk: int):
    source = get_object_or_404(Meeting, pk=pk)
    # Meetings are quarterly: suggest the same weekday and time thirteen weeks on.
    suggested = timezone.localtime(source.start) + timezone.timedelta(weeks=13)
    form = MeetingCopyForm(request.POST or None, initial={"start": suggested})
    if request.method == "POST" and form.is_valid():
        meeting = services.meeting_copy(
            source_id=pk, start=form.cleaned_data["start"], actor=request.user
        )
        messages.success(request, _("New draft meeting copied. Check its details and agenda."))
        return redirect("events:staff_meeting_edit", pk=meeting.pk)
    return render(request, "events/staff/meeting_copy.html", {"form": form, "source": source})


# --- Agenda -----------------------------------------------------------------------------------


@permission_required("events.change_meeting")
def session_create(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    initial = {"start": timezone.localtime(meeting.start), "end": timezone.localtime(meeting.end)}
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(
                meeting_id=pk,
                data=form.service_data(),
                facilitators=list(form.cleaned_data["facilitators"]),
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Session added."))
            return redirect("events:staff_session_edit", pk=session.pk)
    return render(
        request,
        "events/staff/session_form.html",
        {"form": form, "meeting": meeting, "session": None},
    )


@permission_required("events.change_meeting")
def session_edit(request, pk: int):
    session = get_object_or_404(Session.objects.select_related("meeting"), pk=pk)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(
                session_id=pk,
                data=form.service_data(),
                facilitators=list(form.cleaned_data["facilitators"]),
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Session saved."))
            return redirect("events:staff_session_edit", pk=pk)
    return render(
        request,
        "events/staff/session_form.html",
        {
            "form": form,
            "meeting": session.meeting,
            "session": session,
            "questions": session.questions.order_by("order", "id"),
            "question_form": DiscussionQuestionForm(),
        },
    )


@permission_required("events.change_meeting")
@require_POST
def session_delete(request, pk: int):
    session = get_object_or_404(Session, pk=pk)
    try:
        services.session_delete(session_id=pk, actor=request.user)
    except ValidationError as error:
        _flash_error(request, error)
        return redirect("events:staff_session_edit", pk=pk)
    messages.success(request, _("Session removed."))
    return _detail(session.meeting_id)


@permission_required("events.change_meeting")
@require_POST
def question_create(request, pk: int):
    session = get_object_or_404(Session, pk=pk)
    form = DiscussionQuestionForm(request.POST)
    if form.is_valid():
        try:
            services.discussion_question_create(
                session_id=session.pk,
                text=form.cleaned_data["text"],
                publish_at=form.cleaned_data["publish_at"],
                order=form.cleaned_data["order"] or 0,
                actor=request.user,
            )
        except ValidationError as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("Question added."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("events:staff_session_edit", pk=pk)


@permission_required("events.change_meeting")
@require_POST
def question_delete(request, pk: int):
    question = get_object_or_404(DiscussionQuestion, pk=pk)
    services.discussion_question_delete(question_id=pk, actor=request.user)
    messages.success(request, _("Question removed."))
    return redirect("events:staff_session_edit", pk=question.session_id)


# --- Documents and reservations ---------------------------------------------------------------


@permission_required("events.change_meeting")
def documents(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_create(
                meeting_id=pk,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                publish_at=form.cleaned_data["publish_at"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Document added."))
            return redirect("events:staff_documents", pk=pk)
    return render(
        request,
        "events/staff/documents.html",
        {"meeting": meeting, "form": form, "documents": meeting.documents.all()},
    )


@permission_required("events.change_meeting")
@require_POST
def document_delete(request, pk: int):
    document = get_object_or_404(Document, pk=pk)
    services.document_delete(document_id=pk, actor=request.user)
    messages.success(request, _("Document removed."))
    return redirect("events:staff_documents", pk=document.meeting_id)


@permission_required("events.change_meeting")
def reservations(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    form = AreaReservationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.area_reservation_set(
                meeting_id=pk,
                area_id=form.cleaned_data["area"].pk,
                places=form.cleaned_data["places"],
                release_at=form.cleaned_data["release_at"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Places reserved."))
            return redirect("events:staff_reservations", pk=pk)
    return render(
        request,
        "events/staff/reservations.html",
        {
            "meeting": meeting,
            "form": form,
            "reservations": meeting.area_reservations.select_related("area").order_by("area__name"),
        },
    )


@permission_required("events.change_meeting")
@require_POST
def reservation_delete(request, pk: int):
    reservation = get_object_or_404(AreaReservation, pk=pk)
    services.area_reservation_delete(reservation_id=pk, actor=request.user)
    messages.success(request, _("Reservation released."))
    return redirect("events:staff_reservations", pk=reservation.meeting_id)


# --- Registrations ----------------------------------------------------------------------------


@permission_required("events.view_registration")
def registrations(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    form = RegistrationFilterForm(request.GET or None)
    q, status = "", ""
    if form.is_valid():
        q, status = form.cleaned_data["q"], form.cleaned_data["status"]
    rows = list(selectors.registrations_for_staff(meeting=meeting, status=status, q=q)[:500])
    breakouts = selectors.breakouts_for_meeting(meeting=meeting)
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=meeting,
        detail={"kind": "registrations", "rows": len(rows)},
    )
    return render(
        request,
        "events/staff/registrations.html",
        {
            "meeting": meeting,
            "form": form,
            "registrations": rows,
            "breakouts": breakouts,
            "move_form": RegistrationMoveForm(breakouts=breakouts),
            "truncated": len(rows) == 500,
        },
    )


@permission_required("events.view_registration")
def registrations_export(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    include_access = request.GET.get("access") == "1"
    content = services.registrations_export_csv(
        meeting_id=pk, actor=request.user, include_access=include_access
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="registrations-{meeting.slug}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@permission_required("events.change_registration")
@require_POST
def registration_move(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk)
    breakouts = selectors.breakouts_for_meeting(meeting=registration.meeting)
    form = RegistrationMoveForm(request.POST, breakouts=breakouts)
    if form.is_valid():
        try:
            services.registration_move(
                registration_id=pk, breakout_id=form.breakout_id(), actor=request.user
            )
        except ValidationError as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("Breakout changed."))
    else:
        messages.error(request, _("Choose a breakout of this meeting."))
    return redirect("events:staff_registrations", pk=registration.meeting_id)


@permission_required("events.change_registration")
@require_POST
def registration_promote(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk)
    try:
        services.registration_promote(registration_id=pk, actor=request.user)
    except ValidationError as error:
        _flash_error(request, error)
    else:
        messages.success(request, _("Place confirmed. They are being told by email."))
    return redirect("events:staff_registrations", pk=registration.meeting_id)


@permission_required("events.change_registration")
@require_POST
def registration_cancel(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk)
    services.registration_cancel_by_staff(registration_id=pk, actor=request.user)
    messages.success(
        request,
        _(
            "Registration cancelled. They are being told by email, and the place goes to the waiting list."
        ),
    )
    return redirect("events:staff_registrations", pk=registration.meeting_id)


@permission_required("events.change_registration")
def attendance_import(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    form = AttendanceImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.attendance_import(
                meeting_id=pk, content=form.cleaned_data["file"].read(), actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "events/staff/attendance_import.html",
        {"meeting": meeting, "form": form, "report": report},
    )


# --- Panel questions --------------------------------------------------------------------------


@permission_required("events.view_panelquestion")
def panel_questions(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    status = request.GET.get("status", "")
    if status not in PanelQuestionStatus.values:
        status = ""
    questions = [
        (
            q,
            PanelQuestionForm(
                prefix=f"q{q.pk}",
                initial={"status": q.status, "group": q.group, "answer": q.answer},
            ),
        )
        for q in selectors.panel_questions_for_staff(meeting=meeting, status=status)
    ]
    return render(
        request,
        "events/staff/panel_questions.html",
        {
            "meeting": meeting,
            "questions": questions,
            "status": status,
            "statuses": PanelQuestionStatus.choices,
        },
    )


@permission_required("events.change_panelquestion")
@require_POST
def panel_question_moderate(request, pk: int):
    question = get_object_or_404(PanelQuestion, pk=pk)
    form = PanelQuestionForm(request.POST, prefix=f"q{pk}")
    if form.is_valid():
        try:
            services.panel_question_moderate(
                question_id=pk,
                status=form.cleaned_data["status"],
                group=form.cleaned_data["group"],
                answer=form.cleaned_data["answer"],
                actor=request.user,
            )
        except ValidationError as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("Question updated."))
    else:
        messages.error(request, _("Choose what to do with the question."))
    return redirect(reverse("events:staff_panel_questions", args=[question.meeting_id]) + f"#q{pk}")


# --- Representation ---------------------------------------------------------------------------


@permission_required("events.view_meeting")
def representation(request, pk: int):
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    data = reports.meeting_representation(meeting)
    published = request.GET.get("published") == "1"
    tables = reports.representation_tables(data, published=published)
    points = reports.series_representation(meeting.series) if meeting.series else []
    if published:
        reports.series_for_publication(points)
    return render(
        request,
        "events/staff/representation.html",
        {
            "meeting": meeting,
            "rep": data,
            "published": published,
            "threshold": reports.small_number_threshold(),
            "tables": tables,
            # With every area withheld, the empty areas' list and count would reveal the cells.
            "hide_areas": published and tables["areas"].all_withheld,
            "series_points": points,
            "chart_height": 56 * len(points),
        },
    )


@permission_required("events.view_meeting", "engage.add_segment")
@require_POST
def representation_segment(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    data = reports.meeting_representation(meeting)
    try:
        segment = services.segment_create_for_areas(
            meeting_id=pk, area_slugs=[a.slug for a in data.not_represented], actor=request.user
        )
    except ValidationError as error:
        _flash_error(request, error)
    else:
        messages.success(
            request,
            _("Saved the segment “%(name)s” for targeted invitations.") % {"name": segment.name},
        )
    return redirect("events:staff_representation", pk=pk)
