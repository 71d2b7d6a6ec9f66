"""Writing an import: plan each chunk against the list, then write it in bulk (or only count).

`stakeholders_import` runs behind the staff pages (as an import job's task) and `manage.py
import_stakeholders`. A dry run and a commit walk exactly the same code; the commit alone
writes, inside one transaction, so a failed import changes nothing.

Speed: rows are validated in one pass into small tuples; the plan is made in chunks of
CHUNK_SIZE rows with four queries per chunk (existing people, memberships, tags, latest consent),
and written with bulk_create / bulk_update (COPY on PostgreSQL). Nothing holds a model instance
per row longer than its chunk, which keeps 100,000 rows well under 300 MB.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import AuditAction, ConsentAction, ConsentMethod, LawfulBasis, OrganisationType
from engage.importers.columns import column_indexes, consent_columns, default_mapping
from engage.importers.reading import ENCODING_LABELS, ImportFileError, read_table
from engage.importers.report import (
    MAX_WARNINGS,
    PREVIEW_ROWS,
    ImportOptions,
    ImportReport,
    InvalidRow,
)
from engage.importers.rows import Row, area_lookup, unusual_letters, validate
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
from engage.privacy import privacy_notice_version_current
from engage.selectors import stakeholder_filter_choices_forget
from engage.services import audit_log

CHUNK_SIZE = 2000
BATCH_SIZE = 1000
ANALYZED_MODELS = (Stakeholder, Membership, Stakeholder.tags.through, ConsentRecord)


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


def _stored_view(row: Row, area_names: dict[int, str]) -> dict:
    view = asdict(row)
    view["area"] = area_names.get(row.area_id, "")
    view["tags"] = "; ".join(row.tags)
    for name in ("area_id", "consents", "email_normalised"):
        view.pop(name)
    return view


def stakeholders_import(
    *,
    data: bytes,
    file_name: str,
    actor=None,
    options: ImportOptions | None = None,
    dry_run: bool = True,
    progress: Callable[[int], None] | None = None,
    before_write: Callable[[], None] | None = None,
    on_written: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import people from a CSV or XLSX file's bytes; with `dry_run` only report what would happen.

    Validates every row (email, lengths, known area, consent values, duplicates within the file
    by normalised email) and dedupes against the list by normalised email: a known person is
    updated (empty cells never erase), a new one created. `consent_<purpose-slug>` columns with
    yes/no record imported consent with the batch, row, importer, source and stated wording;
    a row without such evidence gets no consent.

    A commit runs in one transaction and writes an ImportBatch, the people, memberships, tags,
    consent records and one AuditLog row; any error rolls it all back. Raises ImportFileError for
    a file that cannot be imported at all (size, rows, columns, an XLSX's expanded size, format,
    encoding, no email column, consent columns without stated wording, unknown purpose) before
    any row is validated. `progress`, if given, is called with the number of rows read so far
    every CHUNK_SIZE rows and once at the end of reading, outside the commit's transaction;
    `before_write` and `on_written`, if given, are called inside that transaction, first thing and
    after the last write (with the report), so what they lock or record goes with the import.
    """
    options = options or ImportOptions()
    table = read_table(
        data,
        file_name=file_name,
        delimiter=options.delimiter,
        encoding=options.encoding,
        sheet=options.sheet,
    )
    headers = [h.strip() for h in table.headers]
    mapping = options.mapping if options.mapping is not None else default_mapping(headers)
    mapping = {k: v for k, v in mapping.items() if v}
    columns = column_indexes(headers, mapping)
    report = ImportReport(
        file_name=file_name,
        dry_run=dry_run,
        headers=headers,
        mapping=mapping,
        encoding=ENCODING_LABELS.get(table.encoding, table.encoding),
    )
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
        options.privacy_notice_version or privacy_notice_version_current()
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

    areas = area_lookup()
    seen: dict[str, int] = {}
    rows: list[Row] = []
    organisation_names: dict[str, str] = {}
    tag_names: dict[str, str] = {}
    read = 0
    for read, (line, cells) in enumerate(table.rows, start=1):
        if progress is not None and read % CHUNK_SIZE == 0:
            progress(read)
        if not any(c.strip() for c in cells):
            continue
        result = validate(
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
    if progress is not None:
        progress(read)
    report.warnings = unusual_letters(rows, limit=MAX_WARNINGS)
    area_names = dict(Area.objects.values_list("pk", "name"))
    report.preview = [_stored_view(row, area_names) for row in rows[:PREVIEW_ROWS]]

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
        if before_write is not None:
            before_write()
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
        if on_written is not None:
            on_written(report)
        audit_log(
            actor=actor,
            action=AuditAction.IMPORT,
            obj=batch,
            detail={**batch.counts, "file_sha256": sha256},
        )
    return report
