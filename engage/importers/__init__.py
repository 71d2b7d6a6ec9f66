"""Imports from CSV or XLSX files, by step: reading, columns, rows, writing; jobs run them off the request.

Every import (stakeholders here; attendance in events; surveys and action plans later) reads its
file through `reading.read_table` / `reading.decode` and neutralises what it writes back out with
`engage.exports.neutralise`, so the limits, the encodings and the formula guard exist once.
"""

from engage.importers.columns import FIELDS, HEADER_ALIASES, consent_columns, default_mapping
from engage.importers.reading import (
    DELIMITERS,
    ENCODING_LABELS,
    ImportFileError,
    Table,
    check_columns,
    check_size,
    check_xlsx_expanded_size,
    decode,
    file_kind,
    read_headers,
    read_table,
    xlsx_expanded_size,
)
from engage.importers.report import (
    ImportOptions,
    ImportReport,
    InvalidRow,
    TextWarning,
    invalid_rows_csv,
)
from engage.importers.rows import email_is_valid, unusual_letters
from engage.importers.writing import stakeholders_import

__all__ = [
    "DELIMITERS",
    "ENCODING_LABELS",
    "FIELDS",
    "HEADER_ALIASES",
    "ImportFileError",
    "ImportOptions",
    "ImportReport",
    "InvalidRow",
    "Table",
    "TextWarning",
    "check_columns",
    "check_size",
    "check_xlsx_expanded_size",
    "consent_columns",
    "decode",
    "default_mapping",
    "email_is_valid",
    "file_kind",
    "invalid_rows_csv",
    "read_headers",
    "read_table",
    "stakeholders_import",
    "unusual_letters",
    "xlsx_expanded_size",
]
