"""Rooms and technicians: as the public sees them (no rates, no logins), as managers see and
write them, and their hours, exceptions and maintenance (docs/api-manage.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.catalog.models import RoomType
from coresync.core.api.manage import StrictFieldsMixin
from coresync.resources.models import (
    TECHNICIAN_EXCEPTION_KINDS,
    AvailabilityException,
    Room,
    Technician,
)
from coresync.resources.selectors import weekly_hours

WEEKLY_HOURS_SCHEMA = {
    "type": "object",
    "description": 'Spa-local windows per weekday, e.g. {"mon": [["09:00", "13:00"], '
    '["14:00", "18:00"]]}; a day left out has no hours.',
    "properties": {
        day: {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                "minItems": 2,
                "maxItems": 2,
            },
        }
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
    "additionalProperties": False,
}


@extend_schema_field(WEEKLY_HOURS_SCHEMA)
class WeeklyHoursField(serializers.JSONField):
    """Weekly hours in the spa file's shape; checked by the service (resources.services)."""


class RoomSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="room_type")

    class Meta:
        model = Room
        fields = ["slug", "name", "type", "capacity", "features", "premium_modifier_percent"]


class TechnicianSerializer(serializers.ModelSerializer):
    class Meta:
        model = Technician
        fields = ["slug", "name", "skills", "bio"]


# -- managers ------------------------------------------------------------------------------


class RoomManageSerializer(RoomSerializer):
    """A room as managers see it: the public fields, ``is_active`` and opening ``hours``."""

    hours = serializers.SerializerMethodField()

    class Meta(RoomSerializer.Meta):
        fields = [*RoomSerializer.Meta.fields, "is_active", "hours"]

    @extend_schema_field(WEEKLY_HOURS_SCHEMA)
    def get_hours(self, room: Room) -> dict:
        return weekly_hours(room.opening_hours.all())


class RoomWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a manager sends to create or change a room (rules: resources.services)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField(help_text=f"One of {', '.join(RoomType.values)}.")
    capacity = serializers.IntegerField()
    features = serializers.ListField(child=serializers.CharField(), required=False)
    premium_modifier_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False
    )
    is_active = serializers.BooleanField(required=False)
    hours = WeeklyHoursField(required=False, help_text="Replaces the opening hours.")


class TechnicianManageSerializer(TechnicianSerializer):
    """A technician as managers see it: the public fields, ``hourly_rate``, ``is_active``
    and the linked staff login's email (``user``)."""

    user = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)

    class Meta(TechnicianSerializer.Meta):
        fields = [*TechnicianSerializer.Meta.fields, "hourly_rate", "is_active", "user"]


class TechnicianWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a manager sends to create or change a technician (rules: resources.services)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    skills = serializers.ListField(child=serializers.CharField(), required=False)
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2, required=False)
    bio = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    is_active = serializers.BooleanField(required=False)
    user = serializers.EmailField(
        required=False, allow_null=True, help_text="Email of a staff login; null unlinks."
    )


class ScheduleSerializer(StrictFieldsMixin, serializers.Serializer):
    """Weekly hours valid from ``valid_from`` to ``valid_until`` (inclusive; null = open)."""

    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    weekly_hours = WeeklyHoursField()


class ExceptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A technician's time away: whole days ``date``..``end_date`` or ``start``-``end`` of
    one day (spa-local "HH:MM")."""

    kind = serializers.ChoiceField(choices=TECHNICIAN_EXCEPTION_KINDS)
    start = serializers.CharField(
        required=False, allow_null=True, help_text='"HH:MM"; with end, part of one day.'
    )
    end = serializers.CharField(required=False, allow_null=True, help_text='"HH:MM".')
    note = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = AvailabilityException
        fields = ["id", "date", "end_date", "kind", "start", "end", "note"]
        read_only_fields = ["id"]
        extra_kwargs = {"end_date": {"required": False}}

    def to_representation(self, instance: AvailabilityException) -> dict:
        data = super().to_representation(instance)
        for name in ("start", "end"):
            value = getattr(instance, name)
            data[name] = f"{value:%H:%M}" if value is not None else None
        return data


class MaintenanceSerializer(ExceptionSerializer):
    """A room closed for maintenance: whole days ``date``..``end_date`` or ``start``-``end``
    of one day (spa-local "HH:MM")."""

    kind = None

    class Meta(ExceptionSerializer.Meta):
        fields = ["id", "date", "end_date", "start", "end", "note"]
