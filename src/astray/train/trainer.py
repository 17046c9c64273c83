"""The trainer: the study's recipe by default, resumable, with a wall-clock budget.

Recipe (Lee & Dieng, see PAPER.md): target the atomization energy in units of 25 kcal/mol, AdamW
at 5e-4, batch 50, gradient-norm clip 1000, 10 linear warm-up epochs, then ReduceLROnPlateau
(factor 0.5, patience 20) on the validation loss, early stopping after 50 epochs without
improvement, at most 1000 epochs, the best model by validation loss kept. MSE on energies; with
``force_weight`` > 0 and forces in the data set, plus that weight times the MSE of the forces.

Everything needed to continue (model, optimizer, scheduler, shuffling generator, history) is
written to ``OUT/last.pt`` every :data:`CHECKPOINT_EVERY_S` seconds and when the epochs end, so
a killed run resumed with the same command gives the same model as an uninterrupted one.
``OUT/best.pt``, written with it, is the checkpoint of the best epoch.

With a baseline (``baseline``, Delta-learning; :mod:`astray.data.baselines`) the model learns
A_data - A_baseline, each side an atomization energy against its own isolated atoms
(A_baseline(M) = E_baseline(M) - sum_a E_baseline(isolated neutral atom a in its ground state)),
and forces F_data - F_baseline where it trains on forces. Structures where the baseline failed
are left out of every part of the split (counted: ``baseline_excluded``). Every reported error
is of baseline + model against the data's own atomization energies, not of the model against
the residual. The checkpoint records the baseline (spec, version, isolated atoms), and
``checkpoint:PATH`` evaluates baseline + model.

Every run says whether it converged (:func:`judge_convergence`), from the validation losses of
the history kept in ``last.pt``: a resumed run is judged on all its epochs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from astray.data.coverage import pair_distance_ranges
from astray.data.dataset import Dataset, open_dataset
from astray.errors import CheckpointError, ModelError
from astray.jsonio import atomic_file
from astray.models.checkpoint import load_model, read_checkpoint
from astray.potentials.families.common import torch_threads
from astray.train.checkpoint import count_parameters, finite_or_none, save_checkpoint
from astray.train.config import (  # noqa: F401  (astray.train.trainer API)
    DEFAULT_CONVERGENCE_TOLERANCE,
    LATER_FIELDS,
    RESUMABLE_CHANGES,
    SINGLE_THREAD_MAX_CHANNELS,
    STUDY_RECIPE,
    TrainConfig,
    model_config,
    recipe_deviations,
)
from astray.train.parts import Part, evaluate
from astray.train.splits import plan_split, test_sets  # noqa: F401  (astray.train.trainer API)
from astray.train.step import PaddedForward, training_step

#: Seconds of epochs between two writes of last.pt (and best.pt). After every epoch the writes
#: were 26% of a demo run's wall time in a sweep's worker (SchNet 16x3, 50 molecules, 500
#: epochs, median of 3: benchmarks/run_overhead.py --compare), every 10 s 0.3%. A run killed
#: outright loses at most this much training.
CHECKPOINT_EVERY_S = 10.0


@dataclass
class TrainResult:
    """The outcome of a run (MAE in kcal/mol on atomization energies)."""

    n_train: int
    n_params: int
    test_mae_kcal_mol: float | None
    val_mae_kcal_mol: float | None
    epochs: int
    train_molecules_per_s: float
    checkpoint: str
    stopped_by: str
    history: list[dict] = field(default_factory=list, repr=False)
    #: MAE (kcal/mol) on the fixed test set of the training subset and of each ``test_subsets``.
    test_mae_by_subset: dict[str, float] = field(default_factory=dict)
    train_seconds: float = 0.0  # wall-clock seconds of the whole run (epochs and validation)
    #: Whether the run converged (see :func:`judge_convergence`) and one sentence saying why.
    converged: bool = False
    convergence: str = ""
    #: Shortest and longest distance (angstrom) of each element pair in the training set
    #: (:func:`astray.data.coverage.pair_distance_ranges`): where the model saw data.
    pair_distances_angstrom: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Departures from the study's training recipe (TrainConfig.recipe_deviations).
    recipe_deviations: list[str] = field(default_factory=list)
    #: The baseline (spec, version, isolated atoms, failures) of a Delta-model; None without.
    baseline: dict | None = None
    #: Structures of the split left out because the baseline failed on them.
    baseline_excluded: int = 0
    #: Wall-clock seconds of each phase of this call (:func:`timed`): load_data,
    #: build_model, train_epochs (steps and validation), checkpoints (writing last.pt and
    #: best.pt during the epochs), test (the best model on every test set, the final best.pt).
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """The JSON that ``astray train --json`` prints."""
        return {"n_train": self.n_train, "n_params": self.n_params,
                "test_mae_kcal_mol": finite_or_none(self.test_mae_kcal_mol),
                "test_mae_by_subset": {k: finite_or_none(v)
                                       for k, v in self.test_mae_by_subset.items()},
                "val_mae_kcal_mol": finite_or_none(self.val_mae_kcal_mol),
                "epochs": self.epochs, "train_molecules_per_s": round(self.train_molecules_per_s, 1),
                "checkpoint": self.checkpoint, "stopped_by": self.stopped_by,
                "converged": self.converged, "convergence": self.convergence,
                "pair_distances_angstrom": {pair: [float(low), float(high)] for pair, (low, high)
                                            in self.pair_distances_angstrom.items()},
                "recipe_deviations": list(self.recipe_deviations),
                "baseline": None if self.baseline is None else {
                    "spec": self.baseline["spec"], "version": self.baseline["version"],
                    "excluded_structures": self.baseline_excluded}}


def judge_convergence(val_losses, stopped_by: str, config: TrainConfig) -> tuple[bool, str]:
    """Whether a run converged, and one sentence why.

    ``val_losses``: every epoch's validation loss (non-finite: no improvement). Early stopping
    is convergence by the recipe's rule; a run cut by ``max-epochs`` or the ``budget``
    converged when its best validation loss fell by less than ``convergence_tolerance``
    (relative) over its last ``plateau_patience`` epochs (too few epochs: not converged).
    """
    if stopped_by == "early-stopping":
        return True, (f"early stopping: no validation improvement in {config.early_stopping} "
                      "epochs")
    losses = np.asarray([v if v is not None else np.nan for v in val_losses], dtype=float)
    losses = np.where(np.isfinite(losses), losses, np.inf)
    window, epochs = config.plateau_patience, len(losses)
    how = (f"stopped at max-epochs {config.max_epochs}" if stopped_by == "max-epochs"
           else f"stopped by the {config.budget_minutes:g}-minute budget at epoch {epochs}")
    if epochs <= window:
        return False, (f"not converged: {how}; too few epochs ({epochs}) to judge the fall of "
                       f"the validation loss over {window} (--plateau-patience)")
    before, best = losses[:-window].min(), losses.min()
    # from no finite loss before the window to a finite one in it: a fall of 100%
    fall = 1.0 if before == math.inf else (before - best) / before if before > 0 else 0.0
    tolerance = f"tolerance {100 * config.convergence_tolerance:g}%"
    if fall < config.convergence_tolerance:
        return True, (f"converged: {how}; the best validation loss fell {fall:.1%} over the "
                      f"last {window} epochs ({tolerance})")
    return False, (f"not converged: {how} while the best validation loss still fell "
                   f"{fall:.1%} over the last {window} epochs ({tolerance})")


def train(config: TrainConfig, out: str | Path, *, on_epoch=None,
          baseline_workers: int = 0) -> TrainResult:
    """Train (or resume) a model; writes ``out/last.pt`` every epoch and ``out/best.pt``.

    ``on_epoch(record)`` is called after each epoch with that epoch's history record. Before
    any work: a --device torch cannot use, --n-val 0 (the plateau, early stopping and the best
    model are all chosen on the validation set), an ``out`` that cannot be written and one that
    another run holds (a lock the kernel drops when that process ends) are one-line errors.
    ``baseline_workers``: Dask workers for a baseline pass not yet kept (0: in this process).
    """
    from astray.paths import folder_lock, writable_folder

    try:
        device_type = torch.device(config.device).type
    except RuntimeError:
        device_type = None
    if device_type not in ("cpu", "cuda"):
        raise ModelError(f"--device {config.device!r}: use cpu, cuda or cuda:N")
    with folder_lock(writable_folder(out), "astray train"):
        config.check_against(open_dataset(config.dataset))  # one line before any epoch
        return _train_in(config, Path(out), on_epoch, baseline_workers)


@contextmanager
def timed(seconds: dict[str, float], phase: str) -> Iterator[None]:
    """Add the wall-clock seconds (``time.perf_counter``) of the block to ``seconds[phase]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - start


@contextmanager
def process_settings(config: TrainConfig) -> Iterator[None]:
    """torch's intra-op threads at ``config.cpu_threads()`` and its global random generator
    seeded with ``config.seed`` for the duration; both are restored afterwards, so a process
    that trains (a sweep's worker runs many runs) keeps its own settings."""
    device = torch.device(config.device)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch_threads(config.cpu_threads()), torch.random.fork_rng(devices=cuda):
        torch.manual_seed(config.seed)
        yield


@dataclass
class _Run:
    """What the epochs change: the model, its optimizer and schedule, the shuffling generator,
    the state kept in ``last.pt``, the step and the (CUDA) evaluation."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    plateau: torch.optim.lr_scheduler.ReduceLROnPlateau
    shuffle: torch.Generator
    state: dict
    step: object
    forward: PaddedForward | None


class _Weights:
    """A copy of the weights of the best epoch, for :func:`save_checkpoint` with last.pt."""

    def __init__(self, model: nn.Module, metrics: dict):
        self.config, self.metrics = model.config, metrics
        self._state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def state_dict(self) -> dict:
        return self._state


def _train_in(config: TrainConfig, out: Path, on_epoch, baseline_workers: int = 0
              ) -> TrainResult:
    from astray.models import build_model

    seconds: dict[str, float] = {}
    with timed(seconds, "load_data"):
        dataset = open_dataset(config.dataset)
        parts, split, baseline, excluded = _load_parts(dataset, config, baseline_workers)
        coverage = pair_distance_ranges(dataset, split.train)
    metadata = {"dataset": dataset.name, "level_of_theory": dataset.level_of_theory,
                "level_of_theory_reference": level_of_theory_method(dataset),
                "target": "atomization_energy", "subset": config.subset,
                "split_seed": config.split_seed, "data_seed": config.data_seed,
                "n_train": len(parts["train"]), "training": asdict(config),
                "code_version": _version()}
    if baseline is not None:  # checkpoint:PATH then evaluates baseline + model
        metadata["baseline"] = {**baseline.record(), "excluded_structures": excluded}
        metadata["model_target"] = ("atomization_energy - baseline atomization_energy "
                                    "(each against its own isolated atoms)")
    with process_settings(config):
        with timed(seconds, "build_model"):
            model = build_model(model_config(config)).to(config.device)
            # the fused kernel applies the same AdamW update in one pass over the parameters
            optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate,
                                          fused=True)
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, factor=config.plateau_factor, patience=config.plateau_patience)
            shuffle = torch.Generator().manual_seed(config.seed)
            state = {"epoch": 0, "best_val": float("inf"), "since_best": 0, "history": [],
                     "seconds": 0.0, "train_seconds": 0.0, "molecules": 0}
            if (out / "last.pt").exists():
                state.update(_resume(out / "last.pt", config, model, optimizer, plateau,
                                     shuffle))
            # On CUDA (SchNet, PaiNN): padded batches, each step and evaluation a CUDA graph
            step, forward = training_step(model, optimizer, gradient_clip=config.gradient_clip,
                                          force_weight=config.force_weight,
                                          cutoff=config.cutoff, molecule_slots=config.batch_size)
        run = _Run(model, optimizer, plateau, shuffle, state, step, forward)
        stopped_by = _epochs(config, out, parts, run, metadata, on_epoch, seconds)
        with timed(seconds, "test"):
            result = _finish(out, parts, metadata, state, stopped_by, config, coverage)
    result.timings = seconds
    return result


def _load_parts(dataset: Dataset, config: TrainConfig, baseline_workers: int):
    """(the packed parts of the split, the split, the baseline or None, structures the
    baseline failed on)."""
    split, tests = plan_split(dataset, config)
    with_forces = config.force_weight > 0 and dataset.forces is not None
    baseline, excluded = None, 0
    if config.baseline is not None:
        from astray.data.baselines import baseline_energies

        baseline = baseline_energies(dataset, config.baseline, forces=with_forces,
                                     workers=baseline_workers)
        # the same split as without a baseline, less the structures the baseline failed on
        kept = {name: _computed(getattr(split, name), baseline)
                for name in ("train", "val", "test")}
        excluded = sum(len(getattr(split, name)) - len(kept[name]) for name in kept)
        split = replace(split, **kept)
        tests = {subset: _computed(indices, baseline) for subset, indices in tests.items()}
    parts = {name: Part(dataset, getattr(split, name), config, with_forces, baseline)
             for name in ("train", "val", "test")}
    parts.update({f"test:{subset}": Part(dataset, indices, config, False, baseline)
                  for subset, indices in tests.items() if subset != config.subset})
    return parts, split, baseline, excluded


def _epochs(config: TrainConfig, out: Path, parts: dict, run: _Run, metadata: dict, on_epoch,
            seconds: dict[str, float]) -> str:
    """Train epoch after epoch until a stopping rule; returns which one stopped it.

    ``last.pt`` (and ``best.pt`` where the best epoch changed) is written every
    :data:`CHECKPOINT_EVERY_S` seconds, when the epochs end, and when ``on_epoch`` raises (or
    the process is interrupted) between two epochs; never half-way through one, where the
    weights and the epoch count would disagree."""
    state = run.state
    started = time.perf_counter() - state["seconds"]
    saved_at, best = time.perf_counter(), None
    stopped_by, whole, unsaved = "max-epochs", True, False
    try:
        while state["epoch"] < config.max_epochs:
            if state["since_best"] >= config.early_stopping:
                stopped_by = "early-stopping"
                break
            if config.budget_minutes is not None and (
                    time.perf_counter() - started) > 60 * config.budget_minutes:
                stopped_by = "budget"
                break
            whole = False
            with timed(seconds, "train_epochs"):
                record = _epoch(config, parts, run)
                if state["since_best"] == 0:  # this epoch is the best so far
                    best = _Weights(run.model, {"epoch": record["epoch"],
                                                "val_mae_kcal_mol": record["val_mae_kcal_mol"]})
            state["seconds"], unsaved = time.perf_counter() - started, True
            if time.perf_counter() - saved_at >= CHECKPOINT_EVERY_S:
                with timed(seconds, "checkpoints"):
                    _write_checkpoints(out, config, run, best, metadata)
                saved_at, best, unsaved = time.perf_counter(), None, False
            whole = True
            if on_epoch:
                on_epoch(record)
    finally:
        if whole and unsaved:
            with timed(seconds, "checkpoints"):
                _write_checkpoints(out, config, run, best, metadata)
    if stopped_by == "max-epochs" and state["since_best"] >= config.early_stopping:
        stopped_by = "early-stopping"  # the last epoch allowed was also the last one waited for
    return stopped_by


def _epoch(config: TrainConfig, parts: dict, run: _Run) -> dict:
    """One epoch: the training steps, the validation, the schedule; returns its record."""
    state, optimizer, training = run.state, run.optimizer, parts["train"]
    epoch = state["epoch"]
    if epoch < config.warmup_epochs:
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * (epoch + 1) / config.warmup_epochs
    run.model.train()
    tick = time.perf_counter()
    with_forces = training.has_forces
    # Summed on the device in float64, as Python floats would be; read once per epoch
    # (reading every step's loss would make the host wait for each step on a GPU).
    loss_sum = torch.zeros((), dtype=torch.float64, device=training.graphs.z.device)
    for batch in training.graphs.batches(config.batch_size, shuffle=True,
                                         generator=run.shuffle):
        loss = run.step(batch, training.targets(batch.index),
                        training.forces(batch.index) if with_forces else None)
        loss_sum += loss.double() * len(batch)
    train_loss = float(loss_sum)
    state["train_seconds"] += time.perf_counter() - tick
    state["molecules"] += len(training)
    val_loss, val_mae = (evaluate(run.model, parts["val"]) if run.forward is None
                         else evaluate(run.model, parts["val"], forward=run.forward))
    if epoch >= config.warmup_epochs:
        run.plateau.step(val_loss)
    record = {"epoch": epoch + 1, "train_loss": train_loss / len(training),
              "val_loss": val_loss, "val_mae_kcal_mol": val_mae,
              "lr": optimizer.param_groups[0]["lr"]}
    state["history"].append(record)
    state["epoch"] = epoch + 1
    if val_loss < state["best_val"]:
        state["best_val"], state["since_best"] = val_loss, 0
    else:
        state["since_best"] += 1
    return record


def _write_checkpoints(out: Path, config: TrainConfig, run: _Run, best: _Weights | None,
                       metadata: dict) -> None:
    """``best.pt`` when the best epoch changed since the last write, then ``last.pt``: a run
    killed between the two resumes from the older ``last.pt`` and finds that best again."""
    if best is not None:
        save_checkpoint(out / "best.pt", best, **metadata, metrics=best.metrics)
    _save_state(out / "last.pt", config, run.model, run.optimizer, run.plateau, run.shuffle,
                run.state)


def _finish(out: Path, parts: dict, metadata: dict, state: dict, stopped_by: str,
            config: TrainConfig, coverage: dict) -> TrainResult:
    """Test the best model, write its final checkpoint, and summarise the run."""

    if not (out / "best.pt").exists():
        raise ModelError(f"no epoch of {out} reached a finite validation loss (the training "
                         "diverged or ran no epoch); lower --lr or raise --max-epochs")
    best, _ = load_model(out / "best.pt")
    best = best.to(parts["train"].graphs.z.device)
    _, val_mae = evaluate(best, parts["val"])
    _, test_mae = evaluate(best, parts["test"]) if len(parts["test"]) else (None, float("nan"))
    by_subset = {metadata["subset"]: test_mae}
    by_subset.update({name.split(":", 1)[1]: evaluate(best, part)[1]
                      for name, part in parts.items() if name.startswith("test:")})
    throughput = state["molecules"] / state["train_seconds"] if state["train_seconds"] else 0.0
    history = state.get("history", [])
    converged, convergence = judge_convergence([r.get("val_loss") for r in history], stopped_by,
                                               config)
    result = TrainResult(n_train=len(parts["train"]), n_params=count_parameters(best),
                         test_mae_kcal_mol=test_mae, val_mae_kcal_mol=val_mae,
                         epochs=state["epoch"], train_molecules_per_s=throughput,
                         checkpoint=str(out / "best.pt"), stopped_by=stopped_by,
                         history=history, test_mae_by_subset=by_subset,
                         train_seconds=state["seconds"], converged=converged,
                         convergence=convergence, pair_distances_angstrom=coverage,
                         recipe_deviations=config.recipe_deviations(),
                         baseline=metadata.get("baseline"),
                         baseline_excluded=(metadata.get("baseline") or {}).get(
                             "excluded_structures", 0))
    save_checkpoint(out / "best.pt", best, **metadata, metrics=result.summary())
    return result


def _computed(indices: np.ndarray, baseline) -> np.ndarray:
    """``indices`` less the structures the baseline failed on."""
    indices = np.asarray(indices)
    return indices[~baseline.failed[indices]]


def _save_state(path: Path, config, model, optimizer, plateau, shuffle, state) -> None:
    with atomic_file(path) as handle:  # atomic, and never through a planted link
        torch.save({"identity": config.identity(), "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "plateau": plateau.state_dict(),
                    "shuffle": shuffle.get_state(), "state": state}, handle)


def _resume(path: Path, config, model, optimizer, plateau, shuffle) -> dict:
    saved = read_checkpoint(path)
    # convergence_tolerance judges epochs, it computes none: it may change. An older last.pt
    # has LATER_FIELDS at their defaults, and the caller's defaults fill any state it lacks
    before, now = ({**LATER_FIELDS, **identity, "convergence_tolerance": None}
                   for identity in (saved.get("identity") or {}, config.identity()))
    if before != now:
        raise CheckpointError(f"{path} belongs to a run with another configuration; use "
                              "another --out or delete it")
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    plateau.load_state_dict(saved["plateau"])
    shuffle.set_state(saved["shuffle"])
    return saved["state"]


def level_of_theory_method(dataset: Dataset) -> str | None:
    """The astray reference method that recomputes the data set's level of theory on a curve:
    the canonical spelling of what its metadata states (``dft:b3lyp/6-31g`` for the default
    set, ``hf/6-31g`` for a Hartree-Fock one), so probes can split model from functional
    error; None where no reference method computes it (GFN2-xTB, data of unknown method)."""
    from astray.level_of_theory import LevelOfTheory

    level = LevelOfTheory.from_data_set(dataset.level_of_theory)
    return None if level is None or level.semi_empirical else level.canonical


def _version() -> str:
    from astray import __version__

    return __version__
