"""The production worker's connection table (coresync/server.py): who should accept next."""

import mmap
import os
import subprocess
import sys

from coresync.server import _SLOT, SLOTS, ConnectionTable


def fresh_table() -> mmap.mmap:
    return mmap.mmap(-1, SLOTS * _SLOT.size)


def write_slot(table: mmap.mmap, slot: int, pid: int, connections: int) -> None:
    _SLOT.pack_into(table, slot * _SLOT.size, pid, connections)


def a_live_pid() -> int:
    return os.getppid()  # the test runner's parent outlives the test


def a_dead_pid() -> int:
    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(process.stdout)


def test_a_worker_with_more_connections_than_another_lets_it_accept():
    memory = fresh_table()
    table = ConnectionTable(memory)
    write_slot(memory, table.slot + 1, a_live_pid(), 1)

    assert table.busier_than_another(2)
    assert not table.busier_than_another(1)  # a tie: both may accept
    assert not table.busier_than_another(0)


def test_dead_workers_are_ignored_and_their_slots_reused():
    memory = fresh_table()
    write_slot(memory, 0, a_dead_pid(), 0)
    table = ConnectionTable(memory)

    assert table.slot == 0
    write_slot(memory, 1, a_dead_pid(), 0)
    assert not table.busier_than_another(5)


def test_a_worker_alone_always_accepts_and_frees_its_slot_when_done():
    memory = fresh_table()
    table = ConnectionTable(memory)
    table.publish(7)

    assert not table.busier_than_another(7)
    table.release()
    assert _SLOT.unpack_from(memory, table.slot * _SLOT.size) == (0, 0)
