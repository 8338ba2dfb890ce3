"""Errors of booking state changes (ARCHITECTURE.md "HTTP API" codes)."""

from coresync.core.errors import DomainError


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


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used before with a different request (422)."""

    code = "idempotency_key_reused"
    status = 422
    default_message = "This Idempotency-Key was already used for a different request."


class IdempotencyRequestInProgress(DomainError):
    """A request with this idempotency key is still being processed (409)."""

    code = "idempotency_request_in_progress"
    status = 409
    default_message = "A request with this Idempotency-Key is still in progress."
