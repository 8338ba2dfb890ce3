"""Periodic job of the assistant: purge old transcripts (Celery beat, daily)."""

from celery import shared_task

from coresync.assistant.services import purge_conversations


@shared_task(name="assistant.purge_conversations")
def purge_old_conversations() -> int:
    return purge_conversations()
