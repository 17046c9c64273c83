"""The one protocol every energy source implements.

A potential takes a batch of structures (ASE ``Atoms`` with the total charge in
``atoms.info["charge"]`` and the spin multiplicity 2S+1 in ``atoms.info["spin"]``, the fairchem
convention the study used) and returns total energies in eV and, where it can, forces in eV/A.
It says whether it is charge- and spin-aware: a charge-blind model is still evaluated on charged
systems, and the output marks it so.

Adapters are small: subclass :class:`Potential`, set the class attributes, implement
:meth:`Potential.evaluate`. A model that fails on one structure returns NaN for that structure
rather than raising, so a curve keeps every point it could compute.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms


@dataclass
class Prediction:
    """Energies (eV, shape ``[n_structures]``, NaN where the model failed) and, when the
    potential gives them, forces (one ``[n_atoms, 3]`` array in eV/A per structure)."""

    energy: np.ndarray
    forces: list[np.ndarray] | None = None


class Potential(ABC):
    """Anything that predicts the energy of a batch of structures.

    Class attributes:
        family: the model family (``chgnet``, ``xtb``, ``pyscf`` ...).
        charge_aware: the total charge changes the prediction.
        spin_aware: the spin multiplicity changes the prediction.
        level_of_theory: what the model was trained on or computes (free text, for reports).
        level_of_theory_reference: the astray reference method that reproduces that level of
            theory (e.g. ``dft:pbe/def2-tzvp``), so the model's own error can be separated from
            its functional's; ``None`` if there is none.
        fragment_energies_meaningful: False for a model trained on forces only (SO3LR), whose
            absolute energies of separated fragments carry no information; its curves are
            judged against its own fragments like any other, and additionally reported aligned
            at their largest r (``metrics_aligned_at_largest_r``).
    """

    family: str = ""
    charge_aware: bool = False
    spin_aware: bool = False
    level_of_theory: str = ""
    level_of_theory_reference: str | None = None
    fragment_energies_meaningful: bool = True

    def __init__(self, name: str):
        self.name = name

    @property
    def version(self) -> str:
        """Version of the model or package that computes the energies."""
        return "unknown"

    @abstractmethod
    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        """Total energies (eV) and forces (eV/A) of ``structures``, evaluated as one batch."""

    def describe(self) -> dict:
        """Provenance: everything needed to say which model produced a number."""
        return {"name": self.name, "family": self.family, "version": self.version,
                "charge_aware": self.charge_aware, "spin_aware": self.spin_aware,
                "level_of_theory": self.level_of_theory}


def charge_and_multiplicity(atoms: Atoms) -> tuple[int, int]:
    """Total charge and spin multiplicity of a structure (defaults: neutral, lowest spin)."""
    charge = int(atoms.info.get("charge", 0))
    n_electrons = int(atoms.numbers.sum()) - charge
    multiplicity = int(atoms.info.get("spin", 1 if n_electrons % 2 == 0 else 2))
    return charge, multiplicity
