"""The model adapters: CHGNet, SevenNet-0 (catalogued, through their family modules), GFN2-xTB
(tblite) and any ASE calculator.

Every adapter is checked on H2 at several bond lengths plus its fragments, evaluated as one batch:
finite energies, forces that are the gradient of the energy, invariance to where the molecule
sits and how big its vacuum box is, and NaN (not a crash) for a structure that fails.
"""

from __future__ import annotations

import math
import sys
import types

import numpy as np
import pytest
from ase import Atoms

from astray.errors import PotentialError, WeightsNotFoundError
from astray.potentials import PerStructurePotential, Prediction, load_potential
from astray.potentials.catalogue import CatalogueEntry
from astray.potentials.families import chgnet_family, common, sevennet_family
from astray.potentials.families.common import in_vacuum_box
from astray.potentials.foundation import FamilyPotential
from astray.systems import get_system
from astray.units import COULOMB_EV_ANGSTROM, HARTREE_EV

H2 = get_system("H2")
BOND_LENGTHS = (0.5, 0.74, 1.0, 1.6, 3.0, 7.0)


def h2_batch(bond_lengths=BOND_LENGTHS) -> list[Atoms]:
    """H2 at ``bond_lengths`` followed by its two H atoms, as a curve is evaluated."""
    return [H2.atoms(r) for r in bond_lengths] + [f.atoms() for f in H2.fragments]


# --- the models, loaded once per module --------------------------------------------------------

@pytest.fixture(scope="module")
def chgnet():
    pytest.importorskip("chgnet")
    return load_potential("chgnet")


@pytest.fixture(scope="module")
def sevennet():
    pytest.importorskip("sevenn")
    return load_potential("sevennet-0")


@pytest.fixture(scope="module")
def xtb():
    pytest.importorskip("tblite")
    return load_potential("xtb")


@pytest.fixture(params=["chgnet", "sevennet", "xtb"])
def model(request):
    return request.getfixturevalue(request.param)


# --- all models ---------------------------------------------------------------------------------

def test_batch_gives_finite_energies_and_forces(model):
    structures = h2_batch()
    prediction = model.evaluate(structures)
    assert isinstance(prediction, Prediction)
    assert prediction.energy.shape == (len(structures),)
    assert np.all(np.isfinite(prediction.energy))
    assert [f.shape for f in prediction.forces] == [(len(a), 3) for a in structures]
    assert all(np.all(np.isfinite(f)) for f in prediction.forces)
    # the two H atoms are the same structure; an atom alone feels no force
    assert prediction.energy[-1] == pytest.approx(prediction.energy[-2], abs=1e-6)
    assert np.allclose(prediction.forces[-1], 0.0, atol=1e-6)


@pytest.mark.parametrize("r", [0.6, 0.9, 1.5, 2.5])
def test_forces_are_minus_the_energy_gradient(model, r):
    h = 2e-3  # large enough for float32 models, small enough for the curvature
    prediction = model.evaluate([H2.atoms(r), H2.atoms(r - h), H2.atoms(r + h)])
    de_dr = (prediction.energy[2] - prediction.energy[1]) / (2 * h)
    force_on_b = prediction.forces[0][1]  # B sits at +r along z: F_z = -dE/dr
    assert force_on_b[2] == pytest.approx(-de_dr, rel=1e-3, abs=5e-3)
    assert np.allclose(prediction.forces[0][0], -force_on_b, atol=1e-4)  # Newton's third law


def test_energy_does_not_depend_on_position(model):
    moved = [atoms.copy() for atoms in h2_batch()]
    for atoms in moved:
        atoms.translate([3.1, -2.7, 5.3])
    assert np.allclose(model.evaluate(moved).energy, model.evaluate(h2_batch()).energy,
                       atol=1e-4)


def test_versions_and_provenance(model):
    description = model.describe()
    assert description["version"] == model.version and model.version[0].isalpha()
    assert description["family"] in ("chgnet", "sevennet", "xtb")


# --- the periodic models (CHGNet, SevenNet) -------------------------------------------------------

@pytest.fixture(params=["chgnet", "sevennet"])
def periodic_model(request):
    return request.getfixturevalue(request.param)


def test_periodic_models_come_from_the_catalogue(periodic_model):
    assert isinstance(periodic_model, FamilyPotential)
    assert periodic_model.entry.family_module == f"{periodic_model.family}_family"
    assert periodic_model.provenance["weights"] == periodic_model._family.default_weights()
    assert len(periodic_model.provenance["weights_sha256"]) == 64


def test_periodic_models_declare_their_blind_spots(periodic_model):
    assert not periodic_model.charge_aware and not periodic_model.spin_aware
    assert periodic_model.level_of_theory.startswith("PBE/PBE+U (MPtrj (Materials Project")
    assert periodic_model.level_of_theory_reference == "dft:pbe/def2-tzvp"


def test_vacuum_box_size_does_not_change_energies(periodic_model, monkeypatch):
    structures = h2_batch()
    tight = periodic_model.evaluate(structures).energy
    monkeypatch.setattr(common, "BOX_MARGIN", 8.0)
    roomy = periodic_model.evaluate(structures).energy
    assert np.allclose(tight, roomy, atol=1e-4)


def test_charge_and_spin_are_ignored_by_blind_models(periodic_model):
    neutral, cation = H2.atoms(1.0), get_system("H2+").atoms(1.0)
    energies = periodic_model.evaluate([neutral, cation]).energy
    assert energies[0] == energies[1]


def test_torch_runs_on_one_thread_and_the_setting_is_restored(periodic_model, monkeypatch):
    import torch

    seen = []
    if periodic_model.family == "chgnet":
        model, attribute = periodic_model.model, "predict_structure"
    else:
        model, attribute = periodic_model.model, "model"
    original = getattr(model, attribute)

    def recording(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(model, attribute, recording)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert np.isfinite(periodic_model.evaluate(h2_batch((0.74,))).energy).all()
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_loading_chgnet_leaves_the_torch_threads_alone():
    torch = pytest.importorskip("torch")
    pytest.importorskip("chgnet")
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        chgnet_family.load(chgnet_family.default_weights(), {})
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_chgnet_reports_total_not_per_atom_energy(chgnet):
    from pymatgen.core import Lattice, Structure

    cutoff = float(chgnet.model.graph_converter.atom_graph_cutoff)
    boxed = in_vacuum_box(H2.atoms(0.74), cutoff)
    structure = Structure(Lattice(boxed.cell[:]), boxed.numbers, boxed.positions,
                          coords_are_cartesian=True)
    per_atom = float(chgnet.model.predict_structure(structure, task="e")["e"])
    assert chgnet.evaluate([H2.atoms(0.74)]).energy[0] == pytest.approx(2 * per_atom, abs=1e-5)


def test_sevennet_batch_equals_its_ase_calculator(sevennet):
    from sevenn.calculator import SevenNetCalculator

    structures = h2_batch() + [get_system("LiH").atoms(1.6), get_system("N2").atoms(1.1)]
    batched = sevennet.evaluate(structures)
    calculator = SevenNetCalculator("7net-0", device="cpu")
    for atoms, energy, forces in zip(structures, batched.energy, batched.forces):
        single = atoms.copy()
        single.calc = calculator
        assert energy == pytest.approx(single.get_potential_energy(), abs=1e-5)
        assert np.allclose(forces, single.get_forces(), atol=1e-4)


@pytest.mark.parametrize("name, family, package", [
    ("chgnet", chgnet_family, "chgnet"), ("sevennet-0", sevennet_family, "sevenn")])
def test_missing_weights_name_the_file(name, family, package, tmp_path, monkeypatch):
    pytest.importorskip(package)
    missing = tmp_path / "weights" / "model.pth"
    monkeypatch.setattr(family, "default_weights", lambda: str(missing))
    with pytest.raises(WeightsNotFoundError) as error:
        load_potential(name)
    message = str(error.value)
    assert str(missing) in message and name in message and "\n" not in message
    assert "reinstall" in message and package in message


def test_a_missing_explicit_weights_file_is_named(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="nowhere.pth"):
        load_potential("chgnet", weights=tmp_path / "nowhere.pth")


def test_weights_path_is_where_the_packages_read_from():
    pytest.importorskip("chgnet")
    pytest.importorskip("sevenn")
    import os

    from chgnet.model import model as chgnet_model
    from sevenn.util import pretrained_name_to_path

    chgnet_reads = os.path.join(chgnet_model.module_dir, "../pretrained/0.3.0",
                                chgnet_family.WEIGHTS_FILE)  # CHGNet.load(model_name="0.3.0")
    assert os.path.samefile(chgnet_family.default_weights(), chgnet_reads)
    assert os.path.samefile(sevennet_family.default_weights(), pretrained_name_to_path("7net-0"))


# --- the shared box and batching logic, without a model -------------------------------------------

def _pair_count_predict(model, structures):
    """E = number of atoms in the box; fails on any structure with helium."""
    boxed = [in_vacuum_box(atoms, model["cutoff"]) for atoms in structures]
    if any(2 in atoms.numbers for atoms in boxed):
        raise RuntimeError("no helium here")
    for atoms in boxed:  # no periodic image may be within the cutoff
        assert atoms.pbc.all()
        assert np.all(atoms.cell.lengths() - np.ptp(atoms.positions, axis=0) > model["cutoff"])
    return (np.array([float(len(atoms)) for atoms in boxed]),
            [np.zeros((len(atoms), 3)) for atoms in boxed])


@pytest.fixture
def pair_count_potential(tmp_path, monkeypatch):
    """A catalogued potential whose family module is :func:`_pair_count_predict`."""
    family = types.ModuleType("astray.potentials.families.pair_count_family")
    family.PACKAGE = "numpy"
    family.load = lambda weights, options: {"cutoff": 3.0}
    family.predict = _pair_count_predict
    monkeypatch.setitem(sys.modules, family.__name__, family)
    weights = tmp_path / "pairs.weights"
    weights.write_bytes(b"pairs")
    entry = CatalogueEntry("pairs", "test", "numpy", False, False, "", "", "", None,
                           "pair_count_family")
    return FamilyPotential(entry, weights)


def test_vacuum_box_keeps_info_and_clears_the_cutoff():
    atoms = get_system("H2+").atoms(2.0)
    boxed = in_vacuum_box(atoms, cutoff=6.0, margin=1.0)
    assert np.allclose(boxed.cell.lengths(), [7.0, 7.0, 9.0])
    assert boxed.info == atoms.info and atoms.cell.rank == 0  # the input is untouched
    assert boxed.get_distance(0, 1) == pytest.approx(2.0)
    assert np.allclose(in_vacuum_box(atoms, cutoff=6.0).cell.lengths(),
                       np.array([0.0, 0.0, 2.0]) + 6.0 + common.BOX_MARGIN)


def test_torch_threads_are_restored():
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with common.torch_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_one_failing_structure_costs_only_itself(pair_count_potential):
    structures = h2_batch() + [get_system("HeH+").atoms(1.0)] + h2_batch((0.8,))
    with pytest.warns(RuntimeWarning, match=r"pairs failed on structure 8 \(HHe\)"):
        prediction = pair_count_potential.evaluate(structures)
    expected = [2, 2, 2, 2, 2, 2, 1, 1, math.nan, 2, 1, 1]
    assert np.allclose(prediction.energy, expected, equal_nan=True)
    assert np.isnan(prediction.forces[8]).all() and not np.isnan(prediction.forces[9]).any()


def test_an_empty_batch_is_empty(pair_count_potential):
    prediction = pair_count_potential.evaluate([])
    assert prediction.energy.shape == (0,) and prediction.forces == []


class _HeliumRefusingBond(PerStructurePotential):
    """E = r (eV, r in A; 0 for an atom) without forces; bad input for helium."""

    has_forces = False

    def single_point(self, atoms):
        if 2 in atoms.numbers:
            raise PotentialError("no basis functions for He")
        return (atoms.get_distance(0, 1) if len(atoms) == 2 else 0.0), None


def test_the_per_structure_loop_lets_bad_input_through():
    """A failed structure is a NaN with a reason; an AstrayError is the user's input (a basis
    without the element), which no point of the curve could survive, and propagates."""
    potential = _HeliumRefusingBond("bond")
    prediction = potential.evaluate(h2_batch((0.5, 2.0)))
    assert np.array_equal(prediction.energy, [0.5, 2.0, 0.0, 0.0]) and prediction.forces is None
    with pytest.raises(PotentialError, match="no basis functions for He"):
        potential.evaluate([get_system("HeH+").atoms(1.0)])


# --- GFN2-xTB -----------------------------------------------------------------------------------

def test_xtb_declares_charge_and_spin(xtb):
    assert xtb.charge_aware and xtb.spin_aware
    assert xtb.level_of_theory == "GFN2-xTB" and xtb.level_of_theory_reference is None
    assert xtb.version.startswith("GFN2-xTB (tblite ")


def test_xtb_is_charge_aware(xtb):
    energies = xtb.evaluate([H2.atoms(1.0), get_system("H2+").atoms(1.0)]).energy
    assert energies[1] - energies[0] > 5.0  # ionising H2 costs about 16 eV


def test_xtb_hydrogen_atom_doublet(xtb):
    atom = H2.fragments[0].atoms()
    assert atom.info["spin"] == 2
    # the GFN2-xTB energy of a hydrogen atom (xtb and tblite): -0.393482 hartree
    assert xtb.evaluate([atom]).energy[0] / HARTREE_EV == pytest.approx(-0.393482, abs=1e-6)


def test_xtb_impossible_spin_gives_nan_and_a_warning(xtb):
    singlet, wrong = H2.atoms(0.74), H2.atoms(0.74)
    wrong.info["spin"] = 2  # two electrons cannot make a doublet
    with pytest.warns(RuntimeWarning, match="structure 1"):
        energies = xtb.evaluate([singlet, wrong]).energy
    assert np.isfinite(energies[0]) and np.isnan(energies[1])


def test_xtb_unconverged_scf_gives_nan_for_that_structure_only(xtb, monkeypatch):
    from tblite.interface import Calculator

    def one_scf_cycle_for_oxygen(method, numbers, *args, **kwargs):
        calculator = Calculator(method, numbers, *args, **kwargs)
        if 8 in numbers:
            calculator.set("max-iter", 1)
        return calculator

    monkeypatch.setattr(xtb, "_calculator_class", one_scf_cycle_for_oxygen)
    structures = [H2.atoms(0.74), get_system("O2").atoms(1.2), H2.fragments[0].atoms()]
    with pytest.warns(RuntimeWarning, match="SCF not converged"):
        energies = xtb.evaluate(structures).energy
    assert np.isnan(energies[1]) and np.isfinite(energies[[0, 2]]).all()


def test_xtb_bare_protons_are_finite_and_repulsive(xtb):
    """No electrons: tblite's SCF is trivial and GFN2's classical terms remain. The repulsion is
    damped at short range (about half of Coulomb's 1/r at 0.74 A) and Coulombic far away."""
    system = get_system("H2++")
    bond_lengths = np.array([0.5, 0.74, 1.5, 3.0, 9.0])
    structures = [system.atoms(r) for r in bond_lengths] + [f.atoms() for f in system.fragments]
    energies = xtb.evaluate(structures).energy
    assert np.isfinite(energies).all()
    relative = energies[:-2] - energies[-2:].sum()
    assert np.all(relative > 0) and np.all(np.diff(relative) < 0)
    coulomb = COULOMB_EV_ANGSTROM / bond_lengths
    assert relative[-1] == pytest.approx(coulomb[-1], rel=0.05)
    assert relative[1] < 0.7 * coulomb[1]


# --- any ASE calculator ---------------------------------------------------------------------------

LJ_SPEC = 'ase:ase.calculators.lj:LennardJones:{"sigma": 0.7, "epsilon": 0.1}'


def lennard_jones(r, sigma=0.7, epsilon=0.1):
    """ASE's convention: 4 eps ((s/r)^12 - (s/r)^6) shifted to 0 at rc = 3 sigma, 0 beyond."""
    def bare(x):
        return 4 * epsilon * ((sigma / x) ** 12 - (sigma / x) ** 6)

    rc = 3 * sigma
    return np.where(r <= rc, bare(r) - bare(rc), 0.0)


def test_lennard_jones_matches_the_analytic_curve():
    from ase.calculators.lj import LennardJones

    potential = load_potential(LJ_SPEC)
    r = np.array([0.6, 0.7, 2 ** (1 / 6) * 0.7, 1.0, 1.5, 2.0, 3.0])
    prediction = potential.evaluate([H2.atoms(x) for x in r] + [f.atoms() for f in H2.fragments])
    assert np.allclose(prediction.energy[:-2], lennard_jones(r), rtol=1e-10, atol=1e-12)
    assert np.allclose(prediction.energy[-2:], 0.0)
    direct = []
    for x in r:
        atoms = H2.atoms(x)
        atoms.calc = LennardJones(sigma=0.7, epsilon=0.1)
        direct.append(atoms.get_potential_energy())
    assert np.allclose(prediction.energy[:-2], direct, rtol=1e-12, atol=0)
    h, inside = 1e-6, r[:-1]  # the last point is beyond the cutoff
    de_dr = (lennard_jones(inside + h) - lennard_jones(inside - h)) / (2 * h)
    force_on_b = [f[1, 2] for f in prediction.forces[:len(inside)]]
    assert np.allclose(force_on_b, -de_dr, rtol=1e-5, atol=1e-8)
    assert not potential.charge_aware and potential.family == "ase"
    assert potential.version.startswith("ase.calculators.lj.LennardJones (ase ")


FLAKY_SPEC = 'ase:fake_calculators:FlakyChargeReader:{"_charge_aware": true, "_spin_aware": true}'


def test_failing_or_nan_structures_give_nan_for_themselves_only():
    potential = load_potential(FLAKY_SPEC)
    assert potential.charge_aware and potential.spin_aware
    structures = h2_batch((0.3, 1.0, 7.0, 2.0)) + [get_system("H2+").atoms(2.0)]
    with pytest.warns(RuntimeWarning) as record:
        prediction = potential.evaluate(structures)
    assert np.allclose(prediction.energy, [math.nan, 1.0, math.nan, 2.0, 0.0, 0.0, 12.0],
                       equal_nan=True)  # H2+ at the same r as H2: the charge reached it
    assert {str(w.message).split(" failed on structure ")[1][0] for w in record} == {"0", "2"}
    assert np.isnan(prediction.forces[0]).all() and np.isfinite(prediction.forces[1]).all()


@pytest.mark.parametrize("spec, complaint", [
    ("ase:no_such_module_for_astray:Calc", "cannot import 'no_such_module_for_astray'"),
    ("ase:ase.calculators.lj:NoSuchCalculator", "has no 'NoSuchCalculator'"),
    ("ase:ase.calculators.lj:LennardJones:{sigma: 0.7}", "not valid JSON"),
    ("ase:ase.calculators.lj:LennardJones:[0.7]", "must be a JSON object"),
    ('ase:ase.calculators.lj:LennardJones:{"sigma": "wide"}', "LennardJones(**"),
    ("ase:ase.calculators.lj", "malformed"),
])
def test_bad_ase_specs_are_one_line_potential_errors(spec, complaint):
    with pytest.raises(PotentialError) as error:
        load_potential(spec)
    assert complaint in str(error.value) and "\n" not in str(error.value)
