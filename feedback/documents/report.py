"""The summary report's draft, from what was captured at the meeting, in the shape the team
publishes: attendance, each question with its points grouped by theme, the recurring themes, and
"if you could have changed one thing" last. Pure: it reads the plain data it is given.

Weights become words: a theme raised by one person is a plain point; raised more often it leads
with "Several comments mentioned …" (or "Many …"), its points beneath, verbatim ones in italics
within quotation marks. A summary is not the full list: each theme shows its heaviest points and
says how many more there were (every point is in the points download), which also keeps a
meeting of thousands of points to a document of a few pages.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.documents.model import BulletList, Document, Item, Paragraph, Section
from feedback.documents.outline import outline_format, outline_parse

# The seeded question the report keeps for last (migration 0003 seeds its text).
CHANGE_ONE_THING = "if you could have changed one thing"
# From this many mentions a theme is "many comments" rather than "several".
MANY = 10
_QUOTES = "\"'“‘«"


@dataclass(frozen=True)
class ReportPoint:
    text: str
    weight: int = 1
    verbatim: bool = False
    theme: str = ""


@dataclass(frozen=True)
class ReportQuestion:
    text: str
    points: tuple[ReportPoint, ...] = ()


@dataclass(frozen=True)
class Attendance:
    attended: int
    areas: int
    breakouts: int = 0


@dataclass(frozen=True)
class DraftRules:
    """Settings the draft follows (feedback settings in config)."""

    suppress_below: int = 5
    recurring_min_questions: int = 2
    points_per_theme: int = 5
    untagged_per_question: int = 15


def count_text(count: int, *, suppress_below: int) -> str:
    """A count of people or places, or "fewer than N" when it is small enough to identify."""
    if count < suppress_below:
        return _("fewer than %(n)d") % {"n": suppress_below}
    return str(count)


def _quoted(text: str) -> str:
    return text if text[:1] in _QUOTES else f"“{text}”"


def _point_item(point: ReportPoint) -> Item:
    text = " ".join(point.text.split())
    return Item(_quoted(text), quote=True) if point.verbatim else Item(text)


def _heaviest(points: list[ReportPoint]) -> list[ReportPoint]:
    """Heaviest first, verbatim before paraphrase at equal weight; exact repeats once."""
    seen: set[str] = set()
    ordered = []
    for point in sorted(points, key=lambda p: (-p.weight, not p.verbatim)):
        key = " ".join(point.text.lower().split())
        if key not in seen:
            seen.add(key)
            ordered.append(point)
    return ordered


def _more(count: int) -> Item:
    return Item(
        ngettext("…and %(n)d more comment on this.", "…and %(n)d more comments on this.", count)
        % {"n": count}
    )


def _theme_item(theme: str, points: list[ReportPoint], rules: DraftRules) -> Item:
    mentions = sum(p.weight for p in points)
    if mentions == 1:
        return _point_item(points[0])
    lead = (
        _("Many comments mentioned %(theme)s:")
        if mentions >= MANY
        else _("Several comments mentioned %(theme)s:")
    ) % {"theme": theme}
    shown = _heaviest(points)
    children = [_point_item(p) for p in shown[: rules.points_per_theme]]
    # Exact repeats count towards "several" above, not as more points not shown.
    hidden = len(shown) - len(children)
    if hidden > 0:
        children.append(_more(hidden))
    return Item(lead, items=tuple(children))


def _untagged_item(point: ReportPoint) -> Item:
    if point.weight > 1:
        return Item(_("Several people said:"), items=(_point_item(point),))
    return _point_item(point)


def _question_section(question: ReportQuestion, rules: DraftRules) -> Section:
    by_theme: dict[str, list[ReportPoint]] = {}
    untagged: list[ReportPoint] = []
    for point in question.points:
        (by_theme.setdefault(point.theme, []) if point.theme else untagged).append(point)
    themes = sorted(by_theme.items(), key=lambda kv: (-sum(p.weight for p in kv[1]), kv[0]))
    items = [_theme_item(theme, points, rules) for theme, points in themes]
    loose = _heaviest(untagged)
    items.extend(_untagged_item(p) for p in loose[: rules.untagged_per_question])
    hidden = len(untagged) - min(len(loose), rules.untagged_per_question)
    if hidden > 0:
        items.append(
            Item(
                ngettext(
                    "…and %(n)d more comment, in the points download.",
                    "…and %(n)d more comments, in the points download.",
                    hidden,
                )
                % {"n": hidden}
            )
        )
    if not items:
        return Section(question.text, (Paragraph(_("No comments were recorded.")),))
    return Section(question.text, (BulletList(tuple(items)),))


def _plural(count: int, rules: DraftRules) -> int:
    # "fewer than 5" is plural whatever the count hidden behind it.
    return max(count, rules.suppress_below)


def _attendance_section(attendance: Attendance, rules: DraftRules) -> Section:
    people = count_text(attendance.attended, suppress_below=rules.suppress_below)
    areas = count_text(attendance.areas, suppress_below=rules.suppress_below)
    items = [
        Item(
            ngettext(
                "%(people)s person attended the meeting.",
                "%(people)s people attended the meeting.",
                _plural(attendance.attended, rules),
            )
            % {"people": people}
        ),
        Item(
            ngettext(
                "%(areas)s area of London was represented.",
                "%(areas)s areas of London were represented.",
                _plural(attendance.areas, rules),
            )
            % {"areas": areas}
        ),
    ]
    if attendance.breakouts > 1:
        items.append(
            Item(
                _("People discussed the questions in %(n)d breakout groups.")
                % {"n": attendance.breakouts}
            )
        )
    return Section(_("Introduction / Overview"), (BulletList(tuple(items)),))


def _recurring_section(questions: list[ReportQuestion], rules: DraftRules) -> Section | None:
    raised: dict[str, set[int]] = {}
    for index, question in enumerate(questions):
        for point in question.points:
            if point.theme:
                raised.setdefault(point.theme, set()).add(index)
    recurring = sorted(
        ((theme, len(where)) for theme, where in raised.items()),
        key=lambda kv: (-kv[1], kv[0]),
    )
    total = len(questions)
    items = []
    for theme, count in recurring:
        if count < max(rules.recurring_min_questions, 2):
            continue
        if count == total:
            text = _("%(theme)s was a recurring theme in feedback to every question.")
        else:
            text = _("%(theme)s was a recurring theme, raised under %(n)d of %(total)d questions.")
        items.append(Item(text % {"theme": theme, "n": count, "total": total}))
    if not items:
        return None
    return Section(_("Recurring themes"), (BulletList(tuple(items)),))


def report_draft_sections(
    *, attendance: Attendance, questions: list[ReportQuestion], rules: DraftRules
) -> tuple[Section, ...]:
    """The generated sections, in the published order."""
    last = [q for q in questions if q.text.strip().lower().startswith(CHANGE_ONE_THING)]
    others = [q for q in questions if q not in last]
    sections = [_attendance_section(attendance, rules)]
    sections.extend(_question_section(q, rules) for q in others)
    recurring = _recurring_section(questions, rules)
    if recurring is not None:
        sections.append(recurring)
    sections.extend(_question_section(q, rules) for q in last)
    return tuple(sections)


def report_draft_outline(
    *, attendance: Attendance, questions: list[ReportQuestion], rules: DraftRules
) -> str:
    """The generated draft as the outline text the team edits."""
    return outline_format(
        report_draft_sections(attendance=attendance, questions=questions, rules=rules)
    )


def _paragraphs(text: str) -> list[str]:
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in text.split("\n\n")]
    return [block.strip() for block in blocks if block.strip()]


def report_document(
    *,
    title: str,
    introduction: str,
    outline: str,
    language: str,
    subject: str = "",
    author: str = "",
) -> Document:
    """The report as a document: the title, the team's introduction, then the edited outline."""
    opening, sections = outline_parse(outline)
    return Document(
        title=title,
        language=language,
        subject=subject,
        author=author,
        opening=tuple(Paragraph(p) for p in _paragraphs(introduction)) + opening,
        sections=sections,
    )
