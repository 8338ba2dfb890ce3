"""Rooms and technicians as the public sees them (no rates, no logins)."""

from rest_framework import serializers

from coresync.resources.models import Room, Technician


class RoomSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="room_type")

    class Meta:
        model = Room
        fields = ["slug", "name", "type", "capacity", "features", "premium_modifier_percent"]


class TechnicianSerializer(serializers.ModelSerializer):
    class Meta:
        model = Technician
        fields = ["slug", "name", "skills", "bio"]
