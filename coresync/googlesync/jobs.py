"""The jobs of googlesync: the outbox handler of calendar pushes and the polling job."""

from coresync.googlesync import calendar
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import outbox_handler


@outbox_handler(calendar.TOPIC_PUSH_BOOKING)
def push_booking(message: OutboxMessage) -> None:
    """Write a booking's state to its technicians' Google calendars."""
    calendar.push_booking(message.payload["booking"])


def pull_calendars() -> int:
    """Pull every linked Google calendar (incremental; full after a 410)."""
    return calendar.pull_all()
