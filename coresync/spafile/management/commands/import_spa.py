"""``manage.py import_spa FILE.yaml``: load a whole spa from a spa file (docs/spa-file.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coresync.spafile.services import SpaFileError, import_spa_file


class Command(BaseCommand):
    help = (
        "Load settings, plans, catalog, rooms, technicians, customers, staff and bookings from "
        "a spa file. Idempotent: entries are matched by slug or email; nothing is written "
        "unless the whole file is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path of the spa file (YAML).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check everything, bookings included, then roll back.",
        )
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Send guests the confirmations (and reminders) of imported bookings. Without "
            "it, the import sends nothing.",
        )

    def handle(self, *args, file: str, dry_run: bool, notify: bool = False, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            report = import_spa_file(path, dry_run=dry_run, notify=notify)
        except SpaFileError as error:
            count = len(error.messages)
            raise CommandError(
                f"{file}: {count} problem{'s' if count != 1 else ''}, nothing was imported:\n"
                + "\n".join(error.messages)
            ) from None
        self.stdout.write(report.summary())
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}."))
