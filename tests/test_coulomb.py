"""Bare nuclei obey Coulomb's law exactly, checked against numbers typed in from CODATA
(physics.nist.gov/constants), the SI's exact constants and ASE, not against astray.units."""

import math

import numpy as np
import pytest
from ase.units import create_units

from astray.reference.coulomb import coulomb_energy

#: (Hartree energy in eV, Bohr radius in angstrom) of the CODATA adjustments scipy may ship:
#: 2022 (scipy >= 1.15) and 2018 (older). The two Bohr radii differ by 7e-10 relative.
CODATA_HARTREE_BOHR = {"2022": (27.211386245981, 0.529177210544),
                       "2018": (27.211386245988, 0.529177210903)}
#: Exact in the SI since 2019: elementary charge (C) and Avogadro constant (1/mol).
ELEMENTARY_CHARGE_C = 1.602176634e-19
AVOGADRO_PER_MOL = 6.02214076e23
#: Vacuum permittivity (F/m), CODATA 2022.
VACUUM_PERMITTIVITY_F_M = 8.8541878188e-12
#: One thermochemical kcal/mol in eV: 4184 J / N_A / e, exact.
KCAL_MOL_EV = 4184 / AVOGADRO_PER_MOL / ELEMENTARY_CHARGE_C


def test_two_protons_at_one_bohr_repel_with_one_hartree():
    # exactly one of the two adjustments matches to 1e-12: the one scipy ships
    matches = [edition for edition, (hartree, bohr) in CODATA_HARTREE_BOHR.items()
               if coulomb_energy(1, 1, bohr) == pytest.approx(hartree, rel=1e-12)]
    assert len(matches) == 1


def test_prefactor_is_e_squared_over_four_pi_epsilon_zero():
    # e^2 / (4 pi eps0 * 1 A) in eV: 14.3996454687 (2022); the 2018 adjustment lies 7e-10 off
    si_value = ELEMENTARY_CHARGE_C / (4 * math.pi * VACUUM_PERMITTIVITY_F_M) * 1e10
    assert coulomb_energy(1, 1, 1.0) == pytest.approx(si_value, rel=1e-9)
    assert coulomb_energy(1, 1, 1.0) == pytest.approx(14.399645, abs=5e-7)


def test_prefactor_in_kcal_mol_angstrom_matches_the_study():
    r = np.array([0.5, 1.0, 3.0])
    assert coulomb_energy(1, 1, r) * r / KCAL_MOL_EV == pytest.approx(332.0637, abs=1e-4)


def test_agrees_with_ase_units():
    # ASE builds Hartree and Bohr from m_e, e, hbar and eps0 itself; its default units are
    # CODATA 2014 (8e-9 relative away from 2022), so the adjustment is named
    ase_2022 = create_units("2022")
    assert coulomb_energy(1, 1, 1.0) == pytest.approx(ase_2022["Hartree"] * ase_2022["Bohr"],
                                                      rel=1e-9)


def test_inverse_distance_law_and_charges_multiply():
    r = np.geomspace(0.1, 20.0, 12)
    np.testing.assert_allclose(coulomb_energy(1, 1, 2 * r), coulomb_energy(1, 1, r) / 2,
                               rtol=1e-14)
    np.testing.assert_allclose(coulomb_energy(2, 3, r), 6 * coulomb_energy(1, 1, r), rtol=1e-14)
    assert np.all(coulomb_energy(1, 1, r) > 0)


def test_bad_lengths_raise():
    for bad in ([1.0, 0.0], -0.5):
        with pytest.raises(ValueError):
            coulomb_energy(1, 1, bad)
