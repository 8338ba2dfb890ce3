"""Catalog serializers (public read)."""

from rest_framework import serializers

from coresync.catalog.models import AddOn, Service


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
