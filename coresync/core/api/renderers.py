"""The API's JSON renderer: DRF's ``JSONRenderer`` output, written by orjson.

orjson writes the structure (dicts, lists, strings, numbers, UUIDs) several times faster
than the standard library; everything else — datetimes, dates, times, ``Decimal``, lazy
translation strings, querysets — goes through DRF's own ``JSONEncoder.default``, so every
answer has the same bytes as before (datetimes ending in ``Z``, milliseconds). Compact
separators, UTF-8, and U+2028/U+2029 escaped as DRF does. An ``indent`` (``Accept:
application/json; indent=4``) or a value orjson refuses (an integer beyond 64 bits) falls
back to DRF's renderer.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)
_encoder = JSONEncoder()


class ORJSONRenderer(JSONRenderer):
    """Render JSON with orjson, byte for byte as :class:`rest_framework.renderers.JSONRenderer`."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_encoder.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return rendered
