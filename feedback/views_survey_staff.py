"""Staff pages for a meeting's survey: choose its questions and close time, and see the results
in aggregate. Thin: parse, call one service or selector, render."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction
from engage.permissions import permission_required
from engage.services import audit_log
from events.models import DiscussionQuestion, Meeting
from feedback import selectors
from feedback.enums import SurveyQuestionKind
from feedback.models import SurveyQuestion
from feedback.selectors import survey as survey_selectors
from feedback.services import survey as survey_services

_EDIT = ("events.view_meeting", "events.change_meeting")


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _int_or_none(value: str) -> int | None:
    return int(value) if value and value.isdigit() else None


def _parse_local(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            {"closes_at": _("Enter the close time as a date and time.")}
        ) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _post(request, meeting: Meeting) -> None:
    action = request.POST.get("action")
    if action == "settings":
        survey_services.meeting_survey_update(
            meeting_id=meeting.pk,
            closes_at=_parse_local(request.POST.get("closes_at", "")),
            ask_equality=request.POST.get("ask_equality") == "on",
            actor=request.user,
        )
        messages.success(request, _("Survey saved."))
    elif action == "remove":
        question = get_object_or_404(
            SurveyQuestion,
            pk=_int_or_none(request.POST.get("question", "")) or 0,
            survey__meeting=meeting,
        )
        survey_services.survey_question_remove(question_id=question.pk, actor=request.user)
        messages.success(request, _("Question removed."))
    else:
        survey_services.survey_question_add(
            meeting_id=meeting.pk,
            kind=request.POST.get("kind", ""),
            text=request.POST.get("text", ""),
            choices=request.POST.get("choices", "").splitlines(),
            template_id=_int_or_none(request.POST.get("template", "")),
            discussion_question_id=_int_or_none(request.POST.get("discussion_question", "")),
            actor=request.user,
        )
        messages.success(request, _("Question added."))


@permission_required(*_EDIT)
def survey_edit(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    if request.method == "POST":
        try:
            _post(request, meeting)
        except ValidationError as error:
            _flash(request, error)
        except ObjectDoesNotExist:
            messages.error(request, _("Choose a question from the list."))
        return redirect("feedback:staff_survey", pk=pk)
    survey = survey_services.meeting_survey_ensure(meeting_id=meeting.pk)
    return render(
        request,
        "feedback/staff/survey.html",
        {
            "meeting": meeting,
            "survey": survey,
            "closes_at": timezone.localtime(survey.close_time(meeting)),
            "questions": survey_selectors.survey_questions(survey=survey),
            "templates": list(selectors.question_templates_active()),
            "discussion_questions": list(
                DiscussionQuestion.objects.filter(session__meeting=meeting).select_related(
                    "session"
                )
            ),
            "kinds": SurveyQuestionKind.choices,
            "sessions": survey_selectors.feedback_sessions(meeting=meeting),
            "default_days": survey_selectors.survey_open_days(),
        },
    )


@permission_required(*_EDIT)
def survey_results(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    survey = survey_services.meeting_survey_ensure(meeting_id=meeting.pk)
    results = survey_selectors.survey_results(survey=survey)
    # Free-text answers may name people; reading them is staff access to personal data.
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=survey,
        detail={"page": "survey results", "responses": results["responses"]},
    )
    return render(
        request,
        "feedback/staff/survey_results.html",
        {
            "meeting": meeting,
            "survey": survey,
            "results": results,
            "threshold": survey_selectors.small_number_threshold(),
        },
    )
