"""Which interatomic distances a data set covers, per element pair (astray.data.coverage)."""

from types import SimpleNamespace

import numpy as np
import pytest

from astray.data.coverage import outside_coverage, pair_distance_ranges, pair_name
from astray.data.dataset import open_dataset
from astray.errors import DatasetError


def packed(*structures):
    """numbers/positions/offsets laid out as a data set's, from (numbers, positions) pairs."""
    counts = [len(numbers) for numbers, _ in structures]
    return SimpleNamespace(
        numbers=np.concatenate([np.asarray(n, np.uint8) for n, _ in structures]),
        positions=np.concatenate([np.asarray(p, float) for _, p in structures]),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def brute_force(dataset, indices) -> dict:
    """The same ranges, one structure and one atom pair at a time."""
    ranges = {}
    for k in indices:
        start, stop = dataset.offsets[k], dataset.offsets[k + 1]
        numbers, positions = dataset.numbers[start:stop], dataset.positions[start:stop]
        for i in range(len(numbers)):
            for j in range(i + 1, len(numbers)):
                pair = pair_name(int(numbers[i]), int(numbers[j]))
                r = float(np.linalg.norm(positions[i] - positions[j]))
                low, high = ranges.get(pair, (np.inf, -np.inf))
                ranges[pair] = (min(low, r), max(high, r))
    return ranges


def test_pairs_are_named_in_alphabetical_order():
    assert pair_name("H", "C") == pair_name(6, 1) == "C-H"
    assert pair_name(8, 1) == "H-O" and pair_name("F", "N") == "F-N"
    with pytest.raises(DatasetError):
        pair_name("Xx", "H")


def test_ranges_of_hand_made_structures():
    h2 = ([1, 1], [[0, 0, 0], [0, 0, 0.74]])
    hydrogen_fluoride = ([9, 1], [[0, 0, 0], [0.92, 0, 0]])
    linear = ([1, 6, 1], [[-1.1, 0, 0], [0, 0, 0], [1.2, 0, 0]])
    lone = ([6], [[0, 0, 0]])
    data = packed(h2, hydrogen_fluoride, linear, lone)
    ranges = pair_distance_ranges(data)
    assert list(ranges) == ["C-H", "F-H", "H-H"]  # sorted; no pair across structures
    assert ranges["H-H"] == pytest.approx((0.74, 2.3))
    assert ranges["C-H"] == pytest.approx((1.1, 1.2))
    assert pair_distance_ranges(data, [1])["F-H"] == pytest.approx((0.92, 0.92))
    assert pair_distance_ranges(data, [3]) == {}
    with pytest.raises(DatasetError, match="0..3"):
        pair_distance_ranges(data, [4])


def test_vectorised_ranges_equal_a_loop_over_atom_pairs():
    dataset = open_dataset("tiny")
    every = pair_distance_ranges(dataset)
    expected = brute_force(dataset, range(len(dataset)))
    assert set(every) == set(expected)
    for pair, (low, high) in expected.items():
        assert every[pair] == pytest.approx((low, high), rel=1e-12), pair
    stable = dataset.indices_of("stable")
    some = pair_distance_ranges(dataset, stable)
    for pair, values in brute_force(dataset, stable).items():
        assert some[pair] == pytest.approx(values, rel=1e-12)


def test_no_shipped_set_holds_two_h_atoms_closer_than_1_37_angstrom():
    # measured: 1.5444 A in the stable structures of both (water's two H), 1.4102 A in default
    # (compressed NCN) and 1.3705 A in xtb (compressed water) once distortions are included
    default, xtb = open_dataset("default"), open_dataset("xtb")
    assert pair_distance_ranges(default)["H-H"][0] == pytest.approx(1.4102, abs=1e-4)
    assert pair_distance_ranges(xtb)["H-H"][0] == pytest.approx(1.3705, abs=1e-4)
    for dataset in (default, xtb):
        stable = pair_distance_ranges(dataset, dataset.indices_of("stable"))
        assert stable["H-H"][0] == pytest.approx(1.5444, abs=1e-4)


def test_outside_coverage_of_a_probe_grid():
    ranges = {"H-H": (1.37, 8.4), "C-H": [0.74, 7.7]}
    r = np.linspace(0.2, 10.0, 50)
    record = outside_coverage(ranges, "H-H", r)
    below, above = r[r < 1.37], r[r > 8.4]
    assert record["covered"] and record["pair"] == "H-H"
    assert (record["n_below"], record["n_above"]) == (len(below), len(above))
    assert record["n_outside"] == len(below) + len(above) == record["n_points"] - np.sum(
        (r >= 1.37) & (r <= 8.4))
    assert record["below_r_angstrom"] == [below.min(), below.max()]
    assert record["above_r_angstrom"] == [above.min(), above.max()]
    assert record["shortest_angstrom"] == 1.37 and record["longest_angstrom"] == 8.4
    inside = outside_coverage(ranges, ("H", "C"), [1.0, 2.0])
    assert inside["pair"] == "C-H" and inside["n_outside"] == 0
    assert inside["below_r_angstrom"] is None and inside["fraction_outside"] == 0.0
    unseen = outside_coverage(ranges, (8, 8), r)
    assert not unseen["covered"] and unseen["shortest_angstrom"] is None
    assert unseen["n_outside"] == 50 and unseen["fraction_outside"] == 1.0


def test_a_run_records_the_distances_of_its_training_set(tmp_path):
    from astray.train.trainer import TrainConfig, plan_split, train

    config = TrainConfig(dataset="tiny", subset="stable", hidden=8, interactions=1, n_train=30,
                         n_val=10, n_test=10, max_epochs=1)
    result = train(config, tmp_path / "run")
    dataset = open_dataset("tiny")
    split, _ = plan_split(dataset, config)
    expected = pair_distance_ranges(dataset, split.train)
    assert result.pair_distances_angstrom == expected
    assert result.summary()["pair_distances_angstrom"] == {
        pair: [low, high] for pair, (low, high) in expected.items()}
