"""Writes of the meeting record: the summary report and the responses ("you said, we did").

Publishing only sets `publish_at` (now or later); the beat jobs in feedback.notifications tell
people when that moment has come, so "publish now" and "publish at 9:00 tomorrow" take one path.
Staff actors appear in logs by id only.
"""

import datetime as _dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from events.models import Meeting
from feedback.enums import ResponseStatus
from feedback.models import MeetingReport, Response
from feedback.services.report import report_version_create
from feedback.tasks import notify_report_task

logger = logging.getLogger(__name__)


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)


def _publish_moment(at: _dt.datetime | None) -> _dt.datetime:
    now = timezone.now()
    if at is None:
        return now
    if at < now:
        raise ValidationError(
            {"publish_at": _("Choose a time in the future, or publish now.")}, code="past"
        )
    return at


def _text(value: str, *, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("Enter %(label)s.") % {"label": label}}, code="required")
    return value


# --- Summary report ----------------------------------------------------------------------------


def meeting_report_create(*, meeting_id: int, title: str, body: str, actor) -> MeetingReport:
    """Write the meeting's summary report, unpublished. Side effects: one MeetingReport row.
    Raises ValidationError when the meeting has a report already or a field is empty."""
    with transaction.atomic():
        # The meeting row is the lock: two first saves at once make one report.
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if MeetingReport.objects.filter(meeting=meeting).exists():
            raise ValidationError(_("This meeting has a summary report already."), code="exists")
        report = MeetingReport.objects.create(
            meeting=meeting,
            title=_text(title, field="title", label=_("a title")),
            body=_text(body, field="body", label=_("the summary")),
        )
    logger.info(
        "meeting report created",
        extra={"report_id": report.pk, "meeting_id": meeting_id, "actor_id": _actor_id(actor)},
    )
    return report


def meeting_report_update(
    *, report_id: int, title: str, body: str, actor, draft: str | None = None
) -> MeetingReport:
    """Change the report's title, introduction and (unless None) its draft. The public page
    keeps showing the version last published until the report is published again; nobody is
    emailed. Raises ValidationError when the title is empty, or the introduction and the draft
    both are."""
    with transaction.atomic():
        report = MeetingReport.objects.select_for_update().get(pk=report_id)
        report.title = _text(title, field="title", label=_("a title"))
        if draft is not None:
            report.draft = draft.strip()
        if report.draft:
            report.body = (body or "").strip()
        else:
            report.body = _text(body, field="body", label=_("the summary"))
        report.save(update_fields=["title", "body", "draft", "updated_at"])
    logger.info(
        "meeting report updated", extra={"report_id": report_id, "actor_id": _actor_id(actor)}
    )
    return report


def meeting_report_publish(
    *, report_id: int, actor, at: _dt.datetime | None = None
) -> MeetingReport:
    """Publish the report as it stands now (`at` None) or from a future moment.

    Side effects: keeps the document as it is now as a new ReportVersion (the public sees the
    latest version whose moment has come) and sets publish_at, unless the report is public
    already (then the version it shows changes at the new moment, and nothing is taken down
    meanwhile). The people who held a place and consented are told once, the first time: when
    publishing now, feedback.notify_report is queued after commit; a scheduled moment, or a
    broker that is away, is left to the beat job (report_published_notify_due), and notified_at
    keeps a report unpublished and published again from being announced twice.
    Raises ValidationError for a moment in the past.
    """
    moment = _publish_moment(at)
    with transaction.atomic():
        report = (
            MeetingReport.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .get(pk=report_id)
        )
        version = report_version_create(report=report, published_at=moment, actor=actor)
        if not report.is_published(moment):
            report.publish_at = moment
            report.save(update_fields=["publish_at", "updated_at"])
        if moment <= timezone.now() and report.notified_at is None:
            transaction.on_commit(lambda: _queue_notice(report_id))
    logger.info(
        "meeting report published",
        extra={
            "report_id": report_id,
            "version": version.number,
            "publish_at": moment.isoformat(),
            "actor_id": _actor_id(actor),
        },
    )
    return report


def _queue_notice(report_id: int) -> None:
    try:
        notify_report_task.delay(report_id)
    except (KombuOperationalError, OSError):
        # notified_at is still empty: the beat job announces it when the broker is back.
        logger.warning(
            "report notice not queued; beat will send it", extra={"report_id": report_id}
        )


def meeting_report_unpublish(*, report_id: int, actor) -> MeetingReport:
    """Take the report off the public page (or cancel its scheduled publication). Side effects:
    clears publish_at; an announcement already made stays made (notified_at is kept)."""
    with transaction.atomic():
        report = MeetingReport.objects.select_for_update().get(pk=report_id)
        report.publish_at = None
        report.save(update_fields=["publish_at", "updated_at"])
    logger.info(
        "meeting report unpublished", extra={"report_id": report_id, "actor_id": _actor_id(actor)}
    )
    return report


# --- Responses ("you said, we did") ------------------------------------------------------------


def _status(status: str) -> str:
    if status not in ResponseStatus.values:
        raise ValidationError({"status": _("Choose a status.")}, code="invalid")
    return status


def response_create(
    *,
    meeting_id: int,
    you_said: str,
    we_did: str,
    status: str = ResponseStatus.PLANNED,
    order: int | None = None,
    actor,
) -> Response:
    """Add an unpublished response to the meeting, last unless `order` is given. Side effects:
    one Response row. Raises ValidationError when a field is empty or the status unknown."""
    with transaction.atomic():
        meeting = Meeting.objects.get(pk=meeting_id)
        if order is None:
            last = Response.objects.filter(meeting=meeting).order_by("-order").first()
            order = last.order + 1 if last else 1
        response = Response.objects.create(
            meeting=meeting,
            you_said=_text(you_said, field="you_said", label=_("what people said")),
            we_did=_text(we_did, field="we_did", label=_("what was done")),
            status=_status(status),
            order=order,
        )
    logger.info(
        "response created",
        extra={"response_id": response.pk, "meeting_id": meeting_id, "actor_id": _actor_id(actor)},
    )
    return response


def response_update(
    *, response_id: int, you_said: str, we_did: str, status: str, order: int, actor
) -> Response:
    """Change a response's text, status or place. A published one changes on the public page at
    once; nobody is emailed again. Raises ValidationError when a field is empty."""
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        response.you_said = _text(you_said, field="you_said", label=_("what people said"))
        response.we_did = _text(we_did, field="we_did", label=_("what was done"))
        response.status = _status(status)
        response.order = order
        response.save(update_fields=["you_said", "we_did", "status", "order", "updated_at"])
    logger.info(
        "response updated", extra={"response_id": response_id, "actor_id": _actor_id(actor)}
    )
    return response


def response_publish(*, response_id: int, actor, at: _dt.datetime | None = None) -> Response:
    """Publish one response now (`at` None) or from a future moment. Side effects: sets
    publish_at; the beat job (responses_published_notify_due) announces it with any others
    published for the meeting since the last email, once. Raises ValidationError for a past moment.
    """
    moment = _publish_moment(at)
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        response.publish_at = moment
        response.save(update_fields=["publish_at", "updated_at"])
    logger.info(
        "response published",
        extra={
            "response_id": response_id,
            "publish_at": moment.isoformat(),
            "actor_id": _actor_id(actor),
        },
    )
    return response


def responses_publish(*, meeting_id: int, actor, at: _dt.datetime | None = None) -> int:
    """Publish every unpublished response of the meeting at one moment, so people get them in
    one email. Side effects: sets publish_at on each. Returns how many. Raises ValidationError for
    a past moment."""
    moment = _publish_moment(at)
    with transaction.atomic():
        ids = list(
            Response.objects.select_for_update()
            .filter(meeting_id=meeting_id, publish_at__isnull=True)
            .values_list("pk", flat=True)
        )
        Response.objects.filter(pk__in=ids).update(publish_at=moment, updated_at=timezone.now())
    logger.info(
        "responses published",
        extra={"meeting_id": meeting_id, "response_ids": ids, "actor_id": _actor_id(actor)},
    )
    return len(ids)


def response_unpublish(*, response_id: int, actor) -> Response:
    """Take a response off the public page (or cancel its scheduled publication). Side effects:
    clears publish_at; an announcement already made stays made (notified_at is kept)."""
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        response.publish_at = None
        response.save(update_fields=["publish_at", "updated_at"])
    logger.info(
        "response unpublished", extra={"response_id": response_id, "actor_id": _actor_id(actor)}
    )
    return response


def response_delete(*, response_id: int, actor) -> int:
    """Delete a response that is not published. Returns the meeting id. Raises ValidationError
    when it is published or scheduled: unpublish it first, so nothing public vanishes unseen."""
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        if response.publish_at is not None:
            raise ValidationError(
                _("Unpublish this response before deleting it."), code="published"
            )
        meeting_id = response.meeting_id
        response.delete()
    logger.info(
        "response deleted", extra={"response_id": response_id, "actor_id": _actor_id(actor)}
    )
    return meeting_id
