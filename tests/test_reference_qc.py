"""Ab initio references (the families of astray.reference and their registry, .methods) against
published exact values.

Exact H2 Born-Oppenheimer energies (total, hartree, R in bohr): J. S. Sims and S. A. Hagstrom,
J. Chem. Phys. 124, 094101 (2006), Table VI, for 0.4 <= R <= 6.0 (they agree with
L. Wolniewicz, J. Chem. Phys. 99, 1851 (1993), Table II, to 1e-7 hartree); Wolniewicz 1993 for
R = 0.2, 0.3 and R > 6. R = 1.4 bohr: -1.1744757 hartree; D_e = 4.7477 eV at R_e = 1.4011 bohr.
The tolerance everywhere is the requirement of the reference: 0.1 kcal/mol.
"""

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from astray.curve import Curve
from astray.errors import ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.reference.methods import compute_reference, default_method, total_energy
from astray.reference.pyscf_tools import diatomic
from astray.reference.scf import scf_curve
from astray.reference.two_electron import two_electron_fci
from astray.systems import CATALOGUE, get_system
from astray.units import BOHR_ANGSTROM, COULOMB_EV_ANGSTROM, HARTREE_EV, KCAL_MOL_EV

TOLERANCE_EV = 0.1 * KCAL_MOL_EV

#: Sims & Hagstrom 2006 (0.4-6.0 bohr), total BO energies in hartree.
SIMS_HAGSTROM = {
    0.4: -0.1202303411778644, 0.5: -0.5266387587423172, 0.6: -0.7696354294853568,
    0.7: -0.9220274615270152, 0.8: -1.0200566663601389, 0.9: -1.0836432399585087,
    1.0: -1.1245397195465791, 1.1: -1.1500573677382885, 1.2: -1.1649352434400281,
    1.3: -1.17234714903778, 1.4: -1.1744757142200755, 1.5: -1.1728550795781447,
    1.6: -1.1685833733709263, 1.7: -1.1624587268978088, 1.8: -1.1550687376108071,
    1.9: -1.146850697028721, 2.0: -1.1381329571315035, 2.2: -1.1201321168476391,
    2.4: -1.1024226060092978, 2.6: -1.0857912373935887, 2.8: -1.0706832334784095,
    3.0: -1.0573262688692439, 3.2: -1.0457996614287338, 3.4: -1.0360753951869195,
    3.6: -1.0280463083758766, 3.8: -1.0215497955299109, 4.0: -1.0163902529471283,
    4.2: -1.0123599596799189, 4.4: -1.0092565162586632, 4.6: -1.0068952238201211,
    4.8: -1.0051160060980952, 5.0: -1.0037856585819889, 5.2: -1.0027968163095431,
    5.4: -1.0020650572082353, 5.6: -1.0015252518853549, 5.8: -1.0011278808513214,
    6.0: -1.0008357076542279,
}
#: Wolniewicz 1993 outside that range.
WOLNIEWICZ = {
    0.2: 2.197803500, 0.3: 0.619241793, 6.2: -1.000620961, 6.4: -1.000463077,
    6.6: -1.000346878, 6.8: -1.000261213, 7.0: -1.000197911, 7.2: -1.000150992,
    7.4: -1.000116086, 7.6: -1.000090001, 7.8: -1.000070408, 8.0: -1.000055603,
    8.5: -1.000032170, 9.0: -1.000019780, 9.5: -1.000012855, 10.0: -1.000008754,
    11.0: -1.000004506,
}
#: Dispersion coefficients of H + H (hartree bohr^n) for R beyond the tables.
C6, C8, C10 = 6.499027, 124.399, 3285.83


def exact_h2_interaction_ev(r_angstrom) -> np.ndarray:
    """Exact E(H2) - 2 E(H) in eV: cubic spline of R E(R) through the tables (its error is
    below 3e-5 hartree between the points), the dispersion series beyond 11 bohr."""
    table = {**WOLNIEWICZ, **SIMS_HAGSTROM}
    r_table = np.array(sorted(table))
    spline = CubicSpline(r_table, r_table * np.array([table[r] for r in r_table]))
    r = np.atleast_1d(np.asarray(r_angstrom, float)) / BOHR_ANGSTROM
    inside = np.minimum(r, r_table[-1])
    energy = np.where(r <= r_table[-1], spline(inside) / inside,
                      -1.0 - C6 / r**6 - C8 / r**8 - C10 / r**10)
    return (energy + 1.0) * HARTREE_EV


@pytest.fixture(scope="module")
def h2_points():
    """FCI/CBS of H2 at tabulated bond lengths (bohr), including R_e = 1.4011 bohr."""
    r_bohr = np.array([0.4, 1.4, 1.4011, 2.0, 3.0, 6.0])
    return r_bohr, compute_reference(get_system("H2"), r_bohr * BOHR_ANGSTROM)


def test_h2_total_energy_at_1_4_bohr(h2_points):
    r_bohr, curve = h2_points
    total = curve.total_energy_ev[list(r_bohr).index(1.4)]
    assert total == pytest.approx(-1.1744757 * HARTREE_EV, abs=TOLERANCE_EV)


def test_h2_curve_matches_exact_values_compressed_and_stretched(h2_points):
    r_bohr, curve = h2_points
    assert curve.method == "fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)"
    for r, energy in zip(r_bohr, curve.energy_ev):
        if r in SIMS_HAGSTROM:
            exact = (SIMS_HAGSTROM[r] + 1.0) * HARTREE_EV
            assert energy == pytest.approx(exact, abs=TOLERANCE_EV), f"R = {r} bohr"


def test_h2_dissociation_energy(h2_points):
    r_bohr, curve = h2_points
    d_e = -curve.energy_ev[list(r_bohr).index(1.4011)]
    assert d_e == pytest.approx(4.7476, abs=TOLERANCE_EV)


def test_h2_curve_provenance_and_fragments(h2_points):
    _, curve = h2_points
    assert isinstance(curve, Curve)
    assert curve.provenance["code"]["pyscf"]
    assert curve.provenance["expected_accuracy_kcal_mol"] == 0.1
    assert curve.provenance["timings_s"]["points"] == 6
    # the fragments are hydrogen atoms in the same basis: -0.5 hartree to 0.1 kcal/mol
    for fragment in curve.fragment_energy_ev:
        assert fragment == pytest.approx(-0.5 * HARTREE_EV, abs=TOLERANCE_EV)
    np.testing.assert_allclose(curve.energy_ev,
                               curve.total_energy_ev - sum(curve.fragment_energy_ev))
    import json

    json.dumps(curve.provenance)


def test_two_electron_fci_equals_determinant_fci():
    """The matrix formulation of two-electron FCI against PySCF's determinant FCI."""
    from pyscf import fci, scf

    for multiplicity in (1, 3):
        mol = diatomic(("H", "H"), 1.7, 0, multiplicity, "cc-pvdz")
        solution = two_electron_fci(mol)
        mf = (scf.RHF(mol) if multiplicity == 1 else scf.ROHF(mol)).run()
        spin = (multiplicity - 1) / 2
        solver = fci.addons.fix_spin_(fci.FCI(mf), ss=spin * (spin + 1))
        assert solution.e_fci == pytest.approx(solver.kernel()[0], abs=1e-9)


def test_default_methods():
    expected = {"H2++": "coulomb", "H2+": "exact-one-electron", "HeH++": "exact-one-electron",
                "H2": "fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)",
                "HeH+": "fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)",
                "He2": "published/przybytek-2010", "LiH": "fci/cc-pvtz",
                "N2": "nevpt2/cbs(cc-pvtz,cc-pvqz)", "O2": "nevpt2/cbs(cc-pvtz,cc-pvqz)"}
    for name, method in expected.items():
        assert default_method(get_system(name)) == method
    for system in CATALOGUE.values():  # every default parses back to itself
        assert LevelOfTheory.parse(default_method(system)).canonical == default_method(system)


@pytest.mark.parametrize("text, canonical", [
    ("fci/cbs", "fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)"),
    ("FCI:cc-pVTZ", "fci/cc-pvtz"), ("nevpt2:cc-pvtz", "nevpt2/cc-pvtz"),
    ("nevpt2/cbs", "nevpt2/cbs(cc-pvtz,cc-pvqz)"),
    ("nevpt2/cbs(aug-cc-pvdz,aug-cc-pvtz)", "nevpt2/cbs(aug-cc-pvdz,aug-cc-pvtz)"),
    ("dft:PBE/def2-TZVP", "dft:pbe/def2-tzvp"),
    ("dft:wb97m-v/def2-tzvpd", "dft:wb97m-v/def2-tzvpd"),
    ("hf:cc-pvdz", "hf/cc-pvdz"), ("ccsd(t):cc-pvdz", "ccsd(t)/cc-pvdz"), ("coulomb", "coulomb"),
])
def test_method_strings(text, canonical):
    assert LevelOfTheory.parse(text).canonical == canonical


@pytest.mark.parametrize("system, method, message", [
    ("H2", "coulomb", "only for bare nuclei"),
    ("H2++", "exact-one-electron", "exactly one electron"),
    ("LiH", "fci/cbs", "at most two electrons"),
    ("H2", "magic", "unknown reference method"),
    ("H2", "dft:nonsense/def2-svp", "unknown density functional"),
    ("H2", "hf:no-such-basis", "unknown basis set"),
    ("H2", "dft:pbe", "dft:FUNCTIONAL/BASIS"),
])
def test_unavailable_methods_raise_one_line_errors(system, method, message):
    with pytest.raises(ReferenceUnavailableError, match=message) as error:
        compute_reference(get_system(system), [1.0], method)
    assert "\n" not in str(error.value)


def test_fci_refuses_what_it_cannot_afford():
    with pytest.raises(ReferenceUnavailableError, match="too expensive"):
        compute_reference(get_system("N2"), [1.1], "fci:cc-pvtz")


def test_bare_nuclei_are_coulomb_for_every_method():
    system = get_system("H2++")
    r = np.array([0.3, 1.0, 4.0])
    for method in (None, "coulomb", "dft:pbe/def2-svp", "hf:cc-pvdz", "fci/cbs"):
        curve = compute_reference(system, r, method)
        np.testing.assert_allclose(curve.energy_ev, COULOMB_EV_ANGSTROM / r, rtol=1e-12)
        assert curve.fragment_energy_ev == (0.0, 0.0)
        assert "Coulomb" in curve.description


def test_one_electron_systems_use_the_exact_solution():
    # Madsen & Peek (1971): E_el(H2+, R = 2 bohr) = -1.1026342144949 hartree
    curve = compute_reference(get_system("H2+"), [2.0 * BOHR_ANGSTROM])
    assert curve.method == "exact-one-electron"
    assert curve.total_energy_ev[0] == pytest.approx((-1.1026342144949 + 0.5) * HARTREE_EV,
                                                     abs=1e-8)
    assert sorted(curve.fragment_energy_ev) == [pytest.approx(-0.5 * HARTREE_EV), 0.0]


def test_fci_cbs_basis_is_exact_enough_for_one_electron():
    """H2+ in the fci/cbs basis (Hartree-Fock is exact for one electron) against the exact
    one-electron solution, compressed, at r_e and stretched."""
    system, r = get_system("H2+"), np.array([0.5, 2.0, 6.0]) * BOHR_ANGSTROM
    basis_set = compute_reference(system, r, "fci/cbs")
    exact = compute_reference(system, r, "exact-one-electron")
    np.testing.assert_allclose(basis_set.energy_ev, exact.energy_ev, atol=TOLERANCE_EV)


def test_total_energy_of_atoms_and_structures():
    assert total_energy(["H"], [[0, 0, 0]], 0, 2, "best") == pytest.approx(-0.5 * HARTREE_EV)
    assert total_energy(["H"], [[0, 0, 0]], 1, 1, None) == 0.0
    assert total_energy(["He"], [[0, 0, 0]], 1, 2, "exact-one-electron") == pytest.approx(
        -2.0 * HARTREE_EV)
    assert total_energy(["H", "H"], [[0, 0, 0], [0.3, 0.4, 0.0]], 2, 1, "best") == pytest.approx(
        COULOMB_EV_ANGSTROM / 0.5)
    with pytest.raises(ReferenceUnavailableError, match="atoms and diatomics"):
        total_energy(["H", "H", "H"], np.zeros((3, 3)), 1, 1, "best")
    with pytest.raises(ReferenceUnavailableError, match="only for bare nuclei"):
        total_energy(["H", "H"], [[0, 0, 0], [0, 0, 0.74]], 0, 1, "coulomb")


def test_an_atom_in_one_basis_function_has_nothing_to_rotate():
    """H in STO-3G: one function, so the SCF energy is its expectation value, -0.466582 hartree
    (Szabo & Ostlund, zeta = 1.24); PySCF's stability analysis divided by zero on it, so every
    hf, dft and ccsd(t) curve of a hydrogen compound in STO-3G failed."""
    for method in ("hf:sto-3g", "ccsd(t):sto-3g"):
        energy = total_energy(["H"], [[0, 0, 0]], 0, 2, method)
        assert energy == pytest.approx(-0.466582 * HARTREE_EV, abs=1e-6 * HARTREE_EV)


def test_ccsd_equals_fci_for_two_electrons():
    """Two independent codes: UCCSD(T) is exact for two electrons, as is two-electron FCI."""
    positions = [[0, 0, 0], [0, 0, 1.2]]
    fci = total_energy(["H", "H"], positions, 0, 1, "fci:cc-pvdz")
    ccsd = total_energy(["H", "H"], positions, 0, 1, "ccsd(t):cc-pvdz")
    assert ccsd == pytest.approx(fci, abs=1e-6)


def test_broken_symmetry_dft_dissociates_h2_and_restricted_does_not():
    """The study's reviewers: restricted DFT fails at H2 dissociation; the unrestricted
    broken-symmetry solution goes to two atoms."""
    curve = compute_reference(get_system("H2"), [6.0], "dft:pbe/def2-svp")
    assert abs(curve.energy_ev[0]) < 0.01  # two H atoms at 6 A, eV
    restricted = scf_curve(("H", "H"), np.array([6.0 / BOHR_ANGSTROM]), 0, 1, "def2-svp", "pbe",
                           broken_symmetry=False)[0] * HARTREE_EV
    assert restricted - sum(curve.fragment_energy_ev) > 1.0  # spurious ionic energy, eV


# ---------------------------------------------------------------- slow: whole curves, NEVPT2

@pytest.mark.slow
def test_h2_default_grid_matches_exact_curve_everywhere():
    system = get_system("H2")
    grid = system.default_grid()
    curve = compute_reference(system, grid)
    error = curve.energy_ev - exact_h2_interaction_ev(grid)
    assert np.all(np.isfinite(curve.energy_ev))
    assert np.max(np.abs(error)) < TOLERANCE_EV, f"worst at {grid[np.argmax(np.abs(error))]} A"


@pytest.mark.slow
def test_heh_plus_binds_and_dissociates_to_he_plus_proton():
    curve = compute_reference(get_system("HeH+"), [0.7743, 6.0])
    assert curve.fragment_energy_ev[1] == 0.0  # the proton
    # He atom: -2.903724 hartree (Pekeris 1959), to 0.2 mHa in these bases
    assert curve.fragment_energy_ev[0] == pytest.approx(-2.903724 * HARTREE_EV, abs=0.006)
    assert -2.1 < curve.energy_ev[0] < -1.9  # D_e about 2.04 eV
    # at 6 A only the polarisation of He by the proton is left: -alpha / (2 R^4)
    r = 6.0 / BOHR_ANGSTROM
    assert curve.energy_ev[1] == pytest.approx(-1.383 / (2 * r**4) * HARTREE_EV, abs=TOLERANCE_EV)


#: Experimental D_e (eV) and the accuracy claimed for nevpt2/cbs(cc-pvtz,cc-pvqz) (kcal/mol).
NEVPT2_DE_EV = {"N2": 9.905, "LiH": 2.515}
NEVPT2_ACCURACY_KCAL_MOL = 5.0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NEVPT2_DE_EV))
def test_nevpt2_cbs_dissociation_energy(name):
    system = get_system(name)
    curve = compute_reference(system, [system.r_nominal], "nevpt2/cbs")
    d_e = -curve.energy_ev[0]
    assert abs(d_e - NEVPT2_DE_EV[name]) < NEVPT2_ACCURACY_KCAL_MOL * KCAL_MOL_EV


@pytest.mark.slow
def test_nevpt2_curve_goes_to_zero_at_dissociation():
    system = get_system("N2")
    curve = compute_reference(system, [1.0977, 1.6, 2.4, 3.5, 5.0], "nevpt2:cc-pvdz")
    assert np.all(np.isfinite(curve.energy_ev))
    assert curve.energy_ev[0] < -8.0
    assert abs(curve.energy_ev[-1]) < 0.5 * KCAL_MOL_EV
