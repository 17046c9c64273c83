"""What a reference method family declares, as PySCF's ``scf``, ``fci``, ``mcscf``, ``mrpt`` and
``cc`` packages each declare their solvers: one :class:`ReferenceFamily` object per family, in
its own module (:mod:`~astray.reference.coulomb`, :mod:`~astray.reference.one_electron`,
:mod:`~astray.reference.two_electron`, :mod:`~astray.reference.fci`,
:mod:`~astray.reference.nevpt2`, :mod:`~astray.reference.scf`, :mod:`~astray.reference.ccsd_t`),
collected by name in :data:`astray.reference.methods.FAMILIES`.

Solvers work in atomic units: bond lengths in bohr, energies in hartree (the registry converts
to angstrom and eV).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from astray.level_of_theory import LevelOfTheory

#: The tiers of truth a reference curve can have, best first: exact (Coulomb's law, the exact
#: one-electron energy, two-electron FCI at the basis-set limit), a published whole-curve
#: potential (:mod:`astray.reference.published`), measured spectroscopic constants only
#: (:mod:`astray.reference.constants`: no curve, r_e, omega_e and D_e to compare with), or a
#: level of theory (FCI in a finite basis, NEVPT2, CCSD(T), DFT, HF). Every reference curve
#: records its tier in ``provenance["tier"]`` (:attr:`astray.curve.Curve.tier`).
TIER_EXACT = "exact"
TIER_PUBLISHED = "published potential"
TIER_MEASURED = "measured constants"
TIER_LEVEL_OF_THEORY = "level of theory"
TIERS = (TIER_EXACT, TIER_PUBLISHED, TIER_MEASURED, TIER_LEVEL_OF_THEORY)

#: ``atom(symbol, charge, multiplicity, level)``: energy (hartree) of one atom or atomic ion
#: with at least one electron.
AtomSolver = Callable[[str, int, int, LevelOfTheory], float]
#: ``curve(symbols, r_bohr, charge, multiplicity, level, r_start_bohr)``: total energies
#: (hartree, NaN where a point failed) of the diatomic along ``r_bohr`` with electrons, and the
#: method details for the provenance; ``r_start_bohr`` is a typical bond length, where a walk
#: that must start from a good guess begins.
CurveSolver = Callable[[tuple[str, str], np.ndarray, int, int, LevelOfTheory, float],
                       tuple[np.ndarray, dict]]


@dataclass(frozen=True)
class ReferenceFamily:
    """One family of reference methods.

    Attributes:
        name: the family of :class:`~astray.level_of_theory.LevelOfTheory` it computes
            (``fci/cbs``, ``dft`` ...).
        atom: its atom solver, for the separated fragments at the same level.
        curve: its curve solver.
        describe: the description of a level for people and provenance: method, basis,
            measured accuracy.
        accuracy_kcal_mol: the stated accuracy against the exact Born-Oppenheimer energy
            (kcal/mol), None for a level of theory that is not an exact reference.
        check: ``check(label, electrons)`` raises
            :class:`~astray.errors.ReferenceUnavailableError` (one line) where the family cannot
            treat a molecule or atom of that many electrons; None where it treats any.
        uses_pyscf: whether PySCF computes it (its version then goes into the provenance).
        separated_limit: for a family whose molecular state at infinite separation differs
            from isolated atoms (NEVPT2), ``separated_limit(system, level)``: the energy
            (hartree) the curve itself goes to; None elsewhere.
    """

    name: str
    atom: AtomSolver
    curve: CurveSolver
    describe: Callable[[LevelOfTheory], str]
    accuracy_kcal_mol: float | None = None
    check: Callable[[str, int], None] | None = None
    uses_pyscf: bool = True
    separated_limit: Callable[[object, LevelOfTheory], float] | None = None


__all__ = ["TIERS", "TIER_EXACT", "TIER_LEVEL_OF_THEORY", "TIER_MEASURED", "TIER_PUBLISHED",
           "AtomSolver", "CurveSolver", "ReferenceFamily"]
