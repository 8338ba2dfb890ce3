"""The ASGI application answers HTTP as Django's own handler does, in one thread hop."""

import asyncio

import pytest

from coresync.asgi import application, http_application

pytestmark = pytest.mark.django_db(transaction=True)


def serve(method: str, path: str, body: bytes = b"", headers=()) -> tuple[dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.split("?")[0],
        "raw_path": path.split("?")[0].encode(),
        "query_string": path.partition("?")[2].encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(application(scope, receive, send))
    start, content = sent
    return start, content["body"]


def test_an_api_answer_and_an_api_error(spa):
    start, body = serve("GET", "/api/v1/plans/")
    refused_start, refused = serve(
        "POST",
        "/api/v1/auth/token/",
        b'{"email": "nobody@example.com"}',
        [(b"content-type", b"application/json"), (b"content-length", b"31")],
    )

    assert start["status"] == 200
    assert (b"content-type", b"application/json") in start["headers"]
    assert b'"slug":"base"' in body
    assert refused_start["status"] == 400
    assert b'"error"' in refused


def test_only_http_and_websockets_are_served():
    async def nothing():
        return {"type": "lifespan.startup"}

    async def ignore(message):
        return None

    with pytest.raises(ValueError, match="No application configured for scope type 'lifespan'"):
        asyncio.run(application({"type": "lifespan"}, nothing, ignore))
    # Django's side takes HTTP only; sockets go to Channels (coresync.web.sockets).
    with pytest.raises(ValueError, match="HTTP only"):
        asyncio.run(http_application({"type": "websocket"}, nothing, ignore))
