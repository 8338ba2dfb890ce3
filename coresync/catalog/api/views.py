"""Catalog endpoints: public reads, manager writes (docs/api-manage.md)."""

from django.db.models import Prefetch

from coresync.catalog.api.filters import AddOnFilter, ServiceFilter
from coresync.catalog.api.serializers import (
    AddOnManageSerializer,
    AddOnSerializer,
    AddOnWriteSerializer,
    ServiceManageSerializer,
    ServiceSerializer,
    ServiceWriteSerializer,
)
from coresync.catalog.models import AddOn, Service
from coresync.catalog.services import (
    create_addon,
    create_service,
    deactivate_addon,
    deactivate_service,
    update_addon,
    update_service,
)
from coresync.core.api.manage import ManagedViewSet, manager_crud_schema


@manager_crud_schema(
    public=ServiceSerializer,
    manage=ServiceManageSerializer,
    write=ServiceWriteSerializer,
)
class ServiceViewSet(ManagedViewSet):
    """Active services with durations and prices; filter with ``?category=SLUG``."""

    public_serializer_class = ServiceSerializer
    manage_serializer_class = ServiceManageSerializer
    write_serializer_class = ServiceWriteSerializer
    filterset_class = ServiceFilter

    def base_queryset(self):
        addons = (
            AddOn.objects.all()
            if self.is_manager_request()
            else AddOn.objects.filter(is_active=True)
        )
        return Service.objects.select_related("category").prefetch_related(
            "variants", Prefetch("addons", addons)
        )

    def create_row(self, values):
        return create_service(values)

    def update_row(self, row, changes):
        return update_service(row, changes)

    def deactivate_row(self, row):
        deactivate_service(row)


@manager_crud_schema(
    public=AddOnSerializer,
    manage=AddOnManageSerializer,
    write=AddOnWriteSerializer,
)
class AddOnViewSet(ManagedViewSet):
    """Active add-ons; filter with ``?service=SLUG``."""

    public_serializer_class = AddOnSerializer
    manage_serializer_class = AddOnManageSerializer
    write_serializer_class = AddOnWriteSerializer
    filterset_class = AddOnFilter

    def base_queryset(self):
        return AddOn.objects.prefetch_related("services")

    def create_row(self, values):
        return create_addon(values)

    def update_row(self, row, changes):
        return update_addon(row, changes)

    def deactivate_row(self, row):
        deactivate_addon(row)
