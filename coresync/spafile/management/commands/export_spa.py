"""``manage.py export_spa [FILE]``: write the whole spa as a spa file (docs/spa-file.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from coresync.spafile.services import export_spa_text


class Command(BaseCommand):
    help = (
        "Write settings, plans, catalog, rooms, technicians, customers, staff and active "
        "bookings as a spa file (to FILE, or to standard output). Passwords are not exported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="Where to write; standard output if omitted.")

    def handle(self, *args, file: str | None, **options) -> None:
        text = export_spa_text()
        if file is None:
            self.stdout.write(text, ending="")
            return
        Path(file).write_text(text, encoding="utf-8")
        self.stderr.write(f"Wrote {file}.")
