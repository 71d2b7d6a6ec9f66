"""Demo registrations and attendance at two past meetings of the series, the demo
representative among them. Created once per meeting: a meeting that already has registrations is
left alone. Every scheduled-send marker is set, so loading the demo emails nobody."""

import datetime as dt
import random

from django.db import transaction

from engage.demo_people import DEMO_SOURCE
from engage.models import Stakeholder
from events.enums import RegistrationStatus, SessionKind
from events.models import Meeting, Registration

# The two most recent past meetings: the ones "register again" and representation draw on.
ATTENDED_MEETINGS = [("2021-10-public-review", 70), ("2022-01-public-review", 85)]


def _registrations(meeting: Meeting, people: list[Stakeholder], rng: random.Random) -> list:
    breakouts = list(meeting.sessions.filter(kind=SessionKind.BREAKOUT).order_by("order"))
    rows = []
    for index, person in enumerate(people):
        booked = meeting.start - dt.timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 20))
        cancelled = rng.random() < 0.08 and index > 0
        # About one in five of those still booked did not come, as at the real meetings.
        attended = not cancelled and (index == 0 or rng.random() < 0.8)
        rows.append(
            Registration(
                meeting=meeting,
                stakeholder=person,
                status=RegistrationStatus.CANCELLED if cancelled else RegistrationStatus.CONFIRMED,
                breakout=rng.choice(breakouts) if breakouts and not cancelled else None,
                area=person.area,
                organisation_name="",
                attendee_list_ok=rng.random() < 0.5,
                created_at=booked,
                cancelled_at=booked + dt.timedelta(days=1) if cancelled else None,
                attended_at=meeting.start + dt.timedelta(minutes=rng.randint(-10, 25))
                if attended
                else None,
                reminders_sent=sorted(meeting.reminder_days, reverse=True),
                joining_instructions_sent_at=meeting.start - dt.timedelta(hours=2),
                survey_sent_at=meeting.end + dt.timedelta(hours=1),
            )
        )
    return rows


@transaction.atomic
def demo_load_attendance(*, representative: Stakeholder | None = None, seed: int = 2022) -> int:
    """Registrations, attendance and no-shows at two past meetings; returns how many it added."""
    rng = random.Random(seed)
    pool = list(Stakeholder.objects.filter(source=DEMO_SOURCE).order_by("email_normalised"))
    added = 0
    for slug, count in ATTENDED_MEETINGS:
        meeting = Meeting.objects.filter(slug=slug).first()
        if meeting is None or meeting.registrations.exists() or not pool:
            continue
        people = rng.sample(pool, min(count, len(pool)))
        if representative is not None:
            people = [representative, *[p for p in people if p.pk != representative.pk]]
        Registration.objects.bulk_create(_registrations(meeting, people, rng))
        added += len(people)
    return added
