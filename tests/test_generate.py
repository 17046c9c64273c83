"""Data generation: enumeration, distortions, single points, and a resumable Dask build."""

import re

import numpy as np
import pytest
from ase import Atoms
from rdkit import Chem

from astray.cluster import ClusterError
from astray.data import open_dataset
from astray.data.enumerate import enumerate_molecules
from astray.data.generate import BuildConfig, build_dataset
from astray.data.geometry import bond_graph, distort_bond, embed, optimise
from astray.data.single_points import data_level_of_theory, single_point, total_energy
from astray.errors import DatasetError
from astray.units import HARTREE_EV


def test_two_heavy_atoms_give_the_nineteen_bonded_pairs():
    # C-C, C-N, N-N with bond orders 1-3; C-O, N-O, O-O with 1-2; C-F, N-F, O-F, F-F single
    molecules = enumerate_molecules(2)
    assert molecules[1] == ["C", "F", "N", "O"]
    assert len(molecules[2]) == 3 * 3 + 3 * 2 + 4
    assert {"C#N", "C=O", "OO", "FF"} <= set(molecules[2])


def test_enumerated_molecules_are_neutral_closed_shells_with_rings():
    molecules = enumerate_molecules(3)[3]
    assert "C1CC1" in molecules and "C1CO1" in molecules  # ring closures are found
    for smiles in molecules:
        molecule = Chem.AddHs(Chem.MolFromSmiles(smiles))
        assert Chem.GetFormalCharge(molecule) == 0
        assert sum(a.GetAtomicNum() for a in molecule.GetAtoms()) % 2 == 0


def test_unknown_element_is_refused():
    with pytest.raises(DatasetError, match="unknown elements"):
        enumerate_molecules(2, elements=("C", "Xx"))


def _distances(atoms):
    return atoms.get_all_distances()


def test_stretching_an_acyclic_bond_changes_that_bond_alone():
    ethanol = optimise(embed("CCO", seed=0))
    rng = np.random.default_rng(3)
    stretched, how = distort_bond(ethanol, "stretched", rng)
    before, after = _distances(ethanol), _distances(stretched)
    changed = [(i, j) for i, j in bond_graph(ethanol) if abs(after[i, j] - before[i, j]) > 1e-9]
    assert len(changed) == 1
    (i, j), = changed
    factor = float(how.rsplit("x", 1)[1])
    assert 1.25 <= factor <= 2.5
    assert after[i, j] == pytest.approx(factor * before[i, j], rel=1e-3)


def test_compressing_a_ring_bond_moves_one_atom():
    cyclopropane = optimise(embed("C1CC1", seed=0))
    for seed in range(50):  # until the random bond is a C-C ring bond
        compressed, how = distort_bond(cyclopropane, "compressed", np.random.default_rng(seed))
        if re.fullmatch(r"C\d+-C\d+", how.split()[1]):
            break
    moved = np.flatnonzero(np.abs(compressed.positions - cyclopropane.positions).sum(1) > 0)
    assert len(moved) == 1


def test_hartree_fock_hydrogen_atom_in_6_31g():
    # the textbook HF/6-31G energy of the H atom: -0.4982329 hartree
    energy = total_energy(Atoms("H"), data_level_of_theory("hf/6-31g"), multiplicity=2)
    assert energy / HARTREE_EV == pytest.approx(-0.4982329, abs=2e-7)


def test_broken_symmetry_dissociates_stretched_h2_to_two_atoms():
    level = data_level_of_theory("hf/6-31g")
    hydrogen = total_energy(Atoms("H"), level, multiplicity=2)
    stretched = Atoms("H2", positions=[[0, 0, 0], [0, 0, 5.0]])
    broken = total_energy(stretched, level, broken_symmetry=True)
    restricted = total_energy(stretched, level)
    assert broken - 2 * hydrogen == pytest.approx(0.0, abs=1e-3)
    assert restricted - 2 * hydrogen > 5.0  # the ionic closed shell, eV


def test_scf_forces_are_the_energy_gradient():
    # Hartree-Fock: no integration grid, so analytic and numerical derivatives agree closely
    level = data_level_of_theory("hf/sto-3g")
    water = optimise(embed("O", seed=0))
    water.positions[1] += [0.05, -0.03, 0.02]
    energy, forces = single_point(water, level, forces=True)
    step = 1e-3
    shifted = water.copy()
    shifted.positions[1, 0] += step
    backward = water.copy()
    backward.positions[1, 0] -= step
    numerical = -(total_energy(shifted, level) - total_energy(backward, level)) / (2 * step)
    assert forces[1, 0] == pytest.approx(numerical, abs=1e-4)


def test_bad_method_is_a_clear_error():
    with pytest.raises(DatasetError, match="FUNCTIONAL/BASIS"):
        data_level_of_theory("b3lyp")
    with pytest.raises(DatasetError, match="unknown density functional"):
        data_level_of_theory("notafunctional/6-31g")


def _arrays(dataset):
    return {name: np.asarray(getattr(dataset, name)) for name in
            ("numbers", "positions", "offsets", "energy", "atomization_energy", "kind")}


def test_a_killed_build_resumes_to_the_same_data_set(tmp_path, monkeypatch):
    config = BuildConfig(method="gfn2-xtb", max_heavy_atoms=2, distortions=("stretched",))

    seen = []

    def kill_after_eight(done, total):
        seen.append(done)
        if done >= 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_dataset(config, name="resumed", workers=2, on_progress=kill_after_eight)
    resumed = build_dataset(config, name="resumed", workers=2)
    assert resumed.n_computed_now == resumed.n_molecules - 8

    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path / "other-home"))
    fresh = build_dataset(config, name="fresh", workers=1)
    assert fresh.n_computed_now == fresh.n_molecules == 23
    first, second = _arrays(resumed.dataset), _arrays(fresh.dataset)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    info = fresh.dataset.info()
    assert info["n_stable"] == info["n_distorted"] == 23 - fresh.n_unstable


def test_a_build_with_another_configuration_is_refused():
    build_dataset(BuildConfig(method="gfn2-xtb", max_heavy_atoms=1), name="one", workers=1)
    with pytest.raises(DatasetError, match="another configuration"):
        build_dataset(BuildConfig(method="gfn2-xtb", max_heavy_atoms=1, seed=1), name="one",
                      workers=1, overwrite=True)
    # re-packing a finished build reuses its journal: nothing is computed again
    repacked = build_dataset(BuildConfig(method="gfn2-xtb", max_heavy_atoms=1), name="one",
                             workers=1, overwrite=True)
    assert repacked.n_computed_now == 0 and len(repacked.dataset) == 8


def test_distortions_that_push_atoms_into_each_other_are_rejected():
    from astray.data.geometry import clashes, distorted_bond

    water = Atoms("OH2", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    assert not clashes(water)
    squeezed = water.copy()
    squeezed.positions[2] = [0.9, 0.1, 0]  # H onto the other H
    assert clashes(squeezed)
    compressed = water.copy()
    compressed.positions[1] = [0.6, 0, 0]  # the compressed O-H bond itself is allowed
    assert clashes(compressed) and not clashes(compressed, (0, 1))
    assert distorted_bond("C1CC1 compressed C0-H5 x0.812") == (0, 5)
    assert distorted_bond("CCO") is None


def test_shipped_tiny_set_is_found_from_any_home():
    tiny = open_dataset("tiny")
    info = tiny.info()
    assert info["n_stable"] > 100 and info["n_distorted"] > 100
    assert info["has_forces"] and info["elements"] == ["H", "C", "N", "O", "F"]
    # atomization energies are total minus isolated-atom energies at the same level
    atoms = tiny.meta["atom_energies_ev"]
    numbers, _ = tiny.structure(0)
    from ase.data import chemical_symbols

    expected = tiny.energy[0] - sum(atoms[chemical_symbols[z]] for z in numbers)
    assert tiny.atomization_energy[0] == pytest.approx(expected, abs=1e-9)


def test_unreachable_scheduler_and_no_workers_are_clear_errors():
    config = BuildConfig(method="gfn2-xtb", max_heavy_atoms=1)
    with pytest.raises(ClusterError, match="--workers"):
        build_dataset(config, name="none", workers=0)
    import dask
    import distributed  # noqa: F401  its defaults must be in dask's config before the block:
    # dask.config.set deletes on exit a key that did not exist on entry, and "distributed"
    # (added by the import inside) went with it, failing later tests of the same process

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
            build_dataset(config, name="nowhere", scheduler="tcp://127.0.0.1:9")
