"""Demo record for a past public review meeting: a published summary report and responses.

Written in the project's own words from the facts in the domain notes. Marked as announced
already, so loading the demo never emails anyone. Safe to run again.
"""

import datetime as dt
import uuid

from django.db import transaction

from events.models import DiscussionQuestion, Meeting
from feedback.demo_moderation import demo_load_moderation
from feedback.demo_report import demo_load_report
from feedback.demo_responses import demo_load_responses
from feedback.demo_survey import demo_load_survey
from feedback.enums import ResponseStatus
from feedback.models import MeetingReport, Point, PointRevision, PreReading, Response
from feedback.services import theme_for_meeting
from feedback.services.prereading import prereading_assemble, prereading_publish

DEMO_MEETING = "2021-07-public-review"
UPCOMING_MEETING = "next-public-review"

REPORT_TITLE = "What we heard in July"
REPORT_BODY = """\
More than 80 people joined the meeting, from 23 of London's 33 areas. After updates from the \
office and the police, people discussed how communities and the police could build trust.

Several people said the pre-reading was useful but came too late to prepare questions. A \
recurring theme across the breakouts was that engagement should happen outside stop and \
search, be led by communities, and reach young people in particular.

People asked for honest reporting of progress, with dates, and for the next meetings to be \
held at times more people can attend."""

RESPONSES = [
    (
        "Share the pre-reading and the discussion questions earlier.",
        "Papers and questions now go out two weeks before each meeting.",
        ResponseStatus.RESPONDED,
    ),
    (
        "Hold some meetings in the evening so that more people, and young people, can come.",
        "The October meeting is an evening meeting focused on young people.",
        ResponseStatus.RESPONDED,
    ),
    (
        "Show progress against the action plan with dates, not only descriptions.",
        "Each quarterly update will rate every commitment and give its next milestone.",
        ResponseStatus.IN_PROGRESS,
    ),
]


@transaction.atomic
def demo_load_feedback() -> None:
    meeting = Meeting.objects.filter(slug=DEMO_MEETING).first()
    if meeting is None:
        return
    published = meeting.end + dt.timedelta(days=14)
    MeetingReport.objects.update_or_create(
        meeting=meeting,
        defaults={
            "title": REPORT_TITLE,
            "body": REPORT_BODY,
            "publish_at": published,
            "notified_at": published,
        },
    )
    for order, (you_said, we_did, status) in enumerate(RESPONSES, start=1):
        Response.objects.update_or_create(
            meeting=meeting,
            order=order,
            defaults={
                "you_said": you_said,
                "we_did": we_did,
                "status": status,
                "publish_at": published,
                "notified_at": published,
            },
        )
    demo_load_survey(meeting_slug=DEMO_MEETING)
    demo_load_responses(meeting_slug=DEMO_MEETING)
    demo_load_prereading(meeting_slug=UPCOMING_MEETING)


def demo_load_prereading(*, meeting_slug: str) -> None:
    """The upcoming meeting's pre-reading, assembled and published for two weeks before it (the
    default), so the public page and the pre-reading notice show it when that moment comes."""
    meeting = Meeting.objects.filter(slug=meeting_slug).first()
    if meeting is None or PreReading.objects.filter(meeting=meeting).exists():
        return
    prereading_assemble(meeting_id=meeting.pk, actor=None)
    prereading_publish(meeting_id=meeting.pk, publish_at=None, actor=None)


# --- Breakout capture (kept apart: the demo data is being rewritten elsewhere) -----------------

CAPTURED = [
    ("Engage with young people outside stop and search, regularly, to build trust.", 3, "Trust"),
    ("Explain when and why force is used, and share the footage with communities.", 2, "Openness"),
    ("Work with youth-led groups who already have credibility.", 1, "Youth"),
]


@transaction.atomic
def demo_load_capture(*, facilitator=None) -> None:
    """A few points captured in each breakout of the demo meeting, by the demo facilitator, under
    fixed keys (so loading again adds nothing). Written straight to the rows: the meeting is past
    and its capture would otherwise be the facilitator's to do on the day."""
    meeting = Meeting.objects.filter(slug=DEMO_MEETING).first()
    if meeting is None or facilitator is None:
        return
    for question in DiscussionQuestion.objects.filter(session__meeting=meeting).select_related(
        "session"
    ):
        for n, (text, weight, theme) in enumerate(CAPTURED):
            key = uuid.uuid5(uuid.NAMESPACE_URL, f"engage-demo-point/{question.pk}/{n}")
            point, created = Point.objects.get_or_create(
                key=key,
                defaults={
                    "question": question,
                    "session": question.session,
                    "author": facilitator,
                    "text": text,
                    "weight": weight,
                    "verbatim": n == 0,
                    "theme": theme_for_meeting(meeting=meeting, name=theme),
                    "created_at": question.session.start,
                    "updated_at": question.session.start,
                },
            )
            if created:
                PointRevision.objects.create(
                    point=point,
                    action="created",
                    by=facilitator,
                    text=text,
                    weight=weight,
                    verbatim=point.verbatim,
                    theme_name=theme,
                    at=point.created_at,
                )
    demo_load_moderation(meeting=meeting)
    demo_load_report(meeting_slug=DEMO_MEETING)
