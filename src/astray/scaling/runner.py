"""One run of a sweep, as a worker executes it: train, score, probe, write ``result.json``.

The run trains with :func:`astray.train.trainer.train` (the study's recipe; resumable from the
run folder's ``last.pt``), is scored on the fixed test set of every test subset of the sweep,
and its best checkpoint is put on the diatomic probe (H2, H2+, H2++) against the exact
references and the data set's own level of theory. The references are computed once by the
process that plans the sweep and handed to every run, so workers never compute or store a
reference (they may run on machines that do not share ``$ASTRAY_HOME``).

A Delta-model (a run with a baseline) is probed as baseline + correction (what
``checkpoint:PATH`` evaluates), and the baseline alone is probed on the same grid and references
(``baseline_probe``), so the findings can say whether the correction helped or hurt. Its
baseline energies are read from ``$ASTRAY_HOME`` (``astray scale`` computes them on Dask before
the runs start); a worker that finds none computes them itself, in its own process.

``result.json`` is written atomically, last: a run folder holds a result or does not, never
half of one. It records the wall-clock seconds of each phase of the run (``timings``,
:data:`astray.scaling.records.RUN_PHASES`): what a sweep spends outside its epochs.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from astray.curve import Curve
from astray.jsonio import write_json_atomic
from astray.scaling.grid import RunSpec
from astray.scaling.records import RUN_SCHEMA, RunProbe, RunResult

RESULT_SCHEMA = RUN_SCHEMA


@dataclass(frozen=True)
class ProbeReferences:
    """What a run's probe is compared with, per system: the best reference and the data set's
    level of theory on the same grid (None where astray cannot compute it)."""

    reference: dict[str, Curve]
    level_of_theory: dict[str, Curve | None]


def read_result(path: Path) -> dict:
    """The ``result.json`` at ``path``, or {} where there is none that can be read."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return result if isinstance(result, dict) else {}


def execute_run(spec: RunSpec, run_dir: str | Path, references: ProbeReferences, *,
                device: str = "cpu", command: str = "") -> dict:
    """Train, score and probe one run in ``run_dir``; write and return its result.

    ``device`` is where this worker trains (``cpu``, ``cuda`` or ``cuda:N``; ``cuda`` picks the
    worker's share of the visible GPUs). Raises whatever the training raises: the sweep records
    the failure.
    """
    started = time.perf_counter()
    from astray.potentials.checkpoint import CheckpointPotential
    from astray.train.trainer import timed, train

    seconds = {"imports": time.perf_counter() - started}
    run_dir = Path(run_dir)
    finished = read_result(run_dir / "result.json")
    # Dask runs a task again when its worker is lost after the task wrote result.json (a SLURM
    # job cancelled before the result reached the client): the finished result stands as it is
    if finished.get("status") == "done" and finished.get("key") == spec.key:
        return finished
    config = replace(spec.config, device=_worker_device(device))
    outcome = train(config, run_dir)
    seconds.update(outcome.timings)
    with timed(seconds, "probe"):
        potential = CheckpointPotential(str(run_dir / "best.pt"))
        probes = _probes(potential, spec, references, run_dir / "result.json", "probe")
        baseline_probes = ({} if potential.baseline is None else _probes(
            potential.baseline, spec, references, run_dir / "result.json", "baseline_probe"))
    with timed(seconds, "write"):
        result = _record(spec, config, outcome, potential, probes, baseline_probes, command)
    # the clock stops here: serialising and writing the record itself take milliseconds
    seconds["total"] = time.perf_counter() - started
    record = replace(result, timings={k: round(v, 3) for k, v in seconds.items()}).to_dict()
    write_json_atomic(run_dir / "result.json", record)
    return record


def _probes(potential, spec: RunSpec, references: ProbeReferences, where: Path,
            field: str) -> dict[str, RunProbe]:
    """The probe of ``potential`` on every system of the run, as typed records (``field``:
    where they go in ``result.json``, for errors)."""
    from astray.probes.curves import probe_curve
    from astray.systems import get_system

    probes = {}
    for name in spec.probe_systems:
        record = probe_curve(potential, get_system(name), references.reference[name],
                             references.level_of_theory.get(name)).to_json()
        # the record of curves.json read back as the run's typed probe: one contract for both
        probes[name] = RunProbe.from_dict(record, str(where), f"{field}.{name}.")
    return probes


def _record(spec: RunSpec, config, outcome, potential, probes: dict, baseline_probes: dict,
            command: str) -> RunResult:
    """The finished run's record (``timings`` are added by the caller)."""
    c = spec.config
    summary = outcome.summary()
    return RunResult(
        run_id=spec.run_id, status="done", key=spec.key,
        dataset=potential.metadata.get("dataset"),
        level_of_theory=potential.metadata.get("level_of_theory"),
        subset=c.subset, model=c.model, hidden=c.hidden, interactions=c.interactions,
        prior=c.prior, n_train=c.n_train, n_train_used=outcome.n_train,
        n_params=outcome.n_params, seed=c.seed,
        data_seed=c.data_seed, baseline=c.baseline, baseline_probe=baseline_probes,
        epochs=outcome.epochs, stopped_by=outcome.stopped_by,
        converged=outcome.converged, convergence=outcome.convergence,
        recipe_deviations=tuple(outcome.recipe_deviations),
        energy_convention=potential.energy_convention,
        train_seconds=round(outcome.train_seconds, 2),
        train_molecules_per_s=round(outcome.train_molecules_per_s, 1),
        val_mae_kcal_mol=summary["val_mae_kcal_mol"],
        test_mae_kcal_mol=summary["test_mae_by_subset"], probe=probes,
        pair_distances_angstrom=outcome.pair_distances_angstrom,
        training={**asdict(c), "test_subsets": list(c.test_subsets)},
        checkpoint="best.pt", device=config.device, command=command,
        astray_version=_version(), created=_now())


def failed_result(spec: RunSpec, error: str, *, command: str = "") -> dict:
    """The ``result.json`` of a run that failed twice: its configuration and the error."""
    c = spec.config
    return RunResult(
        run_id=spec.run_id, status="failed", key=spec.key, error=error, dataset=c.dataset,
        subset=c.subset, model=c.model, hidden=c.hidden, interactions=c.interactions,
        prior=c.prior, n_train=c.n_train, seed=c.seed, data_seed=c.data_seed,
        baseline=c.baseline, training={**asdict(c), "test_subsets": list(c.test_subsets)}, command=command,
        astray_version=_version(), created=_now()).to_dict()


def _worker_device(device: str) -> str:
    """``cuda`` becomes this worker's GPU: workers share the visible GPUs round-robin by their
    number (``--runs-per-gpu K`` starts K workers per GPU)."""
    if device != "cuda":
        return device
    import re

    import torch
    from dask.distributed import get_worker

    try:
        name = str(get_worker().name)
    except ValueError:  # not inside a Dask worker (a direct call)
        return "cuda:0"
    digits = re.findall(r"\d+", name)
    return f"cuda:{int(digits[-1]) % max(torch.cuda.device_count(), 1) if digits else 0}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version() -> str:
    from astray import __version__

    return __version__
