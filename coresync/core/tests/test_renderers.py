"""The orjson renderer writes the same bytes as DRF's JSONRenderer."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from coresync.core.api.renderers import ORJSONRenderer

SAMPLES = [
    {"a": 1, "b": [1, 2.5, None, True, False], "c": {"d": "é ✓ 中"}},
    {
        "when": datetime(2026, 12, 1, 13, 0, 5, 123456, tzinfo=UTC),
        "local": datetime(2026, 12, 1, 8, 0, tzinfo=UTC).astimezone(),
        "day": date(2026, 12, 1),
        "at": time(9, 30),
        "delta": timedelta(minutes=90),
        "money": Decimal("105.00"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("Swedish Massage"),
        "separators": "line\u2028paragraph\u2029end",
        7: "an integer key",
    },
    ReturnList([ReturnDict({"slug": "swedish"}, serializer=None)], serializer=None),
    [],
    "plain",
    {"big": 2**70},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_same_bytes_as_drf(data):
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_an_indent_asked_for_is_honoured():
    rendered = ORJSONRenderer().render({"a": [1]}, "application/json; indent=2")

    assert rendered == JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert b"\n" in rendered


def test_nothing_renders_as_an_empty_body():
    assert ORJSONRenderer().render(None) == b""
