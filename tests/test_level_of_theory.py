"""One level of theory for references, potentials, data sets and training
(astray.level_of_theory): every dialect parses to one value with one canonical spelling, the
spelling that keys the shipped references and the store."""

import json

import numpy as np
import pytest

import astray.reference
from astray.curve import Curve
from astray.data.dataset import open_dataset
from astray.data.readers import import_dataset
from astray.errors import ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.reference import reference_curve, resolve_method, shipped_references
from astray.store import Store
from astray.systems import get_system
from astray.units import HARTREE_EV
from toy_dataset import ATOM_ENERGIES_EV, write_toy_extxyz


@pytest.mark.parametrize("text, canonical", [
    ("dft:pbe/def2-tzvp", "dft:pbe/def2-tzvp"), ("dft/pbe/def2-tzvp", "dft:pbe/def2-tzvp"),
    ("pbe/def2-tzvp", "dft:pbe/def2-tzvp"), (" DFT : PBE / def2-TZVP ", "dft:pbe/def2-tzvp"),
    ("B3LYP/6-31G", "dft:b3lyp/6-31g"), ("hf/6-31g", "hf/6-31g"), ("HF/6-31G*", "hf/6-31g*"),
    ("hf:sto-3g", "hf/sto-3g"), ("ccsd(t)/cc-pvtz", "ccsd(t)/cc-pvtz"),
    ("CCSD(T):cc-pVDZ", "ccsd(t)/cc-pvdz"), ("fci:cc-pvtz", "fci/cc-pvtz"),
    ("fci/cbs", "fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)"),
    ("fci:cbs", "fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)"),
    ("nevpt2/cbs", "nevpt2/cbs(cc-pvtz,cc-pvqz)"),
    ("nevpt2/cbs(aug-cc-pvdz, aug-cc-pvtz)", "nevpt2/cbs(aug-cc-pvdz,aug-cc-pvtz)"),
    ("nevpt2:cc-pvdz", "nevpt2/cc-pvdz"), ("coulomb", "coulomb"),
    ("Exact-One-Electron", "exact-one-electron"), ("gfn2-xtb", "gfn2-xtb"),
    ("GFN2-xTB", "gfn2-xtb"), ("xtb", "gfn2-xtb"),
])
def test_every_dialect_names_one_canonical_level(text, canonical):
    level = LevelOfTheory.parse(text)
    assert level.canonical == canonical
    assert LevelOfTheory.parse(canonical) == level  # the canonical spelling parses back


def test_the_shipped_references_are_keyed_by_canonical_spellings():
    methods = {method for _, method in shipped_references()}
    assert "dft:pbe/def2-tzvp" in methods and "fci/aug-cc-pvtz" in methods
    for method in methods:
        assert LevelOfTheory.parse(method).canonical == method


def test_a_data_set_a_potential_and_a_reference_share_one_value():
    reference = LevelOfTheory.parse("dft:b3lyp/6-31g")
    assert LevelOfTheory.parse("B3LYP/6-31G") == reference  # as papers and data sets write it
    assert LevelOfTheory.from_data_set(open_dataset("default").level_of_theory) == reference
    assert LevelOfTheory.from_data_set("HF/6-31G") == LevelOfTheory.parse("hf:6-31g")
    assert LevelOfTheory.parse("HF/6-31G").functional is None
    assert LevelOfTheory.parse("fci/cbs").cardinals == (3, 4)
    assert LevelOfTheory.parse("nevpt2/cbs").bases == ("cc-pvtz", "cc-pvqz")


@pytest.mark.parametrize("text, canonical", [
    ("B3LYP/6-31g (PySCF, density fitting, grid level 1; broken-symmetry UKS for distorted "
     "structures)", "dft:b3lyp/6-31g"),
    ("GFN2-xTB (tblite)", "gfn2-xtb"), ("HF/6-31G", "hf/6-31g"),
    ("ωB97x/6-31G(d)", "dft:wb97x/6-31g(d)"),  # Transition1x's spelling
    ("unknown (extxyz)", None), ("PBE/PBE+U", None), ("G4(MP2)", None), ("", None),
])
def test_data_set_metadata_is_read_leniently(text, canonical):
    level = LevelOfTheory.from_data_set(text)
    assert (level and level.canonical) == canonical


def test_the_shipped_data_sets_state_their_level_of_theory():
    expected = {"default": "dft:b3lyp/6-31g", "xtb": "gfn2-xtb", "tiny": "gfn2-xtb"}
    for name, canonical in expected.items():
        assert LevelOfTheory.from_data_set(open_dataset(name).level_of_theory).canonical == (
            canonical)
    assert LevelOfTheory.parse("gfn2-xtb").semi_empirical


def test_the_xtb_potential_and_its_data_set_share_one_level_of_theory():
    from astray.potentials.xtb import XtbPotential

    assert LevelOfTheory.parse(XtbPotential.level_of_theory) == LevelOfTheory.from_data_set(
        open_dataset("xtb").level_of_theory)


@pytest.mark.parametrize("text, words", [
    ("magic", "unknown reference method"), ("nonsense/def2-svp", "FUNCTIONAL/BASIS"),
    ("dft:pbe", "dft:FUNCTIONAL/BASIS"), ("dft:nonsense/def2-svp", "unknown density functional"),
    ("hf:no-such-basis", "unknown basis set"), ("hf:", "names no basis set"),
    ("fci/cbs(cc-pvtz,cc-pvqz)", "aug-cc-pvXz+tight"),
    ("nevpt2/cbs(cc-pvqz,cc-pvtz)", "from small to large"),
    ("nevpt2/cbs(cc-pvtz)", "write e.g. cbs(cc-pvtz,cc-pvqz)"),
])
def test_unknown_text_is_a_one_line_error_that_says_what_to_write(text, words):
    with pytest.raises(ReferenceUnavailableError, match=words.replace("(", r"\(").replace(
            ")", r"\)").replace("+", r"\+")) as error:
        LevelOfTheory.parse(text)
    assert "\n" not in str(error.value)


def test_describe_is_for_people():
    assert LevelOfTheory.parse("b3lyp/6-31g").describe() == "B3LYP/6-31g"
    assert LevelOfTheory.parse("hf:sto-3g").describe() == "HF/sto-3g"
    assert LevelOfTheory.parse("xtb").describe() == "GFN2-xTB"


def test_no_reference_family_computes_gfn2_xtb():
    with pytest.raises(ReferenceUnavailableError, match="no reference method computes"):
        reference_curve(get_system("H2"), [0.74], "gfn2-xtb")


@pytest.mark.parametrize("dialect", ["dft/pbe/def2-tzvp", "PBE/def2-TZVP", " dft:PBE/def2-tzvp"])
def test_a_dialect_reads_the_shipped_curve_and_computes_nothing(dialect, monkeypatch):
    """The review's bug: ``dft/pbe/def2-tzvp`` missed the shipped ``dft:pbe/def2-tzvp`` curves
    and recomputed them under a second key."""
    def refuse(*args, **kwargs):
        raise AssertionError("a shipped reference was computed")

    monkeypatch.setattr(astray.reference.cache, "compute_reference", refuse)
    system = get_system("H2")
    assert resolve_method(system, dialect) == "dft:pbe/def2-tzvp"
    with Store() as store:
        curve = reference_curve(system, method=dialect, store=store)
    shipped = shipped_references()[(system.spec, "dft:pbe/def2-tzvp")]
    assert curve.method == "dft:pbe/def2-tzvp"
    np.testing.assert_array_equal(curve.total_energy_ev, shipped["total_energy_ev"])


def test_a_hartree_fock_data_set_gets_its_level_of_theory_compared(tmp_path):
    """The review's bug: a checkpoint trained on HF data never got its level-of-theory curve.
    UHF with the broken-symmetry guess is size-consistent for H2 -> 2 H: at 6 A the curve is 0,
    and at r_e HF/6-31G binds H2 by 3.55 eV (less than the exact 4.75: no correlation)."""
    from astray.scaling.execute import level_of_theory_curve
    from astray.train.trainer import level_of_theory_method

    # the toy set imported as if computed at HF/6-31G (its energies are a toy model: only the
    # stated level of theory matters here)
    write_toy_extxyz(tmp_path / "toy.extxyz")
    dataset = import_dataset(tmp_path / "toy.extxyz", "toy-hf", level_of_theory="HF/6-31G",
                             atom_energies=json.dumps(ATOM_ENERGIES_EV))
    assert level_of_theory_method(dataset) == "hf/6-31g"
    system = get_system("H2")
    r = np.array([0.7414, 6.0])
    grid = Curve(system.name, "test grid", "", r, np.zeros(2), np.zeros(2), (0.0, 0.0))
    with Store() as store:
        curve = level_of_theory_curve(dataset, system, grid, store)
    assert curve.method == "hf/6-31g"
    assert curve.energy_ev[1] == pytest.approx(0.0, abs=1e-6)
    assert curve.fragment_energy_ev[0] == pytest.approx(-0.498233 * HARTREE_EV, abs=1e-4)
    assert -curve.energy_ev[0] == pytest.approx(3.55, abs=0.05)


def test_the_shipped_data_sets_reference_methods():
    from astray.train.trainer import level_of_theory_method

    assert level_of_theory_method(open_dataset("default")) == "dft:b3lyp/6-31g"
    assert level_of_theory_method(open_dataset("xtb")) is None  # evaluated with tblite instead


def test_a_method_and_a_basis_name_a_level_that_says_what_it_is():
    """``METHOD/BASIS`` as the PySCF potential (HF, CCSD(T), functionals) and a data-set build
    (HF, functionals) spell it; the level, not the string, says whether it is a
    self-consistent field and how chemists write it."""
    assert LevelOfTheory.of_method("PBE", "def2-svp").canonical == "dft:pbe/def2-svp"
    hf = LevelOfTheory.of_method("hf", "sto-3g")
    assert hf.canonical == "hf/sto-3g" and hf.self_consistent_field and hf.label == "HF/STO-3G"
    with pytest.raises(ReferenceUnavailableError, match="unknown density functional"):
        LevelOfTheory.of_method("ccsd(t)", "cc-pvdz")  # a data set computes HF and DFT only
    ccsd = LevelOfTheory.of_method("ccsd(t)", "cc-pvdz", wavefunction=("hf", "ccsd(t)"))
    assert not ccsd.self_consistent_field and ccsd.label == "CCSD(T)/cc-pVDZ"
    cbs = LevelOfTheory.parse("fci/cbs")
    assert not cbs.self_consistent_field and cbs.label == cbs.canonical
