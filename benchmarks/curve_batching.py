"""Batched curve evaluation against the point-by-point baseline, measured in the same run.

Baseline: one ``evaluate`` call per structure (how an ASE calculator is usually driven).
Candidate: one ``evaluate`` call per curve (the diatomic on the whole grid plus both fragments),
which is what ``astray curves`` does. Prints the time of each on the default suite and the ratio.

    .venv/bin/python benchmarks/curve_batching.py [--potential chgnet] [--repeats 3]
"""

import argparse
import time
import warnings

from astray.potentials import load_potential
from astray.systems import DEFAULT_SUITE, get_system


def suite_structures():
    """One list of structures per curve of the default suite (grid + fragments)."""
    curves = []
    for name in DEFAULT_SUITE:
        system = get_system(name)
        curves.append([system.atoms(r) for r in system.default_grid()]
                      + [f.atoms() for f in system.fragments])
    return curves


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--potential", action="append", help="potential name (repeat)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    curves = suite_structures()
    n_structures = sum(len(c) for c in curves)
    for spec in args.potential or ["chgnet", "sevennet-0"]:
        potential = load_potential(spec)
        potential.evaluate(curves[0])  # warm-up: lazy model loading and first-call compilation
        batched = best_time(lambda p=potential: [p.evaluate(c) for c in curves], args.repeats)
        pointwise = best_time(lambda p=potential: [p.evaluate([s]) for c in curves for s in c],
                              args.repeats)
        print(f"{spec}: default suite, {n_structures} structures in {len(curves)} curves")
        print(f"  baseline point-by-point: {pointwise:.3f} s")
        print(f"  batched per curve:       {batched:.3f} s")
        print(f"  speed-up (baseline / batched): {pointwise / batched:.1f}x")


if __name__ == "__main__":
    main()
