"""A WebSocket client that talks to the ASGI application in process (Channels' own
``channels.testing`` imports daphne, which CoreSync does not install)."""

import json
from urllib.parse import urlsplit

from asgiref.testing import ApplicationCommunicator


class SocketClient(ApplicationCommunicator):
    """``connect()``, ``send_json_to()``, ``receive_json_from()``, ``disconnect()``."""

    def __init__(self, application, path: str, headers=()) -> None:
        parts = urlsplit(path)
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": parts.path,
                "query_string": parts.query.encode(),
                "headers": list(headers),
                "subprotocols": [],
            },
        )

    async def connect(self, timeout: float = 1) -> tuple[bool, int | None]:
        """Return ``(True, None)`` when accepted, ``(False, close code)`` when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def send_json_to(self, data) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 1):
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
