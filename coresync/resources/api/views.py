"""Rooms and technicians: public lists, manager writes, and (managers only) a technician's
schedules and exceptions and a room's maintenance (docs/api-manage.md)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coresync.core import audit
from coresync.core.api.manage import ManagedViewSet, manager_crud_schema, validate_items
from coresync.core.api.permissions import IsManager
from coresync.resources.api.filters import RoomFilter, TechnicianFilter
from coresync.resources.api.serializers import (
    ExceptionSerializer,
    MaintenanceSerializer,
    RoomManageSerializer,
    RoomSerializer,
    RoomWriteSerializer,
    ScheduleSerializer,
    TechnicianManageSerializer,
    TechnicianSerializer,
    TechnicianWriteSerializer,
)
from coresync.resources.models import AvailabilityException, Room, Technician
from coresync.resources.selectors import schedules
from coresync.resources.services import (
    add_room_maintenance,
    add_technician_exception,
    create_room,
    create_technician,
    deactivate_room,
    deactivate_technician,
    delete_exception,
    replace_technician_schedules,
    update_exception,
    update_room,
    update_technician,
)


@manager_crud_schema(
    public=RoomSerializer,
    manage=RoomManageSerializer,
    write=RoomWriteSerializer,
)
class RoomViewSet(ManagedViewSet):
    """Active rooms; filter with ``?type=TYPE``."""

    public_serializer_class = RoomSerializer
    manage_serializer_class = RoomManageSerializer
    write_serializer_class = RoomWriteSerializer
    filterset_class = RoomFilter

    def base_queryset(self):
        return Room.objects.prefetch_related("opening_hours")

    def create_row(self, values):
        return create_room(values)

    def update_row(self, row, changes):
        return update_room(row, changes)

    def deactivate_row(self, row):
        deactivate_room(row)


@manager_crud_schema(
    public=TechnicianSerializer,
    manage=TechnicianManageSerializer,
    write=TechnicianWriteSerializer,
)
class TechnicianViewSet(ManagedViewSet):
    """Active technicians; filter with ``?skill=SLUG``."""

    public_serializer_class = TechnicianSerializer
    manage_serializer_class = TechnicianManageSerializer
    write_serializer_class = TechnicianWriteSerializer
    filterset_class = TechnicianFilter
    manager_actions = ("schedules",)

    def base_queryset(self):
        return Technician.objects.select_related("user")

    def create_row(self, values):
        return create_technician(values)

    def update_row(self, row, changes):
        return update_technician(row, changes)

    def deactivate_row(self, row):
        deactivate_technician(row)

    @extend_schema(
        methods=["GET"],
        responses=ScheduleSerializer(many=True),
        description="Managers only: the technician's weekly hours, one entry per validity range.",
    )
    @extend_schema(
        methods=["PUT"],
        request=ScheduleSerializer(many=True),
        responses=ScheduleSerializer(many=True),
        description="Managers only: replace all the technician's weekly hours.",
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None, filter_backends=[])
    def schedules(self, request, slug=None):
        technician = self.get_object()
        if request.method == "PUT":
            items = validate_items(ScheduleSerializer, request.data, "schedules")
            with transaction.atomic():
                replace_technician_schedules(technician, items)
                audit.record(
                    technician,
                    "technician.schedules_replaced",
                    actor=request.user,
                    data={"schedules": items},
                )
        output = schedules(technician.working_hours.all())
        return Response(ScheduleSerializer(output, many=True).data)


class _OwnedExceptionViewSet(viewsets.ModelViewSet):
    """Exceptions of one technician or room, named in the URL (managers only)."""

    permission_classes = [IsManager]
    pagination_class = None
    owner_kwarg: str
    owner_model: type

    def owner(self):
        """Return the technician or room named in the URL (inactive ones too), or 404."""
        return get_object_or_404(self.owner_model, slug=self.kwargs[self.owner_kwarg])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AvailabilityException.objects.none()
        field = self.owner_model.__name__.lower()
        return AvailabilityException.objects.filter(**{field: self.owner()})

    def add(self, owner, values):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        owner = self.owner()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            exception = self.add(owner, payload.validated_data)
            audit.record(
                exception,
                "exception.created",
                actor=request.user,
                data=audit.changes(payload.validated_data),
            )
        return Response(self.get_serializer(exception).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        exception = self.get_object()
        partial = bool(kwargs.get("partial"))
        payload = self.get_serializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            exception = update_exception(exception, payload.validated_data)
            audit.record(
                exception,
                "exception.changed",
                actor=request.user,
                data=audit.changes(payload.validated_data),
            )
        return Response(self.get_serializer(exception).data)

    def destroy(self, request, *args, **kwargs):
        exception = self.get_object()
        with transaction.atomic():
            # Recorded first: the row keeps its id in the entry, its label says what it was.
            audit.record(exception, "exception.deleted", actor=request.user)
            delete_exception(exception)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _owned_schema(owner: str, what: str):
    slug = OpenApiParameter(
        f"{owner}_slug", str, OpenApiParameter.PATH, description=f"The {owner}'s slug."
    )
    return extend_schema_view(
        **{
            name: extend_schema(parameters=[slug], description=f"Managers only: {what}.")
            for name in ("list", "create", "retrieve", "update", "partial_update", "destroy")
        }
    )


@_owned_schema("technician", "the technician's days off, holidays, vacations, sick leave")
class TechnicianExceptionViewSet(_OwnedExceptionViewSet):
    serializer_class = ExceptionSerializer
    owner_kwarg = "technician_slug"
    owner_model = Technician

    def add(self, owner, values):
        return add_technician_exception(owner, values)


@_owned_schema("room", "the room's maintenance closures")
class RoomMaintenanceViewSet(_OwnedExceptionViewSet):
    serializer_class = MaintenanceSerializer
    owner_kwarg = "room_slug"
    owner_model = Room

    def add(self, owner, values):
        return add_room_maintenance(owner, values)
