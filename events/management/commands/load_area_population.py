"""Load each area's population, with its stated source, for the representation page."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from engage.services import area_population_load


class Command(BaseCommand):
    help = (
        "Set each area's population from a CSV of code,population (ONS GSS codes such as "
        "E09000001). Nothing is written if any row is wrong. Engage ships no figures: load a "
        "published source, and name it with --source."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--source",
            required=True,
            help='Where the figures come from, e.g. "ONS mid-2022 population estimates".',
        )

    def handle(self, *args, file: Path, source: str, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            count = area_population_load(path=file, source=source)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        except UnicodeDecodeError:
            raise CommandError("The file must be UTF-8 text (a CSV).") from None
        self.stdout.write(self.style.SUCCESS(f"Population loaded for {count} areas."))
