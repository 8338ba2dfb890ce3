"""``manage.py purge_assistant_conversations``: delete transcripts past the retention."""

from django.core.management.base import BaseCommand

from coresync.assistant.services import purge_conversations


class Command(BaseCommand):
    help = "Delete assistant conversations older than ASSISTANT_RETENTION_DAYS."

    def handle(self, *args, **options) -> None:
        deleted = purge_conversations()
        self.stdout.write(f"Deleted {deleted} conversation(s).")
