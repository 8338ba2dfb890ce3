"""Spa file: how long the package takes to import and the demo spa takes to read and load.

    uv run python bench/spafile_bench.py [--repeats N]

Prints, each as the median (and fastest) of ``--repeats`` runs:

- ``import``: ``import coresync.spafile.services`` in a fresh interpreter, after
  ``django.setup()`` (so Django and the models are not counted), in milliseconds;
- ``site start``: ``django.setup()`` and ``import coresync.urls`` in a fresh interpreter;
- ``import + parse demo (cold)``: the same, then checking the demo spa once;
- ``parse demo``: checking the demo spa (``parse_spa_text``: YAML, every field, every
  reference), against an empty database;
- ``import demo (dry run)``: the whole import of the demo spa, bookings included, rolled back.

It uses its own SQLite database in a temporary folder and the clock of the tests
(2026-12-01 08:00 New York). It asserts nothing; the load average is printed with the numbers.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "coresync" / "spafile" / "demo" / "spa.yaml"

IMPORT_PROBE = """
import time, django
django.setup()
started = time.perf_counter()
import coresync.spafile.services
print((time.perf_counter() - started) * 1000)
"""

# A fresh process loading the whole site (settings, apps, URLs and so every service): what
# a web worker or a management command pays once, pydantic included since core.readers uses it.
SITE_PROBE = """
import time
started = time.perf_counter()
import django
django.setup()
import coresync.urls
print((time.perf_counter() - started) * 1000)
"""

# A fresh process checking the demo spa (what ``import_spa`` pays before writing anything).
COLD_PROBE = """
import time, django
django.setup()
started = time.perf_counter()
from coresync.spafile.services import parse_spa_text
from pathlib import Path
parse_spa_text(Path(%r).read_text(encoding="utf-8"), filename="spa.yaml")
print((time.perf_counter() - started) * 1000)
"""


def _line(label: str, samples: list[float]) -> None:
    print(f"{label:<26} median {statistics.median(samples):8.1f} ms   min {min(samples):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="spafile-bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coresync.settings",
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()}")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    for label, probe in (
        ("site start (setup + urls)", SITE_PROBE),
        ("import", IMPORT_PROBE),
        ("import + parse demo (cold)", COLD_PROBE % str(DEMO)),
    ):
        samples = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True
            )
            if out.returncode:
                raise SystemExit(out.stderr)
            samples.append(float(out.stdout.strip().splitlines()[-1]))
        _line(label, samples)

    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from coresync.spafile.services import import_spa_text, parse_spa_text

    text = DEMO.read_text(encoding="utf-8")
    now = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(now, tick=False):
        parse_spa_text(text, filename="spa.yaml")
        samples = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            parse_spa_text(text, filename="spa.yaml")
            samples.append((time.perf_counter() - started) * 1000)
        _line("parse demo", samples)

        samples = []
        for _ in range(max(3, args.repeats // 2)):
            started = time.perf_counter()
            import_spa_text(text, filename="spa.yaml", now=now, dry_run=True)
            samples.append((time.perf_counter() - started) * 1000)
        _line("import demo (dry run)", samples)


if __name__ == "__main__":
    main()
