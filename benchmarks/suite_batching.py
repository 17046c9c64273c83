"""Suite batching against per-molecule evaluation, measured in the same run.

Baseline: one ``evaluate`` call per molecule (its grid and both fragments), what
``astray curves`` did before the whole-table suites. Candidate: one call per chunk of
``SYSTEMS_PER_CHUNK`` molecules (:func:`astray.probes.suite._evaluate_batch`), what it does now.
Both evaluate the same structures of the homonuclear suite of the potential's declared elements;
the script checks that they give the same energies and prints both times and the ratio.

    .venv/bin/python benchmarks/suite_batching.py [--potential chgnet] [--repeats 1]
"""

import argparse
import time
import warnings

import numpy as np

from astray.potentials import load_potential
from astray.probes.curves import evaluate_curve
from astray.probes.suite import SYSTEMS_PER_CHUNK, _evaluate_batch, suite_systems


def best_time(function, repeats: int):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), value


class _Grid:
    """What :func:`_evaluate_batch` reads of a reference: its grid."""

    def __init__(self, r):
        self.r_angstrom = r


def compare(name: str, repeats: int, chunk_size: int) -> str:
    """Both ways on the homonuclear suite of ``name``; one line with times and the ratio."""
    potential = load_potential(name)
    systems = suite_systems("homonuclear", [potential])
    grids = {s.name: s.default_grid() for s in systems}
    references = {n: _Grid(r) for n, r in grids.items()}
    potential.evaluate([systems[0].atoms(1.0)])  # load the model outside the timing

    def per_molecule():
        return [evaluate_curve(potential, s, grids[s.name]).energy_ev for s in systems]

    def batched():
        out = []
        for start in range(0, len(systems), chunk_size):
            chunk = systems[start:start + chunk_size]
            for system, part in zip(chunk, _evaluate_batch(potential, chunk, references)):
                n = len(grids[system.name])
                out.append(evaluate_curve(potential, system, grids[system.name]).energy_ev
                           if part is None else part.energy[:n] - part.energy[n:].sum())
        return out

    t_single, single = best_time(per_molecule, repeats)
    t_batch, batch = best_time(batched, repeats)
    worst = max(float(np.nanmax(np.abs(a - b), initial=0.0)) for a, b in zip(single, batch))
    n = sum(len(g) + 2 for g in grids.values())
    return (f"{name}: {len(systems)} molecules, {n} structures; per molecule {t_single:.1f} s, "
            f"batched ({chunk_size} per call) {t_batch:.1f} s, ratio {t_single / t_batch:.2f}; "
            f"largest energy difference {worst:.1e} eV")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--potential", action="append", help="potential name (repeat)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=SYSTEMS_PER_CHUNK)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for name in args.potential or ["chgnet"]:
        print(compare(name, args.repeats, args.chunk), flush=True)


if __name__ == "__main__":
    main()
