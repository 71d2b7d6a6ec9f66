"""Stakeholder import from CSV or XLSX: read, map columns, validate, plan, then commit in bulk.

One service, `stakeholders_import`, runs behind the staff pages and `manage.py
import_stakeholders`. A dry run and a commit walk exactly the same code; the commit alone
writes, inside one transaction, so a failed import changes nothing.

Speed: rows are validated in one pass into small tuples; the plan is made in chunks of
CHUNK_SIZE rows with four queries per chunk (existing people, memberships, tags, latest consent),
and written with bulk_create / bulk_update. Nothing holds a model instance per row longer than
its chunk, which keeps 100,000 rows well under 300 MB.
"""

import codecs
import csv
import functools
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import charset_normalizer
from django.conf import settings
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction, ConsentAction, ConsentMethod, LawfulBasis, OrganisationType
from engage.models import (
    Area,
    ConsentPurpose,
    ConsentRecord,
    ImportBatch,
    Membership,
    Organisation,
    Stakeholder,
    Tag,
)
from engage.normalise import normalise_email
from engage.selectors import stakeholder_filter_choices_forget
from engage.services import audit_log

CHUNK_SIZE = 2000
BATCH_SIZE = 1000
ANALYZED_MODELS = (Stakeholder, Membership, Stakeholder.tags.through, ConsentRecord)

# The fields a column can map to. `name` is one column holding "first last".
FIELDS = (
    "email",
    "first_name",
    "last_name",
    "name",
    "organisation",
    "role",
    "area",
    "phone",
    "tags",
)
# Header spellings recognised without a mapping (after lower-casing and turning spaces and
# hyphens into underscores).
HEADER_ALIASES = {
    "email": "email",
    "email_address": "email",
    "e_mail": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "forename": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "name": "name",
    "full_name": "name",
    "organisation": "organisation",
    "organization": "organisation",
    "role": "role",
    "area": "area",
    "borough": "area",
    "phone": "phone",
    "telephone": "phone",
    "tags": "tags",
}
CONSENT_PREFIX = "consent_"
YES = {"yes", "y", "true", "1", "x", "given"}
NO = {"no", "n", "false", "0", "withdrawn"}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_LENGTHS = {"first_name": 150, "last_name": 150, "phone": 40, "organisation": 200, "role": 150}

_email_validator = EmailValidator()
# Django's own rules, applied without its lazy regex proxies and with the domain check cached:
# at 100,000 rows the proxies alone cost seconds, and a file has few distinct domains.
_USER_RE = re.compile(EmailValidator.user_regex.pattern, re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    return domain in _email_validator.domain_allowlist or _email_validator.validate_domain_part(
        domain
    )


def email_is_valid(value: str) -> bool:
    """Exactly what django.core.validators.validate_email accepts, faster for many rows."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user, domain = value.rsplit("@", 1)
    return bool(_USER_RE.match(user)) and _domain_ok(domain)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (too big, unreadable, no email column...)."""


@dataclass
class ImportOptions:
    """What the team states about a file, and how to read it."""

    source: str = ""
    consent_wording: str = ""
    privacy_notice_version: str = ""
    delimiter: str = ""  # "" detects it from the header line
    encoding: str = ""  # "" detects it (UTF-8 with or without BOM, else charset-normalizer)
    sheet: str = ""  # XLSX: the first sheet unless named
    mapping: dict[str, str] | None = None  # field -> header as written in the file


@dataclass
class InvalidRow:
    line: int
    reason: str
    cells: list[str]


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    consent_columns: dict[str, str] = field(default_factory=dict)  # header -> purpose slug
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid_rows: list[InvalidRow] = field(default_factory=list)
    consents_recorded: int = 0
    unknown_areas: dict[str, int] = field(default_factory=dict)
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


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (line number in the file, cells)
    delimiter: str = ""
    encoding: str = ""


def check_size(size: int) -> None:
    """Raise ImportFileError when a file of `size` bytes is over ENGAGE_IMPORT_MAX_BYTES."""
    limit = settings.ENGAGE_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            _("The file is %(size)s MB; the largest file we accept is %(limit)s MB.")
            % {"size": f"{size / 1_048_576:.1f}", "limit": f"{limit / 1_048_576:.1f}"}
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
    """The text of `data` and the encoding used. UTF-8 (with or without BOM) is tried first."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            raise ImportFileError(
                _("The file cannot be read as %(encoding)s.") % {"encoding": encoding}
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ImportFileError(
            _("The file's text encoding could not be recognised: save it as UTF-8 CSV.")
        )
    try:
        return data.decode(best.encoding), best.encoding
    except (UnicodeDecodeError, LookupError):
        raise ImportFileError(
            _("The file's text encoding could not be recognised: save it as UTF-8 CSV.")
        ) from None


def _detect_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_csv(data: bytes, *, delimiter: str = "", encoding: str = "") -> Table:
    text, used = decode(data, encoding)
    text = text.lstrip("\ufeff")  # a BOM surviving another encoding's decode
    delimiter = delimiter or _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None

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


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, *, sheet: str = "") -> Table:
    import openpyxl

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
    values = worksheet.iter_rows(values_only=True)
    try:
        headers = [_cell_text(v) for v in next(values)]
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, row in enumerate(values, start=2):
            yield line, [_cell_text(v) for v in row]
        workbook.close()

    return Table(headers=headers, rows=rows())


def read_table(data: bytes, *, file_name: str, options: ImportOptions | None = None) -> Table:
    """Open a CSV or XLSX file's bytes as headers plus numbered rows; raises ImportFileError."""
    options = options or ImportOptions()
    check_size(len(data))
    if file_kind(file_name) == "xlsx":
        return read_xlsx(data, sheet=options.sheet)
    return read_csv(data, delimiter=options.delimiter, encoding=options.encoding)


# --- Mapping ------------------------------------------------------------------------------------


def _header_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", header).strip().lower())


def default_mapping(headers: list[str]) -> dict[str, str]:
    """The field each recognised header maps to, as {field: header}; first header wins."""
    mapping: dict[str, str] = {}
    for header in headers:
        name = HEADER_ALIASES.get(_header_key(header))
        if name and name not in mapping:
            mapping[name] = header
    return mapping


def consent_columns(headers: list[str]) -> dict[str, str]:
    """{header: purpose slug} for every `consent_<purpose-slug>` column; raises for an unknown one."""
    slugs = {
        slug.replace("-", "_"): slug
        for slug in ConsentPurpose.objects.values_list("slug", flat=True)
    }
    found: dict[str, str] = {}
    for header in headers:
        key = _header_key(header)
        if not key.startswith(CONSENT_PREFIX):
            continue
        wanted = key[len(CONSENT_PREFIX) :]
        if wanted not in slugs:
            raise ImportFileError(
                _("Column “%(header)s” names no consent purpose. Known purposes: %(known)s.")
                % {"header": header, "known": ", ".join(sorted(slugs.values()))}
            )
        found[header] = slugs[wanted]
    return found


def _column_indexes(headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    positions = {header: i for i, header in reversed(list(enumerate(headers)))}
    indexes = {}
    for name, header in mapping.items():
        if not header:
            continue
        if name not in FIELDS:
            raise ImportFileError(_("Unknown field %(field)s in the mapping.") % {"field": name})
        if header not in positions:
            raise ImportFileError(
                _("The mapping names a column “%(header)s” the file does not have.")
                % {"header": header}
            )
        indexes[name] = positions[header]
    if "email" not in indexes:
        raise ImportFileError(
            _("The file needs an email column (a header named “email”, or map one).")
        )
    return indexes


# --- Validation ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    line: int
    email: str
    email_normalised: str
    first_name: str
    last_name: str
    phone: str
    area_id: int | None
    organisation: str
    role: str
    tags: tuple[str, ...]
    consents: tuple[tuple[int, bool], ...]  # (purpose id, given?)


def _area_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for pk, name, slug, code in Area.objects.values_list("pk", "name", "slug", "code"):
        for key in (name, slug, code):
            if key:
                lookup[key.strip().casefold()] = pk
    return lookup


def _split_name(full: str) -> tuple[str, str]:
    full = " ".join(full.split())
    if " " not in full:
        return full, ""
    first, last = full.rsplit(" ", 1)
    return first, last


def _validate(
    line: int,
    cells: list[str],
    *,
    columns: dict[str, int],
    consent_indexes: list[tuple[int, int, str]],
    areas: dict[str, int],
    report: ImportReport,
) -> Row | str:
    """A Row, or the reason the row is invalid."""

    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    email = cell("email")
    if not email:
        return _("No email address.")
    if not email_is_valid(email):
        return _("“%(email)s” is not a valid email address.") % {"email": email}
    if len(email) > 254:
        return _("The email address is longer than 254 characters.")
    first_name, last_name = cell("first_name"), cell("last_name")
    if not (first_name or last_name) and cell("name"):
        first_name, last_name = _split_name(cell("name"))
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": cell("phone"),
        "organisation": cell("organisation"),
        "role": cell("role"),
    }
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            return _("The %(field)s is longer than %(limit)s characters.") % {
                "field": name.replace("_", " "),
                "limit": limit,
            }
    area_id = None
    if area_text := cell("area"):
        area_id = areas.get(area_text.casefold())
        if area_id is None:
            report.unknown_areas[area_text] = report.unknown_areas.get(area_text, 0) + 1
            return _("Unknown area “%(area)s”: use one of the 33 London areas as listed.") % {
                "area": area_text
            }
    tags: dict[str, str] = {}
    for tag in cell("tags").split(";"):
        tag = " ".join(tag.split())
        if len(tag) > 80:
            return _("A tag is longer than 80 characters.")
        if tag:
            tags.setdefault(tag.casefold(), tag)
    consents = []
    for index, purpose_id, header in consent_indexes:
        value = cells[index].strip().casefold() if index < len(cells) else ""
        if not value:
            continue
        if value in YES:
            consents.append((purpose_id, True))
        elif value in NO:
            consents.append((purpose_id, False))
        else:
            return _("“%(value)s” in %(column)s: write yes, no, or leave it empty.") % {
                "value": cells[index].strip(),
                "column": header,
            }
    return Row(
        line=line,
        email=email,
        email_normalised=normalise_email(email),
        first_name=first_name,
        last_name=last_name,
        phone=values["phone"],
        area_id=area_id,
        organisation=" ".join(values["organisation"].split()),
        role=values["role"],
        tags=tuple(tags.values()),
        consents=tuple(consents),
    )


# --- Planning and writing -----------------------------------------------------------------------


@dataclass
class _Context:
    report: ImportReport
    dry_run: bool
    actor: object
    batch: ImportBatch | None
    options: ImportOptions
    file_name: str
    file_sha256: str
    organisations: dict[str, int]  # casefolded name -> id (ids < 0 are planned, not yet made)
    tags: dict[str, int]
    purposes: dict[int, ConsentPurpose]
    now: object


def _chunks(rows: list[Row]) -> Iterator[list[Row]]:
    for start in range(0, len(rows), CHUNK_SIZE):
        yield rows[start : start + CHUNK_SIZE]


def _ensure_named(model, names: dict[str, str], known: dict[str, int], *, dry_run: bool, **extra):
    """Make the missing organisations or tags (casefolded key -> name); ids into `known`."""
    missing = {key: name for key, name in names.items() if key not in known}
    if not missing:
        return
    if dry_run:
        for offset, key in enumerate(missing, start=1):
            known[key] = -offset
        return
    model.objects.bulk_create(
        [model(name=name, **extra) for name in missing.values()],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    for pk, name in model.objects.filter(name__in=list(missing.values())).values_list("pk", "name"):
        known[name.casefold()] = pk


def _consent_values(ctx: _Context, *, stakeholder_id: int, purpose_id: int, give: bool, line: int):
    purpose = ctx.purposes[purpose_id]
    if give:
        action = ConsentAction.GIVEN
    elif purpose.lawful_basis == LawfulBasis.PUBLIC_TASK:
        action = ConsentAction.OBJECTED
    else:
        action = ConsentAction.WITHDRAWN
    return {
        "stakeholder_id": stakeholder_id,
        "purpose_id": purpose_id,
        "action": action,
        "at": ctx.now,
        "method": ConsentMethod.IMPORT,
        "wording": ctx.options.consent_wording,
        "privacy_notice_version": ctx.options.privacy_notice_version,
        "recorded_by_id": ctx.actor.pk if getattr(ctx.actor, "pk", None) else None,
        "import_batch_id": ctx.batch.pk if ctx.batch else None,
        "import_row": line,
        "evidence": {
            "file": ctx.file_name,
            "sha256": ctx.file_sha256,
            "row": line,
            "source": ctx.options.source,
        },
    }


class _Writer:
    """Inserts plain rows (dicts of attname -> value) in bulk.

    On PostgreSQL it streams them with COPY, which is several times faster than an INSERT
    built by the ORM: at 100,000 people the ORM's per-value preparation alone costs more than
    the 15 s budget. Columns the import does not set get their model default, so a field added
    to a model later still receives its default. Elsewhere (SQLite) it uses bulk_create.
    """

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.copy = connection.vendor == "postgresql"

    def reserve_ids(self, model, count: int) -> list[int]:
        """`count` fresh primary keys from the table's own sequence (PostgreSQL only)."""
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def insert(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        if not self.copy:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
            return
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and "id" not in rows[0]) and not f.generated
        ]
        constant, per_row, json_fields = {}, [], set()
        for f in fields:
            if f.get_internal_type() == "JSONField":
                json_fields.add(f.attname)
            if f.attname in rows[0]:
                continue
            if f.has_default() and callable(f.default):
                per_row.append(f)
            else:
                constant[f.attname] = f.get_default()
        names = [f.attname for f in fields]
        columns = ", ".join(self.connection.ops.quote_name(f.column) for f in fields)
        sql = f"COPY {self.connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        with (
            self.connection.wrap_database_errors,
            self.connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                values = {**constant, **row}
                for f in per_row:
                    values[f.attname] = f.get_default()
                for name in json_fields:
                    values[name] = json.dumps(values[name])
                copy.write_row([values[name] for name in names])


def _any(model, column: str, values: list, sql_type: str = "bigint"):
    """`column IN values` as one typed array parameter on PostgreSQL.

    An IN list of 2,000 placeholders is parsed client-side by psycopg on every query, which
    cost seconds over a 100,000-row file; `= ANY(%s::bigint[])` sends one array instead (the
    explicit type stops psycopg from sending small ids as smallint[], which no index matches).
    """
    from django.db import connection
    from django.db.models import BooleanField, Q
    from django.db.models.expressions import RawSQL

    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": values})
    qn = connection.ops.quote_name
    return RawSQL(  # noqa: S611 - names come from model meta, values are bound
        f"{qn(model._meta.db_table)}.{qn(column)} = ANY(%s::{sql_type}[])",
        (list(values),),
        output_field=BooleanField(),
    )


def _analyze(models) -> None:
    """Refresh the planner's statistics after a large import (PostgreSQL).

    Without it the next import (or a later chunk's lookup) is planned as if the tables were
    still empty, and an index probe turns into a scan of every consent record per chunk.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _plan_chunk(ctx: _Context, rows: list[Row], writer: "_Writer | None") -> None:
    existing = {
        values["email_normalised"]: values
        for values in Stakeholder.objects.filter(
            _any(Stakeholder, "email_normalised", [row.email_normalised for row in rows], "text")
        ).values("id", "email_normalised", "first_name", "last_name", "phone", "area_id")
    }
    ids = [values["id"] for values in existing.values()]
    memberships: dict[tuple[int, int], tuple[int, str]] = {}
    tag_links: set[tuple[int, int]] = set()
    consent_state: dict[tuple[int, int], str] = {}
    if ids:
        for pk, sid, oid, role in Membership.objects.filter(
            _any(Membership, "stakeholder_id", ids)
        ).values_list("pk", "stakeholder_id", "organisation_id", "role"):
            memberships[(sid, oid)] = (pk, role)
        tag_links = set(
            Stakeholder.tags.through.objects.filter(
                _any(Stakeholder.tags.through, "stakeholder_id", ids)
            ).values_list("stakeholder_id", "tag_id")
        )
        if ctx.purposes:
            for sid, pid, action in (
                # Purposes are filtered here, not in SQL: a purpose condition tempts the planner
                # into scanning every record of that purpose.
                ConsentRecord.objects.filter(_any(ConsentRecord, "stakeholder_id", ids))
                .order_by("stakeholder_id", "purpose_id", "-at", "-id")
                .values_list("stakeholder_id", "purpose_id", "action")
            ):
                if pid in ctx.purposes:
                    consent_state.setdefault((sid, pid), action)

    new_people: list[Row] = []
    changed_people: list[tuple[Stakeholder, tuple[str, ...]]] = []
    new_memberships: list[dict] = []
    changed_roles: list[Membership] = []
    new_tag_links: list[dict] = []
    new_consents: list[dict] = []

    for row in rows:
        current = existing.get(row.email_normalised)
        if current is None:
            ctx.report.created += 1
            ctx.report.consents_recorded += sum(1 for _pid, give in row.consents if give)
            new_people.append(row)
            continue

        sid = current["id"]
        org_id = ctx.organisations.get(row.organisation.casefold()) if row.organisation else None
        changes = {}
        for name in ("first_name", "last_name", "phone", "area_id"):
            value = getattr(row, name)
            # An empty cell never erases what the list already holds.
            if value not in ("", None) and value != current[name]:
                changes[name] = value
        membership_change = False
        if org_id is not None:
            held = memberships.get((sid, org_id)) if org_id > 0 else None
            if held is None:
                membership_change = True
                new_memberships.append(
                    {"stakeholder_id": sid, "organisation_id": org_id, "role": row.role}
                )
            elif row.role and row.role != held[1]:
                membership_change = True
                changed_roles.append(Membership(pk=held[0], role=row.role))
        missing_tags = [
            tid
            for tid in (ctx.tags[tag.casefold()] for tag in row.tags)
            if tid < 0 or (sid, tid) not in tag_links
        ]
        new_tag_links.extend({"stakeholder_id": sid, "tag_id": tid} for tid in missing_tags)
        consent_changes = []
        for pid, give in row.consents:
            is_given = consent_state.get((sid, pid)) == ConsentAction.GIVEN
            # Evidence of "no" only matters when it changes something: there is no consent to
            # withdraw from a person who never gave it.
            if give != is_given:
                consent_changes.append((pid, give))
        ctx.report.consents_recorded += len(consent_changes)
        new_consents.extend(
            _consent_values(ctx, stakeholder_id=sid, purpose_id=pid, give=give, line=row.line)
            for pid, give in consent_changes
        )
        if changes or membership_change or missing_tags or consent_changes:
            ctx.report.updated += 1
            if changes:
                person = Stakeholder(pk=sid, updated_at=ctx.now, **changes)
                changed_people.append((person, tuple(sorted(changes))))
        else:
            ctx.report.unchanged += 1

    if writer is None:  # a dry run: counting is all
        return
    if new_people:
        people = [
            {
                "email": row.email,
                "email_normalised": row.email_normalised,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "phone": row.phone,
                "area_id": row.area_id,
                "source": ctx.options.source[:200],
                "created_at": ctx.now,
                "updated_at": ctx.now,
            }
            for row in new_people
        ]
        if writer.copy:
            for person, pk in zip(
                people, writer.reserve_ids(Stakeholder, len(people)), strict=True
            ):
                person["id"] = pk
            writer.insert(Stakeholder, people)
            new_ids = [person["id"] for person in people]
        else:
            created = Stakeholder.objects.bulk_create(
                [Stakeholder(**person) for person in people], batch_size=BATCH_SIZE
            )
            new_ids = [person.pk for person in created]
        for row, sid in zip(new_people, new_ids, strict=True):
            if row.organisation:
                new_memberships.append(
                    {
                        "stakeholder_id": sid,
                        "organisation_id": ctx.organisations[row.organisation.casefold()],
                        "role": row.role,
                    }
                )
            new_tag_links.extend(
                {"stakeholder_id": sid, "tag_id": ctx.tags[tag.casefold()]} for tag in row.tags
            )
            new_consents.extend(
                _consent_values(ctx, stakeholder_id=sid, purpose_id=pid, give=True, line=row.line)
                for pid, give in row.consents
                if give
            )
    if changed_people:
        # bulk_update writes every listed field of every row, so group rows by what changed.
        groups: dict[tuple[str, ...], list[Stakeholder]] = {}
        for person, names in changed_people:
            groups.setdefault(names, []).append(person)
        for names, people in groups.items():
            fields = [n.removesuffix("_id") for n in names] + ["updated_at"]
            Stakeholder.objects.bulk_update(people, fields, batch_size=BATCH_SIZE)
    if changed_roles:
        Membership.objects.bulk_update(changed_roles, ["role"], batch_size=BATCH_SIZE)
    writer.insert(Membership, new_memberships)
    writer.insert(Stakeholder.tags.through, new_tag_links)
    writer.insert(ConsentRecord, new_consents)


def stakeholders_import(
    *,
    data: bytes,
    file_name: str,
    actor=None,
    options: ImportOptions | None = None,
    dry_run: bool = True,
) -> ImportReport:
    """Import people from a CSV or XLSX file's bytes; with `dry_run` only report what would happen.

    Validates every row (email, lengths, known area, consent values, duplicates within the file
    by normalised email) and dedupes against the list by normalised email: a known person is
    updated (empty cells never erase), a new one created. `consent_<purpose-slug>` columns with
    yes/no record imported consent with the batch, row, importer, source and stated wording;
    a row without such evidence gets no consent.

    A commit runs in one transaction and writes an ImportBatch, the people, memberships, tags,
    consent records and one AuditLog row; any error rolls it all back. Raises ImportFileError for
    a file that cannot be imported at all (size, format, encoding, no email column, consent
    columns without stated wording, unknown purpose).
    """
    options = options or ImportOptions()
    table = read_table(data, file_name=file_name, options=options)
    headers = [h.strip() for h in table.headers]
    mapping = options.mapping if options.mapping is not None else default_mapping(headers)
    mapping = {k: v for k, v in mapping.items() if v}
    columns = _column_indexes(headers, mapping)
    report = ImportReport(file_name=file_name, dry_run=dry_run, headers=headers, mapping=mapping)
    report.consent_columns = consent_columns(headers)
    if report.consent_columns and not options.consent_wording.strip():
        raise ImportFileError(
            _(
                "The file has consent columns (%(columns)s): state the wording these people "
                "agreed to, so it is kept with each consent."
            )
            % {"columns": ", ".join(report.consent_columns)}
        )
    options.privacy_notice_version = (
        options.privacy_notice_version or settings.ENGAGE_PRIVACY_NOTICE_VERSION
    )
    purposes = {
        p.pk: p for p in ConsentPurpose.objects.filter(slug__in=report.consent_columns.values())
    }
    purpose_ids = {p.slug: p.pk for p in purposes.values()}
    positions = {header: i for i, header in reversed(list(enumerate(headers)))}
    consent_indexes = [
        (positions[header], purpose_ids[slug], header)
        for header, slug in report.consent_columns.items()
    ]

    areas = _area_lookup()
    seen: dict[str, int] = {}
    rows: list[Row] = []
    organisation_names: dict[str, str] = {}
    tag_names: dict[str, str] = {}
    for line, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue
        result = _validate(
            line,
            cells,
            columns=columns,
            consent_indexes=consent_indexes,
            areas=areas,
            report=report,
        )
        if isinstance(result, str):
            report.invalid_rows.append(InvalidRow(line=line, reason=result, cells=cells))
            continue
        first_line = seen.get(result.email_normalised)
        if first_line is not None:
            report.invalid_rows.append(
                InvalidRow(
                    line=line,
                    reason=_("Same email address as line %(line)s; only the first one is imported.")
                    % {"line": first_line},
                    cells=cells,
                )
            )
            continue
        seen[result.email_normalised] = line
        rows.append(result)
        if result.organisation:
            organisation_names.setdefault(result.organisation.casefold(), result.organisation)
        for tag in result.tags:
            tag_names.setdefault(tag.casefold(), tag)
    del seen

    sha256 = hashlib.sha256(data).hexdigest()
    organisations = {
        name.casefold(): pk for pk, name in Organisation.objects.values_list("pk", "name")
    }
    tags = {name.casefold(): pk for pk, name in Tag.objects.values_list("pk", "name")}

    if dry_run:
        ctx = _Context(
            report=report,
            dry_run=True,
            actor=actor,
            batch=None,
            options=options,
            file_name=file_name,
            file_sha256=sha256,
            organisations=organisations,
            tags=tags,
            purposes=purposes,
            now=timezone.now(),
        )
        _ensure_named(Organisation, organisation_names, organisations, dry_run=True)
        _ensure_named(Tag, tag_names, tags, dry_run=True)
        for chunk in _chunks(rows):
            _plan_chunk(ctx, chunk, None)
        return report

    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=file_name[:255],
            file_sha256=sha256,
            source=options.source[:200],
            consent_wording=options.consent_wording,
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        ctx = _Context(
            report=report,
            dry_run=False,
            actor=actor,
            batch=batch,
            options=options,
            file_name=file_name,
            file_sha256=sha256,
            organisations=organisations,
            tags=tags,
            purposes=purposes,
            now=timezone.now(),
        )
        _ensure_named(
            Organisation,
            organisation_names,
            organisations,
            dry_run=False,
            type=OrganisationType.OTHER,
        )
        _ensure_named(Tag, tag_names, tags, dry_run=False)
        transaction.on_commit(stakeholder_filter_choices_forget)
        writer = _Writer()
        for number, chunk in enumerate(_chunks(rows), start=1):
            _plan_chunk(ctx, chunk, writer)
            # Early chunks grow the tables far past what the planner last saw.
            if len(rows) > CHUNK_SIZE and number in (1, 5):
                _analyze(ANALYZED_MODELS)
        if len(rows) > CHUNK_SIZE:
            _analyze(ANALYZED_MODELS)
        batch.counts = {**report.counts(), "consents": report.consents_recorded}
        batch.save(update_fields=["counts"])
        report.batch_id = batch.pk
        audit_log(
            actor=actor,
            action=AuditAction.IMPORT,
            obj=batch,
            detail={**batch.counts, "file_sha256": sha256},
        )
    return report


def invalid_rows_csv(report: ImportReport) -> str:
    """The invalid rows as CSV text: line, reason, then the row's cells under the file's headers.

    Cells are neutralised against formula injection, like every export.
    """
    from engage.exports import neutralise

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", *report.headers])
    for row in report.invalid_rows:
        writer.writerow([row.line, neutralise(row.reason), *(neutralise(c) for c in row.cells)])
    return out.getvalue()
