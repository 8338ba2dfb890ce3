"""Latency of the assistant's default (offline) engine, per turn, in-process.

Run from the repository root::

    uv run python bench/assistant.py [--rounds N] [--database-url URL]

Plays the scripted dialogues of ``coresync/assistant/eval/dialogues.yaml`` (each in a
transaction rolled back) ``--rounds`` times against the demo spa at the set's frozen now and
prints p50/p95/max per turn next to the target (p95 ≤ 300 ms in-process; the customer's bar
is 3 s end to end). Asserts nothing. The default database is a fresh SQLite file in a
temporary folder (migrated, the demo spa imported); a PostgreSQL URL must name a database
containing "bench", which is flushed.
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="assistant-bench-")
    url = options.database_url or f"sqlite:///{folder}/bench.sqlite3"
    if not url.startswith("sqlite") and "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("Refusing a PostgreSQL database whose name does not contain 'bench'.")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

    import django

    django.setup()
    from datetime import datetime

    import time_machine
    import yaml
    from django.core.management import call_command

    from coresync.assistant.eval import DIALOGUES, Report, run_dialogues
    from coresync.spafile.management.commands.demo import DEMO_FILE
    from coresync.spafile.services import import_spa_file

    call_command("migrate", verbosity=0)
    if not url.startswith("sqlite"):
        call_command("flush", interactive=False, verbosity=0)
    now = datetime.fromisoformat(yaml.safe_load(DIALOGUES.read_text())["now"])
    with time_machine.travel(now, tick=False):
        import_spa_file(DEMO_FILE)
        report = Report()
        run_dialogues(report)  # warm-up round (imports, caches)
        report = Report()
        for _round in range(options.rounds):
            run_dialogues(report)
    latencies = sorted(report.turn_latencies_ms)
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    print(f"cpus: {os.cpu_count()}  load: {os.getloadavg()[0]:.2f}  database: {url.split(':')[0]}")
    print(f"turns: {len(latencies)} ({report.dialogues} dialogues x {options.rounds} rounds)")
    print(
        f"per turn: p50 {statistics.median(latencies):.1f} ms  p95 {p95:.1f} ms  "
        f"max {latencies[-1]:.1f} ms  (target p95 <= 300 ms)"
    )


if __name__ == "__main__":
    main()
