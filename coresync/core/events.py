"""In-process domain events: how a lower app tells higher ones that something happened
without importing them (docs/architecture.md "Layers").

A publisher calls :meth:`Topic.publish` inside the transaction of the change, so a subscriber
can write outbox rows that commit or roll back with it (ARCHITECTURE.md "transactional
outbox"). Subscribers register in their app's ``AppConfig.ready()``; they must only write
database rows — never call an external service (email, Stripe, a device) directly: that is
the outbox dispatcher's job, after commit.
"""

from collections.abc import Callable
from typing import Any

Subscriber = Callable[[Any, str, dict[str, Any]], None]
"""``subscriber(subject, action, data)``: the changed row, a dotted action name, details."""


class Topic:
    """A named list of subscribers, called synchronously in registration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Subscriber:
        """Register ``subscriber`` (usable as a decorator); registering twice has no effect."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Remove ``subscriber`` (tests)."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def publish(self, subject: Any, action: str, data: dict[str, Any]) -> None:
        """Call every subscriber with the change, in registration order."""
        for subscriber in list(self._subscribers):
            subscriber(subject, action, data)

    def __repr__(self) -> str:
        return f"<Topic {self.name}: {len(self._subscribers)} subscriber(s)>"
