"""Writes of the next meeting's pre-reading: assembling the draft, the team's edits, publishing.

Publishing keeps the document as it is then and lists it with the meeting's pre-reading through
events.services.documents (a link to its public page, public from the moment chosen), so events'
own pre-reading notice (events.notices.meeting_prereading_notify, beat) tells the confirmed
registrants when it is out: no mail path of its own. Publishing again changes what the page
shows but not the listing, so nobody is told twice. Actors appear in logs by id only.
"""

import datetime as _dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from engage.mail.rendering import absolute_url
from events.models import Document as ListedDocument
from events.models import Meeting
from events.services.documents import document_create
from feedback.documents import document_to_data
from feedback.documents.outline import outline_format
from feedback.documents.report import report_document
from feedback.models import PreReading
from feedback.selectors.prereading import prereading_draft, prereading_publish_default
from feedback.selectors.report import report_language

logger = logging.getLogger(__name__)


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _default_title(meeting: Meeting) -> str:
    return _("Pre-reading for %(meeting)s") % {"meeting": meeting.title}


def prereading_assemble(*, meeting_id: int, actor, now: _dt.datetime | None = None) -> PreReading:
    """Draft (or draft again) the meeting's pre-reading from what changed since the previous
    meeting. Replaces the edited outline; keeps the title, introduction and anything published
    (the public page changes only when the team publishes again)."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        sections, since = prereading_draft(meeting=meeting, now=now)
        prereading, _created = PreReading.objects.get_or_create(
            meeting=meeting, defaults={"title": _default_title(meeting)}
        )
        prereading.outline = outline_format(sections)
        prereading.since = since
        prereading.assembled_at = now
        prereading.save(update_fields=["outline", "since", "assembled_at", "updated_at"])
    logger.info(
        "pre-reading assembled", extra={"meeting_id": meeting_id, "actor_id": _actor_id(actor)}
    )
    return prereading


def prereading_save(
    *, meeting_id: int, title: str, introduction: str, outline: str, actor
) -> PreReading:
    """Save the team's edits to the draft. Raises ValidationError for an empty title."""
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Enter a title.")}, code="required")
    with transaction.atomic():
        prereading = PreReading.objects.select_for_update().get(meeting_id=meeting_id)
        prereading.title = title
        prereading.introduction = introduction or ""
        prereading.outline = outline or ""
        prereading.save(update_fields=["title", "introduction", "outline", "updated_at"])
    logger.info("pre-reading saved", extra={"meeting_id": meeting_id, "actor_id": _actor_id(actor)})
    return prereading


def prereading_publish(
    *, meeting_id: int, publish_at: _dt.datetime | None, actor, now: _dt.datetime | None = None
) -> PreReading:
    """Publish the draft as it stands, public from `publish_at` (default: two weeks before the
    meeting, or now when that has passed; once public, when it first was).

    Side effects: keeps the document (PreReading.document) and, the first time, lists it with
    the meeting's pre-reading (an events Document linking to the public page, public from the
    same moment), which events' pre-reading notice announces to confirmed registrants.
    Publishing again replaces the document, moves the listing's moment if it is not yet out,
    and tells nobody again. Raises ValidationError for a moment in the past or after the
    meeting has started, or an empty draft.
    """
    now = now or timezone.now()
    with transaction.atomic():
        prereading = (
            PreReading.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .get(meeting_id=meeting_id)
        )
        meeting = prereading.meeting
        out = prereading.publish_at is not None and prereading.publish_at <= now
        if publish_at is None and out:
            # Already public: publishing the edits again keeps it public from when it was.
            moment = prereading.publish_at
        else:
            moment = publish_at or prereading_publish_default(meeting=meeting, now=now)
        if moment < now - _dt.timedelta(minutes=1) and not (
            out and moment == prereading.publish_at
        ):
            raise ValidationError(
                {"publish_at": _("Choose a time in the future, or leave it empty.")}, code="past"
            )
        if moment >= meeting.start:
            raise ValidationError(
                {"publish_at": _("Choose a time before the meeting starts.")}, code="late"
            )
        if not (prereading.outline.strip() or prereading.introduction.strip()):
            raise ValidationError(_("The pre-reading is empty: assemble it first."), code="empty")
        document = report_document(
            title=prereading.title,
            introduction=prereading.introduction,
            outline=prereading.outline,
            language=report_language(),
            subject=f"{meeting.title}, {date_format(timezone.localtime(meeting.start), 'j F Y')}",
        )
        prereading.document = document_to_data(document)
        prereading.publish_at = moment
        prereading.published_by = _user(actor)
        listing = prereading.listing
        if listing is None:
            path = reverse("feedback:prereading", kwargs={"slug": meeting.slug})
            prereading.listing = document_create(
                meeting_id=meeting.pk,
                title=prereading.title,
                url=absolute_url(path),
                description=_(
                    "What changed in the action plan since the last meeting, our responses to "
                    "what you said, and the topics for discussion."
                ),
                publish_at=moment,
                actor=actor,
            )
        elif listing.notified_at is None:
            ListedDocument.objects.filter(pk=listing.pk).update(
                publish_at=moment, title=prereading.title
            )
        prereading.save(
            update_fields=["document", "publish_at", "published_by", "listing", "updated_at"]
        )
    logger.info(
        "pre-reading published",
        extra={
            "meeting_id": meeting_id,
            "publish_at": moment.isoformat(),
            "actor_id": _actor_id(actor),
        },
    )
    return prereading
