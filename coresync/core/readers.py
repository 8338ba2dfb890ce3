"""Field readers for the spa file: each takes a value as YAML gave it and returns it typed, or
raises :class:`FieldError` saying what was expected and what was found.

They know nothing about the database; :mod:`.schema` calls them field by field and turns a
``FieldError`` into a message naming the file, line, entry and field.
"""

import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from coresync.core.clock import WEEKDAY_KEYS

T = TypeVar("T")

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_MONEY = re.compile(r"^\d{1,8}\.\d{2}$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class FieldError(Exception):
    """A value that cannot be read.

    ``path`` continues the field name for nested values (``".mon[0]"``, ``"[2]"``); ``line``
    is the 1-based line of the nested value when it is known more precisely than the field's.
    """

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line


def describe(value: Any) -> str:
    """Return how an error message shows a value found in the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return f"the number {value!r}" if isinstance(value, int | float) else repr(value)


def nested(path: str, line: int | None, read: Callable[[Any], T], value: Any) -> T:
    """Call ``read(value)``; a ``FieldError`` from it gets ``path`` prepended and, if it has
    no line of its own, ``line``."""
    try:
        return read(value)
    except FieldError as error:
        raise FieldError(error.message, path=path + error.path, line=error.line or line) from None


def _line_of_item(value: Any, index: int) -> int | None:
    lines = getattr(value, "item_lines", [])
    return lines[index] if index < len(lines) else getattr(value, "line", None)


def _line_of_key(value: Any, key: Any) -> int | None:
    return getattr(value, "key_lines", {}).get(key, getattr(value, "line", None))


# -- scalars -------------------------------------------------------------------------------


def slug(value: Any) -> str:
    """A slug: letters, digits, ``-`` and ``_``, at most 50 characters."""
    if isinstance(value, str) and _SLUG.match(value) and len(value) <= 50:
        return value
    raise FieldError(
        f'expected a slug (letters, digits, "-" or "_", at most 50); got {describe(value)}'
    )


def text(max_length: int | None = None, *, blank: bool = False) -> Callable[[Any], str]:
    """A string of at most ``max_length`` characters; empty only if ``blank``."""

    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError(f"expected a string; got {describe(value)}")
        if not blank and not value.strip():
            raise FieldError("must not be empty")
        if max_length is not None and len(value) > max_length:
            raise FieldError(f"is longer than {max_length} characters")
        return value

    return read


def integer(minimum: int = 0, maximum: int | None = None) -> Callable[[Any], int]:
    """A whole number in ``[minimum, maximum]`` (``true``/``false`` are not numbers)."""

    def read(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise FieldError(f"expected a whole number; got {describe(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise FieldError(f"must be {bound}; got {value}")
        return value

    return read


def boolean(value: Any) -> bool:
    """``true`` or ``false``."""
    if isinstance(value, bool):
        return value
    raise FieldError(f"expected true or false; got {describe(value)}")


def money(value: Any) -> Decimal:
    """An amount as a string with two decimals: ``"180.00"`` (a YAML number would lose the
    trailing zeros, so numbers are refused)."""
    if isinstance(value, str) and _MONEY.match(value):
        return Decimal(value)
    hint = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        hint = " (put it in quotes so both decimals are kept)"
    raise FieldError(
        f'expected an amount as a string with two decimals, e.g. "180.00"; got {describe(value)}'
        f"{hint}"
    )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # YAML read the digits written in the file; repr gives them back exactly.
        value = repr(value)
    if isinstance(value, str) and _DECIMAL.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def percent(minimum: Decimal | int = 0, maximum: Decimal | int = 100) -> Callable[[Any], Decimal]:
    """A percentage: a whole number (``15``) or a decimal with up to two places (``"12.5"``),
    in ``[minimum, maximum]``."""

    def read(value: Any) -> Decimal:
        number = _decimal(value)
        if number is None or number.as_tuple().exponent < -2:
            raise FieldError(
                "expected a percentage: a whole number (15) or a number with up to two "
                f'decimals ("12.5"); got {describe(value)}'
            )
        if not minimum <= number <= maximum:
            raise FieldError(f"must be between {minimum} and {maximum}; got {number}")
        return number

    return read


def fraction(value: Any) -> Decimal:
    """A fraction between 0 and 1 with up to five decimals: ``"0.08875"`` (8.875 %)."""
    number = _decimal(value)
    if number is None or number.as_tuple().exponent < -5:
        raise FieldError(
            f'expected a fraction with up to five decimals, e.g. "0.08875"; got {describe(value)}'
        )
    if not 0 <= number <= 1:
        raise FieldError(f"must be between 0 and 1 (a fraction, not a percentage); got {number}")
    return number


def clock_time(value: Any) -> time:
    """A spa-local wall-clock time ``"HH:MM"`` (00:00 to 23:59), or a ``time`` on the minute
    (what a form or a stored row already holds)."""
    if isinstance(value, time) and value.tzinfo is None and not (value.second or value.microsecond):
        return value
    if isinstance(value, str) and (match := _CLOCK.match(value)):
        return time(int(match.group(1)), int(match.group(2)))
    raise FieldError(f'expected a time "HH:MM" (00:00 to 23:59); got {describe(value)}')


def calendar_date(value: Any) -> date:
    """An ISO date ``2026-12-01`` (written plain or quoted)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise FieldError(f"{describe(value)} is not a valid date") from None
    raise FieldError(f"expected a date YYYY-MM-DD; got {describe(value)}")


def instant(value: Any) -> datetime:
    """An ISO-8601 date-time WITH a UTC offset (``"2026-12-07T10:00:00-05:00"``), returned
    as an aware UTC datetime. A date-time without an offset is refused: it could mean two
    instants on the night clocks fall back."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise FieldError(f"{describe(value)} is not a valid date-time") from None
    else:
        raise FieldError(
            'expected a date-time with its UTC offset, e.g. "2026-12-07T10:00:00-05:00"; '
            f"got {describe(value)}"
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldError(
            f"{describe(value if isinstance(value, str) else parsed.isoformat())} has no UTC "
            'offset; write it like "2026-12-07T10:00:00-05:00"'
        )
    return parsed.astimezone(UTC)


def email(value: Any) -> str:
    """An email address, returned in lower case."""
    if isinstance(value, str):
        try:
            validate_email(value)
        except ValidationError:
            pass
        else:
            return value.strip().lower()
    raise FieldError(f"expected an email address; got {describe(value)}")


def timezone_name(value: Any) -> str:
    """An IANA time zone name such as ``America/New_York``."""
    if isinstance(value, str) and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise FieldError(f"unknown time zone {describe(value)}") from None
        return value
    raise FieldError(f'expected a time zone name, e.g. "America/New_York"; got {describe(value)}')


def currency(value: Any) -> str:
    """A three-letter ISO 4217 currency code in capitals (``USD``)."""
    if isinstance(value, str) and _CURRENCY.match(value):
        return value
    raise FieldError(f'expected a three-letter currency code, e.g. "USD"; got {describe(value)}')


def choice(choices: Iterable[str], what: str) -> Callable[[Any], str]:
    """One of ``choices``; ``what`` names the kind of value in the message."""
    allowed = list(choices)

    def read(value: Any) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise FieldError(f"unknown {what} {describe(value)} (use {', '.join(allowed)})")

    return read


def optional(read: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """``null`` or what ``read`` accepts."""

    def read_optional(value: Any) -> T | None:
        return None if value is None else read(value)

    return read_optional


def list_of(
    read: Callable[[Any], T], *, unique: bool = False, non_empty: bool = False
) -> Callable[[Any], list[T]]:
    """A list whose items ``read`` accepts; with ``unique``, no item twice."""

    def read_list(value: Any) -> list[T]:
        if not isinstance(value, list):
            raise FieldError(f"expected a list; got {describe(value)}")
        if non_empty and not value:
            raise FieldError("must list at least one item")
        items: list[T] = []
        for index, item in enumerate(value):
            line = _line_of_item(value, index)
            parsed = nested(f"[{index}]", line, read, item)
            if unique and parsed in items:
                raise FieldError(f"{describe(item)} is listed twice", path=f"[{index}]", line=line)
            items.append(parsed)
        return items

    return read_list


def scalar_mapping(value: Any) -> dict[str, Any]:
    """A mapping of names to strings, numbers, booleans or null (booking preferences)."""
    if not isinstance(value, dict):
        raise FieldError(f"expected a mapping; got {describe(value)}")
    result: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise FieldError(f"keys must be names; got {describe(key)}")
        if isinstance(item, dict | list | date):
            raise FieldError(
                f"expected a string, number, true/false or null; got {describe(item)}",
                path=f".{key}",
                line=_line_of_key(value, key),
            )
        result[key] = item
    return result


# -- composite values ----------------------------------------------------------------------


def minutes(value: Any) -> int:
    """A duration in minutes, 5 to 1440, written as a number or as a quoted number ("60")."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return integer(5, 1440)(value)


def price_table(value: Any) -> dict[int, Decimal]:
    """``{"60": "180.00", "90": "250.00"}``: a price per duration in minutes."""
    if not isinstance(value, dict) or not value:
        raise FieldError(
            'expected a mapping of durations to prices, e.g. {"60": "180.00"}; '
            f"got {describe(value)}"
        )
    table: dict[int, Decimal] = {}
    for key, amount in value.items():
        line = _line_of_key(value, key)
        duration = nested(f".{key}", line, minutes, key)
        if duration in table:
            raise FieldError(f"duration {duration} is priced twice", path=f".{key}", line=line)
        table[duration] = nested(f".{key}", line, money, amount)
    return table


def tier_price_table(value: Any) -> dict[str, dict[int, Decimal]]:
    """``{premium: {"60": "99.00"}}``: per tier or plan slug, a price per duration."""
    if not isinstance(value, dict):
        raise FieldError(
            f'expected a mapping of tiers to price tables, e.g. {{premium: {{"60": "99.00"}}}}; '
            f"got {describe(value)}"
        )
    tables: dict[str, dict[int, Decimal]] = {}
    for key, table in value.items():
        line = _line_of_key(value, key)
        name = nested(f".{key}", line, slug, key)
        tables[name] = nested(f".{key}", line, price_table, table)
    return tables


@dataclass(frozen=True)
class HoursWindow:
    """One weekly window: ``weekday`` (Monday = 0) from ``start`` to ``end``, local times."""

    weekday: int
    start: time
    end: time


def weekday(value: Any) -> int:
    """A weekday name ``mon`` … ``sun``; returns Monday = 0."""
    if isinstance(value, str) and value in WEEKDAY_KEYS:
        return WEEKDAY_KEYS.index(value)
    raise FieldError(f"unknown weekday {describe(value)} (use {', '.join(WEEKDAY_KEYS)})")


def _window(value: Any) -> tuple[time, time]:
    if not isinstance(value, list) or len(value) != 2:
        raise FieldError(f'expected a window ["HH:MM", "HH:MM"]; got {describe(value)}')
    start = nested("[0]", None, clock_time, value[0])
    end = nested("[1]", None, clock_time, value[1])
    if end <= start:
        raise FieldError(f'end "{end:%H:%M}" is not after start "{start:%H:%M}"')
    return start, end


def weekly_hours(value: Any) -> list[HoursWindow]:
    """``{mon: [["09:00", "13:00"], ["14:00", "18:00"]], …}``: windows per weekday, sorted,
    not overlapping. A day left out (or ``[]``) has no hours."""
    if not isinstance(value, dict):
        raise FieldError(
            'expected a mapping of weekdays to windows, e.g. {mon: [["09:00", "17:00"]]}; '
            f"got {describe(value)}"
        )
    windows: list[HoursWindow] = []
    for day, day_windows in value.items():
        line = _line_of_key(value, day)
        path = f".{day}"
        weekday_number = nested(path, line, weekday, day)
        if day_windows is None:
            continue
        if not isinstance(day_windows, list):
            raise FieldError(
                f'expected a list of windows [["HH:MM", "HH:MM"]]; got {describe(day_windows)}',
                path=path,
                line=line,
            )
        spans = sorted(
            nested(f"{path}[{index}]", _line_of_item(day_windows, index), _window, pair)
            for index, pair in enumerate(day_windows)
        )
        for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
            if next_start < previous_end:
                raise FieldError(
                    f'windows overlap ("{next_start:%H:%M}" is before "{previous_end:%H:%M}")',
                    path=path,
                    line=line,
                )
        windows.extend(HoursWindow(weekday_number, start, end) for start, end in spans)
    return sorted(windows, key=lambda window: (window.weekday, window.start))


def weekdays(value: Any) -> list[int]:
    """``[fri, sat, sun]``: distinct weekdays, returned sorted, Monday = 0."""
    return sorted(list_of(weekday, unique=True, non_empty=True)(value))
