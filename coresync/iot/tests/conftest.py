"""A real Mosquitto per test session on a free loopback port, and simulated devices.

The broker is Debian's ``/usr/sbin/mosquitto`` (``.ci/run`` installs it) started with a
temporary configuration: anonymous, no persistence, listening on 127.0.0.1 only. A
:class:`SimulatedDevice` subscribes to a device's ``<topic>/set``, keeps every command it
receives and — unless it is ``silent`` — echoes each one as its retained state on
``<topic>/state``, as the spa's devices do.
"""

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from coresync.iot.models import Device, DeviceKind
from coresync.iot.services import install_default_scenes

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def mosquitto_url():
    """Start Mosquitto on a free 127.0.0.1 port for the session; yield ``mqtt://…``."""
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is not installed (apt-get install mosquitto; .ci/run does)")
    port = _free_port()
    directory = tempfile.mkdtemp(prefix="coresync-mosquitto-")
    config = Path(directory) / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "log_dest stderr\nlog_type error\n"
    )
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"mosquitto did not start: {process.stderr.read().decode()}")
            time.sleep(0.05)
    yield f"mqtt://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(directory, ignore_errors=True)


class SimulatedDevice:
    """A device on the broker: records commands, echoes them as retained state unless
    ``silent``."""

    def __init__(self, url: str, topic: str, *, silent: bool = False) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.topic = topic
        self.silent = silent
        self.commands: list[dict] = []
        self.retained_flags: list[bool] = []
        self.qos: list[int] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"device-{uuid.uuid4().hex[:8]}"
        )
        self.client.on_connect = lambda client, *_: client.subscribe(f"{topic}/set", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, int(port))
        self.client.loop_start()
        assert self._subscribed.wait(5), "the simulated device could not subscribe"

    def _on_message(self, client, userdata, message) -> None:
        command = json.loads(message.payload)
        self.commands.append(command)
        self.retained_flags.append(bool(message.retain))
        self.qos.append(message.qos)
        if not self.silent:
            state = {
                "command": command["command"],
                "scene": command["scene"],
                **command["settings"],
            }
            client.publish(f"{self.topic}/state", json.dumps(state), qos=1, retain=True)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(autouse=True)
def scenes(db):
    """The default scenes (migration iot.0002 installs them, but a transactional test
    elsewhere in the run flushes every table, data migrations' rows included)."""
    install_default_scenes()


@pytest.fixture
def mqtt_on(settings, mosquitto_url):
    """Switch the provider to the session's Mosquitto, with a short echo timeout."""
    settings.MQTT_URL = mosquitto_url
    settings.IOT_CONFIRM_TIMEOUT_SECONDS = 2.0
    return mosquitto_url


@pytest.fixture
def suite_devices(spa):
    """Lights, audio and climate in Suite A, each on its own topic (unique per test: the
    broker outlives the test and keeps retained states)."""
    base = f"test/{uuid.uuid4().hex[:8]}/suite-a"
    return {
        kind: Device.objects.create(
            room=spa.suite,
            slug=f"suite-a-{kind}",
            name=f"Suite A {kind}",
            kind=kind,
            vendor="Acme",
            network={"host": "10.0.0.5"},
            topic=f"{base}/{kind}",
        )
        for kind in (DeviceKind.LIGHTS, DeviceKind.AUDIO, DeviceKind.CLIMATE)
    }


@pytest.fixture
def simulated(mqtt_on):
    """``simulated(device, silent=False)``: a simulated device on the broker, stopped after."""
    devices = []

    def start(device: Device, *, silent: bool = False) -> SimulatedDevice:
        simulated_device = SimulatedDevice(mqtt_on, device.topic, silent=silent)
        devices.append(simulated_device)
        return simulated_device

    yield start
    for simulated_device in devices:
        simulated_device.stop()
