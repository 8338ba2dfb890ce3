"""Public catalog endpoints."""

from django.db.models import Prefetch
from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from coresync.catalog.api.serializers import AddOnSerializer, ServiceSerializer
from coresync.catalog.models import AddOn, Service


class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Active services with durations and prices; filter with ``?category=SLUG``."""

    permission_classes = [AllowAny]
    serializer_class = ServiceSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        queryset = (
            Service.objects.filter(is_active=True)
            .select_related("category")
            .prefetch_related("variants", Prefetch("addons", AddOn.objects.filter(is_active=True)))
        )
        category = self.request.query_params.get("category")
        return queryset.filter(category__slug=category) if category else queryset


class AddOnViewSet(viewsets.ReadOnlyModelViewSet):
    """Active add-ons; filter with ``?service=SLUG``."""

    permission_classes = [AllowAny]
    serializer_class = AddOnSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        queryset = AddOn.objects.filter(is_active=True).prefetch_related("services")
        service = self.request.query_params.get("service")
        return queryset.filter(services__slug=service) if service else queryset
