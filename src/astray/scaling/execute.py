"""Run a sweep: check the grid, plan what is left, run it on Dask, record every outcome.

``DIR/sweep.json`` holds the grid and every command that ran in the folder;
``DIR/runs/<run_id>/`` holds each run's checkpoints and its ``result.json``. A run is done when
its ``result.json`` says so under the run's current key. What a rerun does with each run:

- done in this folder: skipped, untouched;
- done elsewhere (the results store knows its key and its folder still holds the checkpoint):
  copied here, not retrained;
- anything else: trained (resuming from the folder's ``last.pt`` if an earlier attempt was
  killed).

Killing the sweep at any moment (SIGKILL included) therefore loses only the epochs in flight.
A run whose worker raises or dies is retried once (on another worker where there is one), then
recorded as failed with its error, and the sweep goes on.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from astray.cluster import SlurmOptions, dask_client
from astray.errors import SweepError
from astray.jsonio import write_json_atomic
from astray.paths import folder_lock, writable_folder
from astray.scaling.grid import RunSpec, SweepGrid, validate
from astray.scaling.runner import ProbeReferences, execute_run, failed_result
from astray.store import Store

#: Training options that may differ between the commands that fill one sweep folder: they do not
#: change what a finished run computed (``max_epochs`` and ``budget_minutes`` are in the run
#: key: raising them continues those runs from their last epoch).
CHANGEABLE_OPTIONS = ("max_epochs", "budget_minutes", "device", "threads")


@dataclass
class SweepStatus:
    """Counts of runs for progress displays; ``message`` says what just happened."""

    total: int
    done: int = 0
    failed: int = 0
    running: int = 0
    message: str = ""


@dataclass
class SweepOutcome:
    """What a sweep did: run ids by what happened to them, and the seconds it took."""

    folder: Path
    skipped: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_sweep(grid: SweepGrid, out: str | Path, *, store: Store, workers: int | None = None,
              scheduler: str | None = None, slurm: SlurmOptions | None = None,
              device: str = "cpu", runs_per_gpu: int = 1, command: str = "",
              on_status: Callable[[SweepStatus], None] | None = None) -> SweepOutcome:
    """Run (or resume) every run of ``grid`` into the folder ``out``.

    Args:
        grid: the sweep's axes and training options.
        out: the sweep folder (created).
        store: the results store where finished runs are keyed (the caller opens and closes it).
        workers: local worker processes (default: one per core, or ``runs_per_gpu`` per GPU).
        scheduler: address of an existing Dask scheduler instead of a local cluster.
        slurm: run the workers as SLURM jobs (dask-jobqueue) instead.
        device: ``cpu`` or ``cuda`` (each worker trains on its share of the GPUs).
        runs_per_gpu: with ``device="cuda"`` and a local cluster, workers per GPU.
        command: the command line that reproduces the sweep (recorded with every result).
        on_status: called with the counts whenever a run starts, finishes or fails.

    Raises SweepError (before any work) for an impossible grid or a folder of another sweep.
    """
    import time

    start = time.perf_counter()
    runs = validate(grid)
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise SweepError(f"--device must be cpu or cuda, got {device!r}")
    if runs_per_gpu < 1:
        raise SweepError("--runs-per-gpu must be at least 1")
    out = Path(out)
    writable_folder(out, option="--out")
    with folder_lock(out, f"astray scale ({command or 'a sweep'})"):
        _claim_folder(out, grid, command)
        outcome = _run_pending(runs, grid, out, store, workers, scheduler, slurm, device,
                               runs_per_gpu, command, on_status)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _run_pending(runs, grid, out, store, workers, scheduler, slurm, device, runs_per_gpu,
                 command, on_status) -> SweepOutcome:
    outcome = SweepOutcome(folder=out)
    pending = []
    for spec in runs:
        state = _reuse(spec, out / "runs" / spec.run_id, store)
        getattr(outcome, state).append(spec.run_id) if state != "pending" else pending.append(spec)
    status = SweepStatus(total=len(runs), done=len(outcome.skipped) + len(outcome.reused))
    notify = on_status or (lambda _status: None)
    notify(status)
    if pending:
        references = {name: _probe_references(name, runs[0].probe_systems, store)
                      for name in grid.datasets}
        local = scheduler is None and slurm is None
        n_workers = workers or _default_workers(device, runs_per_gpu) if local else None
        with dask_client(workers=n_workers or 1, scheduler=scheduler, slurm=slurm) as client:
            _execute(client, pending, out, references, device, command, store, outcome, status,
                     notify)
    return outcome


def _execute(client, pending: list[RunSpec], out: Path, references, device: str, command: str,
             store: Store, outcome: SweepOutcome, status: SweepStatus, notify) -> None:
    from dask.distributed import as_completed

    futures = {}
    # the costliest runs start first (longest-processing-time order): a large run left for last
    # would keep one worker busy while the others idle. Submitted in that order too: the first
    # tasks go to idle workers before the later ones' priorities are seen
    for spec in sorted(pending, key=lambda s: s.cost, reverse=True):
        run_dir = out / "runs" / spec.run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        future = client.submit(execute_run, spec, run_dir, references[spec.config.dataset],
                               device=device, command=command, key=f"run-{spec.key[:16]}",
                               pure=False, retries=1, priority=spec.cost)
        futures[future] = spec
    for future in as_completed(futures):
        spec = futures.pop(future)
        run_dir = out / "runs" / spec.run_id
        try:
            result = future.result()
        except Exception as error:  # recorded as a failed run; the sweep goes on
            message = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
            write_json_atomic(run_dir / "result.json", failed_result(spec, message,
                                                                     command=command))
            outcome.failed[spec.run_id] = message
            status.failed += 1
            status.message = f"{spec.run_id} failed: {message}"
        else:
            store.put_run(spec.key, spec.run_id, run_dir.resolve(), result)
            outcome.trained.append(spec.run_id)
            status.done += 1
            status.message = f"{spec.run_id}: test MAE {_own_mae(result)} kcal/mol, H2 " \
                             f"{result['probe'].get('H2', {}).get('verdict', '-')}"
        status.running = min(len(futures), sum(client.nthreads().values()) or len(futures))
        notify(status)


def _own_mae(result: dict) -> str:
    value = result["test_mae_kcal_mol"].get(result["subset"])
    return "-" if value is None else f"{value:.2f}"


def _default_workers(device: str, runs_per_gpu: int) -> int:
    """One single-threaded worker per core; on CUDA, ``runs_per_gpu`` per visible GPU."""
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SweepError("--device cuda: no CUDA device is available to torch here")
        return runs_per_gpu * (1 if ":" in device else torch.cuda.device_count())
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _claim_folder(out: Path, grid: SweepGrid, command: str) -> None:
    """Create ``out`` and write ``sweep.json``; refuse a folder of a sweep with other training
    options (its runs would share names with different numbers)."""
    from astray import __version__

    path = out / "sweep.json"
    described = grid.describe()
    commands = []
    if path.exists():
        import json

        try:
            previous = json.loads(path.read_text())
            before = previous["grid"]["training"]
            commands = list(previous.get("commands", []))
        except (ValueError, KeyError, TypeError):
            raise SweepError(f"{path} is not a sweep.json of astray (move it aside)") from None
        now = described["training"]
        changed = sorted(k for k in set(before) | set(now)
                         if k not in CHANGEABLE_OPTIONS and before.get(k) != now.get(k))
        if changed:
            raise SweepError(f"{out} holds a sweep with other training options ({changed[0]}: "
                             f"{before.get(changed[0])} there, {now.get(changed[0])} now); use "
                             "another --out")
    write_json_atomic(path, {"command": command, "commands": commands + [command],
                             "grid": described, "astray_version": __version__,
                             "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def _reuse(spec: RunSpec, run_dir: Path, store: Store) -> str:
    """``skipped`` if the run is done in ``run_dir``, ``reused`` if it was copied from another
    folder where the store says it is done, else ``pending``."""
    import json

    try:
        result = json.loads((run_dir / "result.json").read_text())
        if result.get("status") == "done" and result.get("key") == spec.key:
            return "skipped"
    except (OSError, ValueError):
        pass
    stored = store.run(spec.key)
    if stored is None:
        return "pending"
    folder, result = Path(stored[0]), stored[1]
    if folder.resolve() == run_dir.resolve() or not (folder / result["checkpoint"]).is_file():
        return "pending"
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(folder / result["checkpoint"], run_dir / result["checkpoint"])
    write_json_atomic(run_dir / "result.json", {**result, "reused_from": str(folder)})
    return "reused"


def _probe_references(dataset_name: str, systems, store: Store) -> ProbeReferences:
    """The best reference of every probed system and the data set's level of theory on the
    same grid (computed once here, shipped to every run)."""
    from astray.data.dataset import open_dataset
    from astray.reference import reference_curve
    from astray.systems import get_system

    dataset = open_dataset(dataset_name)
    reference, level = {}, {}
    for name in systems:
        system = get_system(name)
        reference[name] = reference_curve(system, store=store)
        level[name] = level_of_theory_curve(dataset, system, reference[name], store)
    return ProbeReferences(reference=reference, level_of_theory=level)


def level_of_theory_curve(dataset, system, reference, store: Store):
    """The curve of the data set's own level of theory on the reference's grid, or None where
    astray cannot compute it (an imported data set of unknown method).

    Bare nuclei have no electrons: every electronic-structure method gives them the Coulomb
    energy of the nuclei, which is the exact reference itself. GFN2-xTB is evaluated with
    tblite (E(AB) - E(A) - E(B), as for any potential); HF, DFT and the rest with the reference
    machinery.
    """
    from astray.level_of_theory import LevelOfTheory
    from astray.reference import reference_curve

    if system.bare_nuclei:
        return reference
    level = LevelOfTheory.from_data_set(dataset.level_of_theory)
    if level is None:
        return None
    if level.semi_empirical:
        from astray.curve import Curve
        from astray.potentials.xtb import XtbPotential
        from astray.probes.curves import evaluate_curve

        curve = evaluate_curve(XtbPotential(), system, reference.r_angstrom)
        return Curve(system.name, level.canonical, f"{level.describe()} (tblite): the data "
                     "set's level of theory", curve.r_angstrom, curve.energy_ev,
                     curve.total_energy_ev, curve.fragment_energy_ev,
                     {"method": level.canonical})
    return reference_curve(system, reference.r_angstrom, level.canonical, store=store)
