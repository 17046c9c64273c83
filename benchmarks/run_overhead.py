"""Per-run overhead of a sweep: where a run of the demo grid spends its wall time, phase by phase.

Baseline: the epochs themselves (``train_epochs``: training steps and validation) of the same
runs, measured in the same process. Everything else in a run (loading the data, building the
model, writing checkpoints, testing, probing H2/H2+/H2++, writing the record) is the overhead a
sweep of many runs multiplies; it is printed as each phase's share of the run's wall time and as
the overhead fraction 1 - epochs / wall.

    .venv/bin/python benchmarks/run_overhead.py [--runs 4] [--repeats 3] [--compare]

The runs are the cheapest of each width and prior of the demo grid (``astray demo``,
DEMO_SWEEP: 50 molecules, where the fixed costs weigh most), executed as a sweep's worker
executes them (:func:`astray.scaling.runner.execute_run` in one single-threaded local Dask
worker), after one warm-up run: a worker's first run also imports the training and probing
code; that cost is printed once, with those a sweep pays once rather than per run (starting a
Dask worker, computing the references, exact and level of theory). With ``--compare`` every repetition also
runs each run with its checkpoints written after every epoch (``CHECKPOINT_EVERY_S = 0``, what
the trainer did before), interleaved, so both are measured under the same load; medians of the
repetitions are printed, since one measurement on a shared machine is not one.
"""

from __future__ import annotations

import argparse
import statistics
import time

from astray.cli import DEMO_SWEEP
from astray.scaling.grid import SweepGrid, validate
from astray.scaling.records import RUN_PHASES
from astray.train import trainer
from dask_workers import fresh_home  # beside this file


def demo_runs(count: int):
    """The cheapest run of each (width, prior) of the demo grid, up to ``count`` runs."""
    chosen = {}
    for spec in validate(SweepGrid(**DEMO_SWEEP)):  # cheapest first
        chosen.setdefault((spec.config.hidden, spec.config.prior), spec)
    return list(chosen.values())[:count]


def timed_run(spec, references, every_s: float) -> dict[str, float]:
    """The ``timings`` of one fresh run with checkpoints every ``every_s`` seconds (run in a
    Dask worker: this function travels by value)."""
    import tempfile
    from pathlib import Path

    from astray.scaling.runner import execute_run
    from astray.train import trainer

    default = trainer.CHECKPOINT_EVERY_S
    trainer.CHECKPOINT_EVERY_S = every_s
    try:
        with tempfile.TemporaryDirectory() as folder:
            return execute_run(spec, Path(folder) / "run", references)["timings"]
    finally:
        trainer.CHECKPOINT_EVERY_S = default


def median_timings(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(s.get(k, 0.0) for s in samples) for k in samples[0]}


def show(label: str, timings: dict[str, float], spread: tuple[float, float]) -> None:
    total = timings["total"]
    other = total - sum(timings.get(phase, 0.0) for phase in RUN_PHASES)
    shares = "  ".join(f"{phase} {timings.get(phase, 0.0) / total:5.1%}"
                       for phase in RUN_PHASES) + f"  between phases {other / total:5.1%}"
    overhead = 1 - timings["train_epochs"] / total
    print(f"  {label:<24} overhead {overhead:5.1%} (repeats {spread[0]:.1%}-{spread[1]:.1%})"
          f"\n      {shares}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare", action="store_true",
                        help="also time each run with a checkpoint after every epoch")
    args = parser.parse_args()
    runs = demo_runs(args.runs)
    modes = {f"checkpoints every {trainer.CHECKPOINT_EVERY_S:g} s": trainer.CHECKPOINT_EVERY_S}
    if args.compare:
        modes["checkpoint every epoch"] = 0.0
    from astray.cluster import dask_client
    from astray.scaling.execute import _probe_references
    from astray.store import Store

    with fresh_home(), Store() as store:
        start = time.perf_counter()
        references = _probe_references(runs[0].config.dataset, runs[0].probe_systems, store)
        once = {"references (exact and level of theory)": time.perf_counter() - start}
        start = time.perf_counter()
        with dask_client(workers=1) as client:  # one worker, as each of a sweep's
            once["starting the Dask worker"] = time.perf_counter() - start

            def run(spec, every_s):
                return client.submit(timed_run, spec, references, every_s, pure=False).result()

            first = run(runs[0], trainer.CHECKPOINT_EVERY_S)  # the worker's first run
            samples = {(spec.run_id, mode): [] for spec in runs for mode in modes}
            for _ in range(args.repeats):
                for spec in runs:
                    for mode, every_s in modes.items():
                        timings = run(spec, every_s)
                        samples[spec.run_id, mode].append(timings)
                        print(f"  {spec.run_id}, {mode}: overhead "
                              f"{1 - timings['train_epochs'] / timings['total']:.1%}", flush=True)
    print(f"demo grid, {len(runs)} runs, median of {args.repeats}; shares of each run's wall "
          "time; baseline: its epochs (train_epochs)")
    for spec in runs:
        print(spec.run_id)
        for mode in modes:
            runs_of = samples[spec.run_id, mode]
            fractions = [1 - s["train_epochs"] / s["total"] for s in runs_of]
            show(mode, median_timings(runs_of), (min(fractions), max(fractions)))
    for mode in modes:
        medians = [median_timings(samples[spec.run_id, mode]) for spec in runs]
        wall = sum(m["total"] for m in medians)
        print(f"all {len(runs)} runs, {mode}: overhead "
              f"{1 - sum(m['train_epochs'] for m in medians) / wall:.1%}")
    cold = first["imports"] + first["build_model"]
    print(f"once per worker: its first run's imports and model build: {cold / first['total']:.1%}"
          " of that run's wall time")
    for name, seconds in once.items():
        print(f"once per sweep: {name}: {seconds / first['total']:.2f} x that run's wall time")

if __name__ == "__main__":
    main()
