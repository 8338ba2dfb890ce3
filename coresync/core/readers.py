"""Field rules, written once: the spa file's models (``coresync.spafile.schema``), the
pricing sheet, and the catalog, resources and memberships services (so the manager API) read
slugs, amounts, clock times, weekly hours, dates… with these.

The rules are pydantic types (``Slug``, ``Text(120)``, ``Money``, ``WeeklyHours``…): pydantic's
own constraints where they say it (a pattern, a length, strict types), a short check where they
do not (a date that does not exist, a window that ends before it starts), and each error in
our words, saying what was expected and what was found. Composite types (lists, price tables,
weekly hours) are pydantic containers, so a nested value's error names its path (``.mon[1]``)
and a model collects every error of a file at once.

The services read one value at a time with the same rules as functions (``slug``,
``text(120)``, ``weekly_hours``…, made by :func:`reader`): each returns the value typed or
raises :class:`FieldError`. :func:`field` turns such a function back into a type. The fields
of a service, a room, a plan… are declared once, as a :class:`Fields` model in their app's
``inputs.py``; :func:`field_readers` gives the functions that read each of its fields.
"""

import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    Strict,
    StringConstraints,
    TypeAdapter,
    WrapValidator,
)
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from coresync.core.clock import WEEKDAY_KEYS

T = TypeVar("T")

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


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
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, float):
        return f"the number {float(value)!r}"
    return f"the number {int(value)!r}" if isinstance(value, int) else repr(value)


def nested(path: str, line: int | None, read: Callable[[Any], T], value: Any) -> T:
    """Call ``read(value)``; a ``FieldError`` from it gets ``path`` prepended and, if it has
    no line of its own, ``line``."""
    try:
        return read(value)
    except FieldError as error:
        raise FieldError(error.message, path=path + error.path, line=error.line or line) from None


# -- types and rules, both ways ----------------------------------------------------------

_EXPECTED = {  # pydantic's own checks (containers, models), in our words
    "missing": "required field is missing",
    "list_type": "expected a list; got {input}",
    "tuple_type": "expected a list; got {input}",
    "dict_type": "expected a mapping; got {input}",
    "model_type": "expected a mapping; got {input}",
    "model_attributes_type": "expected a mapping; got {input}",
    "extra_forbidden": "unknown field",
    "string_type": "expected a string; got {input}",
    "string_too_long": "is longer than {max_length} characters",
    "int_type": "expected a whole number; got {input}",
    "bool_type": "expected true or false; got {input}",
}


def problem(message: str, path: str = "") -> PydanticCustomError:
    """A pydantic error carrying one of our messages; ``path`` continues the error's place
    (``"[2]"``, ``".end"``) when a check on a whole value blames one part of it."""
    return PydanticCustomError("field", "{message}", {"message": message, "path": path})


def error_path(loc: Iterable[int | str]) -> str:
    """``("hours", "wed", 0, 0)`` → ``"hours.wed[0][0]"`` (a dict key's ``[key]`` marker
    dropped)."""
    path = ""
    for part in loc:
        if part == "[key]":
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".")


def error_message(error: dict[str, Any]) -> str:
    """The message of one pydantic error (``ValidationError.errors()`` item)."""
    context = error.get("ctx") or {}
    if error["type"] == "field":
        return context["message"]
    template = _EXPECTED.get(error["type"])
    if template is None:
        return error["msg"]
    return template.format(input=describe(error.get("input")), **context)


def full_loc(error: dict[str, Any]) -> tuple:
    """The loc of one pydantic error, extended by the ``path`` our errors may carry."""
    loc = tuple(error["loc"])
    extra = (error.get("ctx") or {}).get("path", "")
    for index, key in re.findall(r"\[(\d+)\]|\.?([^.\[\]]+)", extra):
        loc += (int(index),) if index else (key,)
    return loc


def field(
    check: Callable[[Any], T], serialize: Callable[[T], Any] | None = None, *, json: type = Any
) -> Any:
    """The pydantic type of a rule: values are checked by ``check`` (a :class:`FieldError`
    becomes a pydantic error) and written back to a file by ``serialize``."""

    def validate(value: Any) -> T:
        try:
            return check(value)
        except FieldError as error:
            raise problem(error.message, error.path) from None

    return Annotated[
        Any, PlainValidator(validate, json_schema_input_type=json), *_writes(serialize)
    ]


def _writes(serialize: Callable[[Any], Any] | None) -> list[PlainSerializer]:
    if serialize is None:
        return []
    return [PlainSerializer(lambda value: None if value is None else serialize(value))]


def _expect(what: str, hint: Callable[[Any], str] = lambda value: "") -> WrapValidator:
    """Any error of the type it wraps becomes "expected WHAT; got …" (+ ``hint(value)``)."""

    def check(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except PydanticError:
            raise problem(f"expected {what}; got {describe(value)}{hint(value)}") from None

    return WrapValidator(check)


def _check(test: Callable[[Any], bool], message: Callable[[Any], str]) -> AfterValidator:
    """Refuse a value for which ``test`` is false, with ``message(value)``."""

    def check(value: Any) -> Any:
        if not test(value):
            raise problem(message(value))
        return value

    return AfterValidator(check)


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def _reading(adapter: Callable[[], TypeAdapter], convert: Callable[[Any], T] | None) -> Any:
    def read(value: Any) -> T:
        try:
            parsed = adapter().validate_python(value)
        except PydanticError as error:
            first = error.errors()[0]
            path, message = error_path(full_loc(first)), error_message(first)
            raise FieldError(message, path=path if path[:1] in "[" else f".{path}") from None
        return convert(parsed) if convert else parsed

    return read


def reader(kind: Any, convert: Callable[[Any], T] | None = None) -> Callable[[Any], T]:
    """The rule of a pydantic type: the first error becomes a :class:`FieldError` with its
    path (``.mon[1]``); ``convert`` maps the typed value to what callers want."""
    return _reading(lambda: _adapter(kind), convert)


class Fields(BaseModel):
    """The fields of one kind of thing (a service, a room, a plan…) with their rules, declared
    once in its app: the spa file's entries extend these models, and the services that write
    such rows read each field with :func:`field_readers` and the rules between fields with
    ``coresync.core.validation.check_fields``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


@cache
def field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    """The pydantic type of field ``name`` of ``model``, to check one value alone."""
    info = model.model_fields[name]
    return TypeAdapter(
        Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    )


def field_readers(model: type[BaseModel], **renamed: str) -> dict[str, Callable[[Any], Any]]:
    """``{key: read}`` for each field of ``model``, keyed as written (its alias, else its
    name); ``renamed`` keys some otherwise (``is_active="active"``)."""
    keys = {name: info.alias or name for name, info in model.model_fields.items()}
    keys |= {name: key for key, name in renamed.items()}
    return {
        keys[name]: _reading(lambda name=name: field_adapter(model, name), None)
        for name in model.model_fields
    }


def check_rules(*issues: tuple[str, str, bool] | None) -> None:
    """Raise, from a model's validator, the problems it found between its fields:
    ``(field, message, at_entry)``, ``field`` "" for the entry as a whole, ``at_entry`` to
    place the problem at the entry rather than the field (a field that is not there)."""
    found = [issue for issue in issues if issue]
    if found:
        raise PydanticCustomError("entry", "{issues}", {"issues": found})


def _pattern(regex: str, what: str, *then: Any) -> Any:
    """A string matching ``regex``; anything else is "expected WHAT; got …"."""
    return Annotated[str, Strict(), StringConstraints(pattern=regex), _expect(what), *then]


# -- the rules ----------------------------------------------------------------------------

Slug = _pattern(r"^[-a-zA-Z0-9_]{1,50}$", 'a slug (letters, digits, "-" or "_", at most 50)')
Currency = _pattern(r"^[A-Z]{3}$", 'a three-letter currency code, e.g. "USD"')
# A spa-local wall-clock time "HH:MM".
ClockTime = _pattern(
    r"^([01]\d|2[0-3]):[0-5]\d$",
    'a time "HH:MM" (00:00 to 23:59)',
    AfterValidator(time.fromisoformat),
    PlainSerializer(lambda value: None if value is None else f"{value:%H:%M}"),
)
Boolean = Annotated[bool, Strict()]


def _quote_hint(value: Any) -> str:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return " (put it in quotes so both decimals are kept)" if number else ""


# An amount as a string with two decimals, "180.00" (a YAML number would lose the zeros).
Money = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^\d{1,8}\.\d{2}$"),
    _expect('an amount as a string with two decimals, e.g. "180.00"', _quote_hint),
    AfterValidator(Decimal),
    PlainSerializer(lambda amount: None if amount is None else f"{amount:.2f}"),
]
# An hourly rate is stored with six digits before the point (Technician.hourly_rate).
HourlyRate = Annotated[
    Money,
    _check(lambda rate: rate < 1_000_000, lambda rate: f"must be less than 1000000; got {rate}"),
]


# PostgreSQL text (and jsonb) cannot hold the NUL character.
_no_nul = _check(lambda text: "\x00" not in text, lambda text: "must not contain the NUL character")


def Text(max_length: int | None = None, *, blank: bool = False) -> Any:
    """A string of at most ``max_length`` characters; empty only if ``blank``."""
    checks = [] if blank else [_check(str.strip, lambda value: "must not be empty")]
    return Annotated[str, Strict(), StringConstraints(max_length=max_length), _no_nul, *checks]


def Integer(minimum: int = 0, maximum: int | None = None) -> Any:
    """A whole number in ``[minimum, maximum]`` (``true``/``false`` are not numbers)."""
    bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
    return Annotated[
        int,
        Strict(),
        _check(
            lambda number: minimum <= number and (maximum is None or number <= maximum),
            lambda number: f"must be {bound}; got {number}",
        ),
    ]


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):  # from a form or the API
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(int(value))
    if isinstance(value, float):
        # YAML read the digits written in the file; repr gives them back exactly.
        value = repr(float(value))
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
    aware, with the offset written. A date-time without an offset is refused: it could mean
    two instants on the night clocks fall back."""
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
    return parsed


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
        return str(value)
    raise FieldError(f'expected a time zone name, e.g. "America/New_York"; got {describe(value)}')


def choice(choices: Iterable[str], what: str) -> Callable[[Any], str]:
    """One of ``choices``; ``what`` names the kind of value in the message."""
    allowed = [str(value) for value in choices]

    def read(value: Any) -> str:
        if isinstance(value, str) and value in allowed:
            return str(value)
        raise FieldError(f"unknown {what} {describe(value)} (use {', '.join(allowed)})")

    return read


def minutes(value: Any) -> int:
    """A duration in minutes, 5 to 1440, written as a number or as a quoted number ("60")."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return reader(Integer(5, 1440))(value)


def weekday(value: Any) -> int:
    """A weekday name ``mon`` … ``sun``; returns Monday = 0."""
    if isinstance(value, str) and value in WEEKDAY_KEYS:
        return WEEKDAY_KEYS.index(value)
    raise FieldError(f"unknown weekday {describe(value)} (use {', '.join(WEEKDAY_KEYS)})")


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, dict | list | date):
        raise FieldError(f"expected a string, number, true/false or null; got {describe(value)}")
    if isinstance(value, str) and "\x00" in value:
        raise FieldError("must not contain the NUL character")
    return value


def _percent(value: Decimal) -> int | str:
    """``Decimal("15.00")`` → ``15``; ``Decimal("12.50")`` → ``"12.5"``."""
    return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")


Email = field(email, json=str)
Fraction = field(fraction, lambda number: format(number.normalize(), "f") if number else "0")
Date = field(calendar_date, json=str)
Instant = field(instant, lambda moment: moment.isoformat(), json=str)
TimeZone = field(timezone_name, json=str)
Minutes = field(minutes, json=int)
MinutesKey = field(minutes, str, json=str)  # a price table's key: written "60"
Scalar = field(_plain_scalar)


def Percent(minimum: int = 0, maximum: int = 100) -> Any:
    return field(percent(minimum, maximum), _percent)


def Choice(choices: Iterable[str], what: str) -> Any:
    return field(choice(choices, what), json=str)


def _unique(items: list) -> list:
    for index, item in enumerate(items):
        if item in items[:index]:
            raise problem(f"{describe(item)} is listed twice", f"[{index}]")
    return items


def _non_empty(items: list) -> list:
    if not items:
        raise problem("must list at least one item")
    return items


def ListOf(item: Any, *, unique: bool = False, non_empty: bool = False) -> Any:
    """A list of ``item``; with ``unique``, no item twice."""
    checks = [AfterValidator(_non_empty)] if non_empty else []
    checks += [AfterValidator(_unique)] if unique else []
    return Annotated[list[item], *checks] if checks else list[item]


def _window(pair: tuple[time, time]) -> tuple[time, time]:
    start, end = pair
    if end <= start:
        raise problem(f'end "{end:%H:%M}" is not after start "{start:%H:%M}"')
    return pair


def _not_overlapping(windows: list[tuple[time, time]]) -> list[tuple[time, time]]:
    spans = sorted(windows)
    for (_, previous_end), (next_start, _) in itertools.pairwise(spans):
        if next_start < previous_end:
            raise problem(
                f'windows overlap ("{next_start:%H:%M}" is before "{previous_end:%H:%M}")'
            )
    return spans


def _expect_kind(kind: type | tuple[type, ...], what: str) -> BeforeValidator:
    """Refuse a value that is not a ``kind`` with "expected ``what``; got …"."""

    def check(value: Any) -> Any:
        if not isinstance(value, kind):
            raise problem(f"expected {what}; got {describe(value)}")
        return value

    return BeforeValidator(check)


def _pair(value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise problem(f'expected a window ["HH:MM", "HH:MM"]; got {describe(value)}')
    return value


Window = Annotated[tuple[ClockTime, ClockTime], BeforeValidator(_pair), AfterValidator(_window)]
DayWindows = Annotated[
    list[Window],
    _expect_kind(list, 'a list of windows [["HH:MM", "HH:MM"]]'),
    BeforeValidator(lambda value: [] if value is None else value),
    AfterValidator(_not_overlapping),
]


def _weekday_key(value: Any) -> str:
    weekday(value)
    return str(value)


WeekdayName = field(_weekday_key, json=str)


def _by_weekday(hours: dict[str, list]) -> dict[str, list]:
    return {day: hours[day] for day in WEEKDAY_KEYS if hours.get(day)}


# ``{mon: [["09:00", "13:00"], ["14:00", "18:00"]], …}``: windows per weekday, sorted, not
# overlapping; a day left out (or ``[]``, ``null``) has none.
WeeklyHours = Annotated[
    dict[WeekdayName, DayWindows],
    _expect_kind(dict, 'a mapping of weekdays to windows, e.g. {mon: [["09:00", "17:00"]]}'),
    AfterValidator(_by_weekday),
]
# ``{"60": "180.00", "90": "250.00"}``: a price per duration.
PriceTable = Annotated[
    dict[MinutesKey, Money],
    _expect_kind(dict, 'a mapping of durations to prices, e.g. {"60": "180.00"}'),
    AfterValidator(_non_empty),
]


@dataclass(frozen=True)
class HoursWindow:
    """One weekly window: ``weekday`` (Monday = 0) from ``start`` to ``end``, local times."""

    weekday: int
    start: time
    end: time


def hours_windows(hours: dict[str, list[tuple[time, time]]]) -> list[HoursWindow]:
    """:data:`WeeklyHours` as a list of windows, Monday first."""
    return [
        HoursWindow(WEEKDAY_KEYS.index(day), start, end)
        for day, windows in hours.items()
        for start, end in windows
    ]


# -- the rules as functions, for the services -------------------------------------------------

slug: Callable[[Any], str] = reader(Slug)
boolean: Callable[[Any], bool] = reader(Boolean)
money: Callable[[Any], Decimal] = reader(Money)
currency: Callable[[Any], str] = reader(Currency)
_clock_time_text: Callable[[Any], time] = reader(ClockTime)


def clock_time(value: Any) -> time:
    """A spa-local wall-clock time ``"HH:MM"`` (00:00 to 23:59), or a ``time`` on the minute
    (what a form or a stored row already holds)."""
    if isinstance(value, time) and value.tzinfo is None and not (value.second or value.microsecond):
        return value
    return _clock_time_text(value)


weekly_hours: Callable[[Any], list[HoursWindow]] = reader(WeeklyHours, hours_windows)


def text(max_length: int | None = None, *, blank: bool = False) -> Callable[[Any], str]:
    """A string of at most ``max_length`` characters; empty only if ``blank``."""
    return reader(Text(max_length, blank=blank))


def integer(minimum: int = 0, maximum: int | None = None) -> Callable[[Any], int]:
    """A whole number in ``[minimum, maximum]``."""
    return reader(Integer(minimum, maximum))


def optional(read: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """``null`` or what ``read`` accepts."""

    def read_optional(value: Any) -> T | None:
        return None if value is None else read(value)

    return read_optional


def list_of(
    read: Callable[[Any], T], *, unique: bool = False, non_empty: bool = False
) -> Callable[[Any], list[T]]:
    """A list whose items ``read`` accepts; with ``unique``, no item twice."""
    return reader(ListOf(field(read), unique=unique, non_empty=non_empty))


def optional_field(read: Callable[[Any], T], serialize: Callable[[T], Any] | None = None) -> Any:
    """The pydantic type of ``null`` or what ``read`` accepts (``serialize`` writes it back)."""
    return field(optional(read), serialize)


OptionalSlug = optional_field(slug)
OptionalDate = optional_field(calendar_date)
OptionalTime = optional_field(clock_time, lambda value: f"{value:%H:%M}")
