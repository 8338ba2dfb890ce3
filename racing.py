"""Run attempts at the same moment, each in its own thread on its own database connection
(PostgreSQL concurrency tests; STYLE.md "a real concurrency test per scarce resource")."""

import threading
from collections.abc import Callable

from django.db import connection, connections

THREAD_TIMEOUT_SECONDS = 120


def run_together(attempts: int, attempt: Callable[[int], object]) -> list[object]:
    """Run ``attempt(index)`` for ``index`` in ``range(attempts)`` in threads released
    together by a barrier; return what each returned or raised (in index order)."""
    barrier = threading.Barrier(attempts)
    outcomes: list[object] = [None] * attempts

    def run(index: int) -> None:
        try:
            connection.ensure_connection()  # connect first: race the work, not the login
            barrier.wait(timeout=THREAD_TIMEOUT_SECONDS)
            outcomes[index] = attempt(index)
        except BaseException as error:  # noqa: BLE001 - returned to the test, which asserts
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "an attempt hung"
    return outcomes
