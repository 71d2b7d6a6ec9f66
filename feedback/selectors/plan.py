"""Reads of the action plan: the public plan page (latest published rating per commitment and
counts by rating) and a commitment's timeline. Each is a fixed number of queries, however many
commitments or rounds there are."""

from collections import Counter

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from feedback.documents.model import Document
from feedback.documents.plan import PlanChapter, PlanRating, PlanUpdate, plan_update_document
from feedback.models import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentUpdate,
    Rating,
    Response,
    UpdateRound,
)
from feedback.selectors.report import report_language


def plan_get(*, slug: str) -> ActionPlan:
    """Raises ActionPlan.DoesNotExist."""
    return ActionPlan.objects.get(slug=slug)


def rounds_published(*, plan: ActionPlan) -> QuerySet:
    return UpdateRound.objects.filter(plan=plan, published_at__isnull=False).order_by(
        "-period_end", "-pk"
    )


def plan_public(*, plan: ActionPlan) -> dict:
    """Chapters with their commitments, each with its rating in the latest published round, and
    the counts by rating ("17 complete, 6 on track"). Six queries."""
    latest = rounds_published(plan=plan).first()
    ratings = list(Rating.objects.all())
    updates = {}
    if latest is not None:
        updates = {
            u.commitment_id: u
            for u in CommitmentUpdate.objects.filter(round=latest).select_related("rating")
        }
    chapters = list(
        Chapter.objects.filter(plan=plan)
        .order_by("pk")
        .prefetch_related(
            Prefetch("commitments", queryset=Commitment.objects.order_by("order", "pk"))
        )
    )
    groups = []
    for chapter in chapters:
        items = []
        for commitment in chapter.commitments.all():
            commitment.plan = plan  # its page address needs the plan's slug: no query per row
            items.append((commitment, updates.get(commitment.pk)))
        groups.append({"chapter": chapter, "items": items})
    by_rating = Counter(u.rating_id for u in updates.values())
    return {
        "latest": latest,
        "groups": groups,
        "total": sum(len(g["items"]) for g in groups),
        "counts": [{"rating": r, "count": by_rating.get(r.pk, 0)} for r in ratings],
    }


def commitment_timeline(*, plan: ActionPlan, number: str) -> dict:
    """A commitment, its published updates oldest first (with the wording of each moment), and
    what people said about it. Raises Commitment.DoesNotExist."""
    commitment = (
        Commitment.objects.select_related("chapter", "owner")
        .prefetch_related(
            "themes", Prefetch("responses", queryset=Response.objects.select_related("meeting"))
        )
        .get(plan=plan, number=number)
    )
    updates = list(
        CommitmentUpdate.objects.filter(commitment=commitment, round__published_at__isnull=False)
        .select_related("rating", "round")
        .order_by("round__period_end", "pk")
    )
    said = [r for r in commitment.responses.all() if r.is_published()]
    return {"commitment": commitment, "updates": updates, "said": said}


def _plan_rating(rating: Rating) -> PlanRating:
    return PlanRating(code=rating.code, label=rating.label, meaning=rating.meaning)


def plan_round_document(*, plan: ActionPlan, round_id: int) -> tuple[Document, UpdateRound]:
    """A published round as the quarterly update document: its chapters in order, each with the
    commitments updated in that round (the wording of the time), and the counts by rating.
    Three queries. Raises UpdateRound.DoesNotExist for a round not published (or not the plan's)."""
    round_ = UpdateRound.objects.get(plan=plan, pk=round_id, published_at__isnull=False)
    ratings = tuple(_plan_rating(r) for r in Rating.objects.all())
    updates = (
        CommitmentUpdate.objects.filter(round=round_)
        .select_related("rating", "commitment__chapter")
        .order_by("commitment__chapter_id", "commitment__order", "commitment_id")
    )
    chapters: dict[int, tuple] = {}
    for update in updates:
        chapter = update.commitment.chapter
        entry = chapters.setdefault(chapter.pk, (chapter, []))
        entry[1].append(
            PlanUpdate(
                number=update.commitment.number,
                wording=update.wording,
                status_text=update.status_text,
                rating=_plan_rating(update.rating),
            )
        )
    document = plan_update_document(
        plan_title=plan.title,
        round_title=round_.title,
        published_on=date_format(timezone.localtime(round_.published_at), "j F Y"),
        chapters=tuple(
            PlanChapter(number=chapter.number, title=chapter.title, updates=tuple(items))
            for chapter, items in chapters.values()
        ),
        ratings=ratings,
        language=report_language(),
        summary=plan.summary,
    )
    return document, round_
