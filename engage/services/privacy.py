"""Privacy notice versions: staff draft a new version and publish it; published words are kept."""

import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.models import PrivacyNotice
from engage.privacy import CURRENT_CACHE_KEY

logger = logging.getLogger(__name__)


def privacy_notice_sections(text: str) -> list[dict]:
    """The notice's sections from its text: a line starting "## " opens a section with that
    heading; the lines after it, to the next heading, are its paragraphs."""
    sections: list[dict] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("## "):
            sections.append({"heading": line[3:].strip(), "lines": []})
        elif sections:
            sections[-1]["lines"].append(line)
        elif line.strip():
            raise ValidationError(
                {
                    "text": _(
                        "Start the text with a heading: a line that begins with ## and a space."
                    )
                }
            )
    return [
        {"heading": s["heading"], "text": "\n".join(s["lines"]).strip()}
        for s in sections
        if s["heading"]
    ]


def privacy_notice_text(notice: PrivacyNotice) -> str:
    """A notice's sections as the text a draft is edited in (the inverse of the parser)."""
    return "\n\n".join(f"## {s['heading']}\n{s['text']}" for s in notice.sections)


@transaction.atomic
def privacy_notice_draft_save(
    *, notice_id: int | None = None, version: str, title: str, lawful_basis: str, text: str, actor
) -> PrivacyNotice:
    """Create a draft version of the privacy notice, or change one not yet published.

    Raises ValidationError for a published version (never edited), a version label already
    used, or text without sections. Nothing is shown to the public until it is published.
    """
    version = version.strip()
    if notice_id is None:
        notice = PrivacyNotice(published_at=None)
    else:
        notice = PrivacyNotice.objects.select_for_update().get(pk=notice_id)
        if notice.published_at is not None:
            raise ValidationError(
                _("A published privacy notice is never changed: draft a new version.")
            )
    if PrivacyNotice.objects.filter(version=version).exclude(pk=notice.pk).exists():
        raise ValidationError({"version": _("There is already a version %(v)s.") % {"v": version}})
    sections = privacy_notice_sections(text)
    if not sections:
        raise ValidationError({"text": _("Enter the notice's text, with at least one section.")})
    notice.version, notice.title = version, title.strip()
    notice.lawful_basis, notice.sections = lawful_basis.strip(), sections
    notice.save()
    logger.info("privacy notice draft saved", extra={"notice_id": notice.pk})
    return notice


@transaction.atomic
def privacy_notice_publish(*, notice_id: int, actor) -> PrivacyNotice:
    """Publish a draft: it becomes the current notice, which every new consent cites from now.

    Its words are then kept as they are for good (PrivacyNotice.save refuses a change); earlier
    versions stay as they were, for the consents that cite them. Publishing twice is harmless.
    Side effect: clears the cached current version after commit.
    """
    notice = PrivacyNotice.objects.select_for_update().get(pk=notice_id)
    if notice.published_at is not None:
        return notice
    notice.published_at = timezone.now()
    notice.save(update_fields=["published_at"])
    transaction.on_commit(lambda: cache.delete(CURRENT_CACHE_KEY))
    logger.info(
        "privacy notice published",
        extra={"notice_id": notice.pk, "actor_id": getattr(actor, "pk", None)},
    )
    return notice
