"""Live updates to open pages (ARCHITECTURE.md "Real-time", docs/realtime.md): the one
function domain code calls to push an event to WebSocket viewers, and the group names.

:func:`publish` sends after the current transaction commits (a rolled-back change is never
announced) through Channels' layer (``CHANNEL_LAYERS``: in memory in one process by
default, Redis with ``REDIS_URL``). It is best effort: pages stay correct without it (they
read the database on each request), so a layer that is down is logged, never raised.
The consumers that hold the sockets live in the site layer (:mod:`coresync.web.sockets`).
"""

import asyncio
import logging
from datetime import date
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction

logger = logging.getLogger(__name__)

EVENT_HANDLER = "live.event"
"""The Channels message type every consumer handles (``live_event``)."""

DESK_GROUP = "desk"
"""Front desk and managers: every booking change and device command."""


def availability_group(day: date) -> str:
    """Return the group of the viewers of one spa-local day's times."""
    return f"availability.{day.isoformat()}"


def user_group(user_id: int) -> str:
    """Return a user's private group (their own bookings, the assistant's replies)."""
    return f"user.{user_id}"


def technician_group(technician_id: int) -> str:
    """Return the group of a technician's day page."""
    return f"technician.{technician_id}"


def publish(group: str, event: str, data: dict[str, Any]) -> None:
    """Send ``{"type": event, "data": data}`` to every socket in ``group`` once the current
    transaction commits (at once outside one).

    Args:
        group: a name from this module (``availability.2026-12-02``, ``user.7``, …).
        event: a dotted event name (``availability.changed``, ``booking.cancelled``).
        data: JSON-serializable details (ids, slugs, ISO-8601 strings; never a surname,
            an email or a phone: technicians' pages receive them).
    """
    transaction.on_commit(lambda: send_now(group, event, data))


def send_now(group: str, event: str, data: dict[str, Any]) -> bool:
    """Send the event now; return whether the layer took it (False when none is
    configured or it is unreachable)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # the usual case: a request's or a worker's thread, no loop running
    else:
        # A synchronous caller inside a running loop (a notebook, a browser test's thread)
        # cannot wait for the layer here; nothing in a request or a worker gets this far.
        logger.debug("Live event %s to %s skipped: called inside an event loop.", event, group)
        return False
    try:
        async_to_sync(layer.group_send)(
            group, {"type": EVENT_HANDLER, "event": event, "data": data}
        )
    except Exception:
        logger.warning("Live event %s to %s was not sent.", event, group, exc_info=True)
        return False
    return True
