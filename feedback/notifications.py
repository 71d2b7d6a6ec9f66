"""Telling the people who held a place at a meeting that its record is published (the summary
report, and the responses: "you said, we did"), and asking those who came for their feedback.

Scheduled sends, run by beat (feedback.tasks). Each is idempotent through `notified_at` on the
business row, read and written under select_for_update in the transaction that queues the mail,
so a repeated or overlapping run finds nothing left to announce; each email also carries a dedupe
key as a second guard. All mail goes through engage.mail.services.

Purpose: both emails go under "meeting-invitations" ("invitations to public review meetings and
updates about them"), the consent the registration form asks for. They are not about the person's
own registration (the registrant emails in events.notices carry no purpose for that reason),
so they need a consent; the meeting's record is an update about that meeting. "action-plan-news"
is for the plan-wide progress updates sent to the whole list. Only place holders whose consent is
given now are queued, and the mail path checks it again when it sends, so a withdrawal in between
suppresses the email.
"""

import datetime as _dt
import logging

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from engage.enums import PURPOSE_ACTION_PLAN_NEWS, PURPOSE_MEETING_INVITATIONS
from engage.mail.services import BulkRecipient, email_queue, emails_queue_bulk
from engage.models import Stakeholder
from engage.selectors import stakeholders_filter_consent
from events.enums import MeetingStatus, RegistrationStatus
from events.models import Meeting, Registration
from events.notices import marker_send, meeting_when_text, registrant_context
from feedback.enums import ResponseStatus
from feedback.models import (
    CommitmentUpdate,
    MeetingReport,
    Rating,
    Response,
    UpdateRound,
    published_q,
)
from feedback.sections import survey_link
from feedback.selectors import meeting_place_holders, series_place_holders

logger = logging.getLogger(__name__)

PURPOSE = PURPOSE_MEETING_INVITATIONS
REPORT_TEMPLATE = "feedback/report_published"
RESPONSES_TEMPLATE = "feedback/responses_published"
# Only a meeting the public can see has a record page to link to.
_PUBLIC = (MeetingStatus.PUBLISHED, MeetingStatus.COMPLETED)
# A response has something to tell people: written, or declined with its published reason.
_ANSWERED = ~Q(we_did="") | Q(status=ResponseStatus.DECLINED)


def meeting_record_url(meeting: Meeting) -> str:
    path = reverse("feedback:meeting_record", kwargs={"slug": meeting.slug})
    return f"{settings.SITE_URL}{path}"


def _meeting_context(meeting: Meeting) -> dict:
    """Plain, JSON-safe values shared by every recipient (rendered at send time)."""
    return {
        "meeting_title": meeting.title,
        "meeting_when": meeting_when_text(meeting),
        "record_url": meeting_record_url(meeting),
    }


def _recipients(meeting_id: int, *, key: str) -> list[BulkRecipient]:
    """One recipient per place holder whose consent for PURPOSE is given now."""
    consenting = stakeholders_filter_consent(
        Stakeholder.objects.all(), purpose_slug=PURPOSE, state="given"
    ).values("pk")
    registrations = meeting_place_holders(meeting_id=meeting_id).filter(
        stakeholder_id__in=consenting
    )
    return [
        BulkRecipient(
            to_email=registration.stakeholder.email,
            stakeholder_id=registration.stakeholder_id,
            values={"first_name": registration.stakeholder.first_name},
            dedupe_key=f"{key}:{registration.pk}",
        )
        for registration in registrations
    ]


def meeting_report_notify(*, report_id: int, now: _dt.datetime | None = None) -> int:
    """Announce one published summary report to the people who held a place, once.

    Side effects: sets MeetingReport.notified_at under a row lock (also when nothing is sent: a
    meeting no longer public, nobody to tell) and queues one email per consenting place holder,
    template feedback/report_published, purpose meeting-invitations, dedupe key
    "report-published:<report>:<registration>". Returns how many emails were queued; 0 when the
    report is not due, or was announced already.
    """
    now = now or timezone.now()
    with transaction.atomic():
        report = (
            MeetingReport.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .filter(published_q(now), pk=report_id, notified_at__isnull=True)
            .first()
        )
        if report is None:
            return 0
        report.notified_at = now
        report.save(update_fields=["notified_at"])
        meeting = report.meeting
        if meeting.status not in _PUBLIC:
            return 0
        paragraphs = report.paragraphs()
        recipients = _recipients(meeting.pk, key=f"report-published:{report.pk}")
        if recipients:
            emails_queue_bulk(
                template=REPORT_TEMPLATE,
                context={
                    **_meeting_context(meeting),
                    "report_title": report.title,
                    "report_opening": paragraphs[0] if paragraphs else "",
                },
                recipients=recipients,
                purpose_slug=PURPOSE,
            )
    logger.info(
        "report published notice", extra={"report_id": report_id, "emails": len(recipients)}
    )
    return len(recipients)


def report_published_notify_due(*, now: _dt.datetime | None = None) -> int:
    """Announce every summary report whose publish time has come (beat). Returns emails queued."""
    now = now or timezone.now()
    due = MeetingReport.objects.filter(published_q(now), notified_at__isnull=True)
    return sum(
        meeting_report_notify(report_id=pk, now=now)
        for pk in list(due.order_by("pk").values_list("pk", flat=True))
    )


def meeting_responses_notify(*, meeting_id: int, now: _dt.datetime | None = None) -> int:
    """Announce a meeting's newly published answers in one email per place holder.

    Only responses with something to say are announced: a written response, or a decline with
    its reason. An item published while still open waits until it is answered.

    The responses due and not yet announced are locked and marked (Response.notified_at) in the
    transaction that queues the emails, so two runs cannot both announce them; responses
    published later go in a later email. Side effects: one email per consenting place holder,
    template feedback/responses_published, purpose meeting-invitations, dedupe key
    "responses-published:<meeting>:<first response>:<registration>". Returns emails queued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        responses = list(
            Response.objects.select_for_update()
            .filter(published_q(now), _ANSWERED, meeting_id=meeting_id, notified_at__isnull=True)
            .order_by("order", "id")
        )
        if not responses:
            return 0
        Response.objects.filter(pk__in=[r.pk for r in responses]).update(notified_at=now)
        meeting = Meeting.objects.get(pk=meeting_id)
        if meeting.status not in _PUBLIC:
            return 0
        first = min(r.pk for r in responses)
        recipients = _recipients(meeting_id, key=f"responses-published:{meeting_id}:{first}")
        if recipients:
            emails_queue_bulk(
                template=RESPONSES_TEMPLATE,
                context={
                    **_meeting_context(meeting),
                    "responses": [
                        {
                            "you_said": r.you_said,
                            "we_did": r.we_did or r.declined_reason,
                            "status": str(ResponseStatus(r.status).label),
                        }
                        for r in responses
                    ],
                },
                recipients=recipients,
                purpose_slug=PURPOSE,
            )
    logger.info(
        "responses published notice",
        extra={"meeting_id": meeting_id, "responses": len(responses), "emails": len(recipients)},
    )
    return len(recipients)


def responses_published_notify_due(*, now: _dt.datetime | None = None) -> int:
    """Announce newly published responses, meeting by meeting (beat). Returns emails queued."""
    now = now or timezone.now()
    meeting_ids = (
        Response.objects.filter(published_q(now), _ANSWERED, notified_at__isnull=True)
        .order_by()
        .values_list("meeting_id", flat=True)
        .distinct()
    )
    return sum(
        meeting_responses_notify(meeting_id=meeting_id, now=now)
        for meeting_id in sorted(set(meeting_ids))
    )


# --- Action plan updates -----------------------------------------------------------------------
ROUND_TEMPLATE = "feedback/round_published"


def _round_recipients(round_: UpdateRound) -> list[BulkRecipient]:
    """The people who held a place at a meeting of the plan's series and consent, now, to
    action-plan news: one each, however many meetings they came to."""
    consenting = stakeholders_filter_consent(
        Stakeholder.objects.all(), purpose_slug=PURPOSE_ACTION_PLAN_NEWS, state="given"
    ).values("pk")
    stakeholders = series_place_holders(series_id=round_.plan.series_id).filter(pk__in=consenting)
    return [
        BulkRecipient(
            to_email=stakeholder.email,
            stakeholder_id=stakeholder.pk,
            values={"first_name": stakeholder.first_name},
            dedupe_key=f"round-published:{round_.pk}:{stakeholder.pk}",
        )
        for stakeholder in stakeholders
    ]


def round_published_notify(*, round_id: int, now: _dt.datetime | None = None) -> int:
    """Announce a published round of action-plan updates, once.

    Side effects: sets UpdateRound.notified_at under the round's row lock (also when nobody is
    told: a plan outside any series has no registrants) and queues one email per consenting
    place holder of the plan's series, template feedback/round_published, purpose
    action-plan-news, dedupe key "round-published:<round>:<stakeholder>". Returns emails queued;
    0 when the round is not published or was announced already.
    """
    now = now or timezone.now()
    with transaction.atomic():
        round_ = (
            UpdateRound.objects.select_for_update(of=("self",))
            .select_related("plan")
            .filter(pk=round_id, published_at__isnull=False, notified_at__isnull=True)
            .first()
        )
        if round_ is None:
            return 0
        round_.notified_at = now
        round_.save(update_fields=["notified_at"])
        if round_.plan.series_id is None:
            return 0
        recipients = _round_recipients(round_)
        if recipients:
            rated = dict(
                CommitmentUpdate.objects.filter(round=round_)
                .values_list("rating_id")
                .annotate(n=models.Count("pk"))
            )
            counts = [
                {"code": r.code, "label": r.label, "count": rated[r.pk]}
                for r in Rating.objects.all()
                if rated.get(r.pk)
            ]
            path = reverse("feedback:plan", kwargs={"slug": round_.plan.slug})
            emails_queue_bulk(
                template=ROUND_TEMPLATE,
                context={
                    "plan_title": round_.plan.title,
                    "round_title": round_.title,
                    "counts": counts,
                    "plan_url": f"{settings.SITE_URL}{path}",
                },
                recipients=recipients,
                purpose_slug=PURPOSE_ACTION_PLAN_NEWS,
            )
    logger.info("round published notice", extra={"round_id": round_id, "emails": len(recipients)})
    return len(recipients)


def rounds_published_notify_due(*, now: _dt.datetime | None = None) -> int:
    """Announce every published round not yet announced (beat). Returns emails queued."""
    due = UpdateRound.objects.filter(published_at__isnull=False, notified_at__isnull=True)
    return sum(
        round_published_notify(round_id=pk, now=now)
        for pk in list(due.order_by("pk").values_list("pk", flat=True))
    )


# --- Post-meeting survey -----------------------------------------------------------------------
# The survey goes this long after the meeting ends, and not at all once this window has passed.
SURVEY_DELAY = _dt.timedelta(hours=2)
SURVEY_WINDOW = _dt.timedelta(days=14)
SURVEY_TEMPLATE = "feedback/survey"


def _survey_audience(meeting_id: int):
    """Confirmed registrants who were checked in; everyone confirmed if nobody was checked in."""
    confirmed = Registration.objects.filter(
        meeting_id=meeting_id, status=RegistrationStatus.CONFIRMED
    )
    attended = confirmed.filter(attended_at__isnull=False)
    return attended if attended.exists() else confirmed


def _survey_due(registration: Registration, now: _dt.datetime) -> bool:
    meeting = registration.meeting
    return (
        registration.status == RegistrationStatus.CONFIRMED
        and meeting.status in _PUBLIC
        and meeting.end + SURVEY_DELAY <= now
        and meeting.end + SURVEY_WINDOW >= now
    )


def registration_survey_send(*, registration_id: int, now: _dt.datetime | None = None) -> bool:
    """Send the post-meeting feedback request, once per registration.

    The email links to the meeting page's feedback section. It is about the person's own place,
    so it carries no purpose, as the other registrant emails. Side effects: sets
    Registration.survey_sent_at under a row lock and queues one email (feedback/survey, dedupe
    key "survey:<registration>"). Returns whether it sent.
    """
    now = now or timezone.now()

    def send(registrations: list[Registration]) -> bool:
        (registration,) = registrations
        email_queue(
            to_email=registration.stakeholder.email,
            template=SURVEY_TEMPLATE,
            context={
                **registrant_context(registration),
                "feedback_url": survey_link(registration=registration),
            },
            stakeholder=registration.stakeholder,
            dedupe_key=f"survey:{registration.pk}",
        )
        return True

    sent = bool(
        marker_send(
            rows=Registration.objects.filter(pk=registration_id),
            marker="survey_sent_at",
            now=now,
            related=("meeting", "stakeholder"),
            due=lambda registration: _survey_due(registration, now),
            send=send,
        )
    )
    if sent:
        logger.info("survey request queued", extra={"registration_id": registration_id})
    return sent


def surveys_send_due(*, now: _dt.datetime | None = None) -> int:
    """Send the post-meeting survey email for meetings that ended recently (beat). Returns how
    many went."""
    now = now or timezone.now()
    meeting_ids = Meeting.objects.filter(
        status__in=_PUBLIC, end__lte=now - SURVEY_DELAY, end__gte=now - SURVEY_WINDOW
    ).values_list("pk", flat=True)
    sent = 0
    for meeting_id in list(meeting_ids):
        ids = _survey_audience(meeting_id).filter(survey_sent_at__isnull=True)
        for pk in list(ids.order_by("pk").values_list("pk", flat=True)):
            sent += registration_survey_send(registration_id=pk, now=now)
    return sent
