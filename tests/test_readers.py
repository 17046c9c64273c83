"""Readers: the study's npy folder, extxyz, ASE databases and ANI-1x/Transition1x HDF5."""

import warnings

import ase.io
import h5py
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.db import connect

from astray.data.dataset import KINDS, check_dataset_name
from astray.data.readers import guess_format, import_dataset, read
from astray.data.readers.common import SkippedStructuresWarning, concatenate, parse_atom_energies
from astray.errors import DatasetError
from astray.units import HARTREE_EV, KCAL_MOL_EV
from toy_dataset import ATOM_ENERGIES_EV, bond_energy_and_forces, toy_atoms, write_toy_extxyz

WATER = ([8, 1, 1], [[0, 0, 0.119], [0, 0.763, -0.477], [0, -0.763, -0.477]], 219.5)
METHANE = ([6, 1, 1, 1, 1], [[0, 0, 0], [0.629, 0.629, 0.629], [-0.629, -0.629, 0.629],
                             [0.629, -0.629, -0.629], [-0.629, 0.629, -0.629]], 392.5)
HYDROGEN = ([1, 1], [[0, 0, 0], [0, 0, 0.7414]], 103.3)


def ragged(items):
    """A numpy object array of per-molecule arrays, as the study saved them."""
    array = np.empty(len(items), dtype=object)
    array[:] = [np.asarray(item) for item in items]
    return array


def write_paper_folder(folder, molecules=(WATER, METHANE, HYDROGEN), tae=None):
    folder.mkdir(exist_ok=True)
    np.save(folder / "all_nuclear_charges.npy", ragged([m[0] for m in molecules]))
    np.save(folder / "all_xyz_coordinates.npy",
            ragged([np.asarray(m[1], float) for m in molecules]))
    np.save(folder / "all_total_atomization_energy.npy",
            np.array([m[2] for m in molecules] if tae is None else tae, float))
    return folder


def only_block(blocks):
    blocks = list(blocks)
    return concatenate(blocks)


# --- paper-npy ------------------------------------------------------------------------------

def test_paper_npy_reads_ragged_object_arrays_and_flips_the_sign_of_tae(tmp_path):
    block = only_block(read(write_paper_folder(tmp_path / "qm9"), allow_pickle=True))
    assert len(block) == 3 and block.offsets.tolist() == [0, 3, 8, 10]
    assert block.numbers.tolist() == [8, 1, 1, 6, 1, 1, 1, 1, 1, 1]
    assert block.positions[9].tolist() == [0, 0, 0.7414]
    # TAE 219.5 kcal/mol, bound -> E - sum(E_atoms) = -219.5 / 23.0605 eV
    assert block.atomization_energy.tolist() == pytest.approx(
        [-219.5 * KCAL_MOL_EV, -392.5 * KCAL_MOL_EV, -103.3 * KCAL_MOL_EV], rel=1e-15)
    assert block.atomization_energy[0] == pytest.approx(-9.5184, abs=1e-4)
    assert np.isnan(block.energy).all()
    assert {KINDS[k] for k in block.kind} == {"stable"}
    assert block.multiplicity.tolist() == [1, 1, 1] and block.charge.tolist() == [0, 0, 0]
    assert block.origin.tolist() == ["qm9:0", "qm9:1", "qm9:2"]


def test_paper_npy_without_allow_pickle_says_why(tmp_path):
    with pytest.raises(DatasetError, match="pickle.*can run code.*--allow-pickle"):
        list(read(write_paper_folder(tmp_path / "qm9")))


def test_paper_npy_regular_arrays_need_no_pickle_and_stream_in_bounded_blocks(tmp_path):
    folder = tmp_path / "h2s"
    folder.mkdir()
    n = 25
    np.save(folder / "all_nuclear_charges.npy", np.ones((n, 2), np.int64))
    positions = np.zeros((n, 2, 3))
    positions[:, 1, 2] = np.linspace(0.5, 3.0, n)
    np.save(folder / "all_xyz_coordinates.npy", positions)
    np.save(folder / "all_total_atomization_energy.npy", np.linspace(100, 0, n))
    blocks = list(read(folder, "paper-npy", block_size=10, kind="stretched"))
    assert [len(b) for b in blocks] == [10, 10, 5]
    assert concatenate(blocks).positions[1::2, 2].tolist() == positions[:, 1, 2].tolist()


@pytest.mark.parametrize("damage, message", [
    ("missing", "all_xyz_coordinates.npy is missing"),
    ("lengths", "different lengths: all_nuclear_charges.npy has 3 molecules, "
                "all_xyz_coordinates.npy 2"),
    ("n_by_2", r"molecule 1 has coordinates of shape \(5, 2\) for its 5 nuclear charges"),
    ("too_few_atoms", r"molecule 0 has coordinates of shape \(2, 3\) for its 3 nuclear charges"),
    ("nan", "1 NaN or infinite energies \\(first: molecule 2\\)"),
    ("truncated", "all_nuclear_charges.npy is unreadable \\(corrupt or truncated\\)"),
    ("not_numbers", "molecule 0 does not hold atomic numbers"),
])
def test_paper_npy_refuses_a_broken_folder_naming_the_problem(tmp_path, damage, message):
    folder = write_paper_folder(tmp_path / "broken")
    coordinates = [np.asarray(m[1], float) for m in (WATER, METHANE, HYDROGEN)]
    if damage == "missing":
        (folder / "all_xyz_coordinates.npy").unlink()
    elif damage == "lengths":
        np.save(folder / "all_xyz_coordinates.npy", ragged(coordinates[:2]))
    elif damage == "n_by_2":
        coordinates[1] = coordinates[1][:, :2]
        np.save(folder / "all_xyz_coordinates.npy", ragged(coordinates))
    elif damage == "too_few_atoms":
        coordinates[0] = coordinates[0][:2]
        np.save(folder / "all_xyz_coordinates.npy", ragged(coordinates))
    elif damage == "nan":
        write_paper_folder(folder, tae=[219.5, 392.5, np.nan])
    elif damage == "truncated":
        data = (folder / "all_nuclear_charges.npy").read_bytes()
        (folder / "all_nuclear_charges.npy").write_bytes(data[: len(data) - 40])
    elif damage == "not_numbers":
        np.save(folder / "all_nuclear_charges.npy", ragged([[8.5, 1, 1], [6, 1, 1, 1, 1], [1, 1]]))
    with pytest.raises(DatasetError, match=message) as error:
        list(read(folder, allow_pickle=True))
    assert str(error.value).startswith(str(folder)) and "\n" not in str(error.value)


# --- extxyz and ASE databases ---------------------------------------------------------------

def test_toy_set_energies_and_forces_agree():
    """The test data themselves: forces are minus the gradient of the toy energy."""
    atoms = toy_atoms()[-2]  # stretched methanol
    bonds = np.array([[0, 1], [0, 2], [1, 3], [1, 4], [1, 5]])
    lengths = np.array([1.2, 1.0, 1.1, 1.1, 1.1])
    step = 1e-6
    _, forces = bond_energy_and_forces(atoms.positions, bonds, lengths)
    for atom, axis in [(0, 0), (2, 1), (5, 2)]:
        shifted = atoms.positions.copy()
        shifted[atom, axis] += step
        up = bond_energy_and_forces(shifted, bonds, lengths)[0]
        shifted[atom, axis] -= 2 * step
        down = bond_energy_and_forces(shifted, bonds, lengths)[0]
        assert forces[atom, axis] == pytest.approx(-(up - down) / (2 * step), abs=1e-6)


def test_extxyz_reads_calculator_energy_forces_and_info(tmp_path):
    path = tmp_path / "toy.extxyz"
    write_toy_extxyz(path)
    block = only_block(read(path))
    frames = toy_atoms()
    assert len(block) == 50 and block.atomization_energy is None
    assert block.energy.tolist() == pytest.approx([a.get_potential_energy() for a in frames],
                                                  abs=1e-9)
    assert np.abs(block.forces - np.concatenate([a.get_forces() for a in frames])).max() < 1e-8
    assert [KINDS[k] for k in block.kind[:5]] == ["compressed", "compressed", "stable",
                                                   "stretched", "stretched"]
    assert block.origin[2] == "toy:H2:1.0"


def test_extxyz_energy_key_and_unit_are_explicit(tmp_path):
    methyl = Atoms("CH3", positions=[[0, 0, 0], [1.08, 0, 0], [-0.54, 0.94, 0], [-0.54, -0.94, 0]])
    methyl.info.update(REF_energy=-39.8, charge=0)  # hartree; 9 electrons: a doublet
    cation = Atoms("H2", positions=[[0, 0, 0], [0, 0, 1.06]])
    cation.info.update(REF_energy=-0.6, charge=1, spin=2, kind="stretched", origin="h2+")
    path = tmp_path / "mixed.extxyz"
    ase.io.write(path, [methyl, cation], format="extxyz")
    block = only_block(read(path, energy_key="REF_energy", energy_unit="hartree"))
    assert block.energy.tolist() == [-39.8 * HARTREE_EV, -0.6 * HARTREE_EV]
    assert block.charge.tolist() == [0, 1] and block.multiplicity.tolist() == [2, 2]
    assert [KINDS[k] for k in block.kind] == ["unknown", "stretched"]
    assert block.origin.tolist() == ["mixed.extxyz:0", "h2+"] and block.forces is None
    with pytest.raises(DatasetError, match="structure 0 .* has no energy 'energy'"):
        list(read(path))
    with pytest.raises(DatasetError, match="unknown energy unit 'Ry'"):
        list(read(path, energy_key="REF_energy", energy_unit="Ry"))


def test_extxyz_with_forces_on_some_frames_only_is_refused(tmp_path):
    frames = toy_atoms()[:2]
    frames[1].calc = SinglePointCalculator(frames[1], energy=-1.0)
    ase.io.write(tmp_path / "f.extxyz", frames, format="extxyz")
    with pytest.raises(DatasetError, match="structure 1 .*some structures have forces and others"):
        list(read(tmp_path / "f.extxyz"))


def test_ase_database_reads_like_the_extxyz_file(tmp_path):
    frames = toy_atoms()[:12]
    with connect(tmp_path / "toy.db") as db:
        for atoms in frames:
            db.write(atoms, **atoms.info)
    ase.io.write(tmp_path / "toy.extxyz", frames, format="extxyz")
    from_db = only_block(read(tmp_path / "toy.db"))
    from_xyz = only_block(read(tmp_path / "toy.extxyz"))
    for name in ("numbers", "offsets", "charge", "multiplicity", "kind", "origin"):
        assert getattr(from_db, name).tolist() == getattr(from_xyz, name).tolist()
    assert np.abs(from_db.energy - from_xyz.energy).max() < 1e-9
    assert np.abs(from_db.forces - from_xyz.forces).max() < 1e-8


def test_missing_database_is_not_created(tmp_path):
    with pytest.raises(DatasetError, match="no such ASE database file"):
        list(read(tmp_path / "absent.db"))
    assert not (tmp_path / "absent.db").exists()


# --- ANI-1x / Transition1x HDF5 -------------------------------------------------------------

def write_ani1x(path):
    """Two formula groups in the ANI-1x layout; one CCSD(T) energy is NaN (not computed)."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        for formula, numbers in (("H2", [1, 1]), ("H2O", [8, 1, 1])):
            group = f.create_group(formula)
            group["atomic_numbers"] = np.array(numbers, np.uint8)
            group["coordinates"] = rng.normal(size=(3, len(numbers), 3)).astype(np.float32)
            group["wb97x_dz.energy"] = np.array([-1.1, -1.0, -0.9]) * len(numbers)
            group["wb97x_dz.forces"] = rng.normal(size=(3, len(numbers), 3))
            group["ccsd(t)_cbs.energy"] = np.array([-1.2, np.nan, -1.0]) * len(numbers)


def test_ani1x_layout_converts_hartree_and_reads_forces(tmp_path):
    write_ani1x(tmp_path / "ani.h5")
    block = only_block(read(tmp_path / "ani.h5", energy_key="wb97x_dz.energy"))
    assert len(block) == 6 and block.offsets.tolist() == [0, 2, 4, 6, 9, 12, 15]
    assert block.energy[:3].tolist() == pytest.approx(np.array([-2.2, -2.0, -1.8]) * HARTREE_EV,
                                                      rel=1e-15)
    with h5py.File(tmp_path / "ani.h5") as f:
        assert block.forces[:2].tolist() == (f["H2/wb97x_dz.forces"][0] * HARTREE_EV).tolist()
        assert block.positions[-3:].tolist() == f["H2O/coordinates"][2].astype(float).tolist()
    assert block.origin.tolist()[:2] == ["H2:0", "H2:1"]


def test_ani1x_skips_conformers_without_the_chosen_energy_and_says_so(tmp_path):
    write_ani1x(tmp_path / "ani.h5")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        block = only_block(read(tmp_path / "ani.h5", energy_key="ccsd(t)_cbs.energy"))
    assert block.origin.tolist() == ["H2:0", "H2:2", "H2O:0", "H2O:2"] and block.forces is None
    assert [str(w.message) for w in caught if w.category is SkippedStructuresWarning] == [
        "ani.h5: skipped 2 conformers without a finite ccsd(t)_cbs.energy"]


def test_ani_energy_key_is_required_and_the_error_lists_the_choices(tmp_path):
    write_ani1x(tmp_path / "ani.h5")
    with pytest.raises(DatasetError,
                       match="--energy-key .*ccsd\\(t\\)_cbs.energy, wb97x_dz.energy"):
        list(read(tmp_path / "ani.h5"))


def test_transition1x_layout_walks_nested_groups_once(tmp_path):
    energy = "wB97x_6-31G(d).energy"
    with h5py.File(tmp_path / "t1x.h5", "w") as f:
        reaction = f.create_group("data/CH2O/rxn0001")
        for group, count in ((reaction, 4), (reaction.create_group("reactant"), 1)):
            group["atomic_numbers"] = np.array([6, 8, 1, 1])
            group["positions"] = np.ones((count, 4, 3))
            group[energy] = np.linspace(-3100, -3099, count)
            group["wB97x_6-31G(d).forces"] = np.zeros((count, 4, 3))
            group["wB97x_6-31G(d).atomization_energy"] = np.linspace(-20, -19, count)
        f["train/CH2O"] = f["data/CH2O"]  # a hard link, as in the split views
    block = only_block(read(tmp_path / "t1x.h5", energy_key=energy, energy_unit="eV",
                            atomization_key="wB97x_6-31G(d).atomization_energy"))
    assert block.origin.tolist() == ["data/CH2O/rxn0001:0", "data/CH2O/rxn0001:1",
                                     "data/CH2O/rxn0001:2", "data/CH2O/rxn0001:3",
                                     "data/CH2O/rxn0001/reactant:0"]
    assert block.energy[0] == -3100 and block.atomization_energy[-1] == -20
    only_data = only_block(read(tmp_path / "t1x.h5", energy_key=energy, energy_unit="eV",
                                group="data/CH2O/rxn0001/reactant"))
    assert only_data.origin.tolist() == ["data/CH2O/rxn0001/reactant:0"]


# --- dispatcher -----------------------------------------------------------------------------

def test_format_is_guessed_from_the_path(tmp_path):
    assert guess_format(tmp_path) == "paper-npy"
    assert guess_format("a.extxyz") == guess_format("b.XYZ") == "extxyz"
    assert guess_format("a.db") == guess_format("postgresql://u:p@host/db") == "ase-db"
    assert guess_format("ani1x.h5") == guess_format("t.hdf5") == "ani-hdf5"
    with pytest.raises(DatasetError, match="cannot tell the format of data.bin"):
        guess_format("data.bin")


def test_an_option_the_format_does_not_take_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="format extxyz does not take --allow-pickle"):
        read(tmp_path / "x.extxyz", allow_pickle=True)


def test_atom_energies_are_converted_to_ev(tmp_path):
    assert parse_atom_energies('{"H": -0.5}', "hartree") == {"H": -0.5 * HARTREE_EV}
    (tmp_path / "atoms.json").write_text('{"O": -2041.0}')
    assert parse_atom_energies(str(tmp_path / "atoms.json"), "eV") == {"O": -2041.0}
    with pytest.raises(DatasetError, match="'Xx' is not an element symbol"):
        parse_atom_energies('{"Xx": 1}', "eV")
    assert set(ATOM_ENERGIES_EV) == {"H", "C", "N", "O", "F"}


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "default"])
def test_import_refuses_a_bad_name_by_the_one_data_set_name_rule(tmp_path, isolated_home, name):
    with pytest.raises(DatasetError) as expected:
        check_dataset_name(name)
    with pytest.raises(DatasetError) as refused:
        import_dataset(tmp_path / "never-read.extxyz", name)
    assert str(refused.value) == str(expected.value)
    assert ("shipped with astray" if name == "default" else "data set name") in str(refused.value)
    assert not isolated_home.exists()  # refused before anything is written
