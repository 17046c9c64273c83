"""Overhead of evaluating a model in a worker process, against the same model in-process.

Baseline: CHGNet loaded and evaluated in this interpreter (``load_potential("chgnet")``).
Measured: CHGNet in a worker started with this same interpreter
(``load_potential("chgnet", python=sys.executable)``), so the difference is the worker alone:
start-up, the pipe protocol and (de)serialisation. Both evaluate the default suite as ``astray
curves`` does, one batch per system (default grid plus the two fragments); each timing is the
best of ``--repeats`` runs. Two ratios are printed: the evaluation of the suite alone, and a
whole command (model load + suite), which is what a user waits for. The issue asks for an
overhead under 20 %.

    python benchmarks/worker_overhead.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time

from astray.potentials import load_potential
from curve_batching import suite_structures  # beside this file


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def best_suite_time(potential, batches, repeats: int) -> float:
    """Seconds to evaluate every batch once, best of ``repeats``."""
    return min(timed(lambda: [potential.evaluate(b) for b in batches])[0]
               for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    batches = suite_structures()
    n_structures = sum(len(b) for b in batches)

    load_in_process, in_process = timed(lambda: load_potential("chgnet"))
    load_worker, worker = timed(lambda: load_potential("chgnet", python=sys.executable))
    in_process.evaluate(batches[0]), worker.evaluate(batches[0])  # warm-up (first-call costs)
    suite_in_process = best_suite_time(in_process, batches, repeats)
    suite_worker = best_suite_time(worker, batches, repeats)
    worker.close()

    print(f"default suite: {len(batches)} systems, {n_structures} structures; CHGNet; "
          f"best of {repeats}")
    print(f"baseline in-process : load {load_in_process:7.3f} s   suite {suite_in_process:7.3f} s")
    print(f"worker              : load {load_worker:7.3f} s   suite {suite_worker:7.3f} s")
    print(f"overhead, suite evaluation : {suite_worker / suite_in_process - 1:+.1%} "
          f"(ratio {suite_worker / suite_in_process:.3f})")
    whole_in_process = load_in_process + suite_in_process
    whole_worker = load_worker + suite_worker
    print(f"overhead, load + suite     : {whole_worker / whole_in_process - 1:+.1%} "
          f"(ratio {whole_worker / whole_in_process:.3f})")


if __name__ == "__main__":
    main()
