"""Exact one-electron two-centre energies against published values, limits and a basis-set bound."""


import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import minimize_scalar

from astray.reference.one_electron import one_electron_energy
from astray.units import HARTREE_EV


def electronic(z1, z2, r):
    return one_electron_energy(z1, z2, r) - z1 * z2 / np.asarray(r)


def test_h2plus_at_2_bohr():
    # Madsen & Peek, At. Data 2, 171 (1971): E_el(1s sigma_g, R = 2 bohr) = -1.1026342144949.
    assert one_electron_energy(1, 1, 2.0) == pytest.approx(-0.6026342144949, abs=1e-11)
    assert electronic(1, 1, 2.0) == pytest.approx(-1.1026342144949, abs=1e-11)


@pytest.mark.parametrize("r, e_el", [(1.0, -1.4517863133), (4.0, -0.7960848837)])
def test_h2plus_electronic_energies(r, e_el):
    # Madsen & Peek (1971), Bates, Ledsham & Stewart (1953); 10 decimals as published.
    assert electronic(1, 1, r) == pytest.approx(e_el, abs=1e-9)


def test_h2plus_minimum():
    # R_e = 1.99719 bohr, E_min = -0.60263462 hartree: D_e = 0.10263462 hartree = 2.7928 eV below
    # H(1s) + H+. (E(2 bohr) = -0.6026342 lies 4e-7 hartree above the minimum.)
    fit = minimize_scalar(lambda r: one_electron_energy(1, 1, r), bracket=(1.9, 2.0, 2.1),
                          tol=1e-10)
    d_e = -0.5 - fit.fun
    assert fit.x == pytest.approx(1.9972, abs=1e-4)
    assert d_e == pytest.approx(0.1026346, abs=1e-7)
    assert d_e * HARTREE_EV == pytest.approx(2.7928, abs=1e-4)


@pytest.mark.parametrize("z1, z2", [(1, 1), (2, 1), (1, 3)])
def test_united_atom_limit(z1, z2):
    # R -> 0: hydrogenic ion of charge Z = Z1 + Z2, E_el = -Z^2/2 + c R^2 + O(R^3). First-order
    # perturbation theory about the centre of charge gives c = (2/3) Z1 Z2 Z^2 (8/3 for H2+).
    z = z1 + z2
    r = 1e-3
    assert electronic(z1, z2, 1e-6) == pytest.approx(-z * z / 2, abs=1e-9)
    curvature = (electronic(z1, z2, r) + z * z / 2) / r**2
    assert curvature == pytest.approx(2 / 3 * z1 * z2 * z * z, rel=1e-2)


@pytest.mark.parametrize("z1, z2", [(1, 1), (2, 1), (1, 2), (3, 1), (2, 2)])
@pytest.mark.parametrize("r", [25.0, 35.0])
def test_separated_atoms_limit(z1, z2, r):
    # R -> inf: the electron in the 1s state of the larger charge Zm, perturbed by the bare charge
    # Zs: E = -Zm^2/2 + Zs (Zm - 1)/R - alpha Zs^2 / (2 R^4) + O(R^-6), with the hydrogenic dipole
    # polarisability alpha = 9 / (2 Zm^4) (H2+: -1/2 - 9/(4 R^4)). The R^-6 term is the quadrupole
    # one, -15 Zs^2 / (2 Zm^6 R^6); allow twice it.
    zm, zs = max(z1, z2), min(z1, z2)
    expected = -zm**2 / 2 + zs * (zm - 1) / r - 9 * zs**2 / (4 * zm**4 * r**4)
    quadrupole_bound = 15 * zs**2 / (zm**6 * r**6)
    assert one_electron_energy(z1, z2, r) == pytest.approx(expected, abs=quadrupole_bound)


def test_symmetric_in_the_charges():
    r = np.linspace(0.05, 40.0, 25)
    np.testing.assert_allclose(one_electron_energy(1, 2, r), one_electron_energy(2, 1, r),
                               rtol=0, atol=1e-12)


def test_heh2plus_against_gaussian_basis_upper_bound():
    # HeH2+ at 4 bohr in a large even-tempered Gaussian basis (s-f, exponents scaled by Z^2). For
    # one electron the lowest eigenvalue of the core Hamiltonian is the variational energy: above
    # the exact one, by about 1e-6 hartree in this basis.
    pyscf_gto = pytest.importorskip("pyscf.gto")
    r = 4.0
    spec = [(0, 24, 0.02, 2.2), (1, 12, 0.08, 2.2), (2, 8, 0.2, 2.3), (3, 5, 0.4, 2.5)]
    basis = {s: pyscf_gto.etbs([(ang, n, b * z * z, f) for ang, n, b, f in spec])
             for s, z in (("He", 2), ("H", 1))}
    mol = pyscf_gto.M(atom=[["He", (0, 0, 0)], ["H", (0, 0, r)]], unit="Bohr", basis=basis,
                      charge=2, spin=1, verbose=0)
    hcore = mol.intor("int1e_kin") + mol.intor("int1e_nuc")
    e_basis = scipy.linalg.eigh(hcore, mol.intor("int1e_ovlp"), eigvals_only=True,
                                subset_by_index=[0, 0])[0] + mol.energy_nuc()
    assert 0.0 < e_basis - one_electron_energy(2, 1, r) < 1e-5


def test_vectorised():
    r = np.linspace(0.05, 40.0, 100)
    energies = one_electron_energy(2, 1, r)
    assert energies.shape == r.shape
    assert isinstance(one_electron_energy(1, 1, 3.0), float)
    grid = r[:6].reshape(2, 3)
    np.testing.assert_array_equal(one_electron_energy(1, 1, grid),
                                  [[one_electron_energy(1, 1, x) for x in row] for row in grid])


@pytest.mark.parametrize("z1, z2, r", [(1, 1, 0.0), (1, 1, -1.0), (1, 1, [1.0, np.nan]),
                                       (0, 1, 1.0), (1, -2, 1.0)])
def test_bad_input_raises(z1, z2, r):
    with pytest.raises(ValueError, match="must be finite and > 0"):
        one_electron_energy(z1, z2, r)
