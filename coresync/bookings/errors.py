"""Errors of booking state changes (ARCHITECTURE.md "HTTP API" codes)."""

from coresync.core import errors
from coresync.core.errors import (  # noqa: F401 - re-exported for callers of bookings
    DomainError,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
)


class InvalidTransition(errors.InvalidTransition):
    """The booking's status does not allow this change (422 ``invalid_transition``)."""

    default_message = "The booking's status does not allow that."


class TooLate(DomainError):
    """The change comes too late: the booking has started, or the reschedule cut-off has
    passed (422 ``too_late``)."""

    code = "too_late"
    status = 422
    default_message = "It is too late to change this booking."


class CustomerBusy(DomainError):
    """The customer already holds a booking whose service time overlaps this one, and this
    one names no other guest (409 ``customer_busy``; ARCHITECTURE.md "HTTP API")."""

    code = "customer_busy"
    status = 409
    default_message = (
        "You already have a booking at that time. To book for someone else, add their name "
        "as the guest."
    )
