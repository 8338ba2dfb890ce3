"""Booking events that change a technician's Google calendar (registered in
:class:`GoogleSyncConfig.ready`); they only enqueue, inside the booking's transaction."""

from typing import Any

from coresync.googlesync.calendar import enqueue_push

PUSH_ACTIONS = (
    "booking.created",
    "booking.confirmed",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.expired",
    "booking.no_show",
)


def push_on_booking_change(booking, action: str, data: dict[str, Any]) -> None:
    """Queue the push of the booking's new state to its technicians' calendars."""
    if action in PUSH_ACTIONS:
        enqueue_push(booking)
