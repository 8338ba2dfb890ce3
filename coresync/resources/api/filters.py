"""Query filters of the room and technician lists (django-filter): each value is validated
as a form field is, so a malformed one is a 400 naming the parameter, never a 500."""

import django_filters
from django.db.models import QuerySet

from coresync.resources.models import Room, RoomType, Technician


class RoomFilter(django_filters.FilterSet):
    """``GET rooms/?type=TYPE`` (``mensuite``, ``private``, ``shared`` or ``vip``)."""

    type = django_filters.ChoiceFilter(
        field_name="room_type", choices=RoomType.choices, label="Room type."
    )

    class Meta:
        model = Room
        fields = ["type"]


class TechnicianFilter(django_filters.FilterSet):
    """``GET technicians/?skill=SLUG``: technicians who have that skill."""

    skill = django_filters.CharFilter(method="filter_skill", max_length=100, label="Skill slug.")

    class Meta:
        model = Technician
        fields = ["skill"]

    def filter_skill(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Skills are a short JSON list per technician: match in Python so that SQLite and
        # PostgreSQL agree (JSON containment differs between them).
        having = [
            pk for pk, skills in queryset.values_list("pk", "skills") if value in (skills or [])
        ]
        return queryset.filter(pk__in=having)
