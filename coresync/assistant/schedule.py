"""The assistant's periodic job (collected by :mod:`coresync.core.periodic`; Celery task in
:mod:`coresync.assistant.tasks`)."""

from datetime import timedelta

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Purge transcripts past the retention period, daily at 04:10."""
    return (
        PeriodicJob(
            "assistant-purge-conversations",
            "coresync.assistant.services.purge_conversations",
            timedelta(days=1),
            crontab={"hour": "4", "minute": "10"},
        ),
    )
