"""Errors of the front desk and the dashboard (ARCHITECTURE.md "HTTP API" codes)."""

from coresync.core.errors import DomainError, Forbidden, InvalidInput

__all__ = ["DomainError", "Forbidden", "InvalidInput", "RangeTooLong"]


class RangeTooLong(InvalidInput):
    """A dashboard range longer than :data:`coresync.dashboard.selectors.MAX_RANGE_DAYS`
    (400 ``invalid``)."""

    default_message = "Choose a range of at most 366 days."
