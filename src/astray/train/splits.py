"""Train/validation/test splits as in the study: the test set is drawn first, with a seed.

Lee & Dieng draw 1,000 test molecules first (seed 21), then the training and validation molecules
from the rest. Here one seeded permutation of the candidate structures fixes everything: its first
``n_test`` entries are the test set, the next ``n_val`` the validation set, and the training set
is the next ``n_train``. So for one seed and one set of candidates

- the test and validation sets do not depend on the training size, and
- a smaller training set is a prefix of a larger one (training sizes are nested),

which is what a scaling curve over training sizes needs: only the training data change.

``exclude`` holds structures out of the training and validation sets without moving anything
else: they are skipped where they fall in the permutation. A sweep uses it to keep the fixed
test sets of *other* subsets (a stable-only model scored on the distorted test set, a model
trained on all structures scored on the stable one) out of every training set, so that each
test set is unseen by every model scored on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astray.errors import DatasetError

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


def split_indices(indices, n_train: int | None, *, n_val: int = STUDY_N_VAL,
                  n_test: int = STUDY_N_TEST, seed: int = STUDY_SEED,
                  exclude=None) -> Split:
    """Split the candidate structure ``indices`` (e.g. ``dataset.indices_of("stable")``).

    The candidates are taken as a set (sorted first, so their order does not matter);
    ``n_train=None`` takes every candidate left after the test and validation sets. Structures
    in ``exclude`` never enter the validation or training sets (the test set is unaffected).
    """
    candidates = np.asarray(indices)
    if candidates.ndim != 1 or (len(candidates) and candidates.dtype.kind not in "iu"):
        raise DatasetError("split: indices must be a one-dimensional array of integers")
    candidates = np.sort(candidates)
    if np.any(candidates[1:] == candidates[:-1]):
        raise DatasetError("split: indices contain duplicates")
    if min(n_val, n_test, 0 if n_train is None else n_train) < 0:
        raise DatasetError("split: sizes must not be negative")
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
    n_train = available if n_train is None else n_train
    return Split(test=test, val=rest[:n_val], train=rest[n_val:n_val + n_train], seed=seed)
