"""The action plan: staff pages (plans, chapters, import with a dry run, update rounds, writing
updates, rewording) and the public plan and commitment pages. Thin: parse, call one service or
selector, render."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from engage.links import LinkExpired, LinkInvalid
from engage.permissions import permission_required
from events.forms_staff import apply_service_errors
from feedback.documents import DOCX_TYPE, document_docx, document_pdf
from feedback.forms_plan import (
    ChapterForm,
    CommitmentLinksForm,
    ImportForm,
    PlanForm,
    RewordForm,
    RoundForm,
    UpdateForm,
)
from feedback.models import ActionPlan, Commitment, Rating, UpdateRound
from feedback.selectors import plan as plan_selectors
from feedback.selectors.plan_links import commitment_link_choices
from feedback.services import plan as plan_services
from feedback.services.plan_links import commitment_links_set

_EDIT = ("events.view_meeting", "events.change_meeting")
_FILE_TYPES = {"pdf": ("application/pdf", document_pdf), "docx": (DOCX_TYPE, document_docx)}
# A published round never changes, so its files are made once per cache lifetime.
_FILE_CACHE_SECONDS = 24 * 3600


def _flash(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@permission_required(*_EDIT)
def plans(request):
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_services.plan_create(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("feedback:staff_plan", pk=plan.pk)
    return render(
        request,
        "feedback/staff/plans.html",
        {"plans": list(ActionPlan.objects.order_by("title")), "form": form},
    )


def _plan_context(plan, **forms) -> dict:
    context = {
        "plan": plan,
        "chapters": list(plan.chapters.order_by("pk")),
        "commitments": list(plan.commitments.select_related("chapter", "owner")),
        "rounds": list(plan.rounds.order_by("-period_end", "-pk")),
        "open_round": plan.rounds.filter(published_at__isnull=True).first(),
        "chapter_form": ChapterForm(),
        "import_form": ImportForm(),
        "round_form": RoundForm(),
        "report": None,
    }
    context.update(forms)
    return context


@permission_required(*_EDIT)
def plan_detail(request, pk: int):
    plan = get_object_or_404(ActionPlan, pk=pk)
    return render(request, "feedback/staff/plan.html", _plan_context(plan))


@permission_required(*_EDIT)
@require_POST
def chapter_add(request, pk: int):
    plan = get_object_or_404(ActionPlan, pk=pk)
    form = ChapterForm(request.POST)
    if form.is_valid():
        try:
            plan_services.chapter_add(plan_id=pk, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Chapter added."))
            return redirect("feedback:staff_plan", pk=pk)
    return render(
        request, "feedback/staff/plan.html", _plan_context(plan, chapter_form=form), status=400
    )


@permission_required(*_EDIT)
@require_POST
def plan_import(request, pk: int):
    plan = get_object_or_404(ActionPlan, pk=pk)
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        open_round = plan.rounds.filter(published_at__isnull=True).first()
        report = plan_services.plan_import(
            plan_id=pk,
            data=upload.read(),
            file_name=upload.name,
            round_id=open_round.pk if open_round else None,
            dry_run=request.POST.get("action") != "import",
            actor=request.user,
        )
        if report.ok and not report.dry_run:
            messages.success(
                request,
                _("Imported: %(c)s new, %(r)s reworded, %(u)s updates.")
                % {"c": report.created, "r": report.reworded, "u": report.updates},
            )
            return redirect("feedback:staff_plan", pk=pk)
    return render(
        request,
        "feedback/staff/plan.html",
        _plan_context(plan, import_form=form, report=report),
        status=200 if report and report.ok else 400,
    )


@permission_required(*_EDIT)
@require_POST
def round_open(request, pk: int):
    plan = get_object_or_404(ActionPlan, pk=pk)
    form = RoundForm(request.POST)
    if form.is_valid():
        try:
            round_ = plan_services.round_open(plan_id=pk, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Round opened."))
            return redirect("feedback:staff_round", pk=round_.pk)
    return render(
        request, "feedback/staff/plan.html", _plan_context(plan, round_form=form), status=400
    )


@permission_required(*_EDIT)
def round_detail(request, pk: int):
    round_ = get_object_or_404(UpdateRound.objects.select_related("plan"), pk=pk)
    ratings = list(Rating.objects.all())
    updates = {u.commitment_id: u for u in round_.updates.select_related("rating", "by_owner")}
    rows = [
        (c, updates.get(c.pk)) for c in round_.plan.commitments.select_related("chapter", "owner")
    ]
    return render(
        request,
        "feedback/staff/round.html",
        {
            "round": round_,
            "rows": rows,
            "ratings": ratings,
            "written": len(updates),
            "form": UpdateForm(ratings=ratings),
        },
    )


@permission_required(*_EDIT)
@require_POST
def update_write(request, pk: int, commitment_pk: int):
    round_ = get_object_or_404(UpdateRound, pk=pk)
    form = UpdateForm(request.POST, ratings=list(Rating.objects.all()))
    if form.is_valid():
        try:
            plan_services.update_write(
                round_id=pk,
                commitment_id=commitment_pk,
                status_text=form.cleaned_data["status_text"],
                rating_code=form.cleaned_data["rating"],
                actor=request.user,
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Update saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("feedback:staff_round", pk=round_.pk)


@permission_required(*_EDIT)
@require_POST
def round_publish(request, pk: int):
    try:
        plan_services.round_publish(round_id=pk, actor=request.user)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("Round published."))
    return redirect("feedback:staff_round", pk=pk)


@permission_required(*_EDIT)
def commitment_edit(request, pk: int):
    commitment = get_object_or_404(Commitment.objects.select_related("plan"), pk=pk)
    form = RewordForm(request.POST or None, initial={"text": commitment.text})
    if request.method == "POST" and form.is_valid():
        try:
            plan_services.commitment_reword(
                commitment_id=pk, text=form.cleaned_data["text"], actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Commitment reworded. Earlier updates keep their wording."))
            return redirect("feedback:staff_plan", pk=commitment.plan_id)
    return render(
        request, "feedback/staff/commitment_form.html", {"commitment": commitment, "form": form}
    )


@permission_required(*_EDIT)
def commitment_links(request, pk: int):
    """Link the themes and responses of the plan's meetings to a commitment."""
    commitment = get_object_or_404(Commitment.objects.select_related("plan"), pk=pk)
    themes, responses = commitment_link_choices(plan=commitment.plan)
    initial = {
        "themes": list(commitment.themes.values_list("pk", flat=True)),
        "responses": list(commitment.responses.values_list("pk", flat=True)),
    }
    # Unticking every box posts nothing but the token, which is still a submission.
    data = request.POST if request.method == "POST" else None
    form = CommitmentLinksForm(data, initial=initial, themes=themes, responses=responses)
    if request.method == "POST" and form.is_valid():
        try:
            commitment_links_set(
                commitment_id=pk,
                theme_ids=form.cleaned_data["themes"],
                response_ids=form.cleaned_data["responses"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("What people said about this commitment is saved."))
            return redirect("feedback:staff_commitment_links", pk=pk)
    return render(
        request,
        "feedback/staff/commitment_links.html",
        {"commitment": commitment, "form": form, "themes": themes, "responses": responses},
        status=400 if form.errors else 200,
    )


@permission_required(*_EDIT)
@require_POST
def round_ask(request, pk: int):
    try:
        asked = plan_services.round_ask_owners(round_id=pk, actor=request.user)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(
            request, _("%(n)s owners emailed a link to write their update.") % {"n": asked}
        )
    return redirect("feedback:staff_round", pk=pk)


def owner_update(request, pk: int, commitment_pk: int, token: str):
    """The owner writes a commitment's update through their signed link (no account)."""
    round_ = UpdateRound.objects.select_related("plan").filter(pk=pk).first()
    item = (
        Commitment.objects.select_related("owner", "chapter")
        .filter(pk=commitment_pk, plan_id=round_.plan_id if round_ else None)
        .first()
    )
    if round_ is None or item is None:
        return render(request, "feedback/owner/link_invalid.html", status=404)
    try:
        plan_services.owner_update_link_check(round_=round_, commitment=item, token=token)
    except LinkExpired:
        return render(request, "feedback/owner/link_expired.html", status=410)
    except LinkInvalid:
        return render(request, "feedback/owner/link_invalid.html", status=404)
    ratings = list(Rating.objects.all())
    current = item.updates.filter(round=round_).select_related("rating").first()
    initial = {"status_text": current.status_text, "rating": current.rating.code} if current else {}
    form = UpdateForm(request.POST or None, ratings=ratings, initial=initial)
    if request.method == "POST" and not round_.published_at and form.is_valid():
        try:
            plan_services.update_write(
                round_id=pk,
                commitment_id=item.pk,
                status_text=form.cleaned_data["status_text"],
                rating_code=form.cleaned_data["rating"],
                owner=item.owner,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return render(request, "feedback/owner/sent.html", {"item": item})
    previous = (
        item.updates.filter(round__published_at__isnull=False)
        .select_related("rating", "round")
        .order_by("-round__period_end")
        .first()
    )
    return render(
        request,
        "feedback/owner/update.html",
        {
            "round": round_,
            "item": item,
            "form": form,
            "ratings": ratings,
            "previous": previous,
            "current": current,
        },
        status=400 if form.errors else 200,
    )


# --- Public --------------------------------------------------------------------------------


def plan(request, slug: str):
    try:
        action_plan = plan_selectors.plan_get(slug=slug)
    except ActionPlan.DoesNotExist:
        raise Http404 from None
    context = plan_selectors.plan_public(plan=action_plan)
    rounds = list(plan_selectors.rounds_published(plan=action_plan))
    return render(
        request, "feedback/public/plan.html", {"plan": action_plan, "rounds": rounds, **context}
    )


@require_GET
def plan_round_file(request, slug: str, pk: int, kind: str):
    """A published round as the quarterly update document: accessible PDF or DOCX."""
    if kind not in _FILE_TYPES:
        raise Http404
    try:
        action_plan = plan_selectors.plan_get(slug=slug)
        document, round_ = plan_selectors.plan_round_document(plan=action_plan, round_id=pk)
    except (ActionPlan.DoesNotExist, UpdateRound.DoesNotExist):
        raise Http404 from None
    content_type, build = _FILE_TYPES[kind]
    data = cache.get_or_set(
        f"feedback:plan-round:{round_.pk}:{kind}", lambda: build(document), _FILE_CACHE_SECONDS
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{action_plan.slug}-update-{round_.pk}.{kind}"'
    )
    return response


def commitment(request, slug: str, number: str):
    try:
        action_plan = plan_selectors.plan_get(slug=slug)
        context = plan_selectors.commitment_timeline(plan=action_plan, number=number)
    except (ActionPlan.DoesNotExist, Commitment.DoesNotExist):
        raise Http404 from None
    return render(request, "feedback/public/commitment.html", {"plan": action_plan, **context})
