"""Catalog serializers: public read, managers' read and write."""

from rest_framework import serializers

from coresync.catalog.models import AddOn, RoomType, Service
from coresync.core.api.manage import StrictFieldsMixin


class DurationSerializer(serializers.Serializer):
    minutes = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)


class ServiceSerializer(serializers.ModelSerializer):
    """A service with its durations and non-member prices per guest."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    durations = DurationSerializer(source="variants", many=True, read_only=True)
    addons = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "slug",
            "name",
            "description",
            "category",
            "durations",
            "skill",
            "self_guided",
            "room_types",
            "buffer_before",
            "buffer_after",
            "slot_interval_minutes",
            "max_guests",
            "addons",
        ]


class AddOnSerializer(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = AddOn
        fields = ["slug", "name", "description", "price", "extra_minutes", "services"]


# -- managers ------------------------------------------------------------------------------


class ServiceManageSerializer(ServiceSerializer):
    """A service as managers see it: the public fields, ``is_active``, and every linked
    add-on (active or not)."""

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "is_active"]


class DurationWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    minutes = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)


class ServiceWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a manager sends to create or change a service (rules: catalog.services)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    category = serializers.CharField(help_text="Category slug.")
    skill = serializers.CharField(
        required=False, allow_blank=True, help_text='Technician skill; "" if self-guided.'
    )
    self_guided = serializers.BooleanField(required=False)
    room_types = serializers.ListField(
        child=serializers.CharField(), help_text=f"Room types: {', '.join(RoomType.values)}."
    )
    buffer_before = serializers.IntegerField(required=False, help_text="Minutes.")
    buffer_after = serializers.IntegerField(required=False, help_text="Minutes.")
    slot_interval_minutes = serializers.IntegerField(required=False, allow_null=True)
    max_guests = serializers.IntegerField(required=False)
    is_active = serializers.BooleanField(required=False)
    durations = DurationWriteSerializer(
        many=True, help_text="Replaces every duration and its price."
    )
    addons = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Add-on slugs (replaces)."
    )


class AddOnManageSerializer(AddOnSerializer):
    class Meta(AddOnSerializer.Meta):
        fields = [*AddOnSerializer.Meta.fields, "is_active"]


class AddOnWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a manager sends to create or change an add-on (rules: catalog.services)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    extra_minutes = serializers.IntegerField(required=False)
    services = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Service slugs (replaces)."
    )
    is_active = serializers.BooleanField(required=False)
