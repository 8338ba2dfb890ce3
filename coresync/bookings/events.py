"""Booking events: every history entry is also published to in-process subscribers.

``log_action`` (the one place booking changes are logged) calls :func:`publish` inside the
transaction of the change (the rules of :mod:`coresync.core.events`).

Actions: ``booking.created``, ``booking.confirmed``, ``booking.cancelled``,
``booking.rescheduled``, ``booking.in_progress``, ``booking.completed``, ``booking.no_show``,
``booking.expired``.
"""

from coresync.core.events import Topic

bookings = Topic("bookings")
"""Subscribers are called as ``subscriber(booking, action, data)``."""

subscribe = bookings.subscribe
unsubscribe = bookings.unsubscribe
publish = bookings.publish
