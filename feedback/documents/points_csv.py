"""The report's points as CSV for download: what was said, under which question, in which
breakout and theme; never who typed it. Every cell goes through engage.exports.neutralise, the
one formula guard, so a point typed as "=HYPERLINK(...)" stays text in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from engage.exports import neutralise


class _Echo:
    def write(self, value: str) -> str:
        return value


def points_csv_header() -> list[str]:
    return [
        _("Question"),
        _("Breakout"),
        _("Theme"),
        _("Point"),
        _("Verbatim quote"),
        _("How many said this"),
    ]


def points_csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV lines, header first, from (question, breakout, theme, text, verbatim, weight) rows."""
    writer = csv.writer(_Echo())
    yield writer.writerow(points_csv_header())
    for question, breakout, theme, text, verbatim, weight in rows:
        cells = [question, breakout, theme or "", text, _("yes") if verbatim else _("no"), weight]
        yield writer.writerow([neutralise(cell) for cell in cells])
