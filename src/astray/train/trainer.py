"""The trainer: the study's recipe by default, resumable, with a wall-clock budget.

Recipe (Lee & Dieng, see PAPER.md): target the atomization energy in units of 25 kcal/mol, AdamW
at 5e-4, batch 50, gradient-norm clip 1000, 10 linear warm-up epochs, then ReduceLROnPlateau
(factor 0.5, patience 20) on the validation loss, early stopping after 50 epochs without
improvement, at most 1000 epochs, the best model by validation loss kept. MSE on energies; with
``force_weight`` > 0 and forces in the data set, plus that weight times the MSE of the forces.

Everything needed to continue is written to ``OUT/last.pt`` after every epoch (model, optimizer,
scheduler, shuffling generator, history), so a killed run resumed with the same command gives
the same model as an uninterrupted one. ``OUT/best.pt`` is the checkpoint of the best epoch.

Every run says whether it converged (:func:`judge_convergence`), from the validation losses of
the history kept in ``last.pt``: a resumed run is judged on all its epochs.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from astray.data.coverage import pair_distance_ranges
from astray.data.dataset import Dataset, open_dataset
from astray.errors import CheckpointError, DatasetError, ModelError
from astray.jsonio import atomic_file
from astray.models import ARCHITECTURES
from astray.train.batching import PackedGraphs, concatenated_ranges
from astray.train.checkpoint import (
    count_parameters,
    finite_or_none,
    read_checkpoint,
    save_checkpoint,
)
from astray.train.splits import plan_split, test_sets  # noqa: F401  (astray.train.trainer API)
from astray.train.step import PaddedForward, training_step
from astray.units import EV_KCAL_MOL, KCAL_MOL_EV

#: Settings that may change when a run is resumed (they do not change what an epoch computes).
RESUMABLE_CHANGES = ("max_epochs", "budget_minutes", "device", "threads")
#: Up to this width one CPU thread trains faster than two: the operations are too small to
#: share (benchmarks/train_throughput.py on the default set, 2-core machine: SchNet 64x3 trains
#: at 6,685 molecules/s on 1 thread against 2,412 on 2; at 500x3, 2 threads win, 555 vs 398).
SINGLE_THREAD_MAX_CHANNELS = 128
#: The study's training recipe (PAPER.md) by TrainConfig field, with the option that changes it:
#: a run that departs from it lists the departures (TrainConfig.recipe_deviations).
STUDY_RECIPE = {
    "learning_rate": ("--lr", 5e-4), "batch_size": ("--batch-size", 50),
    "warmup_epochs": ("warm-up epochs", 10), "plateau_factor": ("plateau factor", 0.5),
    "plateau_patience": ("--plateau-patience", 20), "early_stopping": ("--patience", 50),
    "max_epochs": ("--max-epochs", 1000), "gradient_clip": ("gradient clip", 1000.0),
    "target_unit_kcal_mol": ("target unit kcal/mol", 25.0), "force_weight": ("--force-weight", 0)}
#: A run cut short (max-epochs, budget) counts as converged when its best validation loss fell by
#: less than this fraction over its last ``plateau_patience`` epochs. Why 1%: what such a run
#: could still gain is below the seed-to-seed scatter. Measured (``default``, stable, N = 200,
#: 200 validation, SchNet 32x3, 600 epochs, seeds 0-2; none early-stopped): test MAE 12.6, 13.9,
#: 11.7 kcal/mol (SD 9%); from the first epoch the 1% rule held (380, 463, 378) to epoch 600 the
#: best validation MAE fell 5.5, 5.4, 6.6% more. A 2% rule left 10-16% (more than the scatter),
#: a 0.5% rule 0.4-3.6% but held 40-140 epochs later.
DEFAULT_CONVERGENCE_TOLERANCE = 0.01
#: Fields added after runs were first saved, with their defaults: identity() leaves them out
#: at these values, so the keys of earlier runs and their last.pt files stay valid.
LATER_FIELDS = {"data_seed": None, "convergence_tolerance": DEFAULT_CONVERGENCE_TOLERANCE}


@dataclass(frozen=True)
class TrainConfig:
    """A training run: data, model, split and recipe (defaults: the study's)."""

    dataset: str = "default"
    subset: str = "stable"
    model: str = "schnet"
    hidden: int = 128
    interactions: int = 3
    cutoff: float = 5.0
    prior: bool = False
    n_train: int = 1000
    n_val: int = 1000
    n_test: int = 1000
    split_seed: int = 21
    seed: int = 0
    #: None: the nested split of ``split_seed`` (``seed`` varies weights and shuffling only); an
    #: integer: training and validation sets drawn per N with it, as the study did (splits.py).
    data_seed: int | None = None
    batch_size: int = 50
    learning_rate: float = 5e-4
    warmup_epochs: int = 10
    plateau_factor: float = 0.5
    plateau_patience: int = 20
    early_stopping: int = 50
    #: Converged if cut short while the best validation loss fell less than this (relative)
    #: over the last ``plateau_patience`` epochs; why 1%: DEFAULT_CONVERGENCE_TOLERANCE.
    convergence_tolerance: float = DEFAULT_CONVERGENCE_TOLERANCE
    max_epochs: int = 1000
    gradient_clip: float = 1000.0
    target_unit_kcal_mol: float = 25.0
    force_weight: float = 0.0
    budget_minutes: float | None = None
    device: str = "cpu"
    threads: int | None = None
    #: Other subsets whose fixed test sets (same seed and size as this run's) are held out of
    #: the training and validation sets and scored at the end: out-of-distribution error.
    test_subsets: tuple[str, ...] = ()

    def __post_init__(self):
        if self.model not in ARCHITECTURES:
            raise ModelError(f"unknown model {self.model!r}; choose {' or '.join(ARCHITECTURES)}")
        if min(self.hidden, self.interactions, self.batch_size, self.n_train,
               1 if self.threads is None else self.threads) < 1:
            raise ModelError("--hidden, --interactions, --batch-size, --n-train and --threads "
                             "must be >= 1")
        if not self.learning_rate > 0 or not math.isfinite(self.learning_rate):
            raise ModelError(f"--lr must be a positive number, got {self.learning_rate}")
        if not self.cutoff > 0 or not math.isfinite(self.cutoff):
            raise ModelError(f"--cutoff must be a positive number of angstrom, got {self.cutoff}")
        if not self.force_weight >= 0 or not math.isfinite(self.force_weight):
            raise ModelError(f"--force-weight must be 0 or more, got {self.force_weight}")
        self._check_recipe()
        # an error, not a note: the user asked for a force term, and a model trained without
        # it is another model (checked here, before any folder is locked or epoch run)
        if self.force_weight > 0 and open_dataset(self.dataset).forces is None:
            raise DatasetError(f"--force-weight {self.force_weight}: data set {self.dataset!r} "
                               "has no forces; use --force-weight 0 or a data set with forces")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError("--device cuda: no CUDA device is available to torch here")

    def _check_recipe(self) -> None:
        """One-line errors, before any work, for limits and seeds no run can use."""
        # --n-val >= 1: the validation set chooses the best model
        for option, value, least in (
                ("--n-val", self.n_val, 1), ("--max-epochs", self.max_epochs, 1),
                ("--patience", self.early_stopping, 1),
                ("--plateau-patience", self.plateau_patience, 1), ("--n-test", self.n_test, 0),
                ("warm-up epochs", self.warmup_epochs, 0), ("--split-seed", self.split_seed, 0),
                ("--seed", self.seed, 0), ("--data-seed", self.data_seed, 0)):
            if value is not None and value < least:
                raise ModelError(f"{option} must be >= {least}, got {value}")
        if self.budget_minutes is not None and not 0 < self.budget_minutes < math.inf:
            raise ModelError(f"--budget-minutes must be a positive number, got "
                             f"{self.budget_minutes}")
        if not 0 <= self.convergence_tolerance < math.inf:
            raise ModelError(f"--convergence-tolerance must be 0 or more, got "
                             f"{self.convergence_tolerance}")

    def recipe_deviations(self) -> list[str]:
        """Where this run departs from the study's training recipe (:func:`recipe_deviations`)."""
        return recipe_deviations(asdict(self))

    def cpu_threads(self) -> int:
        """Intra-op CPU threads: ``threads`` if given, else 1 for narrow models and every
        available core for wide ones (see SINGLE_THREAD_MAX_CHANNELS)."""
        if self.threads is not None:
            return self.threads
        return 1 if self.hidden <= SINGLE_THREAD_MAX_CHANNELS else torch.get_num_threads()

    @property
    def energy_unit_ev(self) -> float:
        """eV per model output unit (the study's 25 kcal/mol)."""
        return self.target_unit_kcal_mol * KCAL_MOL_EV

    def identity(self) -> dict:
        """What determines the run's numbers (the key of a sweep's run; what must match for a
        run to be resumed, less ``convergence_tolerance``, which judges epochs, not computes
        them). LATER_FIELDS at their defaults are left out, so identities of earlier runs hold."""
        return {k: v for k, v in asdict(self).items() if k not in RESUMABLE_CHANGES
                and not (k in LATER_FIELDS and v == LATER_FIELDS[k])}


def recipe_deviations(settings: dict) -> list[str]:
    """Where ``settings`` (TrainConfig fields; those left out are the recipe's) depart from the
    study's training recipe, one phrase each: ``["--patience 30 (the study: 50)"]``."""
    return [f"{option} {settings[name]:g} (the study: {value:g})"
            for name, (option, value) in STUDY_RECIPE.items()
            if settings.get(name, value) != value]


def model_config(config: TrainConfig) -> dict:
    """The ``model.config`` of the architecture a training configuration asks for."""
    if config.model == "schnet":
        base = {"architecture": "schnet", "hidden_channels": config.hidden,
                "num_filters": config.hidden, "num_interactions": config.interactions,
                "num_gaussians": 50, "cutoff": config.cutoff, "readout": "add",
                "energy_unit_ev": config.energy_unit_ev}
    else:
        base = {"architecture": "painn", "hidden_channels": config.hidden,
                "num_interactions": config.interactions, "num_rbf": 20, "cutoff": config.cutoff,
                "energy_unit_ev": config.energy_unit_ev}
    return {"architecture": "prior", "base": base} if config.prior else base


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
                "recipe_deviations": list(self.recipe_deviations)}


class _Part:
    """One part of the split, packed, with its targets in model units (and forces, optional)."""

    def __init__(self, dataset: Dataset, indices: np.ndarray, config: TrainConfig,
                 with_forces: bool):
        self.graphs = PackedGraphs.from_arrays(dataset.numbers, dataset.positions,
                                               dataset.offsets, indices, config.cutoff,
                                               charges=dataset.charge).to(config.device)
        order = np.argsort(indices)
        self._sorted_index = torch.as_tensor(np.asarray(indices)[order], device=config.device)
        targets = np.asarray(dataset.atomization_energy[np.asarray(indices)[order]]) / (
            config.energy_unit_ev)
        self._sorted_target = torch.as_tensor(targets, dtype=torch.float32, device=config.device)
        self._offsets = torch.as_tensor(np.array(dataset.offsets), device=config.device)
        self._forces = dataset.forces if with_forces else None
        self._force_scale = 1.0 / config.energy_unit_ev

    def __len__(self) -> int:
        return len(self.graphs)

    @property
    def has_forces(self) -> bool:
        return self._forces is not None

    def targets(self, index: torch.Tensor) -> torch.Tensor:
        """Atomization energies (model units) of the data-set structures ``index``."""
        return self._sorted_target[torch.searchsorted(self._sorted_index, index)]

    def forces(self, index: torch.Tensor) -> torch.Tensor:
        """Forces (model units per angstrom) of the atoms of structures ``index``, in batch order."""
        starts = self._offsets[index]
        atoms = concatenated_ranges(starts, self._offsets[index + 1] - starts)
        values = np.asarray(self._forces[atoms.cpu().numpy()]) * self._force_scale
        return torch.as_tensor(values, dtype=torch.float32, device=index.device)


def evaluate(model: nn.Module, part: _Part, batch_size: int = 500,
             forward: PaddedForward | None = None) -> tuple[float, float]:
    """(MSE in model units squared, MAE in kcal/mol) of the energies of a part; ``forward``:
    the model's evaluation on padded batches (the trainer's CUDA graphs), kept between calls."""
    model.eval()
    # Summed in float64 on the part's device and read once: a read per batch waits for the GPU.
    sums = torch.zeros(2, dtype=torch.float64, device=part.graphs.z.device)
    with torch.no_grad():
        for batch in part.graphs.batches(batch_size):
            targets = part.targets(batch.index)
            if forward is None:
                error = model(batch.z, batch.pos, batch.batch, batch.charge,
                              batch.edge_index) - targets
                sums += torch.stack([(error ** 2).sum(), error.abs().sum()]).double()
            else:
                sums += forward(batch, targets, batch_size).double()
    squared, absolute = sums.tolist()
    unit_kcal_mol = model.config["energy_unit_ev"] * EV_KCAL_MOL
    return squared / len(part), absolute / len(part) * unit_kcal_mol


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


def train(config: TrainConfig, out: str | Path, *, on_epoch=None) -> TrainResult:
    """Train (or resume) a model; writes ``out/last.pt`` every epoch and ``out/best.pt``.

    ``on_epoch(record)`` is called after each epoch with that epoch's history record. Before
    any work: a --device torch cannot use, --n-val 0 (the plateau, early stopping and the best
    model are all chosen on the validation set), an ``out`` that cannot be written and one that
    another run holds (a lock the kernel drops when that process ends) are one-line errors.
    """
    from astray.paths import folder_lock, writable_folder

    try:
        device_type = torch.device(config.device).type
    except RuntimeError:
        device_type = None
    if device_type not in ("cpu", "cuda"):
        raise ModelError(f"--device {config.device!r}: use cpu, cuda or cuda:N")
    with folder_lock(writable_folder(out), "astray train"):
        return _train_in(config, Path(out), on_epoch)


def _train_in(config: TrainConfig, out: Path, on_epoch) -> TrainResult:
    from astray.models import build_model

    dataset = open_dataset(config.dataset)
    split, tests = plan_split(dataset, config)
    with_forces = config.force_weight > 0 and dataset.forces is not None
    parts = {name: _Part(dataset, getattr(split, name), config, with_forces)
             for name in ("train", "val", "test")}
    parts.update({f"test:{subset}": _Part(dataset, indices, config, False)
                  for subset, indices in tests.items() if subset != config.subset})

    torch.set_num_threads(config.cpu_threads())
    torch.manual_seed(config.seed)
    model = build_model(model_config(config)).to(config.device)
    # the fused kernel applies the same AdamW update in one pass over the parameters
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, fused=True)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=config.plateau_factor, patience=config.plateau_patience)
    shuffle = torch.Generator().manual_seed(config.seed)
    state = {"epoch": 0, "best_val": float("inf"), "since_best": 0, "history": [],
             "seconds": 0.0, "train_seconds": 0.0, "molecules": 0}
    last = out / "last.pt"
    if last.exists():
        state.update(_resume(last, config, model, optimizer, plateau, shuffle))
    # On CUDA (SchNet, PaiNN): padded batches, each step and evaluation replayed as a CUDA graph
    step, forward = training_step(model, optimizer, gradient_clip=config.gradient_clip,
                                  force_weight=config.force_weight, cutoff=config.cutoff,
                                  molecule_slots=config.batch_size)
    metadata = {"dataset": dataset.name, "level_of_theory": dataset.level_of_theory,
                "level_of_theory_reference": level_of_theory_method(dataset),
                "target": "atomization_energy", "subset": config.subset,
                "split_seed": config.split_seed, "data_seed": config.data_seed,
                "n_train": len(parts["train"]), "training": asdict(config),
                "code_version": _version()}
    coverage = pair_distance_ranges(dataset, split.train)

    started = time.perf_counter() - state["seconds"]
    stopped_by = "max-epochs"
    while state["epoch"] < config.max_epochs:
        if state["since_best"] >= config.early_stopping:
            stopped_by = "early-stopping"
            break
        if config.budget_minutes is not None and (
                time.perf_counter() - started) > 60 * config.budget_minutes:
            stopped_by = "budget"
            break
        epoch = state["epoch"]
        if epoch < config.warmup_epochs:
            for group in optimizer.param_groups:
                group["lr"] = config.learning_rate * (epoch + 1) / config.warmup_epochs
        model.train()
        tick = time.perf_counter()
        training = parts["train"]
        # Summed on the device in float64, as Python floats would be; read once per epoch
        # (reading every step's loss would make the host wait for each step on a GPU).
        loss_sum = torch.zeros((), dtype=torch.float64, device=training.graphs.z.device)
        for batch in training.graphs.batches(config.batch_size, shuffle=True,
                                             generator=shuffle):
            loss = step(batch, training.targets(batch.index),
                        training.forces(batch.index) if with_forces else None)
            loss_sum += loss.double() * len(batch)
        train_loss = float(loss_sum)
        state["train_seconds"] += time.perf_counter() - tick
        state["molecules"] += len(training)
        val_loss, val_mae = (evaluate(model, parts["val"]) if forward is None
                             else evaluate(model, parts["val"], forward=forward))
        if epoch >= config.warmup_epochs:
            plateau.step(val_loss)
        record = {"epoch": epoch + 1, "train_loss": train_loss / len(parts["train"]),
                  "val_loss": val_loss, "val_mae_kcal_mol": val_mae,
                  "lr": optimizer.param_groups[0]["lr"]}
        state["history"].append(record)
        state["epoch"] = epoch + 1
        if val_loss < state["best_val"]:
            state["best_val"], state["since_best"] = val_loss, 0
            save_checkpoint(out / "best.pt", model, **metadata,
                            metrics={"epoch": epoch + 1, "val_mae_kcal_mol": val_mae})
        else:
            state["since_best"] += 1
        state["seconds"] = time.perf_counter() - started
        _save_state(last, config, model, optimizer, plateau, shuffle, state)
        if on_epoch:
            on_epoch(record)
    if stopped_by == "max-epochs" and state["since_best"] >= config.early_stopping:
        stopped_by = "early-stopping"  # the last epoch allowed was also the last one waited for
    return _finish(out, parts, metadata, state, stopped_by, config, coverage)


def _finish(out: Path, parts: dict, metadata: dict, state: dict, stopped_by: str,
            config: TrainConfig, coverage: dict) -> TrainResult:
    """Test the best model, write its final checkpoint, and summarise the run."""
    from astray.train.checkpoint import load_model

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
                         recipe_deviations=config.recipe_deviations())
    save_checkpoint(out / "best.pt", best, **metadata, metrics=result.summary())
    return result


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
