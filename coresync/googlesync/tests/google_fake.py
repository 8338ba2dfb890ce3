"""Recorded Google answers for google-api-python-client (httplib2): a sequence of
``(status, body)`` answers served in order, with every request kept for the assertions."""

import json
from typing import Any

from googleapiclient.http import HttpMockSequence


class RecordedGoogle(HttpMockSequence):
    """:class:`HttpMockSequence` that also records ``(method, path, query, body)``."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        super().__init__(
            [
                ({"status": str(status)}, body if isinstance(body, str) else json.dumps(body))
                for status, body in answers
            ]
        )
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        self.requests.append((method, uri, json.loads(body) if body else None))
        return super().request(uri, method, body, headers, **kwargs)

    def calls(self) -> list[tuple[str, str]]:
        """Return ``(method, path without the API prefix and query)`` of each request."""
        out = []
        for method, uri, _ in self.requests:
            path = uri.split("?")[0].split("/calendar/v3/")[-1].split("/v4/")[-1]
            out.append((method, path))
        return out


def error(status: int, reason: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}
