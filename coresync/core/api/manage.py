"""Catalog-like endpoints the public reads and managers write (services, add-ons, rooms,
technicians, plans; docs/api-manage.md).

- ``GET`` list/detail: anyone; active rows, the public serializer. A manager gets the manage
  serializer (the public fields and the private ones), reaches inactive rows by slug and lists
  them with ``?include_inactive=true``.
- ``POST`` list, ``PUT``/``PATCH``/``DELETE`` detail: managers only (401 anonymous, 403
  ``forbidden`` for other roles). The payload is read by the write serializer (types and
  shape; unknown fields are refused), then one service function checks the rules and writes.
  ``DELETE`` deactivates and answers 204.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response

from coresync.core import audit
from coresync.core.api.permissions import IsManager, is_manager
from coresync.core.errors import InvalidInput

INCLUDE_INACTIVE = OpenApiParameter(
    "include_inactive",
    OpenApiTypes.BOOL,
    description="Managers only: list inactive rows too (ignored for anyone else).",
)


class StrictFieldsMixin:
    """Refuse keys the serializer does not declare: a misspelt field must not be ignored
    silently."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError({name: "Unknown field." for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


def flag(query: Mapping[str, str], name: str) -> bool:
    """Read a boolean query parameter (``true``/``false``, ``1``/``0``; absent = false).

    Raises:
        InvalidInput: any other value.
    """
    value = query.get(name, "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise InvalidInput(f"{name} must be true or false.", fields={name: "Use true or false."})


def validate_items(
    serializer_class: type[serializers.Serializer], data: Any, name: str
) -> list[dict[str, Any]]:
    """Validate a JSON list of objects with ``serializer_class``; field errors are named
    ``name[i].field``.

    Raises:
        ValidationError: the body is not a list, or an item is invalid.
    """
    if not isinstance(data, Sequence) or isinstance(data, str):
        raise serializers.ValidationError({name: "Expected a list."})
    items, errors = [], {}
    for index, item in enumerate(data):
        serializer = serializer_class(data=item)
        if serializer.is_valid():
            items.append(serializer.validated_data)
            continue
        detail = serializer.errors
        for field, messages in detail.items():
            key = f"{name}[{index}]" if field == "non_field_errors" else f"{name}[{index}].{field}"
            errors[key] = messages
    if errors:
        raise serializers.ValidationError(errors)
    return items


def manager_crud_schema(
    *,
    public: type[serializers.Serializer],
    manage: type[serializers.Serializer],
    write: type[serializers.Serializer],
):
    """Return a class decorator documenting a :class:`ManagedViewSet`: reads with the public
    serializer (the view's docstring, plus a note for managers), writes with ``write`` in and
    ``manage`` out."""
    manage_name = manage.__name__.removesuffix("Serializer")

    def decorate(view_class: type) -> type:
        summary = " ".join((view_class.__doc__ or "").split())
        read_note = (
            f"{summary}\n\nManagers get the {manage_name} shape and may reach inactive rows."
        )
        return extend_schema_view(
            list=extend_schema(
                responses=public(many=True),
                parameters=[INCLUDE_INACTIVE],
                description=read_note,
            ),
            retrieve=extend_schema(responses=public, description=read_note),
            create=extend_schema(
                request=write, responses={201: manage}, description="Managers only."
            ),
            update=extend_schema(request=write, responses=manage, description="Managers only."),
            partial_update=extend_schema(
                request=write, responses=manage, description="Managers only."
            ),
            destroy=extend_schema(
                responses={204: None}, description="Managers only: deactivates (is_active=false)."
            ),
        )(view_class)

    return decorate


class ManagedViewSet(viewsets.ModelViewSet):
    """Public reads, manager writes (this module's docstring). Subclasses set the three
    serializers, :meth:`base_queryset` and the three write hooks, each one service call."""

    lookup_field = "slug"
    pagination_class = None
    public_serializer_class: type[serializers.Serializer]
    manage_serializer_class: type[serializers.Serializer]
    write_serializer_class: type[serializers.Serializer]
    # Actions that only managers may call, even with GET (e.g. a technician's schedules).
    manager_actions: tuple[str, ...] = ()

    def get_permissions(self):
        if self.request.method in SAFE_METHODS and self.action not in self.manager_actions:
            return [AllowAny()]
        return [IsManager()]

    def get_serializer_class(self):
        if self.request is not None and self.request.method not in SAFE_METHODS:
            return self.write_serializer_class  # what OPTIONS describes for POST/PUT
        if self.is_manager_request():
            return self.manage_serializer_class
        return self.public_serializer_class

    def is_manager_request(self) -> bool:
        return not getattr(self, "swagger_fake_view", False) and is_manager(self.request.user)

    def shows_inactive(self) -> bool:
        """Managers reach inactive rows by slug; a list shows them with
        ``?include_inactive=true``."""
        if not self.is_manager_request():
            return False
        if self.action == "list":
            return flag(self.request.query_params, "include_inactive")
        return True

    def base_queryset(self) -> QuerySet:
        """Return every row, active or not, with what the serializers read prefetched."""
        raise NotImplementedError

    def get_queryset(self):
        queryset = self.base_queryset()
        return queryset if self.shows_inactive() else queryset.filter(is_active=True)

    def create_row(self, values: dict[str, Any]) -> Model:
        raise NotImplementedError

    def update_row(self, row: Any, changes: dict[str, Any]) -> Model:
        raise NotImplementedError

    def deactivate_row(self, row: Any) -> None:
        raise NotImplementedError

    def manage_output(self, row: Model) -> dict[str, Any]:
        """Return ``row`` as the manage serializer shows it, read again from the database."""
        fresh = self.base_queryset().get(pk=row.pk)
        return self.manage_serializer_class(fresh, context=self.get_serializer_context()).data

    def audit_name(self) -> str:
        """The subject's name in audit actions (``service`` → ``service.changed``)."""
        return self.base_queryset().model._meta.model_name

    def create(self, request, *args, **kwargs):
        payload = self.write_serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            row = self.create_row(payload.validated_data)
            audit.record(
                row,
                f"{self.audit_name()}.created",
                actor=request.user,
                data=audit.changes(payload.validated_data),
            )
        return Response(self.manage_output(row), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        row = self.get_object()
        partial = bool(kwargs.get("partial"))
        payload = self.write_serializer_class(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            row = self.update_row(row, payload.validated_data)
            audit.record(
                row,
                f"{self.audit_name()}.changed",
                actor=request.user,
                data=audit.changes(payload.validated_data),
            )
        return Response(self.manage_output(row))

    def destroy(self, request, *args, **kwargs):
        row = self.get_object()
        with transaction.atomic():
            self.deactivate_row(row)
            audit.record(row, f"{self.audit_name()}.deactivated", actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
