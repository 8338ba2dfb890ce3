"""Errors of the staff side (ARCHITECTURE.md "Staff time" codes)."""

from coresync.core.errors import DomainError


class InvalidTransition(DomainError):
    """The request or entry's status does not allow this (422 ``invalid_transition``)."""

    code = "invalid_transition"
    status = 422
    default_message = "Its status does not allow that."


class OverlappingEntry(DomainError):
    """The time overlaps another entry of the same technician (409 ``overlapping_entry``)."""

    code = "overlapping_entry"
    status = 409
    default_message = "This time overlaps another of the technician's entries."


class AlreadyClockedIn(DomainError):
    """The technician is clocked in already (409 ``already_clocked_in``)."""

    code = "already_clocked_in"
    status = 409
    default_message = "You are clocked in already."


class NotClockedIn(DomainError):
    """Clock-out or a break without being clocked in (409 ``not_clocked_in``)."""

    code = "not_clocked_in"
    status = 409
    default_message = "You are not clocked in."


class PeriodClosed(DomainError):
    """The time falls in a closed pay period, whose totals are frozen (422
    ``period_closed``)."""

    code = "period_closed"
    status = 422
    default_message = "That pay period is closed: its hours can no longer change."
