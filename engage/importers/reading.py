"""Reading an uploaded table (CSV or XLSX) into headers and numbered rows, within the limits.

One reader for every import (stakeholders, attendance, and the survey and action-plan imports to
come): `read_table` for the whole file, `read_headers` for the cheap first look an upload step can
afford. Every limit is checked before the expensive part it guards: the byte size before reading,
an XLSX's expanded size (from the zip directory) before openpyxl parses a byte of XML, the column
count from the header line before anything builds a form of it, the row count before validation.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Tried in this order when the team does not choose. UTF-8 first: a file that decodes as UTF-8 is
# almost never anything else. Then what UK spreadsheets really write: Excel's "CSV" is Windows-1252;
# ISO-8859-1 decodes any byte, so it is the last resort, never a guess from statistics (a guesser
# read a one-row Windows-1252 "Renée" as a Chinese encoding).
FALLBACK_ENCODINGS = ("cp1252", "iso-8859-1")
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "iso-8859-1": "ISO-8859-1",
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (too big, unreadable, no email column...)."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (line number in the file, cells)
    delimiter: str = ""
    encoding: str = ""


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f}"


def check_size(size: int) -> None:
    """Raise ImportFileError when a file of `size` bytes is over ENGAGE_IMPORT_MAX_BYTES."""
    limit = settings.ENGAGE_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            _("The file is %(size)s MB; the largest file we accept is %(limit)s MB.")
            % {"size": _mb(size), "limit": _mb(limit)}
        )


def check_columns(count: int) -> None:
    """Raise ImportFileError when a header has more than ENGAGE_IMPORT_MAX_COLUMNS columns."""
    limit = settings.ENGAGE_IMPORT_MAX_COLUMNS
    if count > limit:
        raise ImportFileError(
            _(
                "The file has %(count)s columns; the most we accept is %(limit)s. Delete the "
                "columns you do not need and upload it again."
            )
            % {"count": f"{count:,}", "limit": f"{limit:,}"}
        )


def _check_rows(count: int) -> None:
    limit = settings.ENGAGE_IMPORT_MAX_ROWS
    if count > limit:
        raise ImportFileError(
            _(
                "The file has more than %(limit)s rows; split it into files of at most "
                "%(limit)s rows and import them one after another."
            )
            % {"limit": f"{limit:,}"}
        )


def file_kind(file_name: str) -> str:
    name = file_name.lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if name.endswith(".xls"):
        raise ImportFileError(
            _("Old Excel (.xls) files cannot be read: save the sheet as .xlsx or .csv first.")
        )
    raise ImportFileError(_("Upload a .csv or .xlsx file."))


def decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    """The text of `data` and the encoding used; raises ImportFileError.

    With no `encoding` chosen: UTF-8 (a BOM is dropped), then UTF-16 when the file starts with its
    BOM, then Windows-1252, then ISO-8859-1. The encoding returned is one of ENCODING_LABELS' keys
    when detected.
    """
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ImportFileError(
                _("The file cannot be read as %(encoding)s.") % {"encoding": encoding}
            ) from None
        return text.removeprefix("\ufeff"), encoding
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").removeprefix("\ufeff"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file starts like UTF-16 text but is not: save it as UTF-8 CSV.")
            ) from None
    for name in FALLBACK_ENCODINGS:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise AssertionError("ISO-8859-1 decodes every byte")  # pragma: no cover


def _detect_delimiter(header: str) -> str:
    try:
        return csv.Sniffer().sniff(header, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _csv_text(data: bytes, *, delimiter: str, encoding: str) -> tuple[str, str, str]:
    text, used = decode(data, encoding)
    header = _first_line(text)
    delimiter = delimiter or _detect_delimiter(header)
    # A delimiter count is an upper bound on the columns (quoted cells may hold one), cheap
    # enough to refuse a 50,000-column file before the csv module or any form sees it.
    if header.count(delimiter) + 1 > settings.ENGAGE_IMPORT_MAX_COLUMNS:
        check_columns(len(next(csv.reader([header], delimiter=delimiter), [])))
    return text, used, delimiter


def read_csv(data: bytes, *, delimiter: str = "", encoding: str = "") -> Table:
    text, used, delimiter = _csv_text(data, delimiter=delimiter, encoding=encoding)
    # Newlines bound the row count from above; only a file near the limit is counted exactly.
    if text.count("\n") > settings.ENGAGE_IMPORT_MAX_ROWS:
        counted = sum(1 for _row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        _check_rows(counted - 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
    check_columns(len(headers))

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFileError(
                _("Line %(line)s is not valid CSV: %(error)s") % {"line": line, "error": exc}
            ) from None

    return Table(headers=headers, rows=rows(), delimiter=delimiter, encoding=used)


def xlsx_expanded_size(data: bytes) -> int:
    """The sum of the workbook's zip members' uncompressed sizes, read from the zip directory.

    Python's zipfile stops each member at its declared size (and fails its CRC if the data goes
    on), so the declared sizes bound what openpyxl can be made to parse.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(_("The file is not a readable .xlsx workbook.")) from None


def check_xlsx_expanded_size(data: bytes) -> None:
    """Raise ImportFileError when the workbook unpacks to more than ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES."""
    size = xlsx_expanded_size(data)
    limit = settings.ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES
    if size > limit:
        raise ImportFileError(
            _(
                "The workbook unpacks to %(size)s MB; the most we read is %(limit)s MB. Save the "
                "sheet you need as CSV and upload that."
            )
            % {"size": _mb(size), "limit": _mb(limit)}
        )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, *, sheet: str = "") -> Table:
    check_xlsx_expanded_size(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(_("The file is not a readable .xlsx workbook.")) from None
    if sheet:
        if sheet not in workbook.sheetnames:
            raise ImportFileError(
                _("The workbook has no sheet named %(sheet)s.") % {"sheet": sheet}
            )
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.worksheets[0]
    # The sheet's own dimension, when it states one, refuses an oversized sheet before a row is read.
    if worksheet.max_column:
        check_columns(worksheet.max_column)
    if worksheet.max_row:
        _check_rows(worksheet.max_row - 1)
    values = worksheet.iter_rows(values_only=True)
    try:
        headers = [_cell_text(v) for v in next(values)]
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    while headers and not headers[-1]:
        headers.pop()
    check_columns(len(headers))
    limit = settings.ENGAGE_IMPORT_MAX_ROWS

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, row in enumerate(values, start=2):
            if line - 1 > limit:
                _check_rows(line - 1)
            yield line, [_cell_text(v) for v in row]
        workbook.close()

    return Table(headers=headers, rows=rows())


def read_table(
    data: bytes, *, file_name: str, delimiter: str = "", encoding: str = "", sheet: str = ""
) -> Table:
    """Open a CSV or XLSX file's bytes as headers plus numbered rows; raises ImportFileError.

    Every limit (bytes, expanded XLSX size, columns, rows) is refused with its figure before the
    work it guards. `delimiter` and `encoding` apply to CSV, `sheet` to XLSX; empty detects.
    """
    check_size(len(data))
    if file_kind(file_name) == "xlsx":
        return read_xlsx(data, sheet=sheet)
    return read_csv(data, delimiter=delimiter, encoding=encoding)


def read_headers(
    data: bytes, *, file_name: str, delimiter: str = "", encoding: str = "", sheet: str = ""
) -> list[str]:
    """The header row only, stripped; the rows are not read (no row limit is checked)."""
    check_size(len(data))
    if file_kind(file_name) == "xlsx":
        table = read_xlsx(data, sheet=sheet)
        headers = table.headers
        table.rows.close()
    else:
        text, _used, delimiter = _csv_text(data, delimiter=delimiter, encoding=encoding)
        try:
            headers = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except StopIteration:
            raise ImportFileError(_("The file is empty.")) from None
        except csv.Error as exc:
            raise ImportFileError(
                _("The file is not valid CSV: %(error)s") % {"error": exc}
            ) from None
        check_columns(len(headers))
    return [h.strip() for h in headers]
