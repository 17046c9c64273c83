"""Published whole-curve potentials, the second tier of truth: analytic potentials transcribed
from their authors' parameter tables, one module per functional form, each tested against the
authors' own printed test values (tests/test_published_potentials.py). A formula that does not
reproduce its test values is not registered here.

A potential is known only where its data reach: each declares its validity range, and the
curve it gives is NaN outside it, so the probe leaves those points out of the errors (the
metrics drop non-finite reference points) instead of extrapolating.

Shipped: ``przybytek-2010`` (He2 X 1Sigma_g+, ab initio with relativistic, QED and
retardation corrections). Not shipped (see the issue): Li2 X (Le Roy et al. 2009, MLR), CO X
(Meshkov et al. 2018) and the other candidates (N2 X, Ar2, Ne2, Be2, Mg2, the alkali dimers and
hydrides): the copies of their papers reachable here stop at the abstract and introduction, so
no parameter table could be transcribed, nor a formula tested against its authors' values.
Parameter files in third-party programs are leads only, never the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from astray.reference.published import przybytek_he2
from astray.units import BOHR_ANGSTROM, HARTREE_EV


@dataclass(frozen=True)
class PublishedPotential:
    """One published potential of one electronic state.

    Attributes:
        key: the method name after ``published:`` (``przybytek-2010``).
        symbols: the two elements, in the catalogue's order.
        charge, multiplicity: the state it describes.
        state: the term symbol (``X 1Sigma_g+``).
        citation: the paper whose parameters are transcribed.
        form: the functional form, for people.
        energy_ev: ``energy_ev(r_angstrom)``: E(r) - E(separated atoms) in eV, unmasked.
        r_min_angstrom, r_max_angstrom: where the potential is referenced (outside: NaN).
        accuracy_kcal_mol: the authors' stated uncertainty near the minimum.
    """

    key: str
    symbols: tuple[str, str]
    charge: int
    multiplicity: int
    state: str
    citation: str
    form: str
    energy_ev: Callable[[np.ndarray], np.ndarray]
    r_min_angstrom: float
    r_max_angstrom: float
    accuracy_kcal_mol: float

    def curve_ev(self, r_angstrom) -> np.ndarray:
        """E(r) - E(atoms) in eV at r in angstrom, NaN outside the validity range."""
        r = np.asarray(r_angstrom, float)
        inside = (r >= self.r_min_angstrom) & (r <= self.r_max_angstrom)
        energy = np.full(r.shape, np.nan)
        energy[inside] = self.energy_ev(r[inside])
        return energy

    def describes(self, symbols, charge: int, multiplicity: int) -> bool:
        """Whether this is a potential of that molecule and state (either atom order)."""
        return (sorted(symbols) == sorted(self.symbols) and int(charge) == self.charge
                and int(multiplicity) == self.multiplicity)


def _he2_ev(r_angstrom):
    return przybytek_he2.energy_hartree(np.asarray(r_angstrom) / BOHR_ANGSTROM) * HARTREE_EV


#: Every published potential astray ships, by key.
PUBLISHED: dict[str, PublishedPotential] = {p.key: p for p in (
    PublishedPotential(
        key="przybytek-2010", symbols=("He", "He"), charge=0, multiplicity=1,
        state="X 1Sigma_g+",
        citation="M. Przybytek et al., Phys. Rev. Lett. 104, 183003 (2010)",
        form="ab initio: exponential short range + damped C3..C16 + retardation",
        energy_ev=_he2_ev, r_min_angstrom=przybytek_he2.R_MIN_BOHR * BOHR_ANGSTROM,
        r_max_angstrom=np.inf,
        # 0.06 % of the 11 K well: 7 mK = 1.4e-5 kcal/mol; stated as 1e-4 (the QED terms)
        accuracy_kcal_mol=1e-4),
)}


def published_for(symbols, charge: int, multiplicity: int) -> PublishedPotential | None:
    """The published potential of that molecule and state, or None."""
    return next((p for p in PUBLISHED.values() if p.describes(symbols, charge, multiplicity)),
                None)


__all__ = ["PUBLISHED", "PublishedPotential", "published_for"]
