"""Coupled cluster, the ``ccsd(t)`` reference family (after PySCF's ``cc``): unrestricted
CCSD(T) on the lowest stable UHF solution of :func:`astray.reference.scf.scf_solution`.

Physics
-------
UCCSD with the perturbative triples (T) on the lowest (stability-checked, broken-symmetry where
lower) UHF determinant, all electrons correlated. For two electrons CCSD is full CI within the
basis (and (T) vanishes); one electron is its UHF, exact in the basis.

Stated accuracy
---------------
None: exact for two electrons within the basis, otherwise a level of theory that is unreliable
where the bond is far stretched (the single-reference UHF breaks spin symmetry there). Bohr and
hartree throughout.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from astray.level_of_theory import LevelOfTheory
from astray.reference.family import ReferenceFamily
from astray.reference.pyscf_tools import atom, diatomic, small_matrix_threads, walk_along_bond
from astray.reference.scf import scf_solution


def ccsd_t_energy(mol, dm0=None) -> tuple[float, np.ndarray | None]:
    """UCCSD(T) total energy (hartree) on the lowest stable UHF solution, and the UHF density
    for the next geometry. One electron: UHF (exact in the basis); none: nuclear repulsion."""
    from pyscf import cc, scf

    if mol.nelectron == 0:
        return float(mol.energy_nuc()), None
    mf = scf_solution(mol, None, dm0=dm0)
    if mol.nelectron == 1:
        return float(mf.e_tot), None
    with small_matrix_threads():
        if not mf.istype("UHF"):
            mf = scf.addons.convert_to_uhf(mf)
        solver = cc.UCCSD(mf)
        solver.conv_tol = 1e-9
        solver.verbose = 0
        solver.kernel()
        if not solver.converged:
            raise RuntimeError("UCCSD did not converge")
        triples = solver.ccsd_t() if mol.nelectron > 2 else 0.0
    return float(solver.e_tot + triples), mf.make_rdm1()


def ccsd_t_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int,
                 basis: str) -> np.ndarray:
    """UCCSD(T) total energies (hartree) along the bond; NaN where it fails."""
    r = np.atleast_1d(np.asarray(r_bohr, float))
    walk = walk_along_bond(r, lambda bond_bohr, neighbour: ccsd_t_energy(
        diatomic(symbols, bond_bohr, charge, multiplicity, basis),
        None if neighbour is None else neighbour[1]), "UCCSD(T)")
    return np.array([np.nan if point is None else point[0] for point in walk])


def ccsd_t_atom(symbol: str, charge: int, multiplicity: int, basis: str) -> float:
    """UCCSD(T) energy (hartree) of an isolated atom or ion."""
    return ccsd_t_energy(atom(symbol, charge, multiplicity, basis))[0]


def _curve(symbols, r_bohr, charge, multiplicity, level: LevelOfTheory, r_start):
    return ccsd_t_curve(symbols, r_bohr, charge, multiplicity, level.basis), {
        "basis": level.basis, "reference": "lowest stable UHF"}


#: UCCSD(T) on the lowest stable UHF.
CCSD_T = ReferenceFamily(
    name="ccsd(t)", curve=_curve,
    atom=lambda symbol, charge, multiplicity, level: ccsd_t_atom(
        symbol, charge, multiplicity, level.basis),
    describe=lambda level: (f"UCCSD(T)/{level.basis} on the lowest UHF; exact for two electrons "
                            "within the basis, unreliable where the bond is far stretched"))


__all__ = ["CCSD_T", "ccsd_t_atom", "ccsd_t_curve", "ccsd_t_energy"]
