"""Staff moderation of a meeting's points before publication, and its themes page.
Thin: parse, call one service or selector, render. For the engagement team and administrators.

Points are checked for personal data by a task after each capture, edit or import
(feedback.services.personal_data). The list checks inline only the handful a task has not reached
yet; more than that are shown as not yet checked, and the task or the beat sweep checks them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from engage.permissions import permission_required
from events.forms_staff import apply_service_errors
from events.models import Meeting
from feedback import selectors, services
from feedback.enums import ModerationState
from feedback.forms_moderation import BulkForm, ModerationFilterForm, PointEditForm, WithholdForm
from feedback.models import Point

_EDIT = ("events.view_meeting", "events.change_meeting")
# A page a moderator can work through; the filters find the rest.
PAGE_SIZE = 25
_SHORT = 80
# Checked in the request when no more than this many are waiting for their task: a fraction of a
# second. A whole import waiting is left to its task (seconds for thousands of points).
INLINE_CHECK_MAX = 10


def _back(request, meeting_pk: int):
    """Back to the page the action was taken on (list with its filters, or themes page)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("feedback:staff_moderation", pk=meeting_pk)


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@permission_required(*_EDIT)
def moderation(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    counts = selectors.moderation_counts(meeting_id=pk)
    if 0 < counts["unchecked"] <= INLINE_CHECK_MAX:
        services.points_check_personal_data(meeting=meeting)
        counts = selectors.moderation_counts(meeting_id=pk)
    form = ModerationFilterForm(
        request.GET or None,
        question_texts=selectors.meeting_question_texts(meeting_id=pk),
        themes=selectors.meeting_themes(meeting=meeting),
    )
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ModerationFilters(
        state=data.get("state") or "",
        question_text=form.question_text(),
        theme=data.get("theme") or "",
    )
    page = selectors.moderation_page(
        meeting_id=pk, filters=filters, number=request.GET.get("page"), size=PAGE_SIZE
    )
    short: dict[int, str] = {}
    for point in page:
        text = point.question.text
        point.question_short = short.setdefault(
            point.question_id, text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"
        )
        point.unchecked = point.pii_checked_at is None or point.pii_checked_at < point.updated_at
        point.segments = selectors.text_segments(point.text, point.pii_flags)
        point.open_flags = [(i, f) for i, f in enumerate(point.pii_flags) if not f.get("dismissed")]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/staff/moderation.html",
        {
            "meeting": meeting,
            "form": form,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
            "here": request.get_full_path(),
            # Built once, not per point: the page links to up to PAGE_SIZE points.
            "review_prefix": reverse(
                "feedback:staff_point_review", kwargs={"pk": pk, "point_id": 0}
            ).removesuffix("0/"),
        },
    )


@permission_required(*_EDIT)
@require_POST
def moderation_check(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    queued = services.meeting_points_recheck(meeting=meeting)
    messages.success(
        request,
        ngettext(
            "%(n)d point will be checked again for personal data in the next minute or so.",
            "%(n)d points will be checked again for personal data in the next minute or so.",
            queued,
        )
        % {"n": queued},
    )
    return _back(request, pk)


@permission_required(*_EDIT)
@require_POST
def moderation_bulk(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    if request.POST.get("do"):
        # A button on one point of the list: "approve:12", "redact:12:0", "dismiss:12".
        action, _sep, rest = request.POST["do"].partition(":")
        point_id, _sep, flag = rest.partition(":")
        point = get_object_or_404(
            Point,
            pk=int(point_id) if point_id.isdigit() else 0,
            session__meeting_id=pk,
            deleted_at__isnull=True,
        )
        _point_do(request, point, action, flag)
        return _back(request, pk)
    form = BulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(request, pk)
    action, ids = form.cleaned_data["action"], form.cleaned_data["point"]
    try:
        if action == BulkForm.APPROVE:
            approved, flagged = services.points_approve(
                point_ids=_of_meeting(pk, ids), actor=request.user
            )
            messages.success(
                request,
                ngettext("%(n)d point approved.", "%(n)d points approved.", approved)
                % {"n": approved},
            )
            if flagged:
                messages.error(
                    request,
                    ngettext(
                        "%(n)d point still has personal data flagged: remove it or mark it as not personal data first.",
                        "%(n)d points still have personal data flagged: remove it or mark it as not personal data first.",
                        flagged,
                    )
                    % {"n": flagged},
                )
        elif action == BulkForm.THEME:
            changed = services.points_theme_set(
                meeting=meeting,
                point_ids=ids,
                actor=request.user,
                theme_name=form.cleaned_data["theme"],
            )
            messages.success(
                request,
                ngettext("Theme changed on %(n)d point.", "Theme changed on %(n)d points.", changed)
                % {"n": changed},
            )
        else:
            into = form.cleaned_data["into"] or ids[0]
            target = services.points_merge(
                meeting=meeting, point_ids=ids, into_id=into, actor=request.user
            )
            messages.success(
                request,
                _("Points merged: the point now counts %(n)d people.") % {"n": target.weight},
            )
    except ValidationError as error:
        _flash(request, error)
    except Point.DoesNotExist:
        messages.error(request, _("Those points are no longer there."))
    return _back(request, pk)


def _of_meeting(meeting_pk: int, ids: list[int]) -> list[int]:
    return list(
        selectors.moderation_list(meeting_id=meeting_pk, filters=selectors.ModerationFilters())
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )


@permission_required(*_EDIT)
@require_POST
def point_action(request, pk: int, point_id: int):
    point = get_object_or_404(Point, pk=point_id, session__meeting_id=pk, deleted_at__isnull=True)
    _point_do(request, point, request.POST.get("action", ""), request.POST.get("flag", ""))
    return _back(request, pk)


def _point_do(request, point: Point, action: str, flag: str) -> None:
    try:
        if action == "approve":
            approved, _flagged = services.points_approve(point_ids=[point.pk], actor=request.user)
            if approved:
                messages.success(request, _("Point approved."))
            else:
                messages.error(
                    request,
                    _("Remove the flagged personal data, or mark it as not personal data, first."),
                )
        elif action == "return":
            services.point_return(point_id=point.pk, actor=request.user)
            messages.success(request, _("Point returned to review."))
        elif action == "redact":
            services.point_redact(
                point_id=point.pk,
                actor=request.user,
                flag_index=int(flag) if flag.isdigit() else None,
            )
            messages.success(request, _("Personal data removed from the point."))
        elif action == "dismiss":
            services.point_flags_dismiss(point_id=point.pk, actor=request.user)
            messages.success(request, _("Marked as not personal data."))
        else:
            messages.error(request, _("Choose what to do with the point."))
    except ValidationError as error:
        _flash(request, error)


@permission_required(*_EDIT)
def point_review(request, pk: int, point_id: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    point = get_object_or_404(
        Point.objects.select_related("session", "question", "theme", "merged_into"),
        pk=point_id,
        session__meeting_id=pk,
    )
    initial = {"text": point.text, "verbatim": point.verbatim, "weight": point.weight}
    posted = request.POST.get("form") if request.method == "POST" else None
    edit = PointEditForm(request.POST if posted == "edit" else None, initial=initial)
    withhold = WithholdForm(
        request.POST if posted == "withhold" else None,
        initial={"reason": point.withheld_reason},
        prefix="withhold",
    )
    if posted == "edit" and edit.is_valid():
        try:
            services.point_moderate_edit(point_id=point.pk, actor=request.user, **edit.cleaned_data)
        except ValidationError as error:
            apply_service_errors(edit, error)
        else:
            messages.success(request, _("Point saved."))
            return redirect("feedback:staff_point_review", pk=pk, point_id=point.pk)
    if posted == "withhold" and withhold.is_valid():
        try:
            services.point_withhold(
                point_id=point.pk, actor=request.user, reason=withhold.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_service_errors(withhold, error)
        else:
            messages.success(request, _("Point withheld from publication. It stays in the record."))
            return redirect("feedback:staff_point_review", pk=pk, point_id=point.pk)
    errors = [(f, e) for form in (edit, withhold) for f in form for e in f.errors]
    errors += [(None, e) for form in (edit, withhold) for e in form.non_field_errors()]
    return render(
        request,
        "feedback/staff/point_review.html",
        {
            "meeting": meeting,
            "point": point,
            "segments": selectors.text_segments(point.text, point.pii_flags),
            "edit": edit,
            "withhold": withhold,
            "errors": errors,
            "history": selectors.point_history(point_id=point.pk),
            "merged_points": point.merged_points.all(),
            "states": ModerationState,
        },
        status=400 if errors else 200,
    )


@permission_required(*_EDIT)
def themes(request, pk: int):
    meeting = get_object_or_404(Meeting, pk=pk)
    texts = selectors.meeting_question_texts(meeting_id=pk)
    form = ModerationFilterForm(request.GET or None, question_texts=texts, themes=[])
    question_text = form.question_text() or (texts[0] if texts else "")
    suggestions = (
        selectors.theme_suggestions(meeting=meeting, question_text=question_text)
        if question_text
        else None
    )
    return render(
        request,
        "feedback/staff/themes.html",
        {
            "meeting": meeting,
            "form": form,
            "question_text": question_text,
            "histories": selectors.meeting_theme_history(meeting=meeting),
            "suggestions": suggestions,
            "here": request.get_full_path(),
            "moderation_url": reverse("feedback:staff_moderation", kwargs={"pk": pk}),
        },
    )
