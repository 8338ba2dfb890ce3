"""Booking events that change what QuickBooks should hold (registered in
:class:`AccountingConfig.ready`). Called inside the booking's transaction: they write ledger
and outbox rows only."""

from typing import Any

from coresync.accounting.services import rerecord_booking

RERECORD_ACTIONS = ("booking.rescheduled",)


def rerecord_on_booking_change(booking, action: str, data: dict[str, Any]) -> None:
    """After a reschedule, record the booking's receipts again: a new version (an update of
    the same QuickBooks receipt) only if what the receipt says changed."""
    if action in RERECORD_ACTIONS:
        rerecord_booking(booking)
