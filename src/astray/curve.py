"""One dissociation curve, whoever computed it: a reference method or a potential.

A curve is E(AB, r) - E(A) - E(B) on a grid of bond lengths, the fragments computed by the same
method, so a right curve goes to 0 at infinite separation. The same type holds the exact or ab
initio reference (:func:`astray.reference.reference_curve`) and a model's prediction
(:func:`astray.probes.curves.evaluate_curve`); only a prediction has forces or an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Curve:
    """A dissociation curve.

    Attributes:
        system: the :class:`~astray.systems.Diatomic` name.
        method: what computed it: a canonical reference method (``coulomb``,
            ``fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)``, ``dft:pbe/def2-tzvp`` ...) or a
            potential's name.
        description: human-readable method, basis and expected accuracy.
        r_angstrom: bond lengths in angstrom.
        energy_ev: E(AB) - E(A) - E(B) in eV, the fragments by the same method.
        total_energy_ev: E(AB) in eV (None where not kept: a reference read back from
            ``curves.json`` keeps only relative energies).
        fragment_energy_ev: E(A), E(B) in eV (None where not kept).
        provenance: JSON-serialisable record: code versions, basis, active space, expected
            accuracy in kcal/mol, timings; for a reference, its tier of truth under ``tier``
            (:attr:`tier`).
        force_r_ev_angstrom: the force along the bond F_r = -dE/dr in eV/A (positive: the atoms
            are pushed apart), where the method gives forces; else None.
        error: why energies are missing (one line), or None.
    """

    system: str
    method: str
    description: str
    r_angstrom: np.ndarray
    energy_ev: np.ndarray
    total_energy_ev: np.ndarray | None
    fragment_energy_ev: tuple[float, float] | None
    provenance: dict = field(default_factory=dict)
    force_r_ev_angstrom: np.ndarray | None = None
    error: str | None = None

    @property
    def tier(self) -> str | None:
        """Which tier of truth a reference curve is (``provenance["tier"]``): ``exact``,
        ``published potential``, ``measured constants`` or ``level of theory``
        (:data:`astray.reference.family.TIERS`); None for a model's prediction."""
        return self.provenance.get("tier")
