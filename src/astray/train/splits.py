"""Train/validation/test splits as in the study: the test set is drawn first, with a seed.

Lee & Dieng draw 1,000 test molecules first (seed 21), then the training and validation molecules
from the rest. Here one seeded permutation of the candidate structures fixes everything: its first
``n_test`` entries are the test set, the next ``n_val`` the validation set, and the training set
is the next ``n_train``. So for one seed and one set of candidates

- the test and validation sets do not depend on the training size, and
- a smaller training set is a prefix of a larger one (training sizes are nested),

which is what a scaling curve over training sizes needs: only the training data change.

With a ``data_seed`` the split is the study's instead: the test set is still the first
``n_test`` of the ``seed`` permutation (fixed for every run), and the validation and training sets
are a separate random draw from the structures left, seeded by ``data_seed`` *and the training
size*, as the study's script draws ``n_train + n_val`` structures afresh for every N. So training
sets of different sizes are not nested and the validation set changes with N; runs that differ
only in ``data_seed`` measure how much the numbers depend on which structures were drawn (with
``data_seed=None`` the ``seed`` of the weights is the only thing that varies between repeats).

``exclude`` holds structures out of the training and validation sets without moving anything
else: they are skipped where they fall in the permutation. A sweep uses it to keep the fixed
test sets of *other* subsets (a stable-only model scored on the distorted test set, a model
trained on all structures scored on the stable one) out of every training set, so that each
test set is unseen by every model scored on it. :func:`plan_split` puts this together for one
training configuration (its subset, the other subsets' test sets, its seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from astray.errors import DatasetError

if TYPE_CHECKING:
    from astray.data.dataset import Dataset

#: The study's split: 1,000 test structures drawn first with seed 21, 1,000 for validation.
STUDY_SEED = 21
STUDY_N_TEST = 1000
STUDY_N_VAL = 1000


@dataclass(frozen=True)
class Split:
    """Structure indices (into the data set) of each part, and the seed that drew them."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    seed: int
    data_seed: int | None = None


def split_indices(indices, n_train: int | None, *, n_val: int = STUDY_N_VAL,
                  n_test: int = STUDY_N_TEST, seed: int = STUDY_SEED,
                  exclude=None, data_seed: int | None = None) -> Split:
    """Split the candidate structure ``indices`` (e.g. ``dataset.indices_of("stable")``).

    The candidates are taken as a set (sorted first, so their order does not matter);
    ``n_train=None`` takes every candidate left after the test and validation sets. Structures
    in ``exclude`` never enter the validation or training sets (the test set is unaffected).
    ``data_seed``: None for the nested split; an integer >= 0 draws the validation and training
    sets separately for this ``n_train`` (module docstring), the test set staying the ``seed``'s.
    """
    candidates = np.asarray(indices)
    if candidates.ndim != 1 or (len(candidates) and candidates.dtype.kind not in "iu"):
        raise DatasetError("split: indices must be a one-dimensional array of integers")
    candidates = np.sort(candidates)
    if np.any(candidates[1:] == candidates[:-1]):
        raise DatasetError("split: indices contain duplicates")
    if min(n_val, n_test, 0 if n_train is None else n_train) < 0:
        raise DatasetError("split: sizes must not be negative")
    if seed < 0 or (data_seed is not None and data_seed < 0):
        raise DatasetError(f"split: seeds must be 0 or more, got {seed} and {data_seed}")
    order = candidates[np.random.default_rng(seed).permutation(len(candidates))]
    test, rest = order[:n_test], order[n_test:]
    if exclude is not None:
        rest = rest[~np.isin(rest, np.asarray(exclude))]
    available = len(rest) - n_val if len(order) >= n_test else -1
    if available < 0 or (n_train is not None and n_train > available):
        held_out = len(order) - n_test - len(rest) if len(order) >= n_test else 0
        raise DatasetError(f"split: {len(candidates)} structures are too few for {n_test} test + "
                           f"{n_val} validation + {n_train if n_train is not None else 0} "
                           "training structures"
                           + (f" ({held_out} are held out as other subsets' test sets)"
                              if held_out else ""))
    if data_seed is not None:
        # a draw from the set left (sorted: not from the order the test draw left it in),
        # seeded by (data_seed, N): one draw per training size, independent of the others
        entropy = [data_seed] if n_train is None else [data_seed, n_train]
        rest = np.sort(rest)[np.random.default_rng(entropy).permutation(len(rest))]
    n_train = available if n_train is None else n_train
    return Split(test=test, val=rest[:n_val], train=rest[n_val:n_val + n_train], seed=seed,
                 data_seed=data_seed)


def test_sets(dataset: Dataset, config) -> dict[str, np.ndarray]:
    """The fixed test set of the training subset and of each of ``config.test_subsets``: for
    each subset the first ``n_test`` of its seeded permutation, exactly the test set a run
    trained on that subset uses (so every model of a sweep is scored on the same structures)."""
    sets = {}
    for subset in dict.fromkeys((config.subset, *config.test_subsets)):
        candidates = dataset.indices_of(subset)
        if len(candidates) < config.n_test:
            raise DatasetError(f"subset {subset!r} of data set {dataset.name!r} has "
                               f"{len(candidates)} structures, too few for a test set of "
                               f"{config.n_test} (lower --n-test)")
        sets[subset] = split_indices(candidates, 0, n_val=0, n_test=config.n_test,
                                     seed=config.split_seed).test
    return sets


def plan_split(dataset: Dataset, config, *, every_structure: bool = False
               ) -> tuple[Split, dict[str, np.ndarray]]:
    """The run's train/validation/test split and the test sets it is scored on; the other
    subsets' test sets are held out of its training and validation sets. ``config``: a
    TrainConfig (subset, test_subsets, n_train, n_val, n_test, split_seed, data_seed).
    Raises DatasetError (before any work) when the subset is too small for the sizes asked for.
    ``every_structure``: the training set takes every structure left (how many a subset allows).
    """
    tests = test_sets(dataset, config)
    held_out = [indices for subset, indices in tests.items() if subset != config.subset]
    split = split_indices(dataset.indices_of(config.subset),
                          None if every_structure else config.n_train, n_val=config.n_val,
                          n_test=config.n_test, seed=config.split_seed,
                          exclude=np.concatenate(held_out) if held_out else None,
                          data_seed=config.data_seed)
    return split, tests
