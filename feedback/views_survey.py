"""The attendee's pages: the post-meeting survey and a session's feedback form, opened by the
emailed link (`?t=`) or, for a signed-in person who was checked in, from the meeting page.
Any link or visitor that cannot answer gets a page saying why and what to do, never an error."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from events.enums import MeetingStatus
from events.models import Meeting
from feedback.forms_survey import SessionFeedbackForm, SurveyForm
from feedback.selectors import survey as survey_selectors
from feedback.selectors.survey import SurveyRefused
from feedback.services import survey as survey_services

# Why a visitor cannot answer, and the status code of the page that says so: a closed or
# not-yet-open survey is a normal state of a good link; the rest are links that do not work.
_REFUSED_STATUS = {
    "closed": 200,
    "not_open": 200,
    "sign_in": 200,
    "expired": 403,
    "invalid": 403,
    "other_meeting": 403,
    "not_attended": 403,
}


def _meeting(slug: str) -> Meeting:
    return get_object_or_404(Meeting.objects.exclude(status=MeetingStatus.DRAFT), slug=slug)


def _refused(request, meeting: Meeting, refused: SurveyRefused, survey=None):
    survey = refused.survey or survey
    return render(
        request,
        "feedback/public/survey_refused.html",
        {
            "meeting": meeting,
            "reason": refused.reason,
            "closed_at": survey.close_time(meeting) if survey else None,
            "login_url": reverse("account_login") + "?" + urlencode({"next": request.path}),
            # An expired link may ask for a fresh one, mailed to the address on file.
            "token": request.GET.get("t", "") if refused.reason == "expired" else "",
        },
        status=_REFUSED_STATUS[refused.reason],
    )


def _with_token(url: str, token: str) -> str:
    return f"{url}?{urlencode({'t': token})}" if token else url


def _session_links(meeting: Meeting, token: str) -> list[tuple]:
    return [
        (s, _with_token(reverse("feedback:session_feedback", args=[meeting.slug, s.pk]), token))
        for s in survey_selectors.feedback_sessions(meeting=meeting)
    ]


def _open(request, meeting: Meeting):
    """(access, survey, token) for this visitor, or raises SurveyRefused."""
    token = request.GET.get("t", "")
    access = survey_selectors.survey_access(meeting=meeting, token=token, user=request.user)
    survey = survey_services.meeting_survey_ensure(meeting_id=meeting.pk)
    survey_selectors.survey_open_check(survey=survey, meeting=meeting)
    return access, survey, token


def survey(request, slug: str):
    meeting = _meeting(slug)
    try:
        access, survey, token = _open(request, meeting)
    except SurveyRefused as refused:
        return _refused(request, meeting, refused)
    questions = survey_selectors.survey_questions(survey=survey)
    earlier = survey_selectors.response_own(survey=survey, access=access)
    form = SurveyForm(
        request.POST or None,
        questions=questions,
        ask_equality=survey.ask_equality,
        equality_done=bool(earlier and earlier.equality_recorded),
        initial=SurveyForm.initial_from(earlier, questions),
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey_services.survey_response_save(
                survey_id=survey.pk,
                registration_id=access.registration.pk,
                stakeholder_id=access.registration.stakeholder_id,
                submission=form.submission(),
            )
        except survey_services.SurveyClosed:
            return _refused(request, meeting, SurveyRefused("closed", survey=survey))
        return redirect(_with_token(reverse("feedback:survey_thanks", args=[meeting.slug]), token))
    return render(
        request,
        "feedback/public/survey.html",
        {
            "meeting": meeting,
            "form": form,
            "earlier": earlier,
            "closes_at": survey.close_time(meeting),
            "action": _with_token(request.path, token),
            "sessions": _session_links(meeting, token),
        },
    )


def session_feedback(request, slug: str, session_pk: int):
    meeting = _meeting(slug)
    session = get_object_or_404(meeting.sessions, pk=session_pk)
    try:
        access, survey, token = _open(request, meeting)
        if timezone.now() < session.start:
            raise SurveyRefused("not_open", survey=survey)
    except SurveyRefused as refused:
        return _refused(request, meeting, refused)
    questions = survey_selectors.session_feedback_questions(session=session)
    if not questions:
        raise Http404
    earlier = survey_selectors.response_own(survey=survey, access=access, session_id=session.pk)
    form = SessionFeedbackForm(
        request.POST or None,
        questions=questions,
        initial=SessionFeedbackForm.initial_from(earlier),
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey_services.survey_response_save(
                survey_id=survey.pk,
                registration_id=access.registration.pk,
                stakeholder_id=access.registration.stakeholder_id,
                submission=form.submission(),
                session_id=session.pk,
            )
        except survey_services.SurveyClosed:
            return _refused(request, meeting, SurveyRefused("closed", survey=survey))
        return redirect(_with_token(reverse("feedback:survey_thanks", args=[meeting.slug]), token))
    return render(
        request,
        "feedback/public/session_feedback.html",
        {
            "meeting": meeting,
            "session": session,
            "form": form,
            "earlier": earlier,
            "closes_at": survey.close_time(meeting),
            "action": _with_token(request.path, token),
            "survey_url": _with_token(reverse("feedback:survey", args=[meeting.slug]), token),
        },
    )


def survey_thanks(request, slug: str):
    meeting = _meeting(slug)
    try:
        _access, survey, token = _open(request, meeting)
    except SurveyRefused as refused:
        return _refused(request, meeting, refused)
    return render(
        request,
        "feedback/public/survey_thanks.html",
        {
            "meeting": meeting,
            "closes_at": survey.close_time(meeting),
            "survey_url": _with_token(reverse("feedback:survey", args=[meeting.slug]), token),
            "sessions": _session_links(meeting, token),
        },
    )
