"""Reads of the action plan: the public plan page (latest published rating per commitment and
counts by rating) and a commitment's timeline. Each is a fixed number of queries, however many
commitments or rounds there are."""

from collections import Counter

from django.db.models import Prefetch, QuerySet

from feedback.models import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentUpdate,
    Rating,
    Response,
    UpdateRound,
)


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
