"""The next meeting's pre-reading, drafted from what changed since the previous meeting: the
action plan's rounds published since (counts by rating, and each commitment whose rating moved),
and the responses to what people said at the previous meeting. Pure: it reads the plain data it
is given and returns sections, which the team edits as outline text (feedback.documents.outline).

Ratings are written as words, never as colour alone, as in the quarterly update.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.documents.model import BulletList, Item, Paragraph, Section


@dataclass(frozen=True)
class RatingMove:
    number: str
    wording: str
    before: str  # "A, Some delay"; empty for a commitment's first rating
    after: str
    status_text: str


@dataclass(frozen=True)
class RoundSince:
    plan_title: str
    round_title: str
    published_on: str
    counts: tuple[tuple[str, int], ...]  # ("G, Complete", 17), in the scale's order
    moves: tuple[RatingMove, ...] = ()


@dataclass(frozen=True)
class ResponseSince:
    you_said: str
    we_did: str
    status: str


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _round_section(round_: RoundSince) -> Section:
    blocks = [
        Paragraph(
            _("%(plan)s: progress at %(round)s, published %(date)s.")
            % {"plan": round_.plan_title, "round": round_.round_title, "date": round_.published_on}
        )
    ]
    if round_.counts:
        blocks.append(
            BulletList(
                tuple(
                    Item(
                        ngettext("%(n)d commitment rated %(r)s", "%(n)d commitments rated %(r)s", n)
                        % {"n": n, "r": label}
                    )
                    for label, n in round_.counts
                )
            )
        )
    if round_.moves:
        blocks.append(Paragraph(_("Ratings that changed:")))
        items = []
        for move in round_.moves:
            if move.before:
                head = _("Commitment %(n)s, %(text)s: from %(before)s to %(after)s") % {
                    "n": move.number,
                    "text": _one_line(move.wording),
                    "before": move.before,
                    "after": move.after,
                }
            else:
                head = _("Commitment %(n)s, %(text)s: rated %(after)s") % {
                    "n": move.number,
                    "text": _one_line(move.wording),
                    "after": move.after,
                }
            status = _one_line(move.status_text)
            items.append(Item(head, items=(Item(status),) if status else ()))
        blocks.append(BulletList(tuple(items)))
    else:
        blocks.append(Paragraph(_("No rating changed in this update.")))
    return Section(
        _("Action plan: %(round)s") % {"round": round_.round_title}, tuple(blocks), level=3
    )


def prereading_sections(
    *,
    previous_title: str,
    rounds: tuple[RoundSince, ...],
    responses: tuple[ResponseSince, ...],
    topics: tuple[str, ...] = (),
) -> tuple[Section, ...]:
    """The generated draft: what changed in the plan, "you said, we did" for the previous
    meeting, then the questions for discussion (the team adds them when none are set yet).
    `previous_title` is empty when the meeting is the first of its series."""
    sections = [Section(_("What changed in the action plan"))]
    if rounds:
        sections.extend(_round_section(r) for r in rounds)
    else:
        sections[0] = Section(
            sections[0].heading,
            (Paragraph(_("No progress update has been published since the last meeting.")),),
        )
    if previous_title:
        heading = _("What you said at %(meeting)s, and what we did") % {"meeting": previous_title}
        if responses:
            items = tuple(
                Item(
                    _("You said: %(said)s") % {"said": _one_line(r.you_said)},
                    items=(
                        Item(
                            _("We did: %(did)s (%(status)s)")
                            % {"did": _one_line(r.we_did), "status": r.status}
                        ),
                    ),
                )
                for r in responses
            )
            sections.append(Section(heading, (BulletList(items),)))
        else:
            sections.append(
                Section(heading, (Paragraph(_("Our responses are not published yet.")),))
            )
    if topics:
        topic_blocks = (BulletList(tuple(Item(_one_line(t)) for t in topics)),)
    else:
        topic_blocks = (Paragraph(_("The questions for discussion will be added here.")),)
    sections.append(Section(_("Topics for discussion"), topic_blocks))
    return tuple(sections)
