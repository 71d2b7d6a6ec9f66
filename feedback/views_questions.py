"""Staff pages for questions: the team's templates, and the questions put to a meeting's sessions
(picked from a template or written afresh). Thin: parse, call one service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from engage.permissions import permission_required
from events.enums import AnswerSource
from events.models import DiscussionQuestion, Meeting
from feedback import selectors, services
from feedback.models import QuestionTemplate

_EDIT = ("events.view_meeting", "events.change_meeting")


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@permission_required(*_EDIT)
def templates(request):
    if request.method == "POST":
        try:
            services.question_template_create(
                text=request.POST.get("text", ""),
                answer_sources=request.POST.getlist("answer_sources"),
                actor=request.user,
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Question template added."))
            return redirect("feedback:staff_question_templates")
    return render(
        request,
        "feedback/staff/question_templates.html",
        {
            "templates": list(selectors.question_templates_active()),
            "sources": AnswerSource.choices,
            "text": request.POST.get("text", ""),
        },
    )


@permission_required(*_EDIT)
def meeting_questions(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    sessions = list(meeting.sessions.prefetch_related("questions"))
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                question = get_object_or_404(
                    DiscussionQuestion,
                    pk=request.POST.get("question") or 0,
                    session__meeting=meeting,
                )
                services.session_question_remove(question_id=question.pk, actor=request.user)
                messages.success(request, _("Question removed."))
            else:
                session = get_object_or_404(meeting.sessions, pk=request.POST.get("session") or 0)
                template = request.POST.get("template") or None
                services.session_question_add(
                    session_id=session.pk,
                    template_id=int(template) if template else None,
                    text=request.POST.get("text", ""),
                    answer_sources=request.POST.getlist("answer_sources"),
                    actor=request.user,
                )
                messages.success(request, _("Question added."))
        except ValidationError as error:
            _flash(request, error)
        except (ValueError, QuestionTemplate.DoesNotExist):
            messages.error(request, _("Choose a question template."))
        return redirect("feedback:staff_meeting_questions", pk=pk)
    return render(
        request,
        "feedback/staff/meeting_questions.html",
        {
            "meeting": meeting,
            "sessions": sessions,
            "templates": list(selectors.question_templates_active()),
            "sources": AnswerSource.choices,
        },
    )
