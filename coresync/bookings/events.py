"""Booking events: every history entry is also published to in-process subscribers.

``log_action`` (the one place booking changes are logged) calls :func:`publish` inside the
transaction of the change, so a subscriber can write outbox rows that commit or roll back
with it (ARCHITECTURE.md "transactional outbox"). Subscribers register in their app's
``AppConfig.ready()``; they must only write database rows — never call an external service
(email, Stripe, a device) directly: that is the outbox dispatcher's job, after commit.

Actions: ``booking.created``, ``booking.confirmed``, ``booking.cancelled``,
``booking.rescheduled``, ``booking.in_progress``, ``booking.completed``, ``booking.no_show``,
``booking.expired``.
"""

from collections.abc import Callable
from typing import Any

Subscriber = Callable[[Any, str, dict[str, Any]], None]
"""``subscriber(booking, action, data)``."""

_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Subscriber:
    """Register ``subscriber`` (usable as a decorator); registering twice has no effect."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    """Remove ``subscriber`` (tests)."""
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def publish(booking, action: str, data: dict[str, Any]) -> None:
    """Call every subscriber with the change, in registration order."""
    for subscriber in list(_subscribers):
        subscriber(booking, action, data)
