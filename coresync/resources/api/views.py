"""Public room and technician lists."""

from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from coresync.resources.api.serializers import RoomSerializer, TechnicianSerializer
from coresync.resources.models import Room, Technician


class RoomViewSet(viewsets.ReadOnlyModelViewSet):
    """Active rooms; filter with ``?type=TYPE``."""

    permission_classes = [AllowAny]
    serializer_class = RoomSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        queryset = Room.objects.filter(is_active=True)
        room_type = self.request.query_params.get("type")
        return queryset.filter(room_type=room_type) if room_type else queryset


class TechnicianViewSet(viewsets.ReadOnlyModelViewSet):
    """Active technicians; filter with ``?skill=SLUG``."""

    permission_classes = [AllowAny]
    serializer_class = TechnicianSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        technicians = Technician.objects.filter(is_active=True)
        skill = self.request.query_params.get("skill")
        if skill:
            # Skills are a short JSON list; filter in Python so SQLite and PostgreSQL agree.
            return [technician for technician in technicians if skill in (technician.skills or [])]
        return technicians
