"""``manage.py assistant_eval``: score the assistant on its labelled set and scripted
dialogues (coresync/assistant/eval/) against the demo spa, at the set's frozen now.

Everything runs inside a transaction that is rolled back: the database is left as it was.
An empty database gets the demo spa for the run (coresync/spafile/demo/spa.yaml).
"""

from datetime import datetime

import yaml
from django.core.management.base import BaseCommand
from django.db import transaction

from coresync.assistant.eval import DIALOGUES, evaluate
from coresync.spa.models import SpaSettings
from coresync.spafile.management.commands.demo import DEMO_FILE
from coresync.spafile.services import import_spa_file


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Print intent accuracy, entity F1, dialogue success and false writes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--misses", action="store_true", help="List every miss.")

    def handle(self, *args, **options) -> None:
        import time_machine  # a development dependency: the set's "now" is frozen

        now = datetime.fromisoformat(yaml.safe_load(DIALOGUES.read_text())["now"])
        try:
            with time_machine.travel(now, tick=False), transaction.atomic():
                if not SpaSettings.objects.exists():
                    import_spa_file(DEMO_FILE)
                report = evaluate()
                raise _Rollback
        except _Rollback:
            pass
        for line in report.lines():
            self.stdout.write(line)
        if options["misses"]:
            for miss in report.misses:
                self.stdout.write(f"  {miss}")
