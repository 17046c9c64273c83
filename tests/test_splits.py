"""Splits as in the study: a fixed test set drawn first, nested training sets."""

import numpy as np
import pytest

from astray.errors import DatasetError
from astray.train.splits import split_indices


def test_test_and_validation_sets_do_not_depend_on_the_training_size():
    splits = [split_indices(np.arange(5000), n) for n in (100, 1000, 3000)]
    for split in splits[1:]:
        assert np.array_equal(split.test, splits[0].test)
        assert np.array_equal(split.val, splits[0].val)


def test_a_smaller_training_set_is_a_prefix_of_a_larger_one():
    small, large = (split_indices(np.arange(5000), n) for n in (200, 2500))
    assert np.array_equal(large.train[:200], small.train)


def test_parts_are_disjoint_and_drawn_from_the_given_subset():
    subset = np.arange(0, 20000, 7)  # e.g. the indices of the stable structures
    split = split_indices(subset, 500, n_val=300, n_test=200)
    parts = np.concatenate([split.train, split.val, split.test])
    assert (len(split.train), len(split.val), len(split.test)) == (500, 300, 200)
    assert len(np.unique(parts)) == 1000 and np.isin(parts, subset).all()


def test_the_seed_fixes_the_split_and_the_order_of_the_indices_does_not_matter():
    indices = np.arange(3000)
    shuffled = np.random.default_rng(1).permutation(indices)
    first, again = split_indices(indices, 100), split_indices(shuffled, 100)
    assert first.seed == 21 and np.array_equal(first.test, again.test)
    assert np.array_equal(first.train, again.train)
    other = split_indices(indices, 100, seed=22)
    assert not np.array_equal(first.test, other.test)


def test_draws_are_random_not_the_first_indices():
    split = split_indices(np.arange(100_000), 1000)
    assert abs(np.mean(split.test) - 50_000) < 5_000  # a uniform draw, not a prefix
    assert not np.array_equal(np.sort(split.test), np.arange(1000))


def test_none_takes_every_remaining_structure():
    split = split_indices(np.arange(2500), None)
    assert len(split.train) == 500


def test_a_subset_too_small_for_the_request_is_a_clear_error():
    with pytest.raises(DatasetError, match="2500 structures are too few for 1000 test \\+ 1000 "
                                           "validation \\+ 600 training structures"):
        split_indices(np.arange(2500), 600)
    with pytest.raises(DatasetError, match="too few"):
        split_indices(np.arange(1500), None)
    with pytest.raises(DatasetError, match="duplicates"):
        split_indices(np.array([1, 1, 2]), 0, n_val=0, n_test=1)
