"""Any ASE calculator as a potential: an instance, or a spec ``ase:MODULE:CLASS[:{json kwargs}]``
that builds one.

In Python, pass the calculator itself and say what it understands::

    from ase.calculators.lj import LennardJones
    potential = load_potential(LennardJones(sigma=0.7, epsilon=0.1, rc=100.0), name="lj")
    potential = load_potential(my_calc, name="my-model", charge_aware=True, spin_aware=True,
                               level_of_theory="wB97X/6-31G*")

On the command line, a spec names the class and its keyword arguments::

    ase:ase.calculators.lj:LennardJones:{"sigma": 0.7, "epsilon": 0.1}
    ase:tblite.ase:TBLite:{"method": "GFN1-xTB", "verbosity": 0}

The JSON object is passed to the class as keyword arguments, except four optional keys that
describe the calculator to astray (the keyword arguments of the instance path) and are removed
first:

* ``"_charge_aware": true`` - the calculator reads the total charge (default false);
* ``"_spin_aware": true`` - the calculator reads the spin multiplicity (default false);
* ``"_level_of_theory": "..."`` - free text for reports (default: the class's module.name);
* ``"_level_of_theory_reference": "dft:pbe/def2-tzvp"`` - the astray reference method that
  computes that level of theory (default none).

The spec must name a class whose instances have ``get_potential_energy`` (an ASE calculator);
anything else is refused before it is called. A class that lists the parameters it understands
in ``default_parameters`` (ASE's convention; ``LennardJones``, ``EMT``, ``TBLite``) refuses any
other keyword, because ASE's ``Calculator`` would otherwise keep an unknown keyword as an unused
parameter and compute with the defaults. A spec's module must be importable (on ``PYTHONPATH``).

The version (part of every stored curve's key) names the class, its packages, a SHA-256 of the
source files of the class's module and of the class and its bases, a SHA-256 of the weights of
the torch modules it holds (an ML calculator's model), and a SHA-256 of the calculator's
parameters (ASE's ``parameters``, else ``todict()``), so a curve is recomputed after the user
edits the calculator, loads other weights or changes a parameter (two ``LennardJones`` with
different ``sigma`` are two potentials). A class defined where Python keeps no source file (``python -c``)
is identified by its name, its parameters and the sources of its bases only.

Each structure is a copy of the input with the calculator attached; ``atoms.info`` keeps
``charge`` and ``spin`` (multiplicity), the keys fairchem's calculators read. ASE calculators are
per structure by nature, so the batch is a loop (:class:`PerStructurePotential`); the calculator
is reset before each structure because ASE's result cache compares positions and numbers only,
not ``info``: H2 and H2+ at the same bond length would otherwise share one energy.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from collections.abc import Mapping
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import BaseCalculator

from astray.errors import PotentialError
from astray.potentials.base import PerStructurePotential

USAGE = 'ase:MODULE:CLASS or ase:MODULE:CLASS:{"keyword": value, ...}'
#: Vacuum (angstrom) around a molecule given to a calculator in a cell with ``pbc=False``, as
#: MLIP Arena does. Calculators of molecules ignore the cell; calculators of crystals (CHGNet's
#: reads every structure as a periodic pymatgen Structure) fail on a zero cell ("Singular
#: matrix") and see no periodic image with 20 A of vacuum, more than their cutoffs (5-6 A).
ISOLATED_VACUUM_ANGSTROM = 20.0


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


def is_ase_calculator(thing: object) -> bool:
    """An ASE calculator instance: of a class derived from ASE's ``BaseCalculator``, or any object
    with a ``get_potential_energy`` method (how ``Atoms`` calls its calculator). Not a class, and
    not an ``Atoms``, which has that method too."""
    if isinstance(thing, (type, Atoms)):
        return False
    return isinstance(thing, BaseCalculator) or callable(getattr(thing, "get_potential_energy",
                                                                 None))


def source_digest(cls: type) -> str:
    """SHA-256 of the source files of the module of ``cls`` and of ``cls`` and its bases (each
    file once, in that order): what changes a calculator's numbers without changing a package
    version."""
    digest, seen = hashlib.sha256(), set()
    for owner in (sys.modules.get(cls.__module__), *cls.__mro__[:-1]):  # not object
        try:
            path = inspect.getsourcefile(owner)
        except (TypeError, OSError):  # built-in, compiled or without a file (python -c)
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
        module = sys.modules.get(package) or import_module(package)
        return f"{package} {getattr(module, '__version__', 'unknown')}"


def _plain(value: object) -> object:
    """A JSON value for a parameter json cannot write: arrays as lists, ASE objects as their
    ``todict()``, anything else as its type. Not ``repr``: most objects' repr holds a memory
    address, which would give the same calculator a new store key in every run."""
    if callable(getattr(value, "todict", None)):
        return value.todict()
    if callable(getattr(value, "tolist", None)):
        return value.tolist()
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def calculator_parameters(calculator: object) -> dict | None:
    """The calculator's parameters as plain JSON values, keys sorted: ASE's ``parameters``
    (defaults included), else its ``todict()``; None if it has neither."""
    parameters = getattr(calculator, "parameters", None)
    if not isinstance(parameters, Mapping):
        todict = getattr(calculator, "todict", None)
        parameters = todict() if callable(todict) else None
    if not isinstance(parameters, Mapping):
        return None
    text = json.dumps({str(key): value for key, value in parameters.items()}, sort_keys=True,
                      default=_plain)
    return json.loads(text)


def weights_digest(calculator: object) -> str | None:
    """SHA-256 of the weights of the torch modules a calculator holds, as its attributes or
    theirs (CHGNet's and SevenNet's ``model``, fairchem's ``predictor.model``), in attribute
    order; None if it holds none. ML calculators keep their model out of ``parameters``
    (``CHGNetCalculator`` and ``SevenNetCalculator`` both have ``parameters == {}``), so
    without this two SevenNet models of one class would share a version and a stored curve."""
    torch = sys.modules.get("torch")
    if torch is None:  # a calculator cannot hold a torch module before torch is imported
        return None
    held = []
    for name, value in getattr(calculator, "__dict__", {}).items():
        if isinstance(value, torch.nn.Module):
            held.append((name, value))
        else:
            held += [(f"{name}.{inner}", module) for inner, module in
                     getattr(value, "__dict__", {}).items() if isinstance(module, torch.nn.Module)]
    if not held:
        return None
    digest = hashlib.sha256()
    for path, module in held:
        digest.update(path.encode())
        for key, tensor in module.state_dict().items():
            digest.update(key.encode())
            if isinstance(tensor, torch.Tensor):  # bytes of any dtype, bfloat16 included
                flat = tensor.detach().to("cpu").contiguous().reshape(-1)
                digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class AseCalculatorPotential(PerStructurePotential):
    """An ASE calculator instance; :meth:`from_spec` builds one from an ``ase:`` spec.

    Args:
        calculator: the calculator (see :func:`is_ase_calculator`); used as it is, not copied.
        name: the potential's name in results (default: the class name, lowercase).
        charge_aware, spin_aware: the calculator reads ``atoms.info["charge"]`` /
            ``atoms.info["spin"]`` (multiplicity); it gets them either way.
        level_of_theory: what it was trained on or computes (free text, for reports).
        level_of_theory_reference: the astray reference method of that level of theory.
    """

    family = "ase"

    def __init__(self, calculator: object, *, name: str | None = None,
                 charge_aware: bool = False, spin_aware: bool = False,
                 level_of_theory: str = "", level_of_theory_reference: str | None = None):
        if not is_ase_calculator(calculator):
            kind = (f"the class {calculator.__name__}; pass an instance, {calculator.__name__}(...)"
                    if isinstance(calculator, type)
                    else f"an object of type {type(calculator).__name__!r}")
            raise PotentialError(f"not a potential: {kind}. Give a potential's name (astray "
                                 "potentials lists them), a Potential or an ASE calculator")
        cls = type(calculator)
        super().__init__(name or cls.__name__.lower())
        self.calculator = calculator
        self.charge_aware, self.spin_aware = bool(charge_aware), bool(spin_aware)
        self.level_of_theory = level_of_theory
        self.level_of_theory_reference = level_of_theory_reference
        self.class_path = f"{cls.__module__}.{cls.__qualname__}"
        packages = dict.fromkeys(package_version(module) for module in (cls.__module__, "ase"))
        self._class_provenance = [*packages, f"source sha256 {source_digest(cls)[:16]}"]
        weights = weights_digest(calculator)  # once: a loaded model's weights stay as they are
        if weights is not None:
            self._class_provenance.append(f"weights sha256 {weights[:16]}")
        declared = getattr(calculator, "implemented_properties", None)
        self.has_forces = ("forces" in declared if declared is not None
                           else callable(getattr(calculator, "get_forces", None)))

    @classmethod
    def from_spec(cls, spec: str) -> AseCalculatorPotential:
        """Build the calculator of ``spec`` (``ase:MODULE:CLASS[:{json kwargs}]``), named by
        the spec itself."""
        module_name, class_name, kwargs = parse_spec(spec)
        description = {key: kwargs.pop(f"_{key}") for key in
                       ("charge_aware", "spin_aware", "level_of_theory",
                        "level_of_theory_reference") if f"_{key}" in kwargs}
        calculator_cls = calculator_class(module_name, class_name, spec)
        check_keywords(calculator_cls, kwargs)
        try:
            calculator = calculator_cls(**kwargs)
        except Exception as error:  # any user's class may raise anything: one line naming it
            raise PotentialError(f"{module_name}.{class_name}(**{kwargs}) failed: "
                                 f"{type(error).__name__}: {error}") from None
        return cls(calculator, name=spec,
                   charge_aware=bool(description.get("charge_aware", False)),
                   spin_aware=bool(description.get("spin_aware", False)),
                   level_of_theory=str(description.get("level_of_theory",
                                                       f"{module_name}.{class_name}")),
                   level_of_theory_reference=description.get("level_of_theory_reference"))

    @property
    def version(self) -> str:
        """Class, packages, digests of the sources, of the weights (if it holds torch modules)
        and of the parameters, these read now: a parameter changed after loading
        (``calc.set(sigma=0.8)``) gives a new version."""
        provenance = list(self._class_provenance)
        parameters = calculator_parameters(self.calculator)
        if parameters is not None:
            text = json.dumps(parameters, sort_keys=True)
            provenance.append(f"parameters sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}")
        return f"{self.class_path} ({', '.join(provenance)})"

    def describe(self) -> dict:
        return {**super().describe(), "calculator": self.class_path,
                "parameters": calculator_parameters(self.calculator)}

    def single_point(self, atoms: Atoms) -> tuple[float, np.ndarray | None]:
        """Energy (eV) and forces (eV/A, None if the calculator gives none) of a copy of
        ``atoms`` (``info`` with charge and spin kept) with the calculator attached; a structure
        without a cell gets one of ISOLATED_VACUUM_ANGSTROM vacuum, still with ``pbc=False``."""
        atoms = atoms.copy()
        if not atoms.cell.any():  # pbc stays False: a molecule, with room for crystal models
            # positions unchanged (not centred): a periodic image is a cell edge away wherever
            # the atoms sit, and calculators of molecules see the very same coordinates
            atoms.set_cell(np.ptp(atoms.positions, axis=0) + ISOLATED_VACUUM_ANGSTROM)
        reset = getattr(self.calculator, "reset", None)
        if reset is not None:
            reset()
        atoms.calc = self.calculator
        try:
            energy = float(atoms.get_potential_energy())
            forces = np.array(atoms.get_forces(), dtype=float) if self.has_forces else None
        finally:
            atoms.calc = None
        return energy, forces
