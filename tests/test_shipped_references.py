"""The references shipped inside the package: complete for the default suite, on its grid, and
right against exact facts (so `astray curves` needs no quantum chemistry for the default suite)."""

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from astray.reference import default_method, reference_curve, shipped_references
from astray.reference.coulomb import coulomb_energy
from astray.reference.one_electron import one_electron_energy
from astray.systems import DEFAULT_SUITE, get_system
from astray.units import BOHR_ANGSTROM, HARTREE_EV, KCAL_MOL_EV

LEVEL_OF_THEORY = "dft:pbe/def2-tzvp"  # CHGNet and SevenNet-0 were trained on PBE


@pytest.mark.parametrize("name", DEFAULT_SUITE)
@pytest.mark.parametrize("kind", ["best", LEVEL_OF_THEORY])
def test_default_suite_ships_on_its_grid(name, kind):
    system = get_system(name)
    # bare nuclei: every method is Coulomb's law, shipped once
    method = default_method(system) if kind == "best" or system.bare_nuclei else kind
    shipped = shipped_references()[(system.spec, method)]
    # exactly: the store and the shipped files are keyed by the grid points
    assert np.array_equal(shipped["r_angstrom"], system.default_grid())


def test_shipped_two_protons_are_coulomb():
    curve = reference_curve(get_system("H2++"))
    assert np.allclose(curve.energy_ev, coulomb_energy(1, 1, curve.r_angstrom), rtol=1e-12)


@pytest.mark.parametrize("name, z", [("H2+", (1, 1)), ("HeH++", (2, 1))])
def test_shipped_one_electron_curves_are_exact(name, z):
    system = get_system(name)
    curve = reference_curve(system)
    exact = one_electron_energy(*z, curve.r_angstrom / BOHR_ANGSTROM) * HARTREE_EV
    assert np.allclose(curve.total_energy_ev, exact, atol=1e-8)
    assert curve.fragment_energy_ev[0] + curve.fragment_energy_ev[1] == pytest.approx(
        -max(z) ** 2 / 2 * HARTREE_EV, abs=1e-8)


def test_shipped_h2_well_depth_is_the_exact_one():
    """D_e(H2) = 4.7476 eV (Kolos-Wolniewicz / Pachucki), within 0.1 kcal/mol."""
    curve = reference_curve(get_system("H2"))
    spline = CubicSpline(curve.r_angstrom, curve.energy_ev)
    fine = np.linspace(0.70, 0.78, 801)
    assert -spline(fine).min() == pytest.approx(4.7476, abs=0.1 * KCAL_MOL_EV)
    assert fine[np.argmin(spline(fine))] == pytest.approx(0.7414, abs=0.001)
