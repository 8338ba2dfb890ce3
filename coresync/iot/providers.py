"""Device providers (ARCHITECTURE.md "provider interfaces with offline defaults").

:class:`LogOnlyProvider` (the default) writes each command to the log and reports it sent:
the demo needs no broker. :class:`MqttProvider` (``MQTT_URL`` set) publishes each command
with paho-mqtt 2.x at QoS 1, not retained, waits for the broker's PUBACK (``sent``), then
for the device's retained state echo naming the command (``confirmed``) until
``IOT_CONFIRM_TIMEOUT_SECONDS`` (``timed_out``). Both run outside any transaction or row
lock: the caller commits before it calls :meth:`DeviceProvider.send`.
"""

import json
import logging
import queue
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One command to publish: ``payload`` to ``topic`` (a device's ``<topic>/set``), its
    echo expected on ``state_topic``."""

    command_id: str
    topic: str
    state_topic: str
    payload: dict[str, Any]


@dataclass
class Outcome:
    """What became of one command: ``sent_at`` when the broker acknowledged it,
    ``confirmed_at`` and ``state`` when the device echoed it, ``error`` otherwise."""

    command_id: str
    sent_at: datetime | None = None
    confirmed_at: datetime | None = None
    state: dict[str, Any] | None = None
    error: str = ""
    expects_echo: bool = True


class DeviceProvider:
    """Sends commands to devices; one instance per process (:func:`get_provider`)."""

    name = "base"

    def send(self, commands: Sequence[Outgoing]) -> list[Outcome]:
        """Publish ``commands`` and return one :class:`Outcome` each, in order. Never raises
        for a device that does not answer (its outcome says so); raises ``ConnectionError``
        when the broker cannot be reached at all (the outbox retries)."""
        raise NotImplementedError

    def listen(
        self, topics: Iterable[str], on_message: Callable[[str, bytes], None], stop: threading.Event
    ) -> None:
        """Call ``on_message(topic, payload)`` in the calling thread for each message on
        ``topics`` until ``stop`` is set."""
        raise NotImplementedError


class LogOnlyProvider(DeviceProvider):
    """The offline default: log each command; no echo is expected."""

    name = "log"

    def send(self, commands: Sequence[Outgoing]) -> list[Outcome]:
        outcomes = []
        for command in commands:
            logger.info("Device command (log only) to %s: %s", command.topic, command.payload)
            outcomes.append(Outcome(command.command_id, sent_at=timezone.now(), expects_echo=False))
        return outcomes

    def listen(self, topics, on_message, stop) -> None:
        stop.wait()


@dataclass
class _Echoes:
    wanted: dict[str, str]  # state topic -> command id
    received: dict[str, tuple[dict[str, Any], datetime]] = field(default_factory=dict)
    condition: threading.Condition = field(default_factory=threading.Condition)


class MqttProvider(DeviceProvider):
    """Publish over MQTT (paho-mqtt 2.x). ``url``: ``mqtt://[user:password@]host[:1883]`` or
    ``mqtts://…`` (TLS, port 8883 by default)."""

    name = "mqtt"

    def __init__(
        self,
        url: str,
        *,
        confirm_timeout: float | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"MQTT_URL must look like mqtt://host:1883, not {url!r}.")
        self.host = parts.hostname
        self.tls = parts.scheme == "mqtts"
        self.port = parts.port or (8883 if self.tls else 1883)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self._confirm_timeout = confirm_timeout
        self.connect_timeout = connect_timeout

    @property
    def confirm_timeout(self) -> float:
        """Seconds to wait for the devices' echoes (``IOT_CONFIRM_TIMEOUT_SECONDS``)."""
        if self._confirm_timeout is not None:
            return self._confirm_timeout
        return float(settings.IOT_CONFIRM_TIMEOUT_SECONDS)

    def _client(self, on_message: Callable[[str, bytes], None] | None = None):
        import paho.mqtt.client as mqtt

        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"coresync-{uuid.uuid4().hex[:16]}",
            protocol=mqtt.MQTTv311,
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        connected = threading.Event()

        def on_connect(client, userdata, flags, reason_code, properties) -> None:
            if not reason_code.is_failure:
                connected.set()

        client.on_connect = on_connect
        if on_message is not None:
            client.on_message = lambda client, userdata, message: on_message(
                message.topic, message.payload
            )
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as error:
            raise ConnectionError(f"MQTT broker {self.host}:{self.port}: {error}") from error
        client.loop_start()
        if not connected.wait(self.connect_timeout):
            client.loop_stop()
            client.disconnect()
            raise ConnectionError(f"MQTT broker {self.host}:{self.port} did not accept us.")
        return client

    def send(self, commands: Sequence[Outgoing]) -> list[Outcome]:
        """Subscribe to the devices' state topics, publish every command (QoS 1, not
        retained), wait for each PUBACK, then for the echoes, all within one deadline."""
        echoes = _Echoes({command.state_topic: command.command_id for command in commands})

        def on_message(topic: str, payload: bytes) -> None:
            try:
                state = json.loads(payload)
            except ValueError:
                return
            if not isinstance(state, dict) or state.get("command") != echoes.wanted.get(topic):
                return  # an older retained state, or another command's echo
            with echoes.condition:
                echoes.received[state["command"]] = (state, timezone.now())
                echoes.condition.notify_all()

        client = self._client(on_message)
        try:
            if commands:
                result, _mid = client.subscribe([(c.state_topic, 1) for c in commands])
                if result != 0:
                    raise ConnectionError(f"MQTT subscribe failed (code {result}).")
            outcomes = []
            for command in commands:
                outcome = Outcome(command.command_id)
                info = client.publish(
                    command.topic, json.dumps(command.payload), qos=1, retain=False
                )
                try:
                    info.wait_for_publish(timeout=self.connect_timeout)
                except (RuntimeError, ValueError) as error:
                    outcome.error = f"Not published: {error}"
                if info.is_published():
                    outcome.sent_at = timezone.now()
                elif not outcome.error:
                    outcome.error = "The broker did not acknowledge the command."
                outcomes.append(outcome)
            deadline = time.monotonic() + self.confirm_timeout
            waiting = {o.command_id for o in outcomes if o.sent_at}
            with echoes.condition:
                while not waiting <= echoes.received.keys():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    echoes.condition.wait(left)
                received = dict(echoes.received)
            for outcome in outcomes:
                if outcome.command_id in received:
                    outcome.state, outcome.confirmed_at = received[outcome.command_id]
            return outcomes
        finally:
            client.disconnect()
            client.loop_stop()

    def listen(self, topics, on_message, stop) -> None:
        """Subscribe to ``topics`` (QoS 1) and pass each message on until ``stop`` is set;
        paho reconnects by itself after a dropped connection. ``on_message`` runs in this
        thread (paho's network thread only queues), so its database connection is ours."""
        topics = list(topics)
        arrived: queue.Queue[tuple[str, bytes]] = queue.Queue()
        client = self._client(lambda topic, payload: arrived.put((topic, payload)))

        def resubscribe(client, userdata, flags, reason_code, properties) -> None:
            if topics and not reason_code.is_failure:
                client.subscribe([(topic, 1) for topic in topics])

        client.on_connect = resubscribe
        try:
            if topics:
                client.subscribe([(topic, 1) for topic in topics])
            while not stop.is_set():
                try:
                    topic, payload = arrived.get(timeout=0.2)
                except queue.Empty:
                    continue
                on_message(topic, payload)
        finally:
            client.disconnect()
            client.loop_stop()


_provider: DeviceProvider | None = None
_provider_url: str | None = None


def get_provider() -> DeviceProvider:
    """Return the provider ``MQTT_URL`` chooses (log only when empty), one per process and
    URL (tests change the setting)."""
    global _provider, _provider_url
    url = settings.MQTT_URL
    if _provider is None or url != _provider_url:
        _provider = MqttProvider(url) if url else LogOnlyProvider()
        _provider_url = url
    return _provider
