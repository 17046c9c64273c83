"""The one protocol every energy source implements.

A potential takes a batch of structures (ASE ``Atoms`` with the total charge in
``atoms.info["charge"]`` and the spin multiplicity 2S+1 in ``atoms.info["spin"]``, the fairchem
convention the study used) and returns energies in eV and, where it can, forces in eV/A.
It says whether it is charge- and spin-aware: a charge-blind model is still evaluated on charged
systems, and the output marks it so. It says where the zero of its energies lies
(:attr:`Potential.energy_convention`): total energies with any constant reference, or energies
relative to the neutral isolated atoms, whose lone atoms then have an exact energy to be judged
against.

Adapters are small. A model with a batch call subclasses :class:`Potential` and implements
:meth:`Potential.evaluate`; a method that solves one structure at a time (an ASE calculator,
GFN2-xTB, PySCF) subclasses :class:`PerStructurePotential` and implements only
:meth:`PerStructurePotential.single_point`. A model that fails on one structure returns NaN for
that structure rather than raising, so a curve keeps every point it could compute.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from astray.errors import AstrayError
from astray.progress import LOGGER_NAME, Throttle

#: The zeros of a potential's energies (:attr:`Potential.energy_convention`).
ENERGY_CONVENTIONS: tuple[str, ...] = ("total", "atomization")


@dataclass
class Prediction:
    """What a potential returns for a batch of ``n`` structures.

    Attributes:
        energy: energies in eV, shape ``[n]``, in the potential's ``energy_convention``; NaN
            where the model failed. In the ``"total"`` convention only differences are used
            (E(AB) - E(A) - E(B)), so any constant reference is fine; in ``"atomization"`` the
            energies themselves are judged too (a neutral atom must be 0).
        forces: ``None`` if the model gives none, else one ``[n_atoms, 3]`` array per structure
            in eV/A (minus the gradient of ``energy``), NaN where the model failed.

    Example: ``Prediction(energy=np.array([-31.2, -13.6]), forces=[f_h2, np.zeros((1, 3))])``.
    """

    energy: np.ndarray
    forces: list[np.ndarray] | None = None


class Potential(ABC):
    """Anything that predicts the energy of a batch of structures.

    An adapter in ten lines: set the class attributes, take a name, implement :meth:`evaluate`
    (angstrom in, eV and eV/A out; read the charge and multiplicity with
    :func:`charge_and_multiplicity` if the model can use them)::

        class HarmonicH2(Potential):
            family = "toy"
            level_of_theory = "harmonic bond, k = 36 eV/A^2, r0 = 0.74 A"

            def evaluate(self, structures):
                energies = [18.0 * (a.get_distance(0, 1) - 0.74) ** 2 if len(a) == 2 else 0.0
                            for a in structures]
                return Prediction(energy=np.array(energies))

        load_potential(HarmonicH2("harmonic"))  # a Potential is used as it is

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
        supported_elements: the element symbols the model claims to know, or None where it
            does not say (astray then looks in the catalogue entry of a named model; with
            neither, the whole-table suites try every element and record failures as coverage
            gaps). A suite skips a molecule with an element outside this set, with the reason.
        is_own_level_of_theory: True when the potential computes its level of theory itself
            (PySCF's HF, DFT, CCSD(T)): its ``level_of_theory_reference`` curve would be its own
            curve again, so the probe does not compare it with that level of theory.
        is_the_reference: True for the exact baseline, which gives the reference itself: where
            there is no reference without quantum chemistry, it has nothing to give (a
            coverage gap in a whole-table suite).
        independent_structures: True when the energy of a structure does not depend on the other
            structures of the same call, so a suite may evaluate many molecules in one call.
            The exact reference is not: a lone atom gets the fragment energy of the method of
            the molecule it comes with (an H beside H2 is FCI/CBS, beside H2+ exact), so it is
            called one molecule at a time.
        energy_convention: where the zero of the energies lies, one of ENERGY_CONVENTIONS.
            ``"total"`` (the default: foundation models, xTB, DFT, ASE calculators, the exact
            reference): total energies with the method's own constant reference; only
            differences mean anything, so a lone atom's energy has no exact value to compare
            with. ``"atomization"`` (astray's checkpoints, trained on E - sum of isolated-atom
            energies): relative to the neutral isolated atoms in their ground states, so
            E(neutral atom) = 0 exactly and an ion's energy is fixed by ionisation energies and
            electron affinities (E(H+) = 0.5 hartree = 13.6057 eV;
            :mod:`astray.probes.convention`). For such a potential the probe also judges its own
            fragments against those exact values (``dissociation_limit_error_ev``, part of
            ``wrong-asymptote``) and reports its curve in its own convention, with no fragment
            subtracted (``metrics_in_convention``).
    """

    family: str = ""
    charge_aware: bool = False
    spin_aware: bool = False
    level_of_theory: str = ""
    level_of_theory_reference: str | None = None
    fragment_energies_meaningful: bool = True
    energy_convention: str = "total"
    supported_elements: frozenset[str] | None = None
    independent_structures: bool = True
    is_own_level_of_theory: bool = False
    is_the_reference: bool = False

    def __init__(self, name: str):
        self.name = name

    @property
    def version(self) -> str:
        """Version of the model or package that computes the energies (part of the key under
        which its curves are stored: a new version means new curves)."""
        return "unknown"

    @abstractmethod
    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        """Total energies (eV) and forces (eV/A) of ``structures``, evaluated as one batch."""

    def describe(self) -> dict:
        """Provenance: everything needed to say which model produced a number."""
        return {"name": self.name, "family": self.family, "version": self.version,
                "charge_aware": self.charge_aware, "spin_aware": self.spin_aware,
                "level_of_theory": self.level_of_theory,
                "energy_convention": self.energy_convention}


class PerStructurePotential(Potential):
    """A potential solved one structure at a time; the batch is a loop over
    :meth:`single_point`.

    A structure on which :meth:`single_point` raises, or returns a non-finite energy, gets NaN
    energy and NaN forces and a ``RuntimeWarning`` "NAME failed on structure I (FORMULA):
    EXCEPTION: MESSAGE; energy NaN", which the probe keeps as the curve's ``error``. An
    :class:`AstrayError` is not such a failure but bad input (a basis set without the element)
    and propagates.

    Attributes:
        has_forces: :meth:`single_point` returns forces; if False, the prediction has none.
    """

    has_forces: bool = True

    @abstractmethod
    def single_point(self, atoms: Atoms) -> tuple[float, np.ndarray | None]:
        """Energy (eV) and forces (eV/A, shape ``[n_atoms, 3]``, or None) of one structure;
        raises if it cannot compute them."""

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        energies = np.full(len(structures), np.nan)
        forces = [np.full((len(atoms), 3), np.nan) for atoms in structures]
        # a slow calculator (10 s a structure: 7 min a curve) says where it is at least every
        # PROBE_LINE_EVERY_S on the astray.progress logger, instead of minutes of silence
        throttle = Throttle()
        throttle.due(always=True)  # the clock starts with the loop; no line before it
        for index, atoms in enumerate(structures):
            if throttle.due():
                logging.getLogger(LOGGER_NAME).info("%s: %d of %d structures evaluated",
                                                    self.name, index, len(structures))
            try:
                energy, structure_forces = self.single_point(atoms)
                energy = float(energy)
                if not np.isfinite(energy):
                    raise ValueError(f"non-finite energy {energy}")
            except AstrayError:
                raise
            except Exception as error:  # one failed structure costs only itself
                reason = f"{type(error).__name__}: {error}".splitlines()[0]
                warnings.warn(f"{self.name} failed on structure {index} "
                              f"({atoms.get_chemical_formula()}): {reason}; energy NaN",
                              RuntimeWarning, stacklevel=2)
                continue
            energies[index] = energy
            if structure_forces is not None:
                forces[index] = np.asarray(structure_forces, dtype=float)
        return Prediction(energy=energies, forces=forces if self.has_forces else None)


def charge_and_multiplicity(atoms: Atoms) -> tuple[int, int]:
    """Total charge and spin multiplicity of a structure (defaults: neutral, lowest spin)."""
    charge = int(atoms.info.get("charge", 0))
    n_electrons = int(atoms.numbers.sum()) - charge
    multiplicity = int(atoms.info.get("spin", 1 if n_electrons % 2 == 0 else 2))
    return charge, multiplicity
