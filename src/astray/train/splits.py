"""Train/validation/test splits as in the study: the test set is drawn first, with a seed.

Lee & Dieng draw 1,000 test molecules first (seed 21), then the training and validation molecules
from the rest. Here one seeded permutation of the candidate structures fixes everything: its first
``n_test`` entries are the test set, the next ``n_val`` the validation set, and the training set
is the next ``n_train``. So for one seed and one set of candidates

- the test and validation sets do not depend on the training size, and
- a smaller training set is a prefix of a larger one (training sizes are nested),

which is what a scaling curve over training sizes needs: only the training data change.
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
                  n_test: int = STUDY_N_TEST, seed: int = STUDY_SEED) -> Split:
    """Split the candidate structure ``indices`` (e.g. ``dataset.indices_of("stable")``).

    The candidates are taken as a set (sorted first, so their order does not matter);
    ``n_train=None`` takes every candidate left after the test and validation sets.
    """
    candidates = np.asarray(indices)
    if candidates.ndim != 1 or (len(candidates) and candidates.dtype.kind not in "iu"):
        raise DatasetError("split: indices must be a one-dimensional array of integers")
    candidates = np.sort(candidates)
    if np.any(candidates[1:] == candidates[:-1]):
        raise DatasetError("split: indices contain duplicates")
    if min(n_val, n_test, 0 if n_train is None else n_train) < 0:
        raise DatasetError("split: sizes must not be negative")
    available = len(candidates) - n_test - n_val
    if available < 0 or (n_train is not None and n_train > available):
        raise DatasetError(f"split: {len(candidates)} structures are too few for {n_test} test + "
                           f"{n_val} validation + {n_train if n_train is not None else 0} "
                           "training structures")
    order = candidates[np.random.default_rng(seed).permutation(len(candidates))]
    n_train = available if n_train is None else n_train
    return Split(test=order[:n_test], val=order[n_test:n_test + n_val],
                 train=order[n_test + n_val:n_test + n_val + n_train], seed=seed)
