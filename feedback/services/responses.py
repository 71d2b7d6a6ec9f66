"""Responses owed: putting what people raised to an owner, the owner's replies through their
signed link, the team's approval, status changes, and each change in the response's history.

The owner has no account: the link (engage.links, purpose "owner-reply") is bound to the item
("response:<pk>") and to the owner's address on file, so it dies when the item is reassigned or
the address changes. Every email goes through engage.mail. Actors appear in logs by id only.
"""

import datetime as _dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from engage import links
from engage.mail.rendering import absolute_url
from engage.mail.services import email_queue
from events.models import Meeting, PanelQuestion
from events.notices import meeting_when_text
from feedback.enums import (
    RESPONSE_CLOSED,
    ReplyDecision,
    ReplyKind,
    ResponseAction,
    ResponseSource,
    ResponseStatus,
)
from feedback.models import Owner, OwnerReply, Point, Response, ResponseEvent, Theme
from feedback.selectors.responses import response_due_default

logger = logging.getLogger(__name__)

OWNER_ASKED_TEMPLATE = "feedback/owner_asked"


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)


def _user(actor):
    return (
        actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    )


def _required(value: str, *, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message}, code="required")
    return value


def response_history_add(
    *,
    response: Response,
    action: str,
    actor=None,
    owner: Owner | None = None,
    note: str = "",
    at: _dt.datetime | None = None,
) -> ResponseEvent:
    """Write one line of the response's history with its status and due date after the change.
    Call inside the transaction of the change."""
    return ResponseEvent.objects.create(
        response=response,
        action=action,
        at=at or timezone.now(),
        by_user=_user(actor),
        by_owner=owner,
        status=response.status,
        due_on=response.due_on,
        note=note,
    )


# --- Owners --------------------------------------------------------------------------------


def _owner_fields(*, name: str, contact_name: str, contact_email: str) -> dict:
    return {
        "name": _required(name, field="name", message=_("Enter the team or organisation.")),
        "contact_name": (contact_name or "").strip(),
        "contact_email": (contact_email or "").strip(),
    }


def owner_create(*, name: str, contact_name: str = "", contact_email: str = "", actor) -> Owner:
    """Add an owner (a team or partner organisation). Side effects: one Owner row. An owner may
    be saved without an email, but nothing can be put to it until it has one."""
    owner = Owner.objects.create(
        **_owner_fields(name=name, contact_name=contact_name, contact_email=contact_email)
    )
    logger.info("owner created", extra={"owner_id": owner.pk, "actor_id": _actor_id(actor)})
    return owner


def owner_update(
    *, owner_id: int, name: str, contact_name: str = "", contact_email: str = "", actor
) -> Owner:
    """Change an owner's name or contact. A new address invalidates every link sent to the old
    one (links are bound to the address on file)."""
    with transaction.atomic():
        owner = Owner.objects.select_for_update().get(pk=owner_id)
        for field, value in _owner_fields(
            name=name, contact_name=contact_name, contact_email=contact_email
        ).items():
            setattr(owner, field, value)
        owner.save()
    logger.info("owner updated", extra={"owner_id": owner_id, "actor_id": _actor_id(actor)})
    return owner


# --- Raising and assigning -----------------------------------------------------------------


def response_raise(
    *,
    meeting_id: int,
    you_said: str,
    source: str = ResponseSource.OTHER,
    theme_id: int | None = None,
    point_id: int | None = None,
    panel_question_id: int | None = None,
    reference: str = "",
    actor,
) -> Response:
    """Record something people raised that is owed a written response: open, unpublished, last
    in the meeting's order. `you_said` defaults to the point's or panel question's text, or the
    theme's name. Side effects: one Response row and its first history line. Raises
    ValidationError for an unknown source or a theme, point or question of another meeting."""
    if source not in ResponseSource.values:
        raise ValidationError({"source": _("Choose what the response answers.")}, code="invalid")
    with transaction.atomic():
        meeting = Meeting.objects.get(pk=meeting_id)
        theme = point = question = None
        if theme_id:
            theme = Theme.objects.filter(pk=theme_id).first()
            if theme is None or (theme.series_id and theme.series_id != meeting.series_id):
                raise ValidationError({"theme": _("Choose a theme of this series.")})
        if point_id:
            point = Point.objects.filter(pk=point_id, session__meeting=meeting).first()
            if point is None:
                raise ValidationError({"point": _("Choose a point made at this meeting.")})
            theme = theme or point.theme
        if panel_question_id:
            question = PanelQuestion.objects.filter(pk=panel_question_id, meeting=meeting).first()
            if question is None:
                raise ValidationError(
                    {"panel_question": _("Choose a question asked at this meeting.")}
                )
        said = (you_said or "").strip() or (
            point.text if point else question.text if question else theme.name if theme else ""
        )
        said = _required(said, field="you_said", message=_("Enter what people said."))
        last = Response.objects.filter(meeting=meeting).order_by("-order").first()
        response = Response.objects.create(
            meeting=meeting,
            you_said=said,
            source=source,
            theme=theme,
            point=point,
            panel_question=question,
            reference=(reference or "").strip(),
            status=ResponseStatus.OPEN,
            order=last.order + 1 if last else 1,
        )
        response_history_add(response=response, action=ResponseAction.CREATED, actor=actor)
    logger.info(
        "response raised",
        extra={"response_id": response.pk, "meeting_id": meeting_id, "actor_id": _actor_id(actor)},
    )
    return response


def owner_reply_url(response: Response) -> str:
    """The absolute address of the owner's page for this response, with a fresh token."""
    token = links.item_link_token(
        purpose=links.OWNER_REPLY,
        item=f"response:{response.pk}",
        sent_to=response.owner.contact_email,
    )
    return absolute_url(
        reverse("feedback:owner_response", kwargs={"pk": response.pk, "token": token})
    )


def _ask_owner(response: Response, *, note: str = "", dedupe_key: str | None = None):
    meeting = response.meeting
    email = email_queue(
        to_email=response.owner.contact_email,
        template=OWNER_ASKED_TEMPLATE,
        context={
            "contact_name": response.owner.contact_name,
            "owner_name": response.owner.name,
            "meeting_title": meeting.title,
            "meeting_when": meeting_when_text(meeting),
            "you_said": response.you_said,
            "reference": response.reference,
            "due": response.due_on.strftime("%-d %B %Y") if response.due_on else "",
            "note": note,
            "reply_url": owner_reply_url(response),
            "days": links.lifetime(links.OWNER_REPLY).days,
        },
        dedupe_key=dedupe_key,
    )
    response.owner_email = email
    return email


def response_assign(
    *,
    response_id: int,
    owner_id: int,
    due_on: _dt.date | None = None,
    note: str = "",
    actor,
) -> Response:
    """Put a response to an owner, due on `due_on` (default: a week before the series' next
    meeting). Side effects: sets owner and due date, moves an open item to in progress, clears
    the reminders sent, writes history, and queues one email to the owner's contact with their
    signed link (template feedback/owner_asked). Raises ValidationError when the owner has no
    email, the due date is past, or the item is already answered."""
    today = timezone.localdate()
    with transaction.atomic():
        response = (
            Response.objects.select_for_update().select_related("meeting").get(pk=response_id)
        )
        owner = Owner.objects.get(pk=owner_id)
        if not owner.contact_email:
            raise ValidationError(
                {"owner": _("%(owner)s has no contact email. Add one first.") % {"owner": owner}},
                code="no_email",
            )
        if response.status in RESPONSE_CLOSED:
            raise ValidationError(_("This item has been answered already."), code="closed")
        due = due_on or response_due_default(meeting=response.meeting)
        if due < today:
            raise ValidationError(
                {"due_on": _("The due date must be today or in the future.")}, code="past"
            )
        response.owner = owner
        response.due_on = due
        response.owner_asked_at = timezone.now()
        response.reminders_sent = []
        if response.status == ResponseStatus.OPEN:
            response.status = ResponseStatus.IN_PROGRESS
        _ask_owner(response, note=note)
        response.save(
            update_fields=[
                "owner",
                "due_on",
                "owner_asked_at",
                "reminders_sent",
                "status",
                "owner_email",
                "updated_at",
            ]
        )
        response_history_add(
            response=response, action=ResponseAction.ASSIGNED, actor=actor, note=owner.name
        )
    logger.info(
        "response assigned",
        extra={"response_id": response_id, "owner_id": owner_id, "actor_id": _actor_id(actor)},
    )
    return response


def response_status_set(*, response_id: int, status: str, reason: str = "", actor) -> Response:
    """The team sets the status itself. Declining needs a reason, which is published with it.
    Side effects: status (and reason, answered moment) and one history line. Raises
    ValidationError for an unknown status or a decline without a reason, or responded without
    a response written."""
    if status not in ResponseStatus.values:
        raise ValidationError({"status": _("Choose a status.")}, code="invalid")
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        if status == ResponseStatus.DECLINED:
            response.declined_reason = _required(
                reason,
                field="reason",
                message=_("Enter why it is declined. The reason is published."),
            )
        elif status == ResponseStatus.RESPONDED and not response.we_did.strip():
            raise ValidationError(
                {"status": _("Write the response before marking it responded.")}, code="empty"
            )
        response.status = status
        if status in RESPONSE_CLOSED and response.responded_at is None:
            response.responded_at = timezone.now()
        if status not in RESPONSE_CLOSED:
            response.responded_at = None
        response.save(update_fields=["status", "declined_reason", "responded_at", "updated_at"])
        response_history_add(
            response=response, action=ResponseAction.STATUS, actor=actor, note=reason.strip()
        )
    logger.info(
        "response status set",
        extra={"response_id": response_id, "status": status, "actor_id": _actor_id(actor)},
    )
    return response


# --- The owner's replies -------------------------------------------------------------------


def owner_link_check(*, response: Response, token: str) -> None:
    """Raise engage.links.LinkInvalid (or LinkExpired) unless `token` is a live owner link for
    this response and its owner's address on file."""
    address = response.owner.contact_email if response.owner_id else ""
    links.item_link_read(
        token=token, purpose=links.OWNER_REPLY, item=f"response:{response.pk}", address=address
    )


_REPLY_ACTIONS = {
    ReplyKind.RESPONSE: ResponseAction.OWNER_REPLIED,
    ReplyKind.DECLINE: ResponseAction.OWNER_DECLINED,
    ReplyKind.MORE_TIME: ResponseAction.MORE_TIME_ASKED,
}


def owner_reply_submit(
    *,
    response_id: int,
    token: str,
    kind: str,
    text: str,
    proposed_due: _dt.date | None = None,
) -> OwnerReply:
    """The owner, through their link, sends a response, a reason to decline, or asks for more
    time with a reason. Nothing is published: the team approves first. An earlier reply still
    waiting is set aside (returned) so the team decides on the latest. Side effects: one
    OwnerReply and one history line. Raises LinkInvalid/LinkExpired for a bad link,
    ValidationError for empty text, a missing or earlier date, or an item already answered."""
    if kind not in ReplyKind.values:
        raise ValidationError({"kind": _("Choose what you are sending.")}, code="invalid")
    messages = {
        ReplyKind.RESPONSE: _("Enter your response."),
        ReplyKind.DECLINE: _("Enter why this cannot be done. The reason is published."),
        ReplyKind.MORE_TIME: _("Enter why more time is needed."),
    }
    text = _required(text, field="text", message=messages[kind])
    now = timezone.now()
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=response_id)
        )
        owner_link_check(response=response, token=token)
        if response.status in RESPONSE_CLOSED:
            raise ValidationError(_("This item has been answered already."), code="closed")
        if kind == ReplyKind.MORE_TIME:
            if proposed_due is None:
                raise ValidationError(
                    {"proposed_due": _("Enter the date you can respond by.")}, code="required"
                )
            if proposed_due <= (response.due_on or timezone.localdate()):
                raise ValidationError(
                    {"proposed_due": _("The new date must be after the current due date.")},
                    code="earlier",
                )
        else:
            proposed_due = None
        OwnerReply.objects.filter(response=response, decision=ReplyDecision.PENDING).update(
            decision=ReplyDecision.RETURNED,
            decided_at=now,
            decision_note=_("Replaced by a later reply."),
        )
        reply = OwnerReply.objects.create(
            response=response,
            owner=response.owner,
            kind=kind,
            text=text,
            proposed_due=proposed_due,
            submitted_at=now,
        )
        response_history_add(
            response=response, action=_REPLY_ACTIONS[kind], owner=response.owner, at=now
        )
    logger.info(
        "owner reply submitted",
        extra={"response_id": response_id, "reply_id": reply.pk, "kind": kind},
    )
    return reply


def owner_reply_approve(*, reply_id: int, text: str | None = None, actor) -> Response:
    """The team approves an owner's reply, optionally with their own edit of the text.

    A response: becomes the published answer (status responded). A decline: status declined
    with the reason published. Both are published now if not already (the beat job then tells
    the consenting place holders, feedback.notifications). More time: the due date moves and the
    reminders start again. Side effects: the reply's decision, the response and one history
    line. Raises ValidationError when the reply is decided already or the text is empty."""
    now = timezone.now()
    with transaction.atomic():
        reply = OwnerReply.objects.select_for_update().get(pk=reply_id)
        if reply.decision != ReplyDecision.PENDING:
            raise ValidationError(_("This reply has been dealt with already."), code="decided")
        response = Response.objects.select_for_update().get(pk=reply.response_id)
        body = _required(
            reply.text if text is None else text, field="text", message=_("Enter the text.")
        )
        if reply.kind == ReplyKind.MORE_TIME:
            response.due_on = reply.proposed_due
            response.reminders_sent = []
            action = ResponseAction.MORE_TIME_GRANTED
        else:
            if reply.kind == ReplyKind.RESPONSE:
                response.we_did = body
                response.status = ResponseStatus.RESPONDED
            else:
                response.declined_reason = body
                response.status = ResponseStatus.DECLINED
            response.responded_at = now
            if response.publish_at is None or response.publish_at > now:
                response.publish_at = now
            action = ResponseAction.APPROVED
        response.save()
        reply.decision = ReplyDecision.APPROVED
        reply.decided_at = now
        reply.decided_by = _user(actor)
        reply.save(update_fields=["decision", "decided_at", "decided_by"])
        response_history_add(response=response, action=action, actor=actor, at=now)
    logger.info(
        "owner reply approved",
        extra={"reply_id": reply_id, "response_id": response.pk, "actor_id": _actor_id(actor)},
    )
    return response


def owner_reply_return(*, reply_id: int, note: str, actor) -> Response:
    """The team sends a reply back to the owner with a note (or refuses more time). Side
    effects: the reply's decision, one history line, and an email to the owner with the note and
    a fresh link. Raises ValidationError without a note or when the reply is decided already."""
    note = _required(note, field="note", message=_("Say what the owner should change."))
    now = timezone.now()
    with transaction.atomic():
        reply = OwnerReply.objects.select_for_update().get(pk=reply_id)
        if reply.decision != ReplyDecision.PENDING:
            raise ValidationError(_("This reply has been dealt with already."), code="decided")
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("owner", "meeting")
            .get(pk=reply.response_id)
        )
        reply.decision = ReplyDecision.RETURNED
        reply.decided_at = now
        reply.decided_by = _user(actor)
        reply.decision_note = note
        reply.save(update_fields=["decision", "decided_at", "decided_by", "decision_note"])
        action = (
            ResponseAction.MORE_TIME_REFUSED
            if reply.kind == ReplyKind.MORE_TIME
            else ResponseAction.RETURNED
        )
        if response.owner_id and response.owner.contact_email:
            _ask_owner(response, note=note)
            response.save(update_fields=["owner_email", "updated_at"])
        response_history_add(response=response, action=action, actor=actor, note=note, at=now)
    logger.info(
        "owner reply returned",
        extra={"reply_id": reply_id, "response_id": response.pk, "actor_id": _actor_id(actor)},
    )
    return response
