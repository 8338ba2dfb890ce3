"""Live-update fan-out: how long one ``availability.changed`` takes to reach 500 open sockets.

Run from the repository root (loopback only; Redis on 127.0.0.1:6379)::

    uv run python bench/realtime.py [--sockets 500] [--rounds 10] [--redis-url URL]

1. Start uvicorn serving ``coresync.asgi:application`` (one worker, the production ASGI app)
   with the channels-redis layer on ``--redis-url`` (default ``redis://127.0.0.1:6379/12``)
   under a channel prefix of this run's own (deleted afterwards).
2. Open ``--sockets`` anonymous WebSockets to ``/ws/live/``, each watching the same day, as
   that many booking pages open on one date would.
3. ``--rounds`` times: publish one ``availability.changed`` to that day's group through the
   layer (as :func:`coresync.core.realtime.send_now` does after a booking commits) and time
   until every socket has it.
4. Print the fan-out times (median, fastest, slowest), the sockets' connect time, and
   ``os.getloadavg()`` before and after. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DAY = "2026-12-02"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, redis_url: str, prefix: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CHANNELS_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "coresync.settings",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "coresync.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--ws",
        "websockets",
        "--loop",
        "uvloop",
    ]
    server = subprocess.Popen(command, cwd=REPOSITORY, env=environment)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not start")


async def open_sockets(url: str, count: int) -> list:
    import websockets

    async def one():
        connection = await websockets.connect(url, max_queue=None, open_timeout=30)
        await connection.send(json.dumps({"type": "watch", "date": DAY}))
        reply = json.loads(await connection.recv())
        assert reply["type"] == "watching", reply
        return connection

    sockets = []
    for start in range(0, count, 50):  # 50 at a time: the listen backlog is finite
        sockets += await asyncio.gather(*(one() for _ in range(min(50, count - start))))
    return sockets


async def fan_out(layer, sockets: list, number: int) -> float:
    """Publish round ``number`` and return the seconds until every socket received it."""

    async def receive(connection) -> float:
        while True:
            message = json.loads(await connection.recv())
            if message["type"] == "availability.changed" and message["data"]["round"] == number:
                return time.perf_counter()

    waiting = [asyncio.ensure_future(receive(connection)) for connection in sockets]
    await asyncio.sleep(0)
    started = time.perf_counter()
    await layer.group_send(
        f"availability.{DAY}",
        {
            "type": "live.event",
            "event": "availability.changed",
            "data": {"date": DAY, "resources": ["ana", "suite-a"], "round": number},
        },
    )
    arrivals = await asyncio.wait_for(asyncio.gather(*waiting), timeout=60)
    return max(arrivals) - started


async def measure(port: int, redis_url: str, prefix: str, count: int, rounds: int) -> None:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    started = time.perf_counter()
    sockets = await open_sockets(f"ws://127.0.0.1:{port}/ws/live/", count)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(0.5)
    times = [await fan_out(layer, sockets, number) for number in range(rounds + 1)][1:]
    await asyncio.gather(*(connection.close() for connection in sockets))
    await asyncio.sleep(1)  # the server leaves the groups before it is stopped
    await layer.flush()
    print(f"{count} sockets open in {connect_seconds:.2f} s")
    print(
        f"fan-out of one availability.changed to {count} sockets, {rounds} rounds: "
        f"median {statistics.median(times) * 1000:.1f} ms, "
        f"fastest {min(times) * 1000:.1f} ms, slowest {max(times) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    options = parser.parse_args()
    prefix = f"bench-realtime-{uuid.uuid4().hex[:8]}"
    port = free_port()
    print(f"CPUs: {os.cpu_count()}, load average before: {os.getloadavg()}")
    # A SIGTERM (``timeout``) still stops the server: finally blocks run on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_server(port, options.redis_url, prefix)
    try:
        asyncio.run(measure(port, options.redis_url, prefix, options.sockets, options.rounds))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)  # consumers finish their blocking pops (5 s) first
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
