"""Demo data for responses owed and the action plan: owners, the demo meeting's responses in
every status with their history, and a plan with two published quarters of updates.

Written straight to the rows (the dates are in the past) and marked as announced, so loading the
demo never emails anyone. Safe to run again: everything is found by a fixed key first.
"""

import datetime as dt

from django.db import transaction

from events.models import Meeting
from feedback.enums import ResponseAction, ResponseSource, ResponseStatus
from feedback.models import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentUpdate,
    Owner,
    Rating,
    Response,
    ResponseEvent,
    UpdateRound,
)

OWNERS = [
    ("Police service: community engagement", "Alex Morgan", "engagement.lead@police.example.org"),
    ("Office for Policing: oversight team", "Priya Shah", "oversight@office.example.org"),
]

OWED = [
    (
        "Publish stop and search figures by borough every month.",
        ResponseStatus.RESPONDED,
        "Borough figures are now published on the first Monday of each month.",
        "",
    ),
    (
        "Set up a separate youth panel to scrutinise stop and search.",
        ResponseStatus.DECLINED,
        "",
        "Young people already sit on each borough's scrutiny group; we will fund two more places "
        "in each group instead of a separate panel.",
    ),
    ("Share body-worn video with community scrutiny groups.", ResponseStatus.IN_PROGRESS, "", ""),
    ("Explain how complaints about use of force are followed up.", ResponseStatus.OPEN, "", ""),
]

PLAN_SLUG = "mayors-action-plan"
CHAPTERS = [("1", "Better use of police powers"), ("2", "Transparency and accountability")]
COMMITMENTS = [
    ("1", "1.1", "Review samples of vehicle stops to find any disproportionality by ethnicity."),
    ("1", "1.2", "Review the use of handcuffing, and publish the review."),
    ("1", "1.3", "Make sure searches on the smell of cannabis alone are fully recorded."),
    ("2", "2.1", "Publish stop and search data, by borough, every month."),
    ("2", "2.2", "Give community scrutiny groups access to body-worn video."),
]
QUARTERS = [
    (
        "2021/22 Q1",
        dt.date(2021, 6, 30),
        {"1.1": "LG", "1.2": "LG", "1.3": "A", "2.1": "LG", "2.2": "R"},
    ),
    (
        "2021/22 Q2",
        dt.date(2021, 9, 30),
        {"1.1": "G", "1.2": "G", "1.3": "LG", "2.1": "G", "2.2": "A"},
    ),
]


@transaction.atomic
def demo_load_responses(*, meeting_slug: str) -> None:
    meeting = Meeting.objects.filter(slug=meeting_slug).first()
    if meeting is None:
        return
    owners = [
        Owner.objects.get_or_create(
            contact_email=email, defaults={"name": name, "contact_name": contact}
        )[0]
        for name, contact, email in OWNERS
    ]
    published = meeting.end + dt.timedelta(days=14)
    for n, (said, status, did, reason) in enumerate(OWED, start=1):
        reference = f"Demo item {n}"
        if Response.objects.filter(meeting=meeting, reference=reference).exists():
            continue
        closed = status in (ResponseStatus.RESPONDED, ResponseStatus.DECLINED)
        response = Response.objects.create(
            meeting=meeting,
            you_said=said,
            we_did=did,
            declined_reason=reason,
            status=status,
            source=ResponseSource.OTHER,
            reference=reference,
            order=100 + n,
            owner=None if status == ResponseStatus.OPEN else owners[n % 2],
            due_on=(meeting.end + dt.timedelta(days=60)).date(),
            responded_at=published + dt.timedelta(days=10) if closed else None,
            publish_at=published,
            notified_at=published,
        )
        ResponseEvent.objects.create(
            response=response, action=ResponseAction.CREATED, at=published, status="open"
        )
        if response.owner:
            ResponseEvent.objects.create(
                response=response,
                action=ResponseAction.ASSIGNED,
                at=published,
                status=ResponseStatus.IN_PROGRESS,
                due_on=response.due_on,
                note=response.owner.name,
            )
        if closed:
            ResponseEvent.objects.create(
                response=response,
                action=ResponseAction.APPROVED,
                at=response.responded_at,
                status=status,
                due_on=response.due_on,
            )
    _plan(owners, series=meeting.series)


def _plan(owners, *, series) -> None:
    plan, _ = ActionPlan.objects.get_or_create(
        slug=PLAN_SLUG,
        defaults={
            "title": "Action plan for transparency, accountability and trust",
            "series": series,
        },
    )
    chapters = {
        number: Chapter.objects.get_or_create(plan=plan, number=number, defaults={"title": title})[
            0
        ]
        for number, title in CHAPTERS
    }
    commitments = {}
    for order, (chapter, number, text) in enumerate(COMMITMENTS, start=1):
        commitments[number] = Commitment.objects.get_or_create(
            plan=plan,
            number=number,
            defaults={
                "chapter": chapters[chapter],
                "text": text,
                "lead_organisation": "Police service" if chapter == "1" else "Office for Policing",
                "owner": owners[0] if chapter == "1" else owners[1],
                "order": order,
            },
        )[0]
    ratings = {r.code: r for r in Rating.objects.all()}
    for title, period_end, rated in QUARTERS:
        round_, _ = UpdateRound.objects.get_or_create(
            plan=plan,
            title=title,
            defaults={
                "period_end": period_end,
                "opened_at": dt.datetime.combine(period_end, dt.time(9), tzinfo=dt.UTC),
                "published_at": dt.datetime.combine(
                    period_end + dt.timedelta(days=30), dt.time(9), tzinfo=dt.UTC
                ),
                # Announced long ago: loading the demo emails nobody.
                "notified_at": dt.datetime.combine(
                    period_end + dt.timedelta(days=30), dt.time(9), tzinfo=dt.UTC
                ),
            },
        )
        for number, code in rated.items():
            if code not in ratings:
                continue
            CommitmentUpdate.objects.get_or_create(
                round=round_,
                commitment=commitments[number],
                defaults={
                    "status_text": f"{ratings[code].label} at the end of {title}.",
                    "rating": ratings[code],
                    "wording": commitments[number].text,
                },
            )
