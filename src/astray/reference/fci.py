"""Determinant FCI in one basis set (LiH, He2, and any few-electron diatomic PySCF can afford):
the ``fci`` reference family.

Physics
-------
PySCF's determinant full configuration interaction on a restricted (open-shell: ROHF) reference,
with the molecular point group (C∞v/D∞h as C2v/D2h) to cut the cost and the spin fixed to the
multiplicity; all electrons correlated, no counterpoise correction. Two electrons go to the
exact two-electron solver of :mod:`astray.reference.two_electron` (the lowest state over the
symmetries a triplet can take), one electron is its SCF.

Stated accuracy
---------------
Exact within the basis; the basis-set error dominates and is not extrapolated (LiH in cc-pVTZ:
D_e 2.471 eV against 2.515, -1.0 kcal/mol; He2 in aug-cc-pVTZ: well depth 0.87 meV against
0.95, 8% shallow), so no accuracy is stated. Bohr and hartree throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np

from astray.errors import ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.reference.family import ReferenceFamily
from astray.reference.pyscf_tools import (
    CONVERGENCE,
    atom,
    diatomic,
    one_electron_hf,
    walk_along_bond,
)
from astray.reference.two_electron import two_electron_states

#: Determinant count (before point-group symmetry) above which determinant FCI is refused as
#: too expensive: LiH in cc-pVTZ (9e5 determinants) takes 30 s a bond length with symmetry,
#: He2 in aug-cc-pVTZ (1.1e6) 10 s, and the cost grows faster than the count.
MAX_FCI_DETERMINANTS = 3_000_000


def fci_determinants(n_orbitals: int, n_alpha: int, n_beta: int) -> int:
    """Number of determinants of a full CI (no symmetry)."""
    return comb(n_orbitals, n_alpha) * comb(n_orbitals, n_beta)


def _check_fci_size(mol) -> None:
    n_alpha, n_beta = mol.nelec
    count = fci_determinants(mol.nao, n_alpha, n_beta)
    if count > MAX_FCI_DETERMINANTS:
        raise ReferenceUnavailableError(
            f"FCI with {mol.nelectron} electrons in {mol.nao} orbitals ({count:.2e} "
            "determinants) is too expensive; use a smaller basis or nevpt2")


def fci_energy(mol, *, guess=None) -> tuple[float, object]:
    """Determinant FCI energy (hartree) of ``mol`` and what the next geometry starts from
    (the SCF density). Two electrons go to :func:`two_electron_states` (the lowest state is
    kept); one electron is its SCF."""
    if mol.nelectron == 0:
        return float(mol.energy_nuc()), None
    if mol.nelectron == 1:
        return one_electron_hf(mol), None
    if mol.nelectron == 2 and mol.spin in (0, 2):
        states = two_electron_states(mol, guesses=guess if isinstance(guess, dict) else None)
        return min(state.e_fci for state in states.values()), states
    from pyscf import fci, scf

    _check_fci_size(mol)
    mf = scf.RHF(mol) if mol.spin == 0 else scf.ROHF(mol)
    mf.conv_tol = CONVERGENCE
    mf.kernel(dm0=guess if isinstance(guess, np.ndarray) else None)
    solver = fci.FCI(mf)
    solver.conv_tol = CONVERGENCE
    solver = fci.addons.fix_spin_(solver, ss=(mol.spin / 2) * (mol.spin / 2 + 1))
    energy, _ = solver.kernel()
    return float(energy), mf.make_rdm1()


def fci_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int,
              basis: str) -> np.ndarray:
    """Determinant FCI total energies (hartree) along the bond in one basis set, with the
    molecular point group (C∞v/D∞h as C2v/D2h) to cut the cost. NaN where it fails."""
    r = np.atleast_1d(np.asarray(r_bohr, float))
    walk = walk_along_bond(r, lambda r_bohr, neighbour: fci_energy(
        diatomic(symbols, r_bohr, charge, multiplicity, basis, symmetry=True),
        guess=None if neighbour is None else neighbour[1]), "FCI")
    return np.array([np.nan if point is None else point[0] for point in walk])


def fci_atom(symbol: str, charge: int, multiplicity: int, basis: str) -> float:
    """Determinant FCI energy (hartree) of an isolated atom or ion in ``basis``."""
    return fci_energy(atom(symbol, charge, multiplicity, basis, symmetry=True))[0]



def _describe(level: LevelOfTheory) -> str:
    return (f"determinant FCI in {level.basis}, all electrons, no counterpoise: exact within "
            "the basis, whose error dominates (LiH in cc-pVTZ: D_e 2.471 eV against 2.515, "
            "-1.0 kcal/mol; He2 in aug-cc-pVTZ: well depth 0.87 meV against 0.95, 8% "
            "shallow)")


#: Determinant FCI in one basis: exact within it, the basis-set error not extrapolated.
FCI = ReferenceFamily(
    name="fci", describe=_describe,
    atom=lambda symbol, charge, multiplicity, level: fci_atom(
        symbol, charge, multiplicity, level.basis),
    curve=lambda symbols, r_bohr, charge, multiplicity, level, r_start: (
        fci_curve(symbols, r_bohr, charge, multiplicity, level.basis), {"basis": level.basis}))


__all__ = ["FCI", "MAX_FCI_DETERMINANTS", "fci_atom", "fci_curve", "fci_determinants",
           "fci_energy"]
