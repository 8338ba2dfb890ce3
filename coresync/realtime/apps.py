from importlib.util import find_spec

from django.apps import AppConfig
from django.core import checks


class RealtimeConfig(AppConfig):
    name = "coresync.realtime"
    label = "realtime"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from coresync.realtime import services

        services.register()
        checks.register(websocket_library_installed)


def websocket_library_installed(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when uvicorn has no WebSocket implementation: it would answer every socket with
    404 ("Unsupported upgrade request") and pages would silently never update live."""
    if find_spec("websockets") or find_spec("wsproto"):
        return []
    return [
        checks.Warning(
            "Neither websockets nor wsproto is installed: uvicorn cannot accept WebSockets.",
            hint="Install websockets (uvicorn[standard]); docs/realtime.md.",
            id="realtime.W001",
        )
    ]
