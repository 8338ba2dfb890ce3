"""The live socket of every page (``/ws/live/``, docs/realtime.md).

On connect a socket joins the groups its user may hear: ``user.<id>`` (their own bookings),
``desk`` (front desk and managers), ``technician.<id>`` (a technician's day). A page then
sends ``{"type": "watch", "date": "YYYY-MM-DD"}`` to hear ``availability.changed`` for the
days it shows (anyone, signed in or not: free times are public), at most
:data:`MAX_WATCHED_DAYS` at a time. Every event arrives as ``{"type": <event>, "data":
{…}}``; ``{"type": "ping"}`` is answered with ``{"type": "pong"}``.

Authentication: the site's session cookie, or ``Authorization: Bearer <JWT access token>``
for the apps (:class:`JWTAuthMiddleware`). A browser socket from another site is refused
(:class:`SameSiteOrigin`): the session cookie would otherwise let any page listen in.
"""

from datetime import date
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from coresync.accounts.models import DESK_ROLES
from coresync.core import realtime
from coresync.staff.selectors import technician_of

MAX_WATCHED_DAYS = 3
"""Days one socket may watch at once (a page shows one; the calendar may prefetch)."""


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One page's socket: joins its user's groups, watches days, forwards events."""

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.watched: list[str] = []
        user = self.scope.get("user") or AnonymousUser()
        for group in await self._private_groups(user):
            await self._join(group)
        await self.accept()

    @database_sync_to_async
    def _private_groups(self, user) -> list[str]:
        if not user.is_authenticated:
            return []
        groups = [realtime.user_group(user.pk)]
        if user.is_superuser or user.role in DESK_ROLES:
            groups.append(realtime.DESK_GROUP)
        technician = technician_of(user)
        if technician is not None:
            groups.append(realtime.technician_group(technician.pk))
        return groups

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "watch":
            await self._watch(content.get("date"))
        else:
            await self.send_json({"type": "error", "data": {"code": "unknown_message"}})

    async def _watch(self, value) -> None:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            await self.send_json({"type": "error", "data": {"code": "invalid_date"}})
            return
        group = realtime.availability_group(day)
        if group not in self.watched:
            if len(self.watched) >= MAX_WATCHED_DAYS:
                oldest = self.watched.pop(0)
                await self.channel_layer.group_discard(oldest, self.channel_name)
                self.groups_joined.remove(oldest)
            self.watched.append(group)
            await self._join(group)
        await self.send_json({"type": "watching", "data": {"date": day.isoformat()}})

    async def live_event(self, message) -> None:
        """A :func:`coresync.core.realtime.publish` event: pass it to the page."""
        await self.send_json({"type": message["event"], "data": message["data"]})

    async def disconnect(self, code) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)


class JWTAuthMiddleware:
    """Sign in a socket that carries ``Authorization: Bearer <access token>`` and no
    session (the apps); an invalid token leaves it anonymous."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            token = _bearer_token(scope)
            if token:
                scope = {**scope, "user": await _user_from_token(token)}
        return await self.inner(scope, receive, send)


def _bearer_token(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer":
                return token.strip()
    return ""


@database_sync_to_async
def _user_from_token(token: str):
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

    authentication = JWTAuthentication()
    try:
        user = authentication.get_user(authentication.get_validated_token(token))
    except (InvalidToken, TokenError):
        return AnonymousUser()
    return user if user.is_active else AnonymousUser()


class SameSiteOrigin:
    """Refuse a socket whose ``Origin`` header names a host outside ``ALLOWED_HOSTS``
    (cross-site WebSocket hijacking); sockets without one (apps, servers) pass."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        origin = dict(scope.get("headers", [])).get(b"origin")
        if origin is not None:
            host = urlsplit(origin.decode("latin-1")).netloc
            domain, _port = split_domain_port(host)
            allowed = settings.ALLOWED_HOSTS
            if settings.DEBUG and not allowed:
                allowed = [".localhost", "127.0.0.1", "[::1]"]
            if not domain or not validate_host(domain, allowed):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 4003})
                return None
        return await self.inner(scope, receive, send)


def socket_application():
    """Return the ASGI application of the ``websocket`` protocol."""
    from channels.routing import URLRouter
    from django.urls import path

    return SameSiteOrigin(
        AuthMiddlewareStack(
            JWTAuthMiddleware(URLRouter([path("ws/live/", LiveConsumer.as_asgi())]))
        )
    )
