"""The action plan's quarterly update as a document, in the shape of the published update papers:
an opening summary with the counts by rating ("Of the 23 actions: 17 are complete, 6 are in
progress and on track"), then each chapter with its commitments, each commitment with its
wording at the time, the status update and the rating. Pure: it reads the plain data it is given.

A rating is always written as words ("Rating: LG, in progress and on track"), never left to a
colour, so the document reads the same printed in black and white or through a screen reader.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.documents.model import BulletList, Document, Item, Paragraph, Section


@dataclass(frozen=True)
class PlanRating:
    code: str
    label: str
    meaning: str = ""


@dataclass(frozen=True)
class PlanUpdate:
    number: str
    wording: str
    status_text: str
    rating: PlanRating


@dataclass(frozen=True)
class PlanChapter:
    number: str
    title: str
    updates: tuple[PlanUpdate, ...] = ()


def _paragraphs(text: str) -> list[str]:
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in text.split("\n\n")]
    return [block.strip() for block in blocks if block.strip()]


def rating_text(rating: PlanRating) -> str:
    """The rating in words: its code and its label, the meaning when there is one."""
    text = f"{rating.code}, {rating.label}"
    return f"{text} ({rating.meaning})" if rating.meaning else text


def _summary(chapters: tuple[PlanChapter, ...], ratings: tuple[PlanRating, ...]) -> tuple:
    updates = [u for chapter in chapters for u in chapter.updates]
    if not updates:
        return (Paragraph(_("This update has no commitments in it.")),)
    counts: dict[str, int] = {}
    for update in updates:
        counts[update.rating.code] = counts.get(update.rating.code, 0) + 1
    # The scale's order first; a rating no longer on the scale still counts, after it.
    scale = list(ratings) + [
        u.rating for u in updates if u.rating.code not in {r.code for r in ratings}
    ]
    items, seen = [], set()
    for rating in scale:
        if rating.code in seen or not counts.get(rating.code):
            continue
        seen.add(rating.code)
        count = counts[rating.code]
        items.append(
            Item(
                ngettext(
                    "%(n)d is rated %(rating)s",
                    "%(n)d are rated %(rating)s",
                    count,
                )
                % {"n": count, "rating": f"{rating.code}, {rating.label}"}
            )
        )
    lead = ngettext(
        "Of the %(n)d commitment in this update:",
        "Of the %(n)d commitments in this update:",
        len(updates),
    ) % {"n": len(updates)}
    return (Paragraph(lead), BulletList(tuple(items)))


def _update_section(update: PlanUpdate) -> Section:
    blocks = [Paragraph(_("Commitment: %(text)s") % {"text": " ".join(update.wording.split())})]
    status = _paragraphs(update.status_text)
    if status:
        blocks.append(Paragraph(_("Status update: %(text)s") % {"text": status[0]}))
        blocks.extend(Paragraph(p) for p in status[1:])
    blocks.append(Paragraph(_("Rating: %(rating)s") % {"rating": rating_text(update.rating)}))
    return Section(_("Commitment %(number)s") % {"number": update.number}, tuple(blocks), level=3)


def plan_update_document(
    *,
    plan_title: str,
    round_title: str,
    published_on: str,
    chapters: tuple[PlanChapter, ...],
    ratings: tuple[PlanRating, ...],
    language: str,
    summary: str = "",
    author: str = "",
) -> Document:
    """A published round as a document. `published_on` is the date as it should read; `ratings`
    is the scale in order (its legend closes the document); chapters without updates are left
    out."""
    chapters = tuple(chapter for chapter in chapters if chapter.updates)
    title = _("%(plan)s: progress update %(round)s") % {"plan": plan_title, "round": round_title}
    opening = [Paragraph(_("Published %(date)s.") % {"date": published_on})]
    opening.extend(Paragraph(p) for p in _paragraphs(summary))
    opening.extend(_summary(chapters, ratings))
    sections = []
    for chapter in chapters:
        sections.append(Section(f"{chapter.number} {chapter.title}".strip()))
        sections.extend(_update_section(update) for update in chapter.updates)
    if ratings:
        sections.append(
            Section(
                _("The rating scale"),
                (BulletList(tuple(Item(rating_text(rating)) for rating in ratings)),),
            )
        )
    return Document(
        title=title,
        language=language,
        subject=_("%(plan)s, %(round)s") % {"plan": plan_title, "round": round_title},
        author=author,
        opening=tuple(opening),
        sections=tuple(sections),
    )
