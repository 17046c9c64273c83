"""The grid of a scaling sweep: data set x subset x training size x architecture x width x depth
x prior x baseline x seed x data seed, each point one training run with the study's recipe.

The baseline axis (``--baseline none,xtb``, Delta-learning: :mod:`astray.data.baselines`)
combines with every other axis except the physics prior: a run with the prior and a baseline
would count the nuclear repulsion and the atomic limit twice
(:data:`astray.train.config.PRIOR_WITH_BASELINE`), so those cells are left out, and the grid
says so (``left_out`` in sweep.json); a grid of nothing but such cells is an error.

The whole grid is checked before any work starts: every data set opens, every subset is big
enough for its largest training size once its test and validation sets and the other subsets'
test sets are taken out (see :func:`astray.train.trainer.plan_split`), every model configuration
is valid. A run's identity (``RunSpec.key``) is the SHA-256 of everything that determines its
numbers, so a re-run of the sweep, or another sweep asking for the same run, skips it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field, replace

from astray.errors import AstrayError, SweepError
from astray.models import ARCHITECTURES
from astray.train.config import PRIOR_WITH_BASELINE
from astray.train.trainer import TrainConfig, recipe_deviations

#: Probed by every run: H2 (the study's extrapolation test), H2+ and two bare protons.
PROBE_SYSTEMS = ("H2", "H2+", "H2++")
#: Test sets every run is scored on besides its own subset's: in- and out-of-distribution error.
STANDARD_TEST_SUBSETS = ("stable", "distorted")
#: Training options of ``astray train`` that pass through to every run of a sweep unchanged.
PASS_THROUGH = ("n_val", "n_test", "split_seed", "max_epochs", "budget_minutes", "force_weight",
                "threads", "early_stopping", "plateau_patience", "convergence_tolerance")
#: The ``astray scale`` option of a pass-through field where it is not --field-name.
OPTION_NAMES = {"early_stopping": "--patience"}
#: Smallest value of each whole-number pass-through option (a run needs a validation and a
#: test set, an epoch, and a patience of at least one epoch; seeds are 0 or more).
MINIMUM = {"n_val": 1, "n_test": 1, "max_epochs": 1, "early_stopping": 1, "plateau_patience": 1,
           "threads": 1, "split_seed": 0}


@dataclass(frozen=True)
class RunSpec:
    """One point of the grid: a training configuration plus what the run is probed on."""

    config: TrainConfig
    probe_systems: tuple[str, ...] = PROBE_SYSTEMS

    @property
    def run_id(self) -> str:
        """A readable, file-name-safe name, unique within a sweep."""
        c = self.config
        dataset = re.sub(r"[^A-Za-z0-9_.-]+", "_", c.dataset.rstrip("/").split("/")[-1])
        # "-d<K>" only with a data seed, "-b<name>" only with a baseline: the ids of runs
        # without them stay as they were
        return (f"{dataset}-{c.subset}-{c.model}-h{c.hidden}-i{c.interactions}"
                f"-prior{int(c.prior)}-n{c.n_train}-s{c.seed}"
                + ("" if c.data_seed is None else f"-d{c.data_seed}")
                + ("" if c.baseline is None else f"-b{baseline_label(c.baseline)}"))

    @property
    def cost(self) -> int:
        """A relative estimate of the run's training time: structures x width^2 x depth x
        epochs (the filter products dominate a SchNet/PaiNN step), the prior counted double
        (measured in the demo sweep: its runs took about twice as long)."""
        c = self.config
        return c.n_train * c.hidden ** 2 * c.interactions * c.max_epochs * (2 if c.prior else 1)

    @property
    def key(self) -> str:
        """SHA-256 of the run's identity: everything that changes its numbers (the training
        configuration without device and threads, the epoch limits, the probed systems,
        astray's version)."""
        from astray import __version__
        from astray.store import config_key

        c = self.config
        identity = {"training": c.identity(), "max_epochs": c.max_epochs,
                    "budget_minutes": c.budget_minutes, "probe": self.probe_systems,
                    "astray": __version__}
        if c.baseline is not None:  # a new version of the baseline gives new numbers
            from astray.data.baselines import check_baseline
            from astray.data.dataset import open_dataset

            identity["baseline_version"] = check_baseline(c.baseline,
                                                          open_dataset(c.dataset)).version
        return config_key(identity)


@dataclass(frozen=True)
class SweepGrid:
    """The axes of a sweep; ``runs()`` is their product. ``training`` holds the pass-through
    options of ``astray train`` (``n_val``, ``max_epochs``, ...), the same for every run."""

    datasets: tuple[str, ...]
    subsets: tuple[str, ...]
    n_train: tuple[int, ...]
    models: tuple[str, ...] = ("schnet",)
    hidden: tuple[int, ...] = (64,)
    interactions: tuple[int, ...] = (3,)
    priors: tuple[bool, ...] = (False,)
    seeds: tuple[int, ...] = (0,)
    training: dict = field(default_factory=dict)
    #: None: every run on the nested split of ``split_seed``; integers: one training and
    #: validation draw per data seed and N (TrainConfig.data_seed), the test set fixed.
    data_seeds: tuple[int | None, ...] = (None,)
    #: None: no baseline; a potential spec: Delta-learning on it (TrainConfig.baseline).
    baselines: tuple[str | None, ...] = (None,)

    def __post_init__(self):
        for axis in ("datasets", "subsets", "n_train", "models", "hidden", "interactions",
                     "priors", "seeds", "data_seeds", "baselines"):
            values = getattr(self, axis)
            if not values:
                raise SweepError(f"the sweep grid is empty: no value for {axis.replace('_', '-')}")
            if len(set(values)) != len(values):
                raise SweepError(f"{axis.replace('_', '-')} lists a value twice: {values}")
        unknown = [m for m in self.models if m not in ARCHITECTURES]
        if unknown:
            raise SweepError(f"unknown model {unknown[0]!r}; choose from {', '.join(ARCHITECTURES)}")
        for axis in ("n_train", "hidden", "interactions"):
            if min(getattr(self, axis)) < 1:
                raise SweepError(f"--{axis.replace('_', '-')} values must be at least 1")
        if min(self.seeds) < 0:
            raise SweepError("--seeds must be 0 or more")
        if any(seed is not None and seed < 0 for seed in self.data_seeds):
            raise SweepError("--data-seeds must be 0 or more")
        extra = set(self.training) - set(PASS_THROUGH)
        if extra:
            raise SweepError(f"not a training option of a sweep: {sorted(extra)[0]}")
        if all(self.priors) and not any(b is None for b in self.baselines):
            raise SweepError(PRIOR_WITH_BASELINE)
        self._check_training()

    def left_out(self) -> str | None:
        """Why the grid's cells with the prior and a baseline are left out (None if none)."""
        if any(self.priors) and any(b is not None for b in self.baselines):
            return f"runs with the prior and a baseline are left out: {PRIOR_WITH_BASELINE}"
        return None

    def _check_training(self) -> None:
        """One line for a pass-through value no run can use, before any work."""
        for name, value in self.training.items():
            if value is None:
                continue
            option = OPTION_NAMES.get(name, f"--{name.replace('_', '-')}")
            if name in MINIMUM and value < MINIMUM[name]:
                raise SweepError(f"{option} must be >= {MINIMUM[name]}, got {value}")
            if name == "budget_minutes" and not 0 < value < float("inf"):
                raise SweepError(f"{option} must be a positive number of minutes, got {value}")
            if name in ("force_weight", "convergence_tolerance") and not 0 <= value < float("inf"):
                raise SweepError(f"{option} must be 0 or more, got {value}")

    def test_subsets(self) -> tuple[str, ...]:
        """Every run's test subsets: stable, distorted and every subset of the sweep."""
        return tuple(dict.fromkeys(STANDARD_TEST_SUBSETS + self.subsets))

    def runs(self) -> list[RunSpec]:
        """Every run of the grid, cheapest first (the sweep starts the costliest first),
        without checks against the data (see :func:`validate`)."""
        specs = []
        for (dataset, subset, model, hidden, interactions, prior, baseline, n_train, seed,
             data_seed) in itertools.product(self.datasets, self.subsets, self.models,
                                             self.hidden, self.interactions, self.priors,
                                             self.baselines, self.n_train, self.seeds,
                                             self.data_seeds):
            if prior and baseline is not None:
                continue  # left_out() says why
            try:
                config = TrainConfig(dataset=dataset, subset=subset, model=model, hidden=hidden,
                                     interactions=interactions, prior=prior, n_train=n_train,
                                     seed=seed, data_seed=data_seed, baseline=baseline,
                                     **self.training)
            except AstrayError as error:
                raise SweepError(str(error)) from None
            specs.append(RunSpec(config))
        return sorted(specs, key=lambda s: (s.cost, s.run_id))

    def command(self, out) -> str:
        """The ``astray scale`` command line that runs this grid into ``out`` (execution options
        such as --workers left out: they do not change the numbers)."""
        import shlex

        words = ["astray", "scale"]
        for option, values in (("--dataset", self.datasets), ("--subset", self.subsets),
                               ("--model", self.models)):
            for value in values:
                words += [option, value]
        for option, values in (("--n-train", self.n_train), ("--hidden", self.hidden),
                               ("--interactions", self.interactions), ("--seeds", self.seeds)):
            words += [option, ",".join(str(v) for v in values)]
        words += ["--prior", ",".join("on" if p else "off" for p in self.priors)]
        if self.baselines != (None,):
            words += ["--baseline", ",".join("none" if b is None else b for b in self.baselines)]
        if self.data_seeds != (None,):
            words += ["--data-seeds", ",".join("none" if d is None else str(d)
                                               for d in self.data_seeds)]
        for name, value in sorted(self.training.items()):
            if value is not None:
                words += [OPTION_NAMES.get(name, f"--{name.replace('_', '-')}"), str(value)]
        return shlex.join(words + ["--out", str(out)])

    def recipe_deviations(self) -> list[str]:
        """Where every run of the grid departs from the study's training recipe."""
        return recipe_deviations(self.training)

    def describe(self) -> dict:
        """The grid as JSON (``sweep.json``)."""
        described = {**asdict(self), "test_subsets": list(self.test_subsets()),
                     "recipe_deviations": self.recipe_deviations()}
        if self.baselines == (None,):  # the sweep.json of a grid without them, as before
            del described["baselines"]
        if self.left_out():
            described["left_out"] = self.left_out()
        return described


def validate(grid: SweepGrid) -> list[RunSpec]:
    """Check the whole grid against the data sets before any work: returns the runs, each
    with the test subsets it is scored on, or raises SweepError (one line)."""
    from astray.data.dataset import open_dataset
    from astray.train.trainer import plan_split

    runs = grid.runs()
    checked = {}
    for dataset_name in grid.datasets:
        try:
            dataset = open_dataset(dataset_name)
        except AstrayError as error:
            raise SweepError(f"--dataset {dataset_name}: {error}") from None
        # each baseline (and --force-weight) against the data, once, before any run starts
        for config in {r.config.baseline: r.config for r in runs
                       if r.config.dataset == dataset_name}.values():
            try:
                config.check_against(dataset)
            except AstrayError as error:
                raise SweepError(f"--dataset {dataset_name}: {error}") from None
        # the distorted test set exists only where the data set has distorted structures
        tests = tuple(s for s in grid.test_subsets()
                      if s in grid.subsets or len(dataset.indices_of(s)) > 0)
        for subset in grid.subsets:
            largest = max(grid.n_train)
            config = replace(runs[0].config, dataset=dataset_name, subset=subset, n_train=largest,
                             test_subsets=tuple(s for s in tests if s != subset))
            try:
                split, _ = plan_split(dataset, config, every_structure=True)
            except AstrayError as error:
                raise SweepError(f"--dataset {dataset_name} --subset {subset}: {error}") from None
            if largest > len(split.train):
                raise SweepError(
                    f"--n-train {largest} is more than subset {subset!r} of data set "
                    f"{dataset_name!r} allows: {len(split.train)} structures are left after "
                    f"{config.n_test} test, {config.n_val} validation and the other subsets' "
                    "test sets (lower --n-train, --n-val or --n-test)")
        checked[dataset_name] = tests
    return [replace(spec, config=replace(spec.config, test_subsets=tuple(
        s for s in checked[spec.config.dataset] if s != spec.config.subset))) for spec in runs]


def parse_ints(text: str, option: str) -> tuple[int, ...]:
    """``"100,300,1000"`` as integers; anything else is a SweepError naming the option."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise SweepError(f"{option} must be comma-separated whole numbers, got {text!r}") from None
    return values


def parse_data_seeds(text: str | None) -> tuple[int | None, ...]:
    """``"0,1,2"`` as (0, 1, 2); ``none`` in the list (or no text) is the nested split."""
    if text is None:
        return (None,)
    words = [word.strip().lower() for word in text.split(",")]
    try:
        return tuple(None if word == "none" else int(word) for word in words)
    except ValueError:
        raise SweepError(f"--data-seeds must be comma-separated whole numbers (or none), got "
                         f"{text!r}") from None


def baseline_label(spec: str) -> str:
    """A baseline's name in run ids and labels: ``xtb``; ``pyscf_hf_sto-3g``; a checkpoint by
    its file's parent folder and a digest of the whole spec."""
    import hashlib

    if spec.startswith("checkpoint:"):
        stem = spec.split(":", 1)[1].rstrip("/").split("/")
        name = stem[-2] if len(stem) > 1 and stem[-1].endswith(".pt") else stem[-1]
        spec = f"ckpt_{name}_{hashlib.sha256(spec.encode()).hexdigest()[:8]}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", spec).strip("_")[:48]


def parse_baselines(text: str | None) -> tuple[str | None, ...]:
    """``"none,xtb"`` as (None, "xtb"); commas inside braces or brackets (an ``ase:`` spec's
    keyword arguments) do not split."""
    if text is None:
        return (None,)
    words, depth, word = [], 0, ""
    for char in text:
        depth += {"{": 1, "[": 1, "}": -1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            words.append(word)
            word = ""
        else:
            word += char
    words.append(word)
    values = tuple(None if w.strip().lower() in ("none", "off") else w.strip() for w in words)
    if any(v == "" for v in values):
        raise SweepError(f"--baseline has an empty entry: {text!r} (write none for no baseline)")
    return values


def parse_priors(text: str) -> tuple[bool, ...]:
    """``"off,on"`` as (False, True)."""
    words = {"off": False, "on": True, "false": False, "true": True, "0": False, "1": True}
    values = []
    for word in text.split(","):
        if word.strip().lower() not in words:
            raise SweepError(f"--prior takes off, on or off,on; got {text!r}")
        values.append(words[word.strip().lower()])
    return tuple(values)
