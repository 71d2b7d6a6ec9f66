"""`manage.py import_stakeholders FILE [--dry-run] [--source TEXT]`: the staff import, from a shell."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from engage.importers import (
    DELIMITERS,
    ImportFileError,
    ImportOptions,
    check_size,
    stakeholders_import,
)


class Command(BaseCommand):
    help = (
        "Import stakeholders from a CSV or XLSX file (see README, 'Import columns'). "
        "The last line printed reads created=N updated=N unchanged=N invalid=N."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")
        parser.add_argument("--source", default="", help="where these people came from")
        parser.add_argument(
            "--consent-wording",
            default="",
            help="the exact words people agreed to (needed when the file has consent_ columns)",
        )
        parser.add_argument("--privacy-notice-version", default="")
        parser.add_argument(
            "--delimiter", choices=sorted(DELIMITERS.values()), help="CSV only; detected if unset"
        )
        parser.add_argument("--encoding", default="", help="CSV only, e.g. windows-1252")
        parser.add_argument("--sheet", default="", help="XLSX only; the first sheet if unset")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help="map a column, e.g. --map email='E-mail address' (repeatable)",
        )
        parser.add_argument("--imported-by", default="", help="email of the staff account")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        mapping = None
        if options["map"]:
            mapping = {}
            for item in options["map"]:
                field, sep, header = item.partition("=")
                if not sep:
                    raise CommandError(f"--map needs FIELD=HEADER, got {item!r}")
                mapping[field.strip()] = header
        actor = None
        if options["imported_by"]:
            actor = get_user_model().objects.filter(email__iexact=options["imported_by"]).first()
            if actor is None:
                raise CommandError(f"No account with the email {options['imported_by']}")
        delimiter = {v: k for k, v in DELIMITERS.items()}.get(options["delimiter"] or "", "")
        try:
            check_size(path.stat().st_size)
            report = stakeholders_import(
                data=path.read_bytes(),
                file_name=path.name,
                actor=actor,
                dry_run=options["dry_run"],
                options=ImportOptions(
                    source=options["source"],
                    consent_wording=options["consent_wording"],
                    privacy_notice_version=options["privacy_notice_version"],
                    delimiter=delimiter,
                    encoding=options["encoding"],
                    sheet=options["sheet"],
                    mapping=mapping,
                ),
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        if report.encoding:
            self.stdout.write(f"Read as {report.encoding}.")
        for warning in report.warnings:
            self.stdout.write(
                f"line {warning.line}: check {warning.field} {warning.value!r}: letters "
                f"{warning.letters!r} are from a script the rest of the file does not use"
            )
        for row in report.invalid_rows:
            self.stdout.write(f"line {row.line}: {row.reason}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(
                f"Import batch {report.batch_id}; {report.consents_recorded} consents."
            )
        self.stdout.write(report.summary_line())
