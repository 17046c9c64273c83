"""Run a sweep: check the grid, plan what is left, run it on Dask, record every outcome.

``DIR/sweep.json`` holds the grid and every command that ran in the folder;
``DIR/runs/<run_id>/`` holds each run's checkpoints and its ``result.json``. A run is done when
its ``result.json`` says so under the run's current key. What a rerun does with each run:

- done in this folder: skipped, untouched;
- done elsewhere (the results store knows its key and its folder still holds the checkpoint):
  copied here, not retrained;
- anything else: trained (resuming from the folder's ``last.pt`` if an earlier attempt was
  killed, or continuing a finished run when only its epoch limits changed).

Killing the sweep at any moment (SIGKILL included) therefore loses only the epochs each running
run trained since its last checkpoint (at most
:data:`astray.train.trainer.CHECKPOINT_EVERY_S` seconds of them).
A run whose worker raises or dies is retried once (on another worker where there is one), then
recorded as failed with its error, and the sweep goes on; :attr:`SweepOutcome.exit_code` is
then nonzero, so scripts can tell.

Nothing finished is ever overwritten by a failure or trained over:

- a run folder that holds a result of another configuration under the same run id (the run id
  names the grid point, not everything in the key: ``--subset stable --subset all`` and then
  ``--subset stable`` alone change the stable runs' test subsets) is a SweepError before any
  work, naming the run and the field; nothing in the folder is changed;
- a finished run whose continuation (more epochs) fails keeps its ``result.json``; the failure
  is written beside it, to ``failure.json``;
- a run folder or ``runs/`` that is a symbolic link is refused before any work, and every file
  is written atomically, replacing a planted link instead of writing through it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from astray.cluster import SlurmOptions, dask_client
from astray.errors import SweepError
from astray.jsonio import atomic_file, write_json_atomic
from astray.paths import folder_lock, writable_folder
from astray.scaling.grid import RunSpec, SweepGrid, validate
from astray.scaling.runner import ProbeReferences, execute_run, failed_result, read_result
from astray.store import Store
from astray.train.trainer import RESUMABLE_CHANGES, TrainConfig

#: Training options that may differ between the commands that fill one sweep folder: they do not
#: change what a finished run computed (``max_epochs`` and ``budget_minutes`` are in the run
#: key: raising them continues those runs from their last epoch).
CHANGEABLE_OPTIONS = ("max_epochs", "budget_minutes", "device", "threads")
#: Training fields whose change continues a finished run (the trainer resumes its last.pt) rather
#: than makes another one: the epoch limits, where and how fast it trains, and the tolerance
#: that judges convergence (it judges epochs, it does not compute them).
CONTINUING_FIELDS = (*RESUMABLE_CHANGES, "convergence_tolerance")
#: Where the failure of a run goes when its folder holds a finished result (a continuation with
#: more epochs that failed): beside it, never over it.
FAILURE_FILE = "failure.json"


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

    @property
    def exit_code(self) -> int:
        """The exit code of the command: 0 when no run failed, 1 when some did (their errors
        are in ``failed`` and in their folders; the sweep went on without them)."""
        return 1 if self.failed else 0


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
    if slurm is not None:
        slurm.check()  # SLURM asked before any work: a job it refuses is one line, not a hang
    out = Path(out)
    writable_folder(out, option="--out")
    with folder_lock(out, f"astray scale ({command or 'a sweep'})"):
        _check_run_folders(runs, out)
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
    status.running = min(len(futures), sum(client.nthreads().values()) or len(futures))
    status.message = ""
    notify(status)
    for future in as_completed(futures):
        spec = futures.pop(future)
        run_dir = out / "runs" / spec.run_id
        try:
            result = future.result()
        except Exception as error:  # recorded as a failed run; the sweep goes on
            message = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
            _record_failure(run_dir, failed_result(spec, message, command=command))
            outcome.failed[spec.run_id] = message
            status.failed += 1
            status.message = f"{spec.run_id} failed: {message}"
        else:
            (run_dir / FAILURE_FILE).unlink(missing_ok=True)  # an earlier attempt's, now stale
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


def _record_failure(run_dir: Path, failure: dict) -> None:
    """Write a failed run's record: its ``result.json``, unless that holds a finished result
    (then ``failure.json`` beside it: a failure never replaces finished numbers)."""
    path = run_dir / "result.json"
    if read_result(path).get("status") == "done":
        path = run_dir / FAILURE_FILE
    write_json_atomic(path, failure)


def _check_run_folders(runs: list[RunSpec], out: Path) -> None:
    """Refuse, before any work, run folders astray must not write into: a symbolic link (a
    copied or downloaded sweep folder may carry one) and a folder that holds a result of
    another configuration under the same run id (see the module's documentation)."""
    for folder in [out / "runs", *(out / "runs" / spec.run_id for spec in runs)]:
        if folder.is_symlink():
            raise SweepError(f"{folder} is a symbolic link: astray writes only into the sweep's "
                             "own folders; replace it with a folder or use another --out")
        if folder.exists() and not folder.is_dir():
            raise SweepError(f"{folder} is a file, not a run folder; move it aside or use "
                             "another --out")
    conflicts = []
    for spec in runs:
        run_dir = out / "runs" / spec.run_id
        has_checkpoint = any((run_dir / name).exists() for name in ("last.pt", "best.pt"))
        difference = _other_configuration(spec, read_result(run_dir / "result.json"),
                                          has_checkpoint=has_checkpoint)
        if difference is not None:
            conflicts.append((spec.run_id, difference))
    if conflicts:
        run_id, (name, before, now) = conflicts[0]
        more = f" (and {len(conflicts) - 1} more runs)" if len(conflicts) > 1 else ""
        raise SweepError(f"run {run_id} in {out} was made with another configuration ({name} "
                         f"{_shown(before)} there, {_shown(now)} now){more}; nothing was "
                         "changed: use another --out")


def _other_configuration(spec: RunSpec, result: dict, *,
                         has_checkpoint: bool) -> tuple[str, object, object] | None:
    """The first training field in which a run folder's ``result`` differs from ``spec``, as
    (name, value there, value now), where the difference must stop the sweep: the result is
    finished, or it failed beside a checkpoint (training there would stop on that checkpoint).
    None for the same run, for a change that continues it (``CONTINUING_FIELDS``: more
    epochs, another budget, device or threads; another astray version or probe), and for a
    folder with nothing to keep."""
    if result.get("key") == spec.key or not isinstance(result.get("training"), dict):
        return None
    if result.get("status") != "done" and not has_checkpoint:
        return None
    before = _compared_fields(result["training"])
    now = _compared_fields({**asdict(spec.config), "test_subsets": spec.config.test_subsets})
    for name in sorted(set(before) | set(now)):
        if before.get(name) != now.get(name):
            return name, before.get(name), now.get(name)
    return None


def _compared_fields(training: dict) -> dict:
    """Training fields as ``result.json`` holds them (through JSON: tuples become lists), a
    field the result lacks (added to astray after the run) at its default, the
    ``CONTINUING_FIELDS`` left out."""
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    merged = json.loads(json.dumps({**defaults, **training}, default=str))
    return {k: v for k, v in merged.items() if k not in CONTINUING_FIELDS}


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    return "none" if value is None else str(value)


def _claim_folder(out: Path, grid: SweepGrid, command: str) -> None:
    """Create ``out`` and write ``sweep.json``; refuse a folder of a sweep with other training
    options (its runs would share names with different numbers)."""
    from astray import __version__

    path = out / "sweep.json"
    described = grid.describe()
    commands = []
    if path.exists():
        from astray.scaling.summary import sweep_json_problem

        try:
            previous = json.loads(path.read_text())
        except (OSError, ValueError):
            previous = None
        problem = "not valid JSON" if previous is None else sweep_json_problem(previous)
        if problem is None and not isinstance(previous.get("grid"), dict):
            problem = "no grid"
        if problem is not None:
            raise SweepError(f"{path} is not a sweep.json of astray ({problem}); move it aside")
        before = previous["grid"]["training"]
        commands = list(previous.get("commands", []))
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
    result = read_result(run_dir / "result.json")
    if result.get("status") == "done" and result.get("key") == spec.key:
        return "skipped"
    stored = store.run(spec.key)
    if stored is None:
        return "pending"
    folder, result = Path(stored[0]), stored[1]
    if folder.resolve() == run_dir.resolve() or not (folder / result["checkpoint"]).is_file():
        return "pending"
    run_dir.mkdir(parents=True, exist_ok=True)
    # atomically, and replacing a link planted at the destination instead of writing through it
    with open(folder / result["checkpoint"], "rb") as source, \
            atomic_file(run_dir / result["checkpoint"]) as copy:
        shutil.copyfileobj(source, copy, length=1 << 20)
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
