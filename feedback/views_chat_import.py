"""Staff pages importing an online meeting's chat or poll export as points: upload (a dry run),
then review the per-row report and import. Thin: parse, call one service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from engage.permissions import permission_required
from events.models import DiscussionQuestion, Meeting
from feedback.enums import PointSource
from feedback.models import ChatImport
from feedback.services import chat_import as chat_import_services

_EDIT = ("events.view_meeting", "events.change_meeting")


@permission_required(*_EDIT)
def upload(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    questions = list(
        DiscussionQuestion.objects.filter(session__meeting=meeting).select_related("session")
    )
    errors = []
    if request.method == "POST":
        question = next(
            (q for q in questions if str(q.pk) == request.POST.get("question", "")), None
        )
        upload_file = request.FILES.get("file")
        if question is None:
            errors.append(("question", _("Choose the question the messages answer.")))
        if upload_file is None:
            errors.append(("file", _("Choose the exported file to upload.")))
        if not errors:
            try:
                chat_import = chat_import_services.chat_import_dry_run(
                    question_id=question.pk,
                    source=request.POST.get("source", ""),
                    upload=upload_file,
                    actor=request.user,
                )
            except ValidationError as error:
                errors.extend(("file", message) for message in error.messages)
            else:
                return redirect("feedback:staff_chat_import_review", pk=chat_import.pk)
    return render(
        request,
        "feedback/staff/chat_import.html",
        {
            "meeting": meeting,
            "questions": questions,
            "sources": [(s.value, s.label) for s in chat_import_services.SOURCES],
            "errors": errors,
            "chosen": request.POST.get("question", ""),
            "chosen_source": request.POST.get("source", PointSource.CHAT),
        },
        status=400 if errors else 200,
    )


@permission_required(*_EDIT)
def review(request, pk: int):
    chat_import = get_object_or_404(ChatImport.objects.select_related("question__session"), pk=pk)
    if request.method == "POST":
        try:
            chat_import = chat_import_services.chat_import_commit(
                chat_import_id=chat_import.pk, actor=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(count)s points imported.") % {"count": chat_import.report.get("created", 0)},
            )
        return redirect("feedback:staff_chat_import_review", pk=pk)
    return render(
        request,
        "feedback/staff/chat_import_review.html",
        {
            "chat_import": chat_import,
            "report": chat_import.report,
            "meeting": chat_import.question.session.meeting,
        },
    )
