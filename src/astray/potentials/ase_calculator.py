"""Any ASE calculator as a potential: ``ase:MODULE:CLASS`` or ``ase:MODULE:CLASS:{json kwargs}``.

Examples::

    ase:ase.calculators.lj:LennardJones:{"sigma": 0.7, "epsilon": 0.1}
    ase:tblite.ase:TBLite:{"method": "GFN1-xTB", "verbosity": 0}

The JSON object is passed to the class as keyword arguments, except three optional keys that
describe the calculator to astray and are removed first:

* ``"_charge_aware": true`` - the calculator reads the total charge (default false);
* ``"_spin_aware": true`` - the calculator reads the spin multiplicity (default false);
* ``"_level_of_theory": "..."`` - free text for reports.

The spec must name a class whose instances have ``get_potential_energy`` (an ASE calculator);
anything else is refused before it is called. A class that lists the parameters it understands
in ``default_parameters`` (ASE's convention; ``LennardJones``, ``EMT``, ``TBLite``) refuses any
other keyword, because ASE's ``Calculator`` would otherwise keep an unknown keyword as an unused
parameter and compute with the defaults.

The version (part of every stored curve's key) names the packages and a SHA-256 of the source
files of the spec's module and of the class and its bases, so a curve is recomputed after the
user edits the calculator. A module must be importable (on ``PYTHONPATH``).

Each structure is a copy of the input with the calculator attached; ``atoms.info`` keeps
``charge`` and ``spin`` (multiplicity), the keys fairchem's calculators read. ASE calculators are
per structure by nature, so the batch is a loop; the calculator is reset before each structure
because ASE's result cache compares positions and numbers only, not ``info``: H2 and H2+ at the
same bond length would otherwise share one energy. A structure on which the calculator raises or
returns a non-finite energy gets NaN and a ``RuntimeWarning`` naming the exception, which the
probe records as the curve's ``error``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import warnings
from collections.abc import Sequence
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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


def calculator_class(module_name: str, class_name: str, spec: str) -> type:
    """The class ``module_name.class_name``, refused unless it is an ASE calculator class (has
    ``get_potential_energy``): nothing else named in a spec is ever called."""
    try:
        module = import_module(module_name)
    except ImportError as error:
        raise PotentialError(f"cannot import {module_name!r} for {spec!r}: {error} (a module of "
                             "your own must be on PYTHONPATH)") from None
    found = getattr(module, class_name, None)
    if found is None:
        raise PotentialError(f"module {module_name!r} has no {class_name!r} (from {spec!r})")
    if not isinstance(found, type):
        raise PotentialError(f"{module_name}.{class_name} is a {type(found).__name__}, not an "
                             f"ASE calculator class; use {USAGE}")
    if not callable(getattr(found, "get_potential_energy", None)):
        raise PotentialError(f"{module_name}.{class_name} is not an ASE calculator: it has no "
                             "get_potential_energy")
    return found


def check_keywords(cls: type, kwargs: dict) -> None:
    """Refuse keywords an ASE calculator would silently ignore.

    ASE calculators take ``**kwargs`` and keep every keyword as a parameter, read or not. A class
    that declares ``default_parameters`` says which it reads; with those and the named
    parameters of the ``__init__`` methods that receive the keywords (down the class hierarchy
    as long as each passes ``**kwargs`` on), anything else is an error. A class without
    ``default_parameters`` is left to Python's own signature check."""
    known = set(getattr(cls, "default_parameters", None) or ())
    if not known:
        return
    for klass in cls.__mro__[:-1]:  # not object
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        known |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise PotentialError(f"{cls.__name__} has no parameter {', '.join(map(repr, unknown))}; "
                             f"it reads {', '.join(sorted(cls.default_parameters))}")


def source_digest(module, cls: type) -> str:
    """SHA-256 of the source files of ``module`` and of ``cls`` and its bases (each file once,
    in that order): what changes a calculator's numbers without changing a package version."""
    digest, seen = hashlib.sha256(), set()
    for owner in (module, *cls.__mro__[:-1]):
        try:
            path = inspect.getsourcefile(owner)
        except TypeError:  # built-in or compiled: covered by its package's version
            path = None
        if path and path not in seen:
            seen.add(path)
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def package_version(module_name: str) -> str:
    """``package version`` of the top-level package of ``module_name``."""
    package = module_name.split(".")[0]
    try:
        return f"{package} {version(package)}"
    except PackageNotFoundError:
        return f"{package} {getattr(import_module(package), '__version__', 'unknown')}"


class AseCalculatorPotential(Potential):
    """An ASE ``Calculator`` class, built once with the spec's keyword arguments."""

    family = "ase"

    def __init__(self, spec: str):
        super().__init__(spec)
        module_name, class_name, kwargs = parse_spec(spec)
        self.charge_aware = bool(kwargs.pop("_charge_aware", False))
        self.spin_aware = bool(kwargs.pop("_spin_aware", False))
        self.level_of_theory = str(kwargs.pop("_level_of_theory", f"{module_name}.{class_name}"))
        cls = calculator_class(module_name, class_name, spec)
        check_keywords(cls, kwargs)
        try:
            self.calculator = cls(**kwargs)
        except Exception as error:
            raise PotentialError(f"{module_name}.{class_name}(**{kwargs}) failed: "
                                 f"{type(error).__name__}: {error}") from None
        packages = dict.fromkeys(package_version(name) for name in
                                 (module_name, cls.__module__, "ase"))
        self._version = (f"{module_name}.{class_name} ({', '.join(packages)}, source sha256 "
                         f"{source_digest(import_module(module_name), cls)[:16]})")
        self.has_forces = "forces" in getattr(self.calculator, "implemented_properties", ())

    @property
    def version(self) -> str:
        return self._version

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
                reason = f"{type(error).__name__}: {error}".splitlines()[0]
                warnings.warn(f"{self.name} failed on structure {index} "
                              f"({atoms.get_chemical_formula()}): {reason}; energy NaN",
                              RuntimeWarning, stacklevel=2)
            finally:
                atoms.calc = None
        return Prediction(energy=energies, forces=forces if self.has_forces else None)
