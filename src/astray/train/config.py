"""The configuration of a training run (:class:`TrainConfig`): data, model, split, recipe and
physical baseline, checked before any work; the study's recipe and where a run departs from it.

Split out of :mod:`astray.train.trainer`, which re-exports every name, so
``from astray.train.trainer import TrainConfig`` keeps working.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from astray.data.dataset import Dataset

from astray.errors import DatasetError, ModelError
from astray.models import ARCHITECTURES, config_from_axes
from astray.units import KCAL_MOL_EV

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
LATER_FIELDS = {"data_seed": None, "convergence_tolerance": DEFAULT_CONVERGENCE_TOLERANCE,
                "baseline": None}
#: Why ``--prior`` and ``--baseline`` are not combined. The prior asserts the *total* energy's
#: limits: the bare nuclear repulsion Z_a Z_b / r at short range and the atoms' ionisation
#: energies at dissociation. A baseline (GFN2-xTB, HF, DFT) already contains both, so a prior
#: around the correction would count them twice: twice the nuclear repulsion at short range, and
#: for two bare protons Coulomb's law *plus* GFN2's own repulsion instead of Coulomb's law.
PRIOR_WITH_BASELINE = ("--prior with --baseline makes no physical sense: the baseline already "
                       "holds the nuclear repulsion and the atomic limit that the prior adds, so "
                       "the sum would count both twice (H2++ would be Coulomb's law plus the "
                       "baseline's own repulsion); use one or the other")


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
    #: A physical baseline (any potential spec: ``xtb``, ``pyscf:hf/sto-3g``, ``ase:...``,
    #: ``checkpoint:PATH``): the model learns A_data - A_baseline, each an atomization energy
    #: against its own isolated atoms (:mod:`astray.data.baselines`). None: no baseline.
    baseline: str | None = None

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
        if self.baseline is not None and self.baseline.strip().lower() in ("", "none"):
            object.__setattr__(self, "baseline", None)  # "none" is the absence of a baseline
        if self.baseline is not None and self.prior:
            raise ModelError(PRIOR_WITH_BASELINE)
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError("--device cuda: no CUDA device is available to torch here")

    def check_against(self, dataset: Dataset) -> None:
        """One-line errors for what this run asks of its data set, called by the trainer
        before any folder is locked or epoch run (the configuration itself opens nothing): a
        force term on a data set without forces (an error, not a note: a model trained without
        it is another model), an unknown baseline, an element or charge/spin convention the
        baseline cannot handle (:func:`astray.data.baselines.check_baseline`)."""
        if self.baseline is not None:
            from astray.data.baselines import check_baseline

            check_baseline(self.baseline, dataset,
                           forces=self.force_weight > 0 and dataset.forces is not None)
        if self.force_weight > 0 and dataset.forces is None:
            raise DatasetError(f"--force-weight {self.force_weight}: data set {self.dataset!r} "
                               "has no forces; use --force-weight 0 or a data set with forces")

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
    """The ``model.config`` of the architecture a training configuration asks for (built from
    its axes by the architecture registry, :func:`astray.models.config_from_axes`)."""
    return config_from_axes(config.model, config.hidden, config.interactions, config.cutoff,
                            config.energy_unit_ev, prior=config.prior)
