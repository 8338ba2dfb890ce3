"""Errors of calendar feed changes (ARCHITECTURE.md "HTTP API" codes)."""

from coresync.core.errors import DomainError


class FeedRevoked(DomainError):
    """The feed was revoked meanwhile; it cannot be rotated (422 ``invalid_transition``)."""

    code = "invalid_transition"
    status = 422
    default_message = "This calendar feed was revoked; create a new one."
