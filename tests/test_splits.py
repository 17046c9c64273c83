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


def test_a_data_seed_redraws_training_and_validation_but_not_the_test_set():
    nested = split_indices(np.arange(5000), 400)
    drawn = split_indices(np.arange(5000), 400, data_seed=0)
    assert np.array_equal(drawn.test, nested.test) and drawn.data_seed == 0
    assert not np.array_equal(drawn.train, nested.train)
    assert not np.isin(np.concatenate([drawn.train, drawn.val]), drawn.test).any()
    assert len(np.unique(np.concatenate([drawn.train, drawn.val, drawn.test]))) == 2400
    # the same seed draws the same sets; another seed, other sets
    again = split_indices(np.random.default_rng(3).permutation(5000), 400, data_seed=0)
    assert np.array_equal(again.train, drawn.train) and np.array_equal(again.val, drawn.val)
    other = split_indices(np.arange(5000), 400, data_seed=1)
    assert len(np.intersect1d(other.train, drawn.train)) < 100  # about 400 * 400/4000 = 40


def test_with_a_data_seed_each_training_size_is_its_own_draw():
    # as the study's script draws n_train + n_val afresh for every N: not nested
    small, large = (split_indices(np.arange(5000), n, data_seed=0) for n in (200, 400))
    assert not np.array_equal(large.train[:200], small.train)
    assert not np.isin(small.train, large.train).all()
    assert not np.array_equal(small.val, large.val)
    assert np.array_equal(small.test, large.test)


def test_a_data_seed_keeps_excluded_structures_out():
    excluded = np.arange(0, 5000, 3)
    split = split_indices(np.arange(5000), 500, data_seed=4, exclude=excluded)
    assert not np.isin(np.concatenate([split.train, split.val]), excluded).any()
    with pytest.raises(DatasetError, match="seeds must be 0 or more"):
        split_indices(np.arange(5000), 500, data_seed=-1)


def test_plan_split_passes_the_data_seed():
    from astray.data.dataset import open_dataset
    from astray.train.trainer import TrainConfig, plan_split

    dataset = open_dataset("tiny")
    base = dict(dataset="tiny", subset="all", n_train=60, n_val=20, n_test=20,
                test_subsets=("stable",))
    nested, _ = plan_split(dataset, TrainConfig(**base))
    drawn, tests = plan_split(dataset, TrainConfig(**base, data_seed=2))
    assert np.array_equal(nested.test, drawn.test) and drawn.data_seed == 2
    assert not np.array_equal(nested.train, drawn.train)
    assert not np.isin(drawn.train, tests["stable"]).any()
