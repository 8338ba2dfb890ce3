"""Fixtures of the notification tests: a test outbox topic with a scripted handler, and a real
SMTP server (aiosmtpd) on a free loopback port."""

import asyncio
import socket
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from coresync.notifications import outbox

TEST_TOPIC = "tests.scripted"


class ScriptedHandler:
    """The handler of :data:`TEST_TOPIC`: records each run's message id and does what the
    test scripted (``outcomes``: exceptions to raise, in order; then succeed)."""

    def __init__(self) -> None:
        self.runs: list[int] = []
        self.outcomes: list[BaseException] = []

    def __call__(self, message) -> None:
        self.runs.append(message.pk)
        if self.outcomes:
            raise self.outcomes.pop(0)


@pytest.fixture
def scripted():
    """Register a fresh :class:`ScriptedHandler` for :data:`TEST_TOPIC`; yield it."""
    handler = ScriptedHandler()
    outbox._handlers[TEST_TOPIC] = handler
    yield handler
    outbox._handlers.pop(TEST_TOPIC, None)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received: one parsed message per DATA command."""

    def __init__(self, delay_seconds: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.delay_seconds = delay_seconds
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


class SMTPServer:
    """A real SMTP server on 127.0.0.1:``port`` that a test can stop and start again."""

    def __init__(self, port: int, inbox: Inbox) -> None:
        self.port = port
        self.inbox = inbox
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings) -> Callable[..., SMTPServer]:
    """Return ``make(start=True, delay_seconds=0)``: an SMTP server on a free loopback port,
    with Django's SMTP backend pointed at it; every server is stopped after the test."""
    servers: list[SMTPServer] = []

    def make(*, start: bool = True, delay_seconds: float = 0.0) -> SMTPServer:
        server = SMTPServer(free_port(), Inbox(delay_seconds))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        if start:
            server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
