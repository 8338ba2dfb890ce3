"""``manage.py dispatch_outbox``: run the outbox and the periodic notification jobs
in-process, for machines without a Celery worker (the demo, development).

    python manage.py dispatch_outbox --once          # dispatch what is due now, then exit
    python manage.py dispatch_outbox --interval 5    # loop: dispatch every 5 s and run the
                                                     # periodic jobs on their schedule

Several copies may run at once (and next to Celery workers): rows are claimed with
``SKIP LOCKED``, so each is run by one of them.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coresync.notifications import jobs


class Command(BaseCommand):
    help = "Dispatch due outbox messages (once, or in a loop with the periodic jobs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Dispatch what is due now and exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between dispatch runs in loop mode (default 5).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Loop mode: only dispatch; no reminders, holds, auto-complete or cleanup.",
        )

    def handle(self, *args, once: bool, interval: float, no_periodic: bool, **options) -> None:
        if once:
            count = jobs.dispatch_outbox()
            self.stdout.write(f"Dispatched {count} outbox message(s).")
            return
        if interval <= 0:
            raise CommandError("--interval must be positive.")
        self.stdout.write(f"Dispatching the outbox every {interval:g} s (Ctrl+C to stop).")
        try:
            jobs.run_forever(
                interval=interval,
                periodic=not no_periodic,
                report=lambda name, count: self.stdout.write(f"{name}: {count}"),
            )
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
