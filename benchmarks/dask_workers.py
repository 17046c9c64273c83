"""What the benchmarks of N Dask workers against 1 share: their command line and an empty
$ASTRAY_HOME for every measurement (generation_throughput.py, sweep_workers.py)."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def workers_parser(docstring: str) -> argparse.ArgumentParser:
    """A parser described by the docstring's first line, with ``--workers`` (the N measured
    against 1 worker) and ``--json``; each benchmark adds its own options."""
    parser = argparse.ArgumentParser(description=docstring.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="Dask workers, against 1")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


@contextmanager
def fresh_home() -> Iterator[Path]:
    """An empty temporary $ASTRAY_HOME for one measurement, so that nothing a measurement
    builds or caches is reused by the next; the previous value is restored afterwards."""
    previous = os.environ.get("ASTRAY_HOME")
    with tempfile.TemporaryDirectory() as home:
        os.environ["ASTRAY_HOME"] = home
        try:
            yield Path(home)
        finally:
            if previous is None:
                del os.environ["ASTRAY_HOME"]
            else:
                os.environ["ASTRAY_HOME"] = previous
