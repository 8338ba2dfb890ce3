"""Resource changes by managers: rooms with their opening hours and maintenance, technicians
with their weekly schedules and exceptions (days off, holidays…).

Input is a mapping of fields by their API / spa-file names (a room's ``type``, a technician's
``user`` as an email). Hours have the spa file's shape, ``{"mon": [["09:00", "13:00"],
["14:00", "18:00"]], …}``: spa-local wall-clock windows, end after start, not overlapping on
a day. Every value is checked before anything is written; a refusal is one
:class:`InvalidInput` naming each bad field. Rooms and technicians are never deleted (bookings
keep them, ``PROTECT``): "delete" deactivates them. Exceptions and maintenance are deleted.
"""

import itertools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from coresync.accounts.models import STAFF_ROLES, User
from coresync.core import readers as read
from coresync.core.readers import HoursWindow, describe, field_readers, hours_windows
from coresync.core.signals import availability_inputs_changed
from coresync.core.validation import (
    FieldErrors,
    amount,
    check_fields,
    read_values,
)
from coresync.resources.inputs import (
    AbsenceFields,
    ClosureFields,
    RoomFields,
    ScheduleFields,
    TechnicianFields,
)
from coresync.resources.models import (
    AvailabilityException,
    ExceptionKind,
    Room,
    Technician,
    WorkingHours,
)

ROOM_REQUIRED = ("slug", "name", "type", "capacity")
TECHNICIAN_REQUIRED = ("slug", "name")
EXCEPTION_REQUIRED = ("date", "kind")
MAINTENANCE_REQUIRED = ("date",)

# The fields' rules are the models' (resources.inputs); the API differs in names
# (``is_active``), amounts (a Decimal or a number) and hours (read as windows).
ROOM_READERS = {
    **field_readers(RoomFields, is_active="active"),
    "hours": read.weekly_hours,
}
TECHNICIAN_READERS = {
    **field_readers(TechnicianFields, is_active="active"),
    "hourly_rate": amount,
    "user": read.optional(read.email),
}
EXCEPTION_READERS = field_readers(AbsenceFields)
MAINTENANCE_READERS = field_readers(ClosureFields)


def _check_slug_free(errors: FieldErrors, model: type, slug: str | None, pk: int | None) -> None:
    if slug and model.objects.filter(slug=slug).exclude(pk=pk).exists():
        errors.add("slug", f'"{slug}" is already used by another {model._meta.verbose_name}')


def _save_row(instance: Any, fields: Mapping[str, Any], *, creating: bool) -> None:
    """Set ``fields`` on ``instance`` and save what changed; a concurrent insert of the same
    slug becomes a field error."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    if not creating and not changed:
        return
    try:
        with transaction.atomic():
            instance.save(update_fields=None if creating else changed)
    except IntegrityError:
        errors = FieldErrors()
        _check_slug_free(errors, type(instance), instance.slug, instance.pk)
        if "slug" not in errors:
            raise
        errors.raise_if_any()


def _create_hours(
    windows: Sequence[HoursWindow],
    *,
    valid_from: date | None = None,
    valid_until: date | None = None,
    **owner: Any,
) -> None:
    WorkingHours.objects.bulk_create(
        WorkingHours(
            **owner,
            weekday=window.weekday,
            start=window.start,
            end=window.end,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        for window in windows
    )
    availability_inputs_changed.send(sender=WorkingHours)


# -- rooms ---------------------------------------------------------------------------------


def create_room(values: Mapping[str, Any]) -> Room:
    """Create a room with its opening ``hours`` (none given: closed until set).

    Raises:
        InvalidInput: naming each bad field (missing, malformed, unknown room type, capacity
            below 1, overlapping windows, slug in use).
    """
    return _write_room(Room(), values, creating=True)


def update_room(room: Room, changes: Mapping[str, Any]) -> Room:
    """Change the given fields of ``room``; ``hours``, when given, replaces its opening hours
    as a whole.

    Raises:
        InvalidInput: as :func:`create_room`.
    """
    return _write_room(room, changes, creating=False)


def _write_room(room: Room, values: Mapping[str, Any], *, creating: bool) -> Room:
    errors = FieldErrors()
    data = read_values(errors, values, ROOM_READERS, required=ROOM_REQUIRED if creating else ())
    _check_slug_free(errors, Room, data.get("slug"), room.pk)
    errors.raise_if_any()

    fields = {name: value for name, value in data.items() if name not in ("type", "hours")}
    if "type" in data:
        fields["room_type"] = data["type"]
    with transaction.atomic():
        if not creating:
            room = Room.objects.select_for_update().get(pk=room.pk)
        _save_row(room, fields, creating=creating)
        if "hours" in data:
            WorkingHours.objects.filter(room=room).delete()
            _create_hours(data["hours"], room=room)
    return room


def deactivate_room(room: Room) -> Room:
    """Stop offering ``room`` for new bookings (kept for the bookings that use it)."""
    with transaction.atomic():
        Room.objects.filter(pk=room.pk).update(is_active=False)
        availability_inputs_changed.send(sender=Room)
    room.is_active = False
    return room


# -- technicians ---------------------------------------------------------------------------


def create_technician(values: Mapping[str, Any]) -> Technician:
    """Create a technician (no hours until a schedule is set).

    Raises:
        InvalidInput: naming each bad field (missing, malformed, slug in use, ``user`` not a
            staff login or already linked to another technician).
    """
    return _write_technician(Technician(), values, creating=True)


def update_technician(technician: Technician, changes: Mapping[str, Any]) -> Technician:
    """Change the given fields of ``technician``; ``user: null`` unlinks the login.

    Raises:
        InvalidInput: as :func:`create_technician`.
    """
    return _write_technician(technician, changes, creating=False)


def _staff_login(errors: FieldErrors, email: str, technician: Technician) -> User | None:
    user = User.objects.filter(email=email).first()
    if user is None:
        errors.add("user", f"no account with the email {email}")
        return None
    if user.role not in STAFF_ROLES:
        errors.add("user", f"{email} is not a staff login (role {user.role})")
        return None
    linked = Technician.objects.filter(user=user).exclude(pk=technician.pk).first()
    if linked is not None:
        errors.add("user", f"{email} is already the login of technician {linked.slug}")
        return None
    return user


def _write_technician(
    technician: Technician, values: Mapping[str, Any], *, creating: bool
) -> Technician:
    errors = FieldErrors()
    data = read_values(
        errors, values, TECHNICIAN_READERS, required=TECHNICIAN_REQUIRED if creating else ()
    )
    fields = dict(data)
    if data.get("user") is not None:
        fields["user"] = _staff_login(errors, data["user"], technician)
    _check_slug_free(errors, Technician, data.get("slug"), technician.pk)
    errors.raise_if_any()

    with transaction.atomic():
        if not creating:
            technician = Technician.objects.select_for_update().get(pk=technician.pk)
        _save_row(technician, fields, creating=creating)
    return technician


def deactivate_technician(technician: Technician) -> Technician:
    """Stop offering ``technician`` for new bookings (kept for their bookings)."""
    with transaction.atomic():
        Technician.objects.filter(pk=technician.pk).update(is_active=False)
        availability_inputs_changed.send(sender=Technician)
    technician.is_active = False
    return technician


def replace_technician_schedules(
    technician: Technician, schedules: Sequence[Mapping[str, Any]]
) -> None:
    """Replace all of ``technician``'s weekly hours with ``schedules``.

    Each schedule is ``{"valid_from": date | None, "valid_until": date | None,
    "weekly_hours": {...}}`` (dates inclusive, ``None`` = open). Errors are named
    ``schedules[i].field``.

    1. Read each schedule: hours in the spa-file shape, at least one window,
       ``valid_until >= valid_from``.
    2. Refuse validity ranges that overlap: a day would have two schedules.
    3. In one transaction, with the technician row locked: delete the old hours, write the new.

    Raises:
        InvalidInput: naming each bad schedule field.
    """
    errors = FieldErrors()
    read_schedules: list[tuple[int, date | None, date | None, list[HoursWindow]]] = []
    if not isinstance(schedules, Sequence) or isinstance(schedules, str):
        errors.add("schedules", f"expected a list of schedules; got {describe(schedules)}")
        errors.raise_if_any()
    for index, schedule in enumerate(schedules):
        prefix = f"schedules[{index}]"
        if not isinstance(schedule, Mapping):
            errors.add(prefix, f"expected a mapping; got {describe(schedule)}")
            continue
        item_errors = FieldErrors()
        checked = check_fields(item_errors, ScheduleFields, schedule)
        if checked is not None and not checked.weekly_hours:
            item_errors.add("weekly_hours", "give at least one window (leave the period out)")
        for name, message in item_errors.fields.items():
            errors.add(f"{prefix}.{name}", message)
        if not item_errors.fields:
            windows = hours_windows(checked.weekly_hours)
            read_schedules.append((index, checked.valid_from, checked.valid_until, windows))
    ordered = sorted(read_schedules, key=lambda item: item[1] or date.min)
    for (first, _, first_until, _), (second, second_from, _, _) in itertools.pairwise(ordered):
        if (first_until or date.max) >= (second_from or date.min):
            errors.add(
                f"schedules[{second}].valid_from",
                f"overlaps schedules[{first}]: a day can follow one schedule only",
            )
    errors.raise_if_any()

    with transaction.atomic():
        technician = Technician.objects.select_for_update().get(pk=technician.pk)
        WorkingHours.objects.filter(technician=technician).delete()
        for _, valid_from, valid_until, windows in read_schedules:
            _create_hours(
                windows,
                valid_from=valid_from,
                valid_until=valid_until,
                technician=technician,
            )


# -- exceptions and maintenance ------------------------------------------------------------


def add_technician_exception(
    technician: Technician, values: Mapping[str, Any]
) -> AvailabilityException:
    """Record time ``technician`` is away: whole days ``date``..``end_date`` or the part
    ``start``-``end`` of one day, of a ``kind`` (day off, holiday, vacation, sick leave,
    other).

    Raises:
        InvalidInput: naming each bad field.
    """
    return _write_exception(
        AvailabilityException(technician=technician), values, EXCEPTION_READERS, creating=True
    )


def add_room_maintenance(room: Room, values: Mapping[str, Any]) -> AvailabilityException:
    """Close ``room`` for maintenance: whole days ``date``..``end_date`` or the part
    ``start``-``end`` of one day.

    Raises:
        InvalidInput: naming each bad field.
    """
    return _write_exception(
        AvailabilityException(room=room, kind=ExceptionKind.MAINTENANCE),
        values,
        MAINTENANCE_READERS,
        creating=True,
    )


def update_exception(
    exception: AvailabilityException, changes: Mapping[str, Any]
) -> AvailabilityException:
    """Change the given fields of a technician's exception or a room's maintenance.

    Raises:
        InvalidInput: naming each bad field (``kind`` cannot be set on maintenance).
    """
    readers = MAINTENANCE_READERS if exception.room_id else EXCEPTION_READERS
    return _write_exception(exception, changes, readers, creating=False)


def delete_exception(exception: AvailabilityException) -> None:
    """Delete a technician's exception or a room's maintenance window."""
    with transaction.atomic():
        AvailabilityException.objects.filter(pk=exception.pk).delete()


def read_technician_exception(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of a new technician exception as :func:`add_technician_exception`
    would, writing nothing; return them as they would be stored (``date``, ``end_date``,
    ``start``, ``end``, ``kind``, ``note``…). The staff portal checks a time-off request with
    it, so that approving the request cannot fail on its shape.

    Raises:
        InvalidInput: naming each bad field.
    """
    return _checked_exception_fields(
        AvailabilityException(), values, EXCEPTION_READERS, creating=True
    )


def _write_exception(
    exception: AvailabilityException,
    values: Mapping[str, Any],
    readers: Mapping[str, Any],
    *,
    creating: bool,
) -> AvailabilityException:
    """Check ``values`` against the exception as it would become, then save."""
    fields = _checked_exception_fields(exception, values, readers, creating=creating)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(exception, name, value)
        exception.save(update_fields=None if creating else list(fields))
    return exception


def _checked_exception_fields(
    exception: AvailabilityException,
    values: Mapping[str, Any],
    readers: Mapping[str, Any],
    *,
    creating: bool,
) -> dict[str, Any]:
    """Return the fields ``values`` would set on ``exception``, checked against the
    exception as it would become.

    1. Read each field.
    2. The rules of :class:`ClosureFields` (``start`` and ``end`` both or neither, ``end``
       after ``start``; ``end_date`` not before ``date``; a part day covers one date);
       ``end_date`` equal to ``date`` is stored as none.
    """
    required = EXCEPTION_REQUIRED if "kind" in readers else MAINTENANCE_REQUIRED
    errors = FieldErrors()
    data = read_values(errors, values, readers, required=required if creating else ())
    errors.raise_if_any()
    merged = {
        name: data.get(name, getattr(exception, name))
        for name in ("date", "end_date", "start", "end")
    }
    check_fields(errors, ClosureFields, merged)  # the rules between the fields
    errors.raise_if_any()
    day, end_date = merged["date"], merged["end_date"]
    return {**data, **merged, "end_date": None if end_date == day else end_date}
