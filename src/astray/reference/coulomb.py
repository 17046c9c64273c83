"""Bare nuclei, the ``coulomb`` reference family: the exact energy of two point charges is
Coulomb's law, E = Z1 Z2 / R hartree (R in bohr), i.e. ``Z1 * Z2 * COULOMB_EV_ANGSTROM / r`` eV
with r in angstrom (14.3996 eV A, 332.0637 kcal/mol A for two protons). Stated accuracy: exact
(0 kcal/mol). Without electrons every electronic-structure method gives this energy, so the
registry computes every bare-nuclei curve with this family."""

import numpy as np
from ase.data import atomic_numbers

from astray.errors import ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.reference.family import ReferenceFamily
from astray.units import COULOMB_EV_ANGSTROM


def coulomb_energy(z1: float, z2: float, r_angstrom) -> np.ndarray:
    """Repulsion energy in eV of two bare nuclei of charges z1, z2 at r_angstrom (angstrom)."""
    r = np.asarray(r_angstrom, dtype=float)
    if np.any(r <= 0):
        raise ValueError("bond lengths must be positive")
    return z1 * z2 * COULOMB_EV_ANGSTROM / r


def _check(label: str, electrons: int) -> None:
    if electrons != 0:
        raise ReferenceUnavailableError(
            f"method 'coulomb' is exact only for bare nuclei; {label} has {electrons} "
            "electron(s): use best, fci/cbs or another method")


def _atom(symbol: str, charge: int, multiplicity: int, level: LevelOfTheory) -> float:
    raise ReferenceUnavailableError(f"coulomb has no energy for {symbol} with electrons")


def _curve(symbols, r_bohr, charge, multiplicity, level, r_start):
    """Z1 Z2 / R in hartree (R in bohr)."""
    z1, z2 = (atomic_numbers[s] for s in symbols)
    return z1 * z2 / np.asarray(r_bohr, float), {}


#: Coulomb's law, exact for bare nuclei (and only for them).
COULOMB = ReferenceFamily(
    name="coulomb", atom=_atom, curve=_curve, check=_check, accuracy_kcal_mol=0.0,
    uses_pyscf=False,
    describe=lambda level: ("bare nuclei: Coulomb's law Z1 Z2 / r, exact (no electrons for "
                            f"{level.canonical} to act on)"))
