"""Checking the input of a service: collect every field error, then refuse once.

Services that create or change catalog and resource rows (``catalog.services``,
``resources.services``, ``memberships.services``) read their input with the spa file's field
readers (:mod:`coresync.core.readers`), so the API, the admin-facing services and
``import_spa`` accept the same values and explain a refusal in the same words. This module
adds what those readers lack: a collector that turns their :class:`FieldError` into
:class:`InvalidInput` naming each field, and a reader for amounts that arrive as ``Decimal``
or numbers (the spa file's amounts are strings with two decimals).
"""

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from coresync.core.errors import InvalidInput
from coresync.core.money import quantize
from coresync.core.readers import FieldError, describe, error_message, error_path, full_loc

T = TypeVar("T")

REQUIRED = "This field is required."
MAX_AMOUNT = Decimal("100000000")  # DecimalField(max_digits=10, decimal_places=2)


class FieldErrors:
    """``{field: message}`` collected while a service checks its input; the first message
    about a field wins."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def add(self, name: str, message: str) -> None:
        """Report a problem with field ``name``."""
        self.fields.setdefault(name, message)

    def read(self, name: str, reader: Callable[[Any], T], value: Any) -> T | None:
        """Return ``reader(value)``; on a :class:`FieldError` report it under ``name`` (with
        the nested path, e.g. ``mon[0]: …``) and return ``None``."""
        try:
            return reader(value)
        except FieldError as error:
            path = error.path.lstrip(".")
            self.add(name, f"{path}: {error.message}" if path else error.message)
            return None

    def raise_if_any(self) -> None:
        """Raise :class:`InvalidInput` listing every field reported so far, if any."""
        if self.fields:
            message = "; ".join(f"{name}: {text}" for name, text in self.fields.items())
            raise InvalidInput(message, fields=dict(self.fields))


def read_values(
    errors: FieldErrors,
    values: Mapping[str, Any],
    readers: Mapping[str, Callable[[Any], Any]],
    *,
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """Read each of ``values`` with its reader; report unknown keys and missing ``required``
    ones. Return the values that were read without error."""
    for name in required:
        if name not in values:
            errors.add(name, REQUIRED)
    result: dict[str, Any] = {}
    for name, value in values.items():
        reader = readers.get(name)
        if reader is None:
            errors.add(name, "unknown field")
            continue
        parsed = errors.read(name, reader, value)
        if name not in errors:
            result[name] = parsed
    return result


def check_fields(errors: FieldErrors, model: type[BaseModel], values: Mapping[str, Any]) -> Any:
    """Check ``values`` as a whole ``model`` (a :class:`coresync.core.readers.Fields`: each
    field and the rules between fields, the same as the spa file's); report each problem under
    its field. Return the model, or None if anything was wrong."""
    try:
        return model.model_validate(dict(values))
    except PydanticError as error:
        for detail in error.errors():
            if detail["type"] == "entry":
                for name, message, _ in detail["ctx"]["issues"]:
                    errors.add(name, message)
                continue
            loc = full_loc(detail)
            path = error_path(loc[1:])
            message = REQUIRED if detail["type"] == "missing" else error_message(detail)
            errors.add(str(loc[0]), f"{path}: {message}" if path else message)
    return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            return None
    return None


def amount(value: Any) -> Decimal:
    """A price: zero or more, at most two decimals, below 100 million; returned with two
    decimals (``Decimal("180.00")``). ``Decimal``, whole numbers and numeric strings are
    read; floats are refused (they are not exact)."""
    number = _as_decimal(value)
    if number is None or not number.is_finite():
        raise FieldError(f'expected an amount such as "180.00"; got {describe(value)}')
    if number.as_tuple().exponent < -2:
        raise FieldError(f"has more than two decimals: {number}")
    if number < 0:
        raise FieldError(f"must be 0 or more; got {number}")
    if number >= MAX_AMOUNT:
        raise FieldError(f"must be less than {MAX_AMOUNT}; got {number}")
    return quantize(number)
