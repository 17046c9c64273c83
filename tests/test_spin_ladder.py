"""The spin ladder (issue 18, tier d): the lowest unrestricted SCF energy over the spin
multiplicities at each bond length, relative to the ground-state atoms; resumable, never
computed where a whole-table suite forbids it."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import astray.reference.spin_ladder as spin_ladder
from astray.cli import app
from astray.errors import ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.reference.cache import ladder_key, ladder_level, ladder_reference
from astray.reference.cli import expand_elements
from astray.reference.pyscf_tools import atom
from astray.reference.spin_ladder import (
    atom_solution,
    fragment_guess,
    ladder_atoms,
    ladder_multiplicities,
    walk_ladder,
    with_ecp,
)
from astray.store import Store
from astray.systems import get_system
from astray.units import BOHR_ANGSTROM
from console import run_main

CHEAP = "dft:pbe/sto-3g"
#: H2: compressed, r_e, the Coulson-Fischer region and dissociated (angstrom).
H2_GRID = [0.5, 0.74, 1.2, 2.0, 3.0, 6.0]


def test_the_rungs_go_from_the_lowest_to_the_atoms_high_spin_coupling():
    """N(4S) + N(4S) couple to 1, 3, 5, 7; O(3P) + O(3P) to 1, 3, 5; two closed-shell atoms
    get the triplet too; one electron has one rung; the atoms are the NIST ground terms."""
    assert ladder_multiplicities(get_system("N2")) == (1, 3, 5, 7)
    assert ladder_multiplicities(get_system("O2")) == (1, 3, 5)
    assert ladder_multiplicities(get_system("Be2")) == (1, 3)
    assert ladder_multiplicities(get_system("H2")) == (1, 3)
    assert ladder_multiplicities(get_system("H2+")) == (2,)
    sc2 = get_system("Sc2")  # its tabulated state dissociates to 2D + 4F; the ladder's zero
    assert [f.multiplicity for f in sc2.fragments] == [2, 4]  # is two ground-state atoms
    assert [f.multiplicity for f in ladder_atoms(sc2)] == [2, 2]


def test_def2_effective_core_potentials_beyond_krypton():
    """def2 replaces 28 core electrons of Ag (Andrae et al. 1990) and none of Cu."""
    assert with_ecp(atom("Ag", 0, 2, "def2-svp"), "def2-svp").nelectron == 47 - 28
    assert with_ecp(atom("Cu", 0, 2, "def2-svp"), "def2-svp").nelectron == 29


def test_fragment_guess_turns_the_second_atom_for_broken_symmetry():
    """M_S = 0 of two N atoms (S = 3/2 each): the second atom's alpha and beta swapped; the
    high-spin M_S = 3 keeps both; an M_S two closed-shell atoms cannot make is None."""
    _, density = atom_solution("N", 0, 4, LevelOfTheory.parse(CHEAP))
    n = density.shape[1]
    singlet = fragment_guess([density, density], [1.5, 1.5], 0.0)
    np.testing.assert_allclose(singlet[0, n:, n:], density[1], atol=1e-12)
    np.testing.assert_allclose(singlet[1, n:, n:], density[0], atol=1e-12)
    np.testing.assert_allclose(singlet[0, :n, :n], density[0], atol=1e-12)
    high = fragment_guess([density, density], [1.5, 1.5], 3.0)
    np.testing.assert_allclose(high[0, n:, n:], density[0], atol=1e-12)
    assert fragment_guess([density, density], [0.0, 0.0], 1.0) is None


def test_h2_singlet_at_r_e_and_broken_symmetry_to_the_atoms(tmp_path):
    """At r_e the closed-shell singlet wins; at 6 A the broken-symmetry singlet and the triplet
    both reach two H atoms (the restricted singlet would be over 1 eV above), so the curve goes
    to the atoms' sum; the winning multiplicity is recorded at every point."""
    h2 = get_system("H2")
    points = walk_ladder(h2, np.array(H2_GRID) / BOHR_ANGSTROM, LevelOfTheory.parse(CHEAP))
    assert [p.multiplicity for p in points][:3] == [1, 1, 1]
    stretched = points[-1]
    assert stretched.rungs[1] == pytest.approx(stretched.rungs[3], abs=1e-4 / 27.2)
    with Store(tmp_path / "s.sqlite") as store:
        curve = ladder_reference(h2, H2_GRID, CHEAP, store=store)
    assert abs(curve.energy_ev[-1]) < 1e-3
    assert curve.provenance["multiplicity"][1] == 1
    assert np.argmin(curve.energy_ev) == 1 and curve.energy_ev[1] < -4.0  # bound by > 4 eV


def test_o2_ground_state_is_the_triplet():
    """O2 X 3Sigma_g- (Huber & Herzberg): the ladder's winner at r_e = 1.2075 A."""
    (point,) = walk_ladder(get_system("O2"), np.array([1.2075 / BOHR_ANGSTROM]),
                           LevelOfTheory.parse(CHEAP))
    assert point.multiplicity == 3 and set(point.rungs) == {1, 3, 5}


def test_an_interrupted_ladder_computes_only_the_missing_points(tmp_path, monkeypatch):
    h2 = get_system("H2")
    solve = spin_ladder.solve_point
    calls = []

    def counted(*args, **kwargs):
        if len(calls) == 3 and fail[0]:
            raise KeyboardInterrupt
        calls.append(args[1])
        return solve(*args, **kwargs)

    fail = [True]
    monkeypatch.setattr(spin_ladder, "solve_point", counted)
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(KeyboardInterrupt):
            ladder_reference(h2, H2_GRID, CHEAP, store=store)
        with pytest.raises(ReferenceUnavailableError, match="3 of 6 points missing"):
            ladder_reference(h2, H2_GRID, CHEAP, store=store, compute=False)
        fail[0] = False
        first = list(calls)
        curve = ladder_reference(h2, H2_GRID, CHEAP, store=store)
        assert len(calls) == 6 and sorted(calls[3:]) == sorted(
            x / BOHR_ANGSTROM for x in H2_GRID[:3])  # the three shortest: only what was missing
        assert set(first) == {x / BOHR_ANGSTROM for x in H2_GRID[3:]}
        again = ladder_reference(h2, H2_GRID, CHEAP, store=store, compute=False)
    assert len(calls) == 6
    np.testing.assert_array_equal(curve.energy_ev, again.energy_ev)
    assert again.provenance["multiplicity"] == curve.provenance["multiplicity"]
    assert ladder_key(h2) == "H-H,charge=0,spin=lowest"


def test_only_scf_levels_have_a_ladder():
    with pytest.raises(ReferenceUnavailableError, match="SCF level of theory"):
        ladder_level("fci:cc-pvdz")
    assert ladder_level("DFT/PBE/def2-TZVP").canonical == "dft:pbe/def2-tzvp"


def test_element_ranges():
    assert expand_elements("H-Li, Ar") == ["H", "He", "Li", "Ar"]
    assert len(expand_elements("H-Ar")) == 18


def test_reference_command_bad_input_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path))
    for args, words in (
            (["--suite", "homonuclear", "--elements", "Ar-H", "--spin-ladder"], "Ar-H"),
            (["--suite", "homonuclear", "--elements", "H", "--spin-ladder", "--method",
              "fci:cc-pvdz"], "SCF level of theory"),
            (["H2", "--elements", "H"], "--elements")):
        code, captured = run_main(capsys, monkeypatch, "reference", *args)
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1 and words in lines[0], captured.err


@pytest.mark.slow
def test_reference_command_builds_ladders_on_dask(tmp_path, monkeypatch):
    """One Dask task a dimer; the JSON carries the winning multiplicities."""
    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["reference", "--suite", "homonuclear", "--elements",
                                      "H-He", "--spin-ladder", "--method", CHEAP, "--r",
                                      "0.74,6", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout[result.stdout.index("["):])
    assert [r["system"] for r in records] == ["H2", "He2"]
    assert records[0]["multiplicity"][0] == 1 and abs(records[1]["energy_ev"][1]) < 1e-3
