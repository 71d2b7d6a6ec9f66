"""What the team states about a file (options) and what an import found (the report)."""

import csv
import io
from dataclasses import asdict, dataclass, field

from engage.exports import neutralise

PREVIEW_ROWS = 20
MAX_WARNINGS = 500


@dataclass
class ImportOptions:
    """What the team states about a file, and how to read it."""

    source: str = ""
    consent_wording: str = ""
    privacy_notice_version: str = ""
    delimiter: str = ""  # "" detects it from the header line
    encoding: str = (
        ""  # "" detects it: UTF-8 (BOM or not), UTF-16 with BOM, Windows-1252, ISO-8859-1
    )
    sheet: str = ""  # XLSX: the first sheet unless named
    mapping: dict[str, str] | None = None  # field -> header as written in the file


@dataclass
class InvalidRow:
    line: int
    reason: str
    cells: list[str]


@dataclass
class TextWarning:
    """A stored value with letters from a script the rest of the file does not use."""

    line: int
    field: str
    value: str
    letters: str


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    consent_columns: dict[str, str] = field(default_factory=dict)  # header -> purpose slug
    encoding: str = ""  # the encoding a CSV was read with; "" for XLSX
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid_rows: list[InvalidRow] = field(default_factory=list)
    consents_recorded: int = 0
    unknown_areas: dict[str, int] = field(default_factory=dict)
    # The first rows exactly as they will be stored, for the dry run to show.
    preview: list[dict] = field(default_factory=list)
    warnings: list[TextWarning] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def invalid(self) -> int:
        return len(self.invalid_rows)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
        }

    def summary_line(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.counts().items())

    def to_data(self) -> dict:
        """The report as JSON-ready data (kept with an import job between its steps)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "ImportReport":
        data = dict(data)
        data["invalid_rows"] = [InvalidRow(**row) for row in data["invalid_rows"]]
        data["warnings"] = [TextWarning(**row) for row in data["warnings"]]
        return cls(**data)


def invalid_rows_csv(report: ImportReport) -> str:
    """The invalid rows as CSV text: line, reason, then the row's cells under the file's headers.

    Cells are neutralised against formula injection, like every export.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", *report.headers])
    for row in report.invalid_rows:
        writer.writerow([row.line, neutralise(row.reason), *(neutralise(c) for c in row.cells)])
    return out.getvalue()
