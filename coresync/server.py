"""The production server's worker: gunicorn with uvicorn workers that spread connections.

Why (docs/decisions/0001-production-server.md): with several worker processes on one
listening socket, every worker is woken for a new connection and the first to run accepts
it — and keeps accepting while connections queue (asyncio and uvloop accept up to the
backlog per wake-up). Kept-alive connections, few and long-lived (a load balancer's pool,
``wrk -c4``), then pile onto one worker while the others idle: measured, all four of wrk's
connections on one of two workers half of the time.

:class:`SpreadingUvicornWorker` accepts connections itself: before each accept a worker
compares its open connections with the other workers' (counts in memory shared by the
workers of one gunicorn, created before they are forked); a worker with more than the least
busy one waits :data:`YIELD_SECONDS` so that one can take the connection, and accepts it
itself if nobody has after that. Each accepted connection gets ``TCP_NODELAY`` (without it a
kept-alive response waits ~40 ms for a delayed ACK). Everything else is uvicorn's worker:
its protocol (httptools), event loop (uvloop), keep-alive, shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import mmap
import multiprocessing
import os
import socket
import struct

from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

SLOTS = 64
"""Worker slots in the shared table (more than any worker count we run)."""
YIELD_SECONDS = float(os.environ.get("SPREAD_YIELD_SECONDS", "0.01"))
"""How long a busier worker leaves a pending connection to the least busy one."""
_SLOT = struct.Struct("=ii")  # pid, open connections

# Created when gunicorn imports this module in its master process (the ``worker_class``
# setting), before any worker is forked: every worker maps the same memory and shares the
# lock, which keeps workers started at the same moment from claiming the same slot.
_table = mmap.mmap(-1, SLOTS * _SLOT.size)
_claim_lock = multiprocessing.Lock()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ConnectionTable:
    """Open-connection counts of the workers of one gunicorn master, in shared memory.

    A slot is claimed by writing the worker's pid; slots of workers that died are reused.
    Reads and writes of one slot are single 8-byte copies; a count read while another
    worker writes it is at worst one connection stale, which only shifts one decision.
    """

    def __init__(self, table: mmap.mmap = _table) -> None:
        self.table = table
        with _claim_lock:
            self.slot = self._claim(os.getpid())

    def _claim(self, pid: int) -> int:
        for slot in range(SLOTS):
            owner, _ = _SLOT.unpack_from(self.table, slot * _SLOT.size)
            if owner == 0 or owner == pid or not _alive(owner):
                _SLOT.pack_into(self.table, slot * _SLOT.size, pid, 0)
                return slot
        return -1  # no slot: this worker accepts without looking at the others

    def publish(self, connections: int) -> None:
        if self.slot >= 0:
            _SLOT.pack_into(self.table, self.slot * _SLOT.size, os.getpid(), connections)

    def busier_than_another(self, connections: int) -> bool:
        """Tell whether some other live worker has fewer open connections than ``connections``."""
        if self.slot < 0:
            return False
        pid = os.getpid()
        for slot in range(SLOTS):
            owner, count = _SLOT.unpack_from(self.table, slot * _SLOT.size)
            if owner and owner != pid and count < connections and _alive(owner):
                return True
        return False

    def release(self) -> None:
        if self.slot >= 0:
            _SLOT.pack_into(self.table, self.slot * _SLOT.size, 0, 0)


async def _readable(loop: asyncio.AbstractEventLoop, listener: socket.socket) -> None:
    """Wait until ``listener`` has a connection to accept (without accepting it)."""
    ready = loop.create_future()
    loop.add_reader(listener.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(listener.fileno())


class SpreadingServer(Server):
    """uvicorn's server accepting connections through :class:`ConnectionTable`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accept_tasks: list[asyncio.Task] = []
        self.connection_table: ConnectionTable | None = None

    async def startup(self, sockets: list | None = None) -> None:
        if not sockets:
            await super().startup(sockets)
            return
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            raise SystemExit(3)
        config = self.config
        self.connection_table = ConnectionTable()

        table = self.connection_table
        connections = self.server_state.connections

        class CountedProtocol(config.http_protocol_class):  # type: ignore[name-defined, misc]
            """uvicorn's protocol, publishing this worker's count when a connection ends."""

            def connection_lost(self, exc) -> None:
                super().connection_lost(exc)
                table.publish(len(connections))

        def create_protocol(_loop=None) -> asyncio.Protocol:
            return CountedProtocol(  # type: ignore[call-arg]
                config=config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=_loop,
            )

        self.servers = []
        for listener in sockets:
            raw = getattr(listener, "sock", listener)
            raw.setblocking(False)
            self.accept_tasks.append(asyncio.create_task(self._accept(raw, create_protocol)))
        self.started = True

    async def _accept(self, listener: socket.socket, create_protocol) -> None:
        loop = asyncio.get_running_loop()
        table = self.connection_table
        connections = self.server_state.connections
        while not self.should_exit:
            table.publish(len(connections))
            if table.busier_than_another(len(connections)):
                await _readable(loop, listener)
                await asyncio.sleep(YIELD_SECONDS)  # the least busy worker may take it
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    await self._take(loop, listener, create_protocol)
                continue
            await self._take(loop, listener, create_protocol, wait=True)

    async def _take(self, loop, listener: socket.socket, create_protocol, wait=False) -> None:
        """Accept one connection (waiting for one when ``wait``) and hand it to uvicorn."""
        if wait:
            connection, _ = await loop.sock_accept(listener)
        else:
            connection, _ = listener.accept()
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.setblocking(False)
        await loop.connect_accepted_socket(create_protocol, connection)
        self.connection_table.publish(len(self.server_state.connections))

    async def shutdown(self, sockets: list | None = None) -> None:
        for task in self.accept_tasks:
            task.cancel()
        for task in self.accept_tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        if self.connection_table is not None:
            self.connection_table.release()
        await super().shutdown(sockets)


class SpreadingUvicornWorker(UvicornWorker):
    """uvicorn's gunicorn worker (uvloop, httptools) serving through :class:`SpreadingServer`."""

    async def _serve(self) -> None:
        import sys

        from gunicorn.arbiter import Arbiter

        self.config.app = self.wsgi
        server = SpreadingServer(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
