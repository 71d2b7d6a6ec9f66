"""Reads for the next meeting's pre-reading: the data its draft is assembled from (what changed
in the action plan since the series' previous meeting, and the responses to that meeting) and
the published document. A fixed number of queries however many commitments or responses."""

import datetime as _dt
from collections import Counter, defaultdict

from django.utils import timezone
from django.utils.formats import date_format

from events.models import DiscussionQuestion, Meeting
from feedback.documents import Document, document_from_data
from feedback.documents.model import Section
from feedback.documents.prereading import (
    RatingMove,
    ResponseSince,
    RoundSince,
    prereading_sections,
)
from feedback.enums import ResponseStatus
from feedback.models import CommitmentUpdate, PreReading, Rating, UpdateRound
from feedback.selectors.record import responses_published
from feedback.selectors.responses import previous_meeting

# Published this long before the meeting by default, so delegates can read it and prepare
# questions (seeds/001: "this could have been shared earlier along with topics for discussion").
LEAD_TIME = _dt.timedelta(days=14)


def prereading_publish_default(*, meeting: Meeting, now: _dt.datetime | None = None):
    """Two weeks before the meeting starts, or now when that has passed."""
    now = now or timezone.now()
    return max(meeting.start - LEAD_TIME, now)


def _rating_words(rating: Rating) -> str:
    return f"{rating.code}, {rating.label}"


def _rounds_since(meeting: Meeting, since, now) -> tuple[RoundSince, ...]:
    if meeting.series_id is None:
        return ()
    rounds = UpdateRound.objects.filter(
        plan__series_id=meeting.series_id, published_at__isnull=False, published_at__lte=now
    )
    if since is not None:
        rounds = rounds.filter(published_at__gt=since)
    rounds = list(rounds.select_related("plan").order_by("published_at", "pk"))
    if not rounds:
        return ()
    scale = list(Rating.objects.all())
    # Every published update of these plans up to the latest round: a commitment's rating before
    # a round is its update in the round before, whenever that was.
    history = defaultdict(list)
    for update in (
        CommitmentUpdate.objects.filter(
            round__plan__in={r.plan_id for r in rounds},
            round__published_at__isnull=False,
            round__period_end__lte=max(r.period_end for r in rounds),
        )
        .select_related("rating", "commitment", "round")
        .order_by("round__period_end", "round_id")
    ):
        history[update.commitment_id].append(update)
    out = []
    for round_ in rounds:
        moves, counts = [], Counter()
        for updates in history.values():
            for i, update in enumerate(updates):
                if update.round_id != round_.pk:
                    continue
                counts[update.rating_id] += 1
                before = updates[i - 1].rating if i else None
                if before is None or before.pk != update.rating_id:
                    moves.append(
                        (
                            update.commitment.order,
                            update.commitment_id,
                            RatingMove(
                                number=update.commitment.number,
                                wording=update.wording,
                                before=_rating_words(before) if before else "",
                                after=_rating_words(update.rating),
                                status_text=update.status_text,
                            ),
                        )
                    )
        out.append(
            RoundSince(
                plan_title=round_.plan.title,
                round_title=round_.title,
                published_on=date_format(timezone.localtime(round_.published_at), "j F Y"),
                counts=tuple((_rating_words(r), counts[r.pk]) for r in scale if counts[r.pk]),
                moves=tuple(move for _o, _pk, move in sorted(moves, key=lambda m: m[:2])),
            )
        )
    return tuple(out)


def prereading_draft(*, meeting: Meeting, now: _dt.datetime | None = None):
    """The generated draft's sections and the moment "since the last meeting" starts (None for
    the first meeting of a series)."""
    now = now or timezone.now()
    previous = previous_meeting(meeting=meeting)
    since = previous.start if previous else None
    responses = ()
    if previous is not None:
        responses = tuple(
            ResponseSince(
                you_said=r.you_said,
                we_did=r.we_did or r.declined_reason,
                status=str(ResponseStatus(r.status).label),
            )
            for r in responses_published(meeting_id=previous.pk, now=now)
        )
    topics = tuple(
        DiscussionQuestion.objects.filter(session__meeting=meeting)
        .order_by("session__start", "order", "pk")
        .values_list("text", flat=True)
    )
    sections: tuple[Section, ...] = prereading_sections(
        previous_title=previous.title if previous else "",
        rounds=_rounds_since(meeting, since, now),
        responses=responses,
        topics=topics,
    )
    return sections, since


def prereading_public(
    *, meeting: Meeting, now: _dt.datetime | None = None
) -> tuple[Document, PreReading] | None:
    """The published pre-reading once its moment has come, else None."""
    now = now or timezone.now()
    prereading = PreReading.objects.filter(
        meeting=meeting, document__isnull=False, publish_at__lte=now
    ).first()
    if prereading is None:
        return None
    return document_from_data(prereading.document), prereading
