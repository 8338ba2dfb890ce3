"""Why a start cannot be booked (ARCHITECTURE.md "HTTP API" error codes)."""

from coresync.core.errors import DomainError


class OutsideBookingWindow(DomainError):
    """The start is inside the minimum notice, in the past, or beyond the caller's advance
    window (422 ``outside_booking_window``)."""

    code = "outside_booking_window"
    status = 422
    default_message = "That start time is outside your booking window."


class OutsideWorkingHours(DomainError):
    """The technician is not working or the room is not open for the whole service time and
    buffers (422 ``outside_working_hours``)."""

    code = "outside_working_hours"
    status = 422
    default_message = "That start time is outside working hours."


class SlotUnavailable(DomainError):
    """The technician or room is already taken at that time (409 ``slot_unavailable``)."""

    code = "slot_unavailable"
    status = 409
    default_message = "That time has just been taken. Please choose another time."
