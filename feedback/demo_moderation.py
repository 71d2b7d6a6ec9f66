"""Demo moderation for the past demo meeting: a few more points as a room really gives them (a
name and a phone number, a near-duplicate, an off-topic remark, an untagged point), then the
engagement team's work on them: personal data removed, one duplicate merged, the off-topic
point withheld with its reason, the first breakout approved. Others are left waiting, so the
moderation page and the themes page have something to show. Safe to run again: each step is
skipped once done."""

import uuid

from django.db import transaction

from engage.models import User
from events.models import DiscussionQuestion
from feedback import services
from feedback.enums import ModerationState
from feedback.models import Point

TEAM_EMAIL = "team@engage.test"

EXTRA = [
    # (text, weight, theme)
    (
        "Sergeant Dave Collins runs the football nights, ring him on 020 7946 0321 to join.",
        1,
        "Youth",
    ),
    ("Engage with young people outside of stop and search, regularly, to build trust.", 1, ""),
    ("Talk to young people away from stop and search so trust can grow.", 1, ""),
    ("Can someone fix the car park barrier at the venue?", 1, ""),
    ("Fund youth-led groups to run sessions with officers.", 2, ""),
]


@transaction.atomic
def demo_load_moderation(*, meeting) -> None:
    team = User.objects.filter(email=TEAM_EMAIL).first()
    question = (
        DiscussionQuestion.objects.filter(session__meeting=meeting)
        .select_related("session")
        .order_by("session__start", "session__order", "order", "id")
        .first()
    )
    if team is None or question is None:
        return
    extra = []
    for n, (text, weight, theme) in enumerate(EXTRA):
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"engage-demo-moderation/{question.pk}/{n}")
        point = Point.objects.filter(key=key).first()
        if point is None:
            # Keyed in from the paper notes after the meeting, by the team.
            point, _created = services.point_capture(
                key=key,
                question_id=question.pk,
                author=team,
                text=text,
                weight=weight,
                theme=theme,
                source="paper",
            )
        extra.append(point)
    services.points_check_personal_data(meeting=meeting)
    named, duplicate, _other_duplicate, off_topic, _untagged = (
        Point.objects.get(pk=p.pk) for p in extra
    )
    if named.pii_open:
        services.point_redact(point_id=named.pk, actor=team)
    first = Point.objects.filter(question=question, source="facilitator").order_by("id").first()
    if first is not None and duplicate.merged_into_id is None:
        services.points_merge(
            meeting=meeting, point_ids=[duplicate.pk], into_id=first.pk, actor=team
        )
    if off_topic.moderation != ModerationState.WITHHELD:
        services.point_withhold(
            point_id=off_topic.pk, actor=team, reason="Off-topic: passed to the venue team."
        )
    session_points = Point.objects.filter(session=question.session, deleted_at__isnull=True)
    services.points_approve(
        point_ids=session_points.exclude(pk__in=[p.pk for p in extra[1:]]).values_list(
            "pk", flat=True
        ),
        actor=team,
    )
