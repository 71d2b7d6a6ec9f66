"""Demo meetings modelled on the quarterly public review meetings. Created once: running it
again never moves a meeting the team has edited (its calendar SEQUENCE would not follow)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from engage.models import User
from events.enums import MeetingFormat, MeetingStatus, SessionKind
from events.models import DiscussionQuestion, Meeting, Series, Session

LONDON = ZoneInfo("Europe/London")

PAST_MEETINGS = [
    # (slug, date, start hour, format, title, summary)
    (
        "2021-02-public-review",
        dt.date(2021, 2, 25),
        14,
        MeetingFormat.ONLINE,
        "Public review meeting: February 2021",
        "The first public review of the action plan: recruitment and progression, and the new race equality data dashboard.",
    ),
    (
        "2021-07-public-review",
        dt.date(2021, 7, 7),
        14,
        MeetingFormat.HYBRID,
        "Public review meeting: July 2021",
        "Progress on building trust and confidence, with breakouts on use of force and on what people who are stopped should know.",
    ),
    (
        "2021-10-public-review",
        dt.date(2021, 10, 7),
        18,
        MeetingFormat.IN_PERSON,
        "Public review meeting: October 2021 (evening)",
        "An evening meeting focused on young people, held after attendees asked for evening events.",
    ),
    (
        "2022-01-public-review",
        dt.date(2022, 1, 18),
        14,
        MeetingFormat.ONLINE,
        "Public review meeting: January 2022",
        "A single-topic meeting on the work of safer schools officers.",
    ),
]

BREAKOUT_QUESTIONS = [
    (
        "Trust and transparency",
        [
            "How could communities help support the police's work on use of force?",
            "What should the police stop, start and continue doing in your area?",
        ],
    ),
    (
        "Knowing your rights",
        [
            "How can communities help people who are stopped understand what might happen?",
            "If you could have changed one thing about this session, what would it be?",
        ],
    ),
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def _upcoming_day() -> dt.date:
    # Six weeks ahead, on a Thursday: far enough for invitations and reminders to run in the demo.
    day = timezone.localdate() + dt.timedelta(weeks=6)
    return day + dt.timedelta(days=(3 - day.weekday()) % 7)


def _agenda(meeting: Meeting, facilitator: User | None) -> None:
    start = meeting.start
    plenary, _ = Session.objects.get_or_create(
        meeting=meeting,
        order=0,
        defaults={
            "kind": SessionKind.PLENARY,
            "title": "Updates from the office and the police",
            "start": start,
            "end": start + dt.timedelta(minutes=45),
            "room": "Main hall",
        },
    )
    for index, (title, questions) in enumerate(BREAKOUT_QUESTIONS, start=1):
        session, created = Session.objects.get_or_create(
            meeting=meeting,
            order=index,
            defaults={
                "kind": SessionKind.BREAKOUT,
                "title": title,
                "start": start + dt.timedelta(minutes=50),
                "end": start + dt.timedelta(minutes=110),
                "room": f"Breakout room {index}",
                "capacity": max(meeting.capacity // 2, 1),
            },
        )
        if facilitator is not None and created:
            session.facilitators.add(facilitator)
        for order, text in enumerate(questions):
            DiscussionQuestion.objects.get_or_create(
                session=session, order=order, defaults={"text": text}
            )
    return plenary


@transaction.atomic
def demo_load_events(*, facilitator: User | None = None) -> None:
    """The public review series, its past meetings and one upcoming meeting with breakouts."""
    series, _ = Series.objects.get_or_create(
        slug="public-review",
        defaults={
            "name": "Action plan public review meetings",
            "description": "Quarterly meetings where the office and the police report progress on the "
            "action plan and communities discuss it.",
        },
    )
    for slug, day, hour, fmt, title, summary in PAST_MEETINGS:
        meeting, created = Meeting.objects.get_or_create(
            slug=slug,
            defaults={
                "series": series,
                "title": title,
                "summary": summary,
                "start": _at(day, hour),
                "end": _at(day, hour + 2, 30),
                "format": fmt,
                "status": MeetingStatus.COMPLETED,
                "venue": "" if fmt == MeetingFormat.ONLINE else "City Hall, Kamal Chunchie Way",
                "capacity": 150,
            },
        )
        if created:
            _agenda(meeting, None)
    day = _upcoming_day()
    upcoming, created = Meeting.objects.get_or_create(
        slug="next-public-review",
        defaults={
            "series": series,
            "title": "Public review meeting: next quarter",
            "summary": "Progress on the action plan since the last meeting, questions for the panel, and "
            "breakout discussions. Pre-reading and questions are shared two weeks ahead.",
            "start": _at(day, 18),
            "end": _at(day, 20, 30),
            "format": MeetingFormat.HYBRID,
            "venue": "City Hall, Kamal Chunchie Way",
            "status": MeetingStatus.PUBLISHED,
            "access_information": "Step-free access from the main entrance; hearing loop in all rooms.",
            "online_url": "https://meet.example.org/public-review",
            "capacity": 120,
            "registration_opens": timezone.now() - dt.timedelta(days=1),
            "registration_closes": _at(day, 12),
        },
    )
    if created:
        _agenda(upcoming, facilitator)
