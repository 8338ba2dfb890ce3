"""ASGI entry point (served by gunicorn with uvicorn workers in production: docs/deploy.md).

HTTP requests run Django's request handler (the WSGI one) in one thread hop per request.
Django's own ASGI handler runs every synchronous middleware's request and response halves in
a thread hop of their own: 19 hops per request here, measured with cProfile at 4.4 ms of a
6 ms cached listing (2.5 ms this way). No view of CoreSync is asynchronous, so nothing is
lost; the requests of one worker still run one at a time in its one thread, as under
Django's ASGI handler (``thread_sensitive``). The response is collected in the thread and
sent from the event loop (CoreSync streams nothing large). WebSockets (Channels,
docs/realtime.md) go to :func:`coresync.web.sockets.socket_application`.
"""

import os
from tempfile import SpooledTemporaryFile

from asgiref.sync import sync_to_async
from asgiref.wsgi import WsgiToAsgiInstance
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

BODY_IN_MEMORY_BYTES = 65536
"""Request bodies larger than this are spooled to a temporary file (as Django's handler)."""


class _Request(WsgiToAsgiInstance):
    """One HTTP request: asgiref's WSGI environ and ``start_response``, Django's response
    collected in the worker thread, then sent from the event loop."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"CoreSync serves HTTP only, not {scope['type']!r} connections.")
        self.scope = scope
        with SpooledTemporaryFile(max_size=BODY_IN_MEMORY_BYTES) as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body.write(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body.seek(0)
            content = await sync_to_async(self._respond, thread_sensitive=True)(body)
        await send(self.response_start)
        await send({"type": "http.response.body", "body": content})

    def _respond(self, body) -> bytes:
        """Run Django on the request; return the whole response body (closing the response
        sends ``request_finished``: the database connection goes back to its pool)."""
        try:
            environ = self.build_environ(self.scope, body)
        except ValueError:  # too many duplicate headers
            self.response_start = {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"text/plain")],
            }
            return b"Bad Request: Too many duplicate headers"
        response = self.wsgi_application(environ, self.start_response)
        try:
            return b"".join(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()


class DjangoHTTP:
    """The ASGI application: each HTTP request through Django's request handler."""

    def __init__(self) -> None:
        self.handler = get_wsgi_application()

    async def __call__(self, scope, receive, send) -> None:
        await _Request(self.handler)(scope, receive, send)


http_application = DjangoHTTP()  # sets Django up: the socket modules below need it

from channels.routing import ProtocolTypeRouter  # noqa: E402

from coresync.web.sockets import socket_application  # noqa: E402

application = ProtocolTypeRouter({"http": http_application, "websocket": socket_application()})
