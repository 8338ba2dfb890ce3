"""Errors of booking state changes (ARCHITECTURE.md "HTTP API" codes)."""

from coresync.core.errors import (  # noqa: F401 - re-exported for callers of bookings
    DomainError,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
)


class InvalidTransition(DomainError):
    """The booking's status does not allow this change (422 ``invalid_transition``)."""

    code = "invalid_transition"
    status = 422
    default_message = "The booking's status does not allow that."


class TooLate(DomainError):
    """The change comes too late: the booking has started, or the reschedule cut-off has
    passed (422 ``too_late``)."""

    code = "too_late"
    status = 422
    default_message = "It is too late to change this booking."
