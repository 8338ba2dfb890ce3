"""Availability and calendar query parameters and responses."""

from rest_framework import serializers

from coresync.core.api.fields import CalendarDateField, CommaSeparatedSlugsField


class AvailabilityQuerySerializer(serializers.Serializer):
    """``GET availability/`` parameters. ``date_to`` is inclusive (range ≤ 93 days);
    ``duration`` defaults to the service's shortest; ``addons`` is comma-separated."""

    service = serializers.SlugField()
    date_from = CalendarDateField()
    date_to = CalendarDateField()
    technician = serializers.SlugField(required=False, allow_blank=True)
    room = serializers.SlugField(required=False, allow_blank=True)
    room_type = serializers.CharField(required=False, allow_blank=True, max_length=20)
    addons = CommaSeparatedSlugsField(required=False, default=list)
    guests = serializers.IntegerField(required=False, default=1, min_value=1, max_value=20)
    duration = serializers.IntegerField(required=False, min_value=1, max_value=24 * 60)


class CalendarQuerySerializer(serializers.Serializer):
    """``GET calendar/`` parameters: ``month`` as ``YYYY-MM``."""

    month = serializers.RegexField(r"^(19\d\d|2[01]\d\d)-(0[1-9]|1[0-2])$")
    service = serializers.SlugField()
    technician = serializers.SlugField(required=False, allow_blank=True)
    room_type = serializers.CharField(required=False, allow_blank=True, max_length=20)
    addons = CommaSeparatedSlugsField(required=False, default=list)
    guests = serializers.IntegerField(required=False, default=1, min_value=1, max_value=20)
    duration = serializers.IntegerField(required=False, min_value=1, max_value=24 * 60)


class PriceLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.CharField()


class PriceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    lines = PriceLineSerializer(many=True)
    subtotal = serializers.CharField()
    tax_rate = serializers.CharField()
    tax = serializers.CharField()
    total = serializers.CharField()


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    technician = serializers.CharField(allow_null=True)
    technicians = serializers.ListField(child=serializers.CharField())
    room = serializers.CharField()
    price = PriceSerializer()
    member_only = serializers.BooleanField()


class AvailabilitySerializer(serializers.Serializer):
    timezone = serializers.CharField()
    service = serializers.CharField()
    duration = serializers.IntegerField()
    slots = SlotSerializer(many=True)


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    state = serializers.ChoiceField(choices=["available", "members_only", "unavailable"])
    bookable = serializers.BooleanField()
    today = serializers.BooleanField()
    slots = serializers.IntegerField()


class CalendarSerializer(serializers.Serializer):
    timezone = serializers.CharField()
    month = serializers.CharField()
    service = serializers.CharField()
    tier = serializers.CharField()
    days = CalendarDaySerializer(many=True)
