"""Generation throughput of ``astray data build``: structures per hour, and the parallel
efficiency of N Dask workers against 1 (the baseline, measured in the same run on the same
molecules).

    python benchmarks/generation_throughput.py --method b3lyp/6-31g --molecules 16 --workers 2

Each configuration builds the same molecules from scratch in its own temporary $ASTRAY_HOME, so
nothing is cached between them. Efficiency = (rate with N workers) / (N * rate with 1 worker);
1.0 is perfect scaling. The enumeration order is seeded; the molecules are the first ones of
``--max-heavy-atoms`` heavy atoms, so they are comparable between runs.
"""

from __future__ import annotations

import json
import time

from astray.data.generate import BuildConfig, build_dataset
from dask_workers import fresh_home, workers_parser  # beside this file


def structures_per_hour(config: BuildConfig, workers: int) -> tuple[float, int, float]:
    """(structures per hour, structures, wall seconds) of one fresh build."""
    with fresh_home():
        start = time.perf_counter()
        summary = build_dataset(config, name="benchmark", workers=workers)
        seconds = time.perf_counter() - start
        return 3600 * len(summary.dataset) / seconds, len(summary.dataset), seconds


def main() -> None:
    parser = workers_parser(__doc__)
    parser.add_argument("--method", default="b3lyp/6-31g")
    parser.add_argument("--max-heavy-atoms", type=int, default=4)
    parser.add_argument("--molecules", type=int, default=16)
    args = parser.parse_args()
    config = BuildConfig(method=args.method, max_heavy_atoms=args.max_heavy_atoms,
                         max_molecules=args.molecules)
    baseline, n_structures, baseline_seconds = structures_per_hour(config, 1)
    parallel, _, parallel_seconds = structures_per_hour(config, args.workers)
    result = {"method": args.method, "molecules": args.molecules, "structures": n_structures,
              "baseline": "1 Dask worker", "one_worker_structures_per_hour": round(baseline),
              "one_worker_seconds": round(baseline_seconds, 1), "workers": args.workers,
              "structures_per_hour": round(parallel), "seconds": round(parallel_seconds, 1),
              "speedup": round(parallel / baseline, 2),
              "parallel_efficiency": round(parallel / (args.workers * baseline), 2)}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.method}: {n_structures} structures from {args.molecules} molecules")
    print(f"  1 worker : {baseline:8.0f} structures/hour ({baseline_seconds:.1f} s)")
    print(f"  {args.workers} workers: {parallel:8.0f} structures/hour ({parallel_seconds:.1f} s)")
    print(f"  speedup {parallel / baseline:.2f}x, parallel efficiency "
          f"{parallel / (args.workers * baseline):.2f}")


if __name__ == "__main__":
    main()
