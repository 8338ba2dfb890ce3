"""One error body for every API error: ``{"error": {"code", "message", "fields"?}}``
(ARCHITECTURE.md "HTTP API")."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from coresync.core.errors import DomainError

logger = logging.getLogger(__name__)

CODES_BY_STATUS = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ReadOnlyField(DomainError):
    """A payload tried to set a field the caller may not set (400 ``read_only_field``)."""

    code = "read_only_field"
    status = 400
    default_message = "These fields cannot be set."


class TimezoneOffsetRequired(DomainError):
    """A datetime arrived without a UTC offset (400 ``timezone_offset_required``)."""

    code = "timezone_offset_required"
    status = 400
    default_message = "Datetimes must include a UTC offset, e.g. 2026-12-07T10:00:00-05:00."


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the API error body."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _flatten(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_flatten(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors and DRF/Django exceptions to the one error body; a lost database
    connection is 503 ``service_unavailable`` with ``Retry-After`` (docs/fault-drills.md).

    Unexpected exceptions are left to Django (a logged 500 with no internals in the body).
    """
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database connection was lost or refused (a failover, a restart, a cut): the
        # transaction rolled back, so the client may send the same request again.
        logger.error("Database unavailable: %s", exc, exc_info=exc)
        response = Response(
            error_body(
                "service_unavailable",
                "The service is briefly unavailable. Please try again in a moment.",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "1"
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {key: _flatten(value) for key, value in detail.items()}
            message = "; ".join(f"{key}: {value}" for key, value in fields.items())
            if set(fields) == {"non_field_errors"}:
                return Response(error_body("invalid", fields["non_field_errors"]), status=400)
            return Response(error_body("invalid", message, fields), status=400)
        return Response(error_body("invalid", _flatten(detail)), status=400)
    code = CODES_BY_STATUS.get(response.status_code, getattr(exc, "default_code", "error"))
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        code = "unauthenticated"
    message = _flatten(getattr(exc, "detail", str(exc)))
    if isinstance(exc, exceptions.Throttled):
        message = "Too many requests. Please wait and try again."
        if exc.wait is not None:
            message = f"Too many requests. Try again in {int(exc.wait) + 1} seconds."
    response.data = error_body(code, message)
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        logger.error("API error %s: %s", response.status_code, message)
    return response


def reject_read_only(data: Any, names: set[str]) -> None:
    """Refuse a payload that tries to set any of ``names`` (mass assignment).

    Raises:
        ReadOnlyField: listing each offending field.
    """
    if not isinstance(data, dict):
        return
    offending = sorted(names & set(data))
    if offending:
        raise ReadOnlyField(
            f"These fields cannot be set: {', '.join(offending)}.",
            fields={name: "This field is read-only." for name in offending},
        )
