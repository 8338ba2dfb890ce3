"""The base of CoreSync's domain errors.

A domain error carries a stable ``code`` (the API's error code, ARCHITECTURE.md "HTTP API"),
a human message, optional per-field messages and the HTTP status the API layer maps it to.
Services raise them; views translate them; nothing is half-written when one is raised because
services raise inside ``transaction.atomic()``.
"""

from typing import Any


class DomainError(Exception):
    """A refused operation with a machine-readable code.

    Args:
        message: a sentence for a person, naming what was wrong.
        fields: optional ``{field_name: message}`` for field-level problems.
        **params: data about the failure (e.g. ``start=…``), kept on ``self.params``.
    """

    code: str = "invalid"
    status: int = 400
    default_message: str = "The request is invalid."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or {}
        self.params = params
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        """Return the API error body ``{"error": {"code", "message", "fields"?}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class InvalidInput(DomainError):
    """Bad input: an unknown slug, a malformed range, a value out of bounds (400 ``invalid``)."""

    code = "invalid"
    status = 400


class NotFound(DomainError):
    """The object does not exist or is not the caller's (404 ``not_found``)."""

    code = "not_found"
    status = 404
    default_message = "Not found."


class Forbidden(DomainError):
    """The caller's role may not do this (403 ``forbidden``)."""

    code = "forbidden"
    status = 403
    default_message = "You do not have permission to do that."


class InvalidTransition(DomainError):
    """The row's status does not allow this change (422 ``invalid_transition``): a booking,
    an order or a request moved in the wrong state."""

    code = "invalid_transition"
    status = 422
    default_message = "The current status does not allow that."


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
