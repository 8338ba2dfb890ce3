"""The jobs of googlesync: the outbox handler of calendar pushes and the polling job."""

from coresync.googlesync import calendar, connect
from coresync.googlesync.models import CalendarLink
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import outbox_handler


@outbox_handler(calendar.TOPIC_PUSH_BOOKING)
def push_booking(message: OutboxMessage) -> None:
    """Write a booking's state to its technicians' Google calendars."""
    calendar.push_booking(message.payload["booking"])


@outbox_handler(calendar.TOPIC_PULL_CALENDAR)
def pull_calendar(message: OutboxMessage) -> None:
    """Pull one calendar at once (a push notification rang)."""
    link = CalendarLink.objects.filter(pk=message.payload["link"], is_active=True).first()
    if link is not None:
        calendar.pull_calendar(link)


def pull_calendars() -> int:
    """Pull every linked Google calendar (incremental; full after a 410), and open or renew
    push channels when a public URL is configured."""
    connect.open_push_channels()
    return calendar.pull_all()
