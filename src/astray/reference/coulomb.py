"""Bare nuclei: the exact energy of two point charges is Coulomb's law, E = Z1 Z2 / R hartree
(R in bohr), i.e. ``Z1 * Z2 * COULOMB_EV_ANGSTROM / r`` eV with r in angstrom (14.3996 eV A,
332.0637 kcal/mol A for two protons)."""

import numpy as np

from astray.units import COULOMB_EV_ANGSTROM


def coulomb_energy(z1: float, z2: float, r_angstrom) -> np.ndarray:
    """Repulsion energy in eV of two bare nuclei of charges z1, z2 at r_angstrom (angstrom)."""
    r = np.asarray(r_angstrom, dtype=float)
    if np.any(r <= 0):
        raise ValueError("bond lengths must be positive")
    return z1 * z2 * COULOMB_EV_ANGSTROM / r
