"""The dashboard API's shapes (docs/dashboard.md, "API"): the range asked for, and the same
tables the page and the exports show."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.core.api.fields import CalendarDateField
from coresync.dashboard.selectors import GRAINS, Table


class DashboardQuerySerializer(serializers.Serializer):
    """``date_from``/``date_to``: spa-local days, inclusive, at most 366 days apart;
    ``grain``: how revenue and bookings are grouped."""

    date_from = CalendarDateField()
    date_to = CalendarDateField()
    grain = serializers.ChoiceField(choices=list(GRAINS), default="day")


def json_value(value: Any) -> Any:
    """A table cell or summary figure as JSON: amounts and rates (``Decimal``) as strings,
    so they stay exact; whole numbers, text and ``null`` as they are."""
    return str(value) if isinstance(value, Decimal) else value


_CELL = {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()


@extend_schema_field({"type": "array", "items": {"type": "array", "items": _CELL}})
class RowsField(serializers.Field):
    def to_representation(self, rows: list[tuple]) -> list[list[Any]]:
        return [[json_value(cell) for cell in row] for row in rows]


class TableSerializer(serializers.Serializer):
    """One table: ``columns`` in order (the first labels the rows), ``rows`` of cells in
    column order, ``series`` the columns a chart draws, ``unit`` (``USD``, ``%``…)."""

    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.SerializerMethodField()
    rows = RowsField()
    chart = serializers.CharField()
    series = serializers.ListField(child=serializers.CharField())
    unit = serializers.CharField()

    @extend_schema_field(ColumnSerializer(many=True))
    def get_columns(self, table: Table) -> list[dict[str, str]]:
        return [{"key": key, "title": title} for key, title in table.columns]


@extend_schema_field({"type": "object", "additionalProperties": _CELL})
class SummaryField(serializers.Field):
    def to_representation(self, summary: dict[str, Any]) -> dict[str, Any]:
        return {key: json_value(value) for key, value in summary.items()}


class DashboardSerializer(serializers.Serializer):
    """The numbers of a range: headline ``summary`` figures (``bookings``,
    ``cancellations``, ``no_shows``, ``due``, ``no_show_rate``, ``lead_time_hours``,
    ``revenue``) and the ``tables``, in the page's order."""

    date_from = serializers.DateField()
    date_to = serializers.DateField()
    grain = serializers.CharField()
    summary = SummaryField()
    tables = serializers.SerializerMethodField()

    @extend_schema_field(TableSerializer(many=True))
    def get_tables(self, report) -> list[dict[str, Any]]:
        return TableSerializer(list(report.tables.values()), many=True).data
