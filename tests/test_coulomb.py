"""Bare nuclei obey Coulomb's law exactly: 1 hartree bohr = 332.0637 kcal/mol A."""

import numpy as np
import pytest

from astray.reference.coulomb import coulomb_energy
from astray.units import BOHR_ANGSTROM, EV_KCAL_MOL, HARTREE_EV


def test_two_protons_at_one_bohr_repel_with_one_hartree():
    assert coulomb_energy(1, 1, BOHR_ANGSTROM) == pytest.approx(HARTREE_EV, rel=1e-12)


def test_prefactor_in_kcal_mol_angstrom_matches_the_study():
    r = np.array([0.5, 1.0, 3.0])
    assert coulomb_energy(1, 1, r) * EV_KCAL_MOL * r == pytest.approx(332.0637, abs=1e-3)


def test_charges_multiply_and_bad_lengths_raise():
    assert coulomb_energy(2, 3, 1.0) == pytest.approx(6 * coulomb_energy(1, 1, 1.0))
    with pytest.raises(ValueError):
        coulomb_energy(1, 1, [1.0, 0.0])
