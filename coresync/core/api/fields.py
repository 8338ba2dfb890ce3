"""Serializer fields shared by the API."""

from datetime import date, datetime

from django.core.validators import slug_re
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.core.api.exceptions import TimezoneOffsetRequired
from coresync.core.clock import FIRST_CALENDAR_DATE, LAST_CALENDAR_DATE, within_calendar


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO-8601 datetime that must carry a UTC offset (ARCHITECTURE.md: "API datetimes
    without an offset are refused"); a naive one raises 400 ``timezone_offset_required``, one
    outside 1900-01-01..2199-12-31 400 ``invalid`` naming the field."""

    default_error_messages = {
        "out_of_range": "Give a date and time between {first} and {last}.",
    }

    def to_internal_value(self, value) -> datetime:
        parsed = None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                raise TimezoneOffsetRequired(fields={self.field_name: "Add a UTC offset."})
        if parsed is None:
            parsed = super().to_internal_value(value)
        if not within_calendar(parsed):
            self.fail("out_of_range", first=FIRST_CALENDAR_DATE, last=LAST_CALENDAR_DATE)
        return parsed


class CalendarDateField(serializers.DateField):
    """A spa calendar day as ``YYYY-MM-DD``, between 1900-01-01 and 2199-12-31.

    The bounds keep days inside the time zone database's modern rules: before 1883 New York
    ran on local mean time (UTC-04:56:02), an offset that RFC 3339 datetimes cannot carry.
    """

    default_error_messages = {
        "out_of_range": "Give a date between {first} and {last}.",
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> date:
        day = super().to_internal_value(value)
        if not within_calendar(day):
            self.fail("out_of_range", first=FIRST_CALENDAR_DATE, last=LAST_CALENDAR_DATE)
        return day


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class SlugListField(serializers.Field):
    """A list of slugs, as a JSON list or a comma-separated string."""

    def to_internal_value(self, data) -> list[str]:
        if isinstance(data, str):
            items = [item.strip() for item in data.split(",")]
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            items = [item.strip() for item in data]
        else:
            raise serializers.ValidationError("Give a list of slugs.")
        items = [item for item in items if item]
        if len(items) > 20:
            raise serializers.ValidationError("At most 20 items.")
        malformed = [item for item in items if not slug_re.match(item)]
        if malformed:
            raise serializers.ValidationError(
                f"Not a slug: {malformed[0]!r} (letters, digits, hyphens and underscores)."
            )
        return items

    def to_representation(self, value) -> list[str]:
        return list(value)


@extend_schema_field({"type": "string", "description": "Comma-separated slugs."})
class CommaSeparatedSlugsField(SlugListField):
    """:class:`SlugListField` for query strings (``?addons=a,b``)."""
