"""State changes of the staff side: time off (request, approve, decline, cancel), the time
clock (clock in/out, breaks, entries by hand, approve, edit, reject), pay rates, closing a pay
period, and moving a booking whose technician is away to another one.

Rules of ARCHITECTURE.md "Staff time": instants carry an offset and are stored in UTC; an
entry ends after it starts and at most 16 hours later (else 400 ``invalid``); it may not
overlap another entry of the technician that is not rejected (409 ``overlapping_entry``); a
technician works on their own entries only, a manager on anyone's (else 403 ``forbidden``);
approvals from a wrong state are 422 ``invalid_transition``. Entries of a closed pay period
no longer change (422 ``period_closed``). Each change writes a :class:`TimeEntryChange`.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import reschedule_booking
from coresync.core.clock import UTC, local_date, within_calendar
from coresync.core.clock import now as clock_now
from coresync.core.errors import Forbidden, InvalidInput
from coresync.core.validation import FieldErrors, amount
from coresync.notifications.outbox import Outgoing, enqueue_many
from coresync.resources.models import Technician
from coresync.resources.services import (
    add_technician_exception,
    delete_exception,
    read_technician_exception,
)
from coresync.spa.selectors import get_settings
from coresync.staff.errors import (
    AlreadyClockedIn,
    InvalidTransition,
    NotClockedIn,
    OverlappingEntry,
    PeriodClosed,
)
from coresync.staff.models import (
    TIME_OFF_KINDS,
    PayPeriod,
    PayRate,
    PayrollLine,
    TimeBreak,
    TimeEntry,
    TimeEntryChange,
    TimeEntrySource,
    TimeEntryStatus,
    TimeOffRequest,
    TimeOffStatus,
)
from coresync.staff.periods import PeriodSpan, period_containing
from coresync.staff.selectors import (
    MAX_SHIFT,
    closed_period,
    compute_payroll,
    is_manager,
    managers,
    overlapping_entry,
)

PAYROLL_EMAIL_TOPIC = "staff.payroll_email"
REASON_MAX_LENGTH = 200


def _require_manager(actor, what: str) -> None:
    if not is_manager(actor):
        raise Forbidden(f"Only a manager can {what}.")


def _may_act_for(actor, technician: Technician) -> None:
    """Refuse unless ``actor`` is ``technician``'s own login or a manager."""
    if is_manager(actor):
        return
    if getattr(actor, "pk", None) is not None and technician.user_id == actor.pk:
        return
    raise Forbidden("A technician can only do this for themself.")


# -- time off --------------------------------------------------------------------------------


def request_time_off(technician: Technician, values: Mapping[str, Any], *, actor) -> TimeOffRequest:
    """Ask for time off for ``technician``: ``kind`` (day_off, vacation, sick_leave, other),
    ``date``, optional ``end_date`` (a range) or ``start``/``end`` (part of one day), optional
    ``reason``. Checked as the exception it becomes would be, so approving cannot fail on it.

    Raises:
        Forbidden: ``actor`` is neither the technician nor a manager.
        InvalidInput: naming each bad field (a past date too).
    """
    _may_act_for(actor, technician)
    values = dict(values)
    reason = str(values.pop("reason", "") or "")
    errors = FieldErrors()
    if values.get("kind") not in TIME_OFF_KINDS:
        errors.add("kind", f"choose one of {', '.join(TIME_OFF_KINDS)}")
    if len(reason) > REASON_MAX_LENGTH:
        errors.add("reason", f"at most {REASON_MAX_LENGTH} characters")
    errors.raise_if_any()
    fields = read_technician_exception({**values, "note": reason})
    today = local_date(clock_now(), get_settings().zone)
    if (fields["end_date"] or fields["date"]) < today:
        raise InvalidInput("Time off cannot be in the past.", fields={"date": "In the past."})
    return TimeOffRequest.objects.create(
        technician=technician,
        kind=fields["kind"],
        date=fields["date"],
        end_date=fields["end_date"],
        start=fields["start"],
        end=fields["end"],
        reason=reason,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )


def _locked_request(request: TimeOffRequest) -> TimeOffRequest:
    return TimeOffRequest.objects.select_for_update().get(pk=request.pk)


def _decide(request: TimeOffRequest, status: str, actor, note: str, now) -> TimeOffRequest:
    request.status = status
    request.decided_by = actor if getattr(actor, "pk", None) else None
    request.decided_at = now
    request.decision_note = (note or "")[:REASON_MAX_LENGTH]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request


def approve_time_off(request: TimeOffRequest, *, actor, note: str = "") -> TimeOffRequest:
    """Approve a pending request and create the technician's exception in the same
    transaction; the exception takes the time out of availability and flags the bookings it
    falls on ``needs_reassignment`` (:func:`coresync.bookings.services.review_absences`).

    Raises:
        Forbidden: not a manager. InvalidTransition: not pending.
    """
    _require_manager(actor, "approve time off")
    now = clock_now()
    with transaction.atomic():
        request = _locked_request(request)
        if request.status != TimeOffStatus.PENDING:
            raise InvalidTransition(
                f"This request is {request.status}; only a pending request can be approved.",
                status=request.status,
            )
        exception = add_technician_exception(
            request.technician,
            {
                "kind": request.kind,
                "date": request.date,
                "end_date": request.end_date,
                "start": request.start,
                "end": request.end,
                "note": request.reason or "Time off (staff portal)",
            },
        )
        request.exception = exception
        request.save(update_fields=["exception"])
        return _decide(request, TimeOffStatus.APPROVED, actor, note, now)


def decline_time_off(request: TimeOffRequest, *, actor, note: str = "") -> TimeOffRequest:
    """Decline a pending request.

    Raises:
        Forbidden: not a manager. InvalidTransition: not pending.
    """
    _require_manager(actor, "decline time off")
    with transaction.atomic():
        request = _locked_request(request)
        if request.status != TimeOffStatus.PENDING:
            raise InvalidTransition(
                f"This request is {request.status}; only a pending request can be declined.",
                status=request.status,
            )
        return _decide(request, TimeOffStatus.DECLINED, actor, note, clock_now())


def cancel_time_off(request: TimeOffRequest, *, actor) -> TimeOffRequest:
    """Withdraw a request: its technician while it is pending; a manager also once approved
    (the exception is deleted, and the bookings it had flagged are confirmed again).

    Raises:
        Forbidden: someone else's request. InvalidTransition: declined or cancelled already,
            or approved and the actor is not a manager.
    """
    _may_act_for(actor, request.technician)
    with transaction.atomic():
        request = _locked_request(request)
        allowed = [TimeOffStatus.PENDING]
        if is_manager(actor):
            allowed.append(TimeOffStatus.APPROVED)
        if request.status not in allowed:
            raise InvalidTransition(
                f"This request is {request.status}; it cannot be cancelled"
                + ("." if is_manager(actor) else " (ask a manager)."),
                status=request.status,
            )
        if request.exception_id is not None:
            exception, request.exception = request.exception, None
            delete_exception(exception)  # its bookings are confirmed again
        return _decide(request, TimeOffStatus.CANCELLED, actor, "", clock_now())


# -- time clock ------------------------------------------------------------------------------


def _iso(instant: datetime | None) -> str | None:
    """Return ``instant`` as ISO 8601 in UTC (how the history keeps times)."""
    return instant.astimezone(UTC).isoformat() if instant else None


def _log(entry: TimeEntry, action: str, actor, *, before=None, after=None, reason=""):
    TimeEntryChange.objects.create(
        entry=entry,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        before=before or {},
        after=after or {},
        reason=(reason or "")[:REASON_MAX_LENGTH],
    )


def _lock_technician(technician: Technician) -> None:
    """Serialize one technician's clock changes (the overlap rule has no database
    constraint on SQLite; the one-open-entry index is the last line)."""
    Technician.objects.select_for_update().filter(pk=technician.pk).values_list(
        "pk", flat=True
    ).first()


def _check_open_period(*instants: datetime) -> None:
    """Refuse a change to time that falls in a closed pay period."""
    zone = get_settings().zone
    for instant in instants:
        if instant is None:
            continue
        span = period_containing(instant, zone)
        if closed_period(span) is not None:
            raise PeriodClosed(
                f"The pay period {span.first_day:%B} {span.first_day.day} – "
                f"{span.last_day:%B} {span.last_day.day} is closed: its hours no longer change.",
                period=span.key,
            )


def _check_span(started_at: datetime, ended_at: datetime | None) -> None:
    """Refuse a naive instant, an end not after the start or more than 16 hours later."""
    errors = FieldErrors()
    for name, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value is None:
            continue
        if value.tzinfo is None or value.utcoffset() is None:
            errors.add(name, "Add a UTC offset.")
        elif not within_calendar(value):
            errors.add(name, "Out of range.")
    errors.raise_if_any()
    if ended_at is not None:
        if ended_at <= started_at:
            errors.add("ended_at", "The end must be after the start.")
        elif ended_at - started_at > MAX_SHIFT:
            errors.add("ended_at", "An entry lasts at most 16 hours.")
    errors.raise_if_any()


def _check_breaks(
    breaks: Sequence[tuple[datetime, datetime]], started_at: datetime, ended_at: datetime
) -> None:
    errors = FieldErrors()
    previous_end = None
    for index, (start, end) in enumerate(sorted(breaks)):
        name = f"breaks[{index}]"
        if start.tzinfo is None or end.tzinfo is None:
            errors.add(name, "Add a UTC offset.")
        elif end <= start:
            errors.add(name, "A break ends after it starts.")
        elif start < started_at or end > ended_at:
            errors.add(name, "A break lies inside the entry.")
        elif previous_end is not None and start < previous_end:
            errors.add(name, "Breaks do not overlap.")
        else:
            previous_end = end
    errors.raise_if_any()


def _refuse_overlap(technician: Technician, started_at, ended_at, exclude_pk=None) -> None:
    clash = overlapping_entry(technician.pk, started_at, ended_at, exclude_pk=exclude_pk)
    if clash is not None:
        zone = get_settings().zone
        start = clash.started_at.astimezone(zone)
        raise OverlappingEntry(
            f"This overlaps the entry of {start:%b} {start.day} from "
            f"{start.strftime('%I:%M %p').lstrip('0')}.",
            entry=clash.pk,
        )


def add_time_entry(
    technician: Technician,
    *,
    started_at: datetime,
    ended_at: datetime,
    note: str = "",
    breaks: Sequence[tuple[datetime, datetime]] = (),
    actor,
) -> TimeEntry:
    """Record worked time by hand (a forgotten clock-in, work away from the spa), pending a
    manager's approval.

    Raises:
        Forbidden: a technician for another. InvalidInput: a naive instant, an end not after
        the start or over 16 h later, a break outside the entry. OverlappingEntry. PeriodClosed.
    """
    _may_act_for(actor, technician)
    _check_span(started_at, ended_at)
    _check_breaks(breaks, started_at, ended_at)
    _check_open_period(started_at)
    with transaction.atomic():
        _lock_technician(technician)
        _refuse_overlap(technician, started_at, ended_at)
        entry = TimeEntry.objects.create(
            technician=technician,
            started_at=started_at,
            ended_at=ended_at,
            status=TimeEntryStatus.PENDING,
            source=TimeEntrySource.MANUAL,
            note=(note or "")[:500],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        TimeBreak.objects.bulk_create(
            TimeBreak(entry=entry, started_at=start, ended_at=end) for start, end in breaks
        )
        _log(entry, "created", actor, after=_snapshot(entry, breaks), reason=note)
    return entry


def _snapshot(entry: TimeEntry, breaks=None) -> dict[str, Any]:
    if breaks is None:
        breaks = [(pause.started_at, pause.ended_at) for pause in entry.breaks.all()]
    return {
        "started_at": _iso(entry.started_at),
        "ended_at": _iso(entry.ended_at),
        "note": entry.note,
        "breaks": [[_iso(start), _iso(end)] for start, end in breaks],
    }


def clock_in(technician: Technician, *, actor, now: datetime | None = None) -> TimeEntry:
    """Open an entry for ``technician`` now.

    Raises:
        Forbidden: a technician for another. AlreadyClockedIn: an entry is open (the
        database's one-open-entry index also refuses a concurrent second one).
        OverlappingEntry: now lies inside an entry entered by hand. PeriodClosed.
    """
    _may_act_for(actor, technician)
    now = now or clock_now()
    _check_open_period(now)
    try:
        with transaction.atomic():
            _lock_technician(technician)
            if TimeEntry.objects.filter(technician=technician, ended_at__isnull=True).exists():
                raise AlreadyClockedIn()
            _refuse_overlap(technician, now, None)
            entry = TimeEntry.objects.create(
                technician=technician,
                started_at=now,
                status=TimeEntryStatus.OPEN,
                source=TimeEntrySource.CLOCK,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            _log(entry, "clocked_in", actor, after={"started_at": _iso(now)})
    except IntegrityError as error:
        if "time_entry_one_open_per_technician" in str(error) or "UNIQUE" in str(error):
            raise AlreadyClockedIn() from error
        raise
    return entry


def _locked_open_entry(technician: Technician) -> TimeEntry:
    entry = (
        TimeEntry.objects.select_for_update()
        .filter(technician=technician, ended_at__isnull=True)
        .first()
    )
    if entry is None:
        raise NotClockedIn()
    return entry


def clock_out(technician: Technician, *, actor, now: datetime | None = None) -> TimeEntry:
    """Close ``technician``'s open entry now (ending a break in progress); it then waits for
    approval.

    Raises:
        Forbidden. NotClockedIn. InvalidInput: more than 16 hours after clocking in (a
        manager corrects the entry).
    """
    _may_act_for(actor, technician)
    now = now or clock_now()
    with transaction.atomic():
        entry = _locked_open_entry(technician)
        if now <= entry.started_at:
            raise InvalidInput(
                "The clock-out must come after the clock-in.", fields={"ended_at": "Too soon."}
            )
        if now - entry.started_at > MAX_SHIFT:
            raise InvalidInput(
                "More than 16 hours since clocking in: ask a manager to correct this entry.",
                fields={"ended_at": "An entry lasts at most 16 hours."},
            )
        TimeBreak.objects.filter(entry=entry, ended_at__isnull=True).update(ended_at=now)
        entry.ended_at = now
        entry.status = TimeEntryStatus.PENDING
        entry.save(update_fields=["ended_at", "status"])
        _log(entry, "clocked_out", actor, after={"ended_at": _iso(now)})
    return entry


def start_break(technician: Technician, *, actor, now: datetime | None = None) -> TimeBreak:
    """Start an unpaid break in ``technician``'s open entry.

    Raises:
        Forbidden. NotClockedIn. InvalidTransition: on a break already.
    """
    _may_act_for(actor, technician)
    now = now or clock_now()
    with transaction.atomic():
        entry = _locked_open_entry(technician)
        if entry.breaks.filter(ended_at__isnull=True).exists():
            raise InvalidTransition("You are on a break already.")
        pause = TimeBreak.objects.create(entry=entry, started_at=max(now, entry.started_at))
        _log(entry, "break_started", actor, after={"started_at": _iso(pause.started_at)})
    return pause


def end_break(technician: Technician, *, actor, now: datetime | None = None) -> TimeBreak:
    """End the break in progress.

    Raises:
        Forbidden. NotClockedIn. InvalidTransition: not on a break.
    """
    _may_act_for(actor, technician)
    now = now or clock_now()
    with transaction.atomic():
        entry = _locked_open_entry(technician)
        pause = entry.breaks.filter(ended_at__isnull=True).first()
        if pause is None:
            raise InvalidTransition("You are not on a break.")
        if now <= pause.started_at:
            pause.delete()  # a break of no time at all: nothing to keep
        else:
            pause.ended_at = now
            pause.save(update_fields=["ended_at"])
        _log(entry, "break_ended", actor, after={"ended_at": _iso(now)})
    return pause


def _locked_entry(entry: TimeEntry) -> TimeEntry:
    return TimeEntry.objects.select_for_update().get(pk=entry.pk)


def approve_entry(entry: TimeEntry, *, actor, note: str = "") -> TimeEntry:
    """Approve a pending entry: its hours count in payroll.

    Raises:
        Forbidden: not a manager. InvalidTransition: not pending. PeriodClosed.
    """
    return _decide_entry(entry, TimeEntryStatus.APPROVED, actor, note, (TimeEntryStatus.PENDING,))


def reject_entry(entry: TimeEntry, *, actor, note: str = "") -> TimeEntry:
    """Reject a pending (or approved) entry: it never counts, and no longer blocks its time.

    Raises:
        Forbidden: not a manager. InvalidTransition: open or rejected. PeriodClosed.
    """
    return _decide_entry(
        entry,
        TimeEntryStatus.REJECTED,
        actor,
        note,
        (TimeEntryStatus.PENDING, TimeEntryStatus.APPROVED),
    )


def _decide_entry(entry: TimeEntry, target: str, actor, note: str, allowed) -> TimeEntry:
    verb = "approve" if target == TimeEntryStatus.APPROVED else "reject"
    _require_manager(actor, f"{verb} hours")
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status not in allowed:
            raise InvalidTransition(
                f"This entry is {entry.status}; it cannot be {target}.",
                status=entry.status,
                target=target,
            )
        _check_open_period(entry.started_at)
        previous = entry.status
        entry.status = target
        entry.decided_by = actor if getattr(actor, "pk", None) else None
        entry.decided_at = clock_now()
        entry.decision_note = (note or "")[:REASON_MAX_LENGTH]
        entry.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _log(
            entry,
            target,
            actor,
            before={"status": previous},
            after={"status": target},
            reason=note,
        )
    return entry


def edit_entry(
    entry: TimeEntry,
    *,
    actor,
    reason: str,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    note: str | None = None,
    breaks: Sequence[tuple[datetime, datetime]] | None = None,
) -> TimeEntry:
    """Correct an entry (a manager): its start, end, note or breaks, with a reason; the
    history keeps what it was. Ending an open entry (a forgotten clock-out) makes it pending.
    The status stays otherwise.

    Raises:
        Forbidden: not a manager. InvalidInput: no reason, or the rules of
        :func:`add_time_entry`. OverlappingEntry. PeriodClosed: the old or the new start
        lies in a closed period. InvalidTransition: a rejected entry.
    """
    _require_manager(actor, "edit hours")
    if not (reason or "").strip():
        raise InvalidInput("Say why the entry is changed.", fields={"reason": "Required."})
    with transaction.atomic():
        entry = _locked_entry(entry)
        if entry.status == TimeEntryStatus.REJECTED:
            raise InvalidTransition("A rejected entry is not edited; add a new one.")
        new_start = started_at or entry.started_at
        new_end = ended_at if ended_at is not None else entry.ended_at
        _check_span(new_start, new_end)
        _check_open_period(entry.started_at, new_start)
        current_breaks = [(pause.started_at, pause.ended_at) for pause in entry.breaks.all()]
        new_breaks = list(breaks) if breaks is not None else current_breaks
        if new_end is not None:
            _check_breaks([b for b in new_breaks if b[1] is not None], new_start, new_end)
        _lock_technician(entry.technician)
        _refuse_overlap(entry.technician, new_start, new_end, exclude_pk=entry.pk)
        before = _snapshot(entry, current_breaks)
        entry.started_at, entry.ended_at = new_start, new_end
        if note is not None:
            entry.note = note[:500]
        if entry.status == TimeEntryStatus.OPEN and new_end is not None:
            entry.status = TimeEntryStatus.PENDING
            TimeBreak.objects.filter(entry=entry, ended_at__isnull=True).update(ended_at=new_end)
        entry.save(update_fields=["started_at", "ended_at", "note", "status"])
        if breaks is not None:
            entry.breaks.all().delete()
            TimeBreak.objects.bulk_create(
                TimeBreak(entry=entry, started_at=start, ended_at=end) for start, end in breaks
            )
        after = _snapshot(entry, new_breaks if breaks is not None else None)
        changed_before = {key: value for key, value in before.items() if after[key] != value}
        changed_after = {key: after[key] for key in changed_before}
        _log(entry, "edited", actor, before=changed_before, after=changed_after, reason=reason)
    return entry


# -- pay rates and pay periods ---------------------------------------------------------------


def set_pay_rate(technician: Technician, *, hourly_rate: Any, effective_from, actor) -> PayRate:
    """Give ``technician`` a new hourly rate from spa-local day ``effective_from`` on
    (replacing one that starts that same day). Open periods follow it; a closed period keeps
    the totals it was closed with.

    Raises:
        Forbidden: not a manager. InvalidInput: a negative or malformed rate.
    """
    _require_manager(actor, "set pay rates")
    errors = FieldErrors()
    rate = errors.read("hourly_rate", amount, hourly_rate)
    if rate is not None and rate < 0:
        errors.add("hourly_rate", "A rate is not negative.")
    errors.raise_if_any()
    with transaction.atomic():
        row, _created = PayRate.objects.update_or_create(
            technician=technician,
            effective_from=effective_from,
            defaults={"hourly_rate": rate, "created_by": actor},
        )
    return row


def close_pay_period(period: PeriodSpan, *, actor, now: datetime | None = None) -> PayPeriod:
    """Close ``period``: freeze each technician's totals as they are now (approved hours,
    overtime, pay at the rates in force, services and revenue) and email the export to every
    manager through the outbox, in one transaction. Later rate changes, approvals or edits
    no longer change it (its entries refuse changes with ``period_closed``).

    Raises:
        Forbidden: ``actor`` given and not a manager (``None`` is the scheduled job).
        InvalidTransition: the period has not ended yet, or is closed already.
    """
    if actor is not None:
        _require_manager(actor, "close a pay period")
    now = now or clock_now()
    if now < period.ends_at:
        raise InvalidTransition(
            "This pay period has not ended yet; it can be closed once it has.",
            period=period.key,
        )
    rows = compute_payroll(period)
    try:
        with transaction.atomic():
            closed = PayPeriod.objects.create(
                starts_at=period.starts_at,
                ends_at=period.ends_at,
                closed_at=now,
                closed_by=actor if getattr(actor, "pk", None) else None,
            )
            PayrollLine.objects.bulk_create(
                PayrollLine(
                    period=closed,
                    technician_id=row.technician_id,
                    technician_slug=row.technician_slug,
                    technician_name=row.technician_name,
                    approved_hours=row.approved_hours,
                    regular_hours=row.regular_hours,
                    overtime_hours=row.overtime_hours,
                    hourly_rates=row.hourly_rates,
                    gross_pay=row.gross_pay,
                    service_count=row.service_count,
                    revenue=row.revenue,
                    pending_entries=row.pending_entries,
                )
                for row in rows
            )
            enqueue_many(
                [
                    Outgoing(
                        PAYROLL_EMAIL_TOPIC,
                        {"period_id": closed.pk, "recipient_id": manager_id},
                        dedupe_key=f"payroll:{closed.pk}:manager:{manager_id}",
                    )
                    for manager_id in managers().values_list("pk", flat=True)
                ]
            )
    except IntegrityError as error:
        raise InvalidTransition("This pay period is closed already.", period=period.key) from error
    return closed


# -- bookings whose technician is away -------------------------------------------------------


def reassign_booking(booking: Booking, *, technician: Technician | str, actor) -> Booking:
    """Move a booking waiting for another technician to ``technician``, at the same start:
    a reschedule (:func:`coresync.bookings.services.reschedule_booking`: same checks, the
    guest is told), which confirms it again.

    Raises:
        Forbidden: not a manager. InvalidTransition: not ``needs_reassignment``.
        SlotUnavailable, OutsideWorkingHours, InvalidInput: that technician cannot take it.
    """
    _require_manager(actor, "reassign bookings")
    if booking.status != BookingStatus.NEEDS_REASSIGNMENT:
        raise InvalidTransition(
            f"This booking is {booking.status}; only a booking waiting for another technician "
            "is reassigned here (reschedule it instead).",
            status=booking.status,
        )
    return reschedule_booking(booking, start=booking.start, technician=technician, actor=actor)
