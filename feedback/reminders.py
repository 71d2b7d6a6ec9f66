"""Reminders to owners as a due date nears and once it has passed, and one daily digest to the
engagement team of everything overdue (and every owner email that did not arrive).

Run by beat once a day (feedback.tasks.owed_reminders_task). Each send is marked on its business
row under select_for_update in the transaction that queues it, once per item per stage:
`Response.reminders_sent` and `UpdateRound.reminders_sent[<commitment>]` hold the stages sent for
the current due date ("soon", "overdue", "escalated", "bounced:<email id>"), so a second run the
same day (or an overlapping one) finds nothing left to send; each email also carries a dedupe
key. Granting more time clears a response's stages (feedback.services.responses), so the new
date is reminded afresh. All mail goes through engage.mail; logs carry ids only.
"""

import datetime as _dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from engage.enums import EmailStatus
from engage.mail.rendering import absolute_url
from engage.mail.services import email_queue
from events.notices import meeting_when_text
from feedback.enums import RESPONSE_CLOSED
from feedback.models import Response, UpdateRound
from feedback.services.plan import owner_update_email
from feedback.services.responses import OWNER_ASKED_TEMPLATE, owner_reply_url

logger = logging.getLogger(__name__)

SOON, OVERDUE, ESCALATED = "soon", "overdue", "escalated"
DIGEST_TEMPLATE = "feedback/owed_digest"
_UNDELIVERED = (EmailStatus.BOUNCED, EmailStatus.FAILED, EmailStatus.SUPPRESSED)


def _stage(due: _dt.date, today: _dt.date) -> str:
    if today > due:
        return OVERDUE
    if today >= due - _dt.timedelta(days=settings.FEEDBACK_REMIND_BEFORE_DAYS):
        return SOON
    return ""


def _response_reminder(response: Response, stage: str) -> None:
    note = (
        "This response is now overdue. Please send it, or ask for more time with a reason."
        if stage == OVERDUE
        else "A reminder: this response is due soon."
    )
    meeting = response.meeting
    email_queue(
        to_email=response.owner.contact_email,
        template=OWNER_ASKED_TEMPLATE,
        context={
            "contact_name": response.owner.contact_name,
            "owner_name": response.owner.name,
            "meeting_title": meeting.title,
            "meeting_when": meeting_when_text(meeting),
            "you_said": response.you_said,
            "reference": response.reference,
            "due": response.due_on.strftime("%-d %B %Y"),
            "note": note,
            "reply_url": owner_reply_url(response),
            "days": settings.ENGAGE_LINK_OWNER_REPLY_DAYS,
        },
        dedupe_key=f"response-remind:{response.pk}:{response.due_on.isoformat()}:{stage}",
    )


def responses_remind(*, today: _dt.date) -> tuple[int, list[dict]]:
    """Remind owners of responses due soon or overdue, once per stage; return how many were
    reminded and the overdue or undelivered items not yet escalated (marked escalated now)."""
    ids = list(
        Response.objects.filter(owner__isnull=False, due_on__isnull=False)
        .exclude(status__in=RESPONSE_CLOSED)
        .values_list("pk", flat=True)
        .order_by("due_on", "pk")
    )
    reminded = 0
    escalate = []
    for pk in ids:
        with transaction.atomic():
            response = (
                Response.objects.select_for_update(of=("self",))
                .select_related("owner", "meeting", "owner_email")
                .filter(pk=pk)
                .exclude(status__in=RESPONSE_CLOSED)
                .first()
            )
            if response is None or response.owner is None:
                continue
            sent = list(response.reminders_sent or [])
            stage = _stage(response.due_on, today)
            if stage and stage not in sent and response.owner.contact_email:
                _response_reminder(response, stage)
                sent.append(stage)
                reminded += 1
            bounced = (
                response.owner_email_id
                and response.owner_email.status in _UNDELIVERED
                and f"bounced:{response.owner_email_id}" not in sent
            )
            if (stage == OVERDUE and ESCALATED not in sent) or bounced:
                escalate.append(
                    {
                        "kind": "response",
                        "what": response.you_said[:200],
                        "where": response.meeting.title,
                        "owner": response.owner.name,
                        "due": response.due_on.strftime("%-d %B %Y"),
                        "problem": "email not delivered" if bounced else "overdue",
                        "url": absolute_url(
                            reverse("feedback:staff_owed_item", kwargs={"pk": response.pk})
                        ),
                    }
                )
                if stage == OVERDUE and ESCALATED not in sent:
                    sent.append(ESCALATED)
                if bounced:
                    sent.append(f"bounced:{response.owner_email_id}")
            if sent != list(response.reminders_sent or []):
                response.reminders_sent = sent
                response.save(update_fields=["reminders_sent"])
    return reminded, escalate


def updates_remind(*, today: _dt.date) -> tuple[int, list[dict]]:
    """The same for commitments still without an update in an open round with a due date."""
    reminded = 0
    escalate = []
    round_ids = list(
        UpdateRound.objects.filter(published_at__isnull=True, due_on__isnull=False).values_list(
            "pk", flat=True
        )
    )
    for pk in round_ids:
        with transaction.atomic():
            round_ = UpdateRound.objects.select_for_update().select_related("plan").get(pk=pk)
            if round_.published_at is not None:
                continue
            stage = _stage(round_.due_on, today)
            if not stage:
                continue
            marks = dict(round_.reminders_sent or {})
            missing = (
                round_.plan.commitments.filter(owner__isnull=False)
                .exclude(owner__contact_email="")
                .exclude(pk__in=round_.updates.values("commitment_id"))
                .select_related("owner")
                .order_by("order", "pk")
            )
            for commitment in missing:
                sent = list(marks.get(str(commitment.pk), []))
                if stage not in sent:
                    owner_update_email(
                        round_=round_,
                        commitment=commitment,
                        stage=stage,
                        dedupe_key=f"update-remind:{round_.pk}:{commitment.pk}:{stage}",
                    )
                    sent.append(stage)
                    reminded += 1
                if stage == OVERDUE and ESCALATED not in sent:
                    escalate.append(
                        {
                            "kind": "update",
                            "what": f"{commitment.number}: {commitment.text[:160]}",
                            "where": f"{round_.plan.title}, {round_.title}",
                            "owner": commitment.owner.name,
                            "due": round_.due_on.strftime("%-d %B %Y"),
                            "problem": "overdue",
                            "url": absolute_url(
                                reverse("feedback:staff_round", kwargs={"pk": round_.pk})
                            ),
                        }
                    )
                    sent.append(ESCALATED)
                marks[str(commitment.pk)] = sent
            if marks != (round_.reminders_sent or {}):
                round_.reminders_sent = marks
                round_.save(update_fields=["reminders_sent"])
    return reminded, escalate


def owed_reminders_run(*, now: _dt.datetime | None = None) -> dict[str, int]:
    """Beat, daily: remind owners, then send the team one digest of what became overdue (or
    undelivered) since the last digest. Safe to run twice: the second run sends nothing.

    Side effects: owner reminder emails (templates feedback/owner_asked and
    feedback/owner_update_asked), stage marks on the rows, and at most one digest email to
    ENGAGE_TEAM_EMAIL (template feedback/owed_digest). Returns counts."""
    today = timezone.localdate(now or timezone.now())
    reminded_responses, escalate_responses = responses_remind(today=today)
    reminded_updates, escalate_updates = updates_remind(today=today)
    items = escalate_responses + escalate_updates
    if items:
        # Marks are committed per row above, so the key only guards a digest queued twice for
        # the same list within one run's retry.
        email_queue(
            to_email=settings.ENGAGE_TEAM_EMAIL,
            template=DIGEST_TEMPLATE,
            context={"items": items, "day": today.strftime("%-d %B %Y")},
            dedupe_key=f"owed-digest:{today.isoformat()}:{len(items)}:{items[0]['url']}",
        )
    counts = {
        "reminded": reminded_responses + reminded_updates,
        "escalated": len(items),
    }
    logger.info("owed reminders", extra=counts)
    return counts
