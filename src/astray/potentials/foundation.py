"""Catalogued models (UMA, eSEN, Orb, AIMNet2, MACE, ANI-2x, CHGNet, SevenNet, SO3LR) behind the
Potential protocol.

:class:`CataloguedPotential` is what they share wherever they run: the catalogue's description
(family, charge/spin awareness, level of theory), provenance (package version, weights file and
its SHA-256), and the charge and multiplicity written into every structure's ``info`` the way
the family modules expect. :class:`FamilyPotential` runs the family module in this interpreter;
:class:`astray.potentials.remote.RemotePotential` runs the same module in a worker process.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.errors import CheckpointError, PotentialError
from astray.potentials.base import Potential, Prediction, charge_and_multiplicity
from astray.potentials.catalogue import CatalogueEntry

FAMILIES_DIR = Path(__file__).parent / "families"


def with_charge_and_spin(atoms: Atoms) -> Atoms:
    """A copy with ``info["charge"]`` and ``info["spin"]`` (multiplicity) set as integers."""
    charge, multiplicity = charge_and_multiplicity(atoms)
    copy = atoms.copy()
    copy.info.update(charge=charge, spin=multiplicity)
    return copy


class CataloguedPotential(Potential):
    """A catalogue entry's model; subclasses decide where it runs (:meth:`predict`)."""

    def __init__(self, entry: CatalogueEntry):
        super().__init__(entry.name)
        self.entry = entry
        self.family = entry.family
        self.charge_aware = entry.charge_aware
        self.spin_aware = entry.spin_aware
        self.level_of_theory = f"{entry.level_of_theory} ({entry.training_data})"
        self.level_of_theory_reference = entry.level_of_theory_reference
        self.fragment_energies_meaningful = entry.fragment_energies_meaningful
        #: package, package_version, weights, weights_sha256 (set once the model is loaded)
        self.provenance: dict = {}

    @property
    def version(self) -> str:
        p = self.provenance
        sha = (p.get("weights_sha256") or "")[:12]
        return f"{self.name} ({p.get('package')} {p.get('package_version')}, weights sha256 {sha})"

    def describe(self) -> dict:
        return {**super().describe(), **self.provenance}

    @abstractmethod
    def predict(self, structures: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
        """Energies (eV), forces (eV/A) and per-structure failure messages."""

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        energies, forces, failures = self.predict([with_charge_and_spin(a) for a in structures])
        for failure in failures:
            warnings.warn(f"{self.name} failed on {failure}; energy NaN", RuntimeWarning,
                          stacklevel=2)
        return Prediction(energy=np.asarray(energies, dtype=float), forces=forces)


def family_module(entry: CatalogueEntry):
    """The astray-free module that loads and evaluates ``entry``'s family."""
    if entry.family_module is None:
        raise PotentialError(f"{entry.name} has no family module")
    return import_module(f"astray.potentials.families.{entry.family_module}")


class FamilyPotential(CataloguedPotential):
    """A catalogued model evaluated in this interpreter (its package must be installed here)."""

    def __init__(self, entry: CatalogueEntry, weights: Path | None):
        super().__init__(entry)
        from astray.potentials.families import common

        self._family = family_module(entry)
        self._evaluate = common.evaluate
        try:
            self.model, self.provenance = common.load(
                self._family, None if weights is None else str(weights), entry.options)
        except ImportError as error:
            raise PotentialError(
                f"{entry.name} needs {entry.package}, which is not installed in this "
                f"environment (missing {error.name}): {entry.install_hint}, or give the Python "
                "of an environment that has it with --python PATH") from None
        except common.UntrustedWeightsError as error:
            raise CheckpointError(f"{entry.name}: {error}") from None
        except Exception as error:  # a foreign package's loader may raise anything: one line
            raise PotentialError(f"cannot load {entry.name} from {weights}: "
                                 f"{type(error).__name__}: {error}") from None

    def predict(self, structures: list[Atoms]):
        return self._evaluate(self._family.predict, self.model, structures)
