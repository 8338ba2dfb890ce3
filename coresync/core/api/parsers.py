"""The API's JSON parser."""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def contains_nul(value: Any) -> bool:
    """Tell whether any string in ``value`` (a parsed JSON document: keys included) holds a
    NUL character (U+0000)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class StrictJSONParser(JSONParser):
    """JSON, refusing NUL characters anywhere in the document (400 ``invalid``).

    PostgreSQL can store U+0000 neither in text nor in jsonb columns, and no field of ours
    has a use for it; refusing it here, once, keeps every endpoint from answering 500 when a
    NUL reaches the database, and makes SQLite and PostgreSQL answer alike.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError("JSON strings must not contain NUL (U+0000) characters.")
        return data
