"""Any ASE calculator as a potential: ``ase:MODULE:CLASS`` or ``ase:MODULE:CLASS:{json kwargs}``.

Examples::

    ase:ase.calculators.lj:LennardJones:{"sigma": 0.7, "epsilon": 0.1}
    ase:tblite.ase:TBLite:{"method": "GFN1-xTB", "verbosity": 0}

The JSON object is passed to the class as keyword arguments, except three optional keys that
describe the calculator to astray and are removed first:

* ``"_charge_aware": true`` - the calculator reads the total charge (default false);
* ``"_spin_aware": true`` - the calculator reads the spin multiplicity (default false);
* ``"_level_of_theory": "..."`` - free text for reports.

Each structure is a copy of the input with the calculator attached; ``atoms.info`` keeps
``charge`` and ``spin`` (multiplicity), the keys fairchem's calculators read. ASE calculators are
per structure by nature, so the batch is a loop; the calculator is reset before each structure
because ASE's result cache compares positions and numbers only, not ``info``: H2 and H2+ at the
same bond length would otherwise share one energy. A structure on which the calculator raises or
returns a non-finite energy gets NaN and a warning.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from ase import Atoms

from astray.errors import PotentialError
from astray.potentials.base import Potential, Prediction

USAGE = 'ase:MODULE:CLASS or ase:MODULE:CLASS:{"keyword": value, ...}'


def parse_spec(spec: str) -> tuple[str, str, dict]:
    """Module name, class name and keyword arguments of an ``ase:`` spec."""
    parts = spec.split(":", 3)
    if len(parts) < 3 or parts[0] != "ase" or not parts[1] or not parts[2]:
        raise PotentialError(f"malformed potential spec {spec!r}: use {USAGE}")
    kwargs = {}
    if len(parts) == 4 and parts[3].strip():
        try:
            kwargs = json.loads(parts[3])
        except json.JSONDecodeError as error:
            raise PotentialError(f"keyword arguments in {spec!r} are not valid JSON "
                                 f"({error.msg} at character {error.pos})") from None
        if not isinstance(kwargs, dict):
            raise PotentialError(f"keyword arguments in {spec!r} must be a JSON object {{...}}")
    return parts[1], parts[2], kwargs


class AseCalculatorPotential(Potential):
    """An ASE ``Calculator`` class, built once with the spec's keyword arguments."""

    family = "ase"

    def __init__(self, spec: str):
        super().__init__(spec)
        module_name, class_name, kwargs = parse_spec(spec)
        self.charge_aware = bool(kwargs.pop("_charge_aware", False))
        self.spin_aware = bool(kwargs.pop("_spin_aware", False))
        self.level_of_theory = str(kwargs.pop("_level_of_theory", f"{module_name}.{class_name}"))
        try:
            module = import_module(module_name)
        except ImportError as error:
            raise PotentialError(f"cannot import {module_name!r} for {spec!r}: {error}") from None
        calculator_class = getattr(module, class_name, None)
        if calculator_class is None:
            raise PotentialError(f"module {module_name!r} has no {class_name!r} (from {spec!r})")
        try:
            self.calculator = calculator_class(**kwargs)
        except Exception as error:
            raise PotentialError(f"{module_name}.{class_name}(**{kwargs}) failed: "
                                 f"{type(error).__name__}: {error}") from None
        self._module_name = module_name
        self._class_name = class_name
        self.has_forces = "forces" in getattr(self.calculator, "implemented_properties", ())

    @property
    def version(self) -> str:
        package = self._module_name.split(".")[0]
        try:
            package_version = version(package)
        except PackageNotFoundError:
            package_version = getattr(import_module(package), "__version__", "unknown")
        return f"{self._module_name}.{self._class_name} ({package} {package_version})"

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        energies = np.full(len(structures), np.nan)
        forces = [np.full((len(atoms), 3), np.nan) for atoms in structures]
        for index, structure in enumerate(structures):
            atoms = structure.copy()  # keeps info["charge"], info["spin"]
            try:
                reset = getattr(self.calculator, "reset", None)
                if reset is not None:
                    reset()
                atoms.calc = self.calculator
                energy = float(atoms.get_potential_energy())
                if not np.isfinite(energy):
                    raise ValueError(f"non-finite energy {energy}")
                if self.has_forces:
                    forces[index] = np.array(atoms.get_forces(), dtype=float)
                energies[index] = energy
            except Exception as error:
                warnings.warn(f"{self.name} failed on structure {index} "
                              f"({atoms.get_chemical_formula()}): {error}; energy NaN",
                              RuntimeWarning, stacklevel=2)
            finally:
                atoms.calc = None
        return Prediction(energy=energies, forces=forces if self.has_forces else None)
