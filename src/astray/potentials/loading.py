"""Find a potential by what the user gives: a name, a :class:`Potential`, or an ASE calculator.

Adapters are imported lazily, so asking for ``xtb`` never imports torch. Foundation models of
the catalogue (:mod:`astray.potentials.catalogue`) run in this interpreter or, with ``python=``,
in a worker process of another environment (:mod:`astray.potentials.remote`).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from operator import attrgetter
from pathlib import Path

from astray.errors import PotentialError
from astray.potentials.ase_calculator import AseCalculatorPotential
from astray.potentials.base import Potential
from astray.potentials.catalogue import catalogue_entry, potential_catalogue

#: ``--weights trust:PATH``: the user trusts PATH, which may then run code when it is loaded.
TRUST_PREFIX = "trust:"

# name (or "prefix:") -> "module:factory"; each factory takes the full spec string.
_REGISTRY: dict[str, str] = {
    "xtb": "astray.potentials.xtb:XtbPotential",
    "exact": "astray.potentials.exact:ExactPotential",
    "pyscf:": "astray.potentials.pyscf_qc:PyscfPotential",
    "ase:": "astray.potentials.ase_calculator:AseCalculatorPotential.from_spec",
    "checkpoint:": "astray.potentials.checkpoint:CheckpointPotential",
}


def known_potentials() -> list[str]:
    """Names and prefixes that :func:`load_potential` accepts."""
    catalogued = [record["name"] for record in potential_catalogue()]
    return catalogued + [name for name in _REGISTRY if name not in catalogued]


def load_potential(spec: str | Potential | object, *, python: str | Path | None = None,
                   weights: str | Path | None = None, trust_weights: bool = False,
                   name: str | None = None, charge_aware: bool = False, spin_aware: bool = False,
                   level_of_theory: str = "",
                   level_of_theory_reference: str | None = None) -> Potential:
    """The potential named or given by ``spec``.

    Args:
        spec: a catalogue name or a registry name/prefix (``chgnet``, ``uma-s-1p1``, ``xtb``,
            ``pyscf:pbe/def2-svp``, ``ase:module:Class`` ...); a :class:`Potential`, returned
            as it is; or an ASE calculator instance (any ``ase.calculators`` calculator, or an
            object with ``get_potential_energy``), wrapped in
            :class:`astray.potentials.ase_calculator.AseCalculatorPotential`.
        python: interpreter of another environment to evaluate the model in (a worker
            process started once); only for catalogued models with a family module.
        weights: the weights file (overrides the environment variable and caches);
            ``trust:PATH`` (what ``--weights trust:PATH`` passes) trusts it.
        trust_weights: load ``weights`` even if loading it can run code (a pickle of Python
            objects). Without it such a file is refused (weights that ship inside an installed
            wheel are trusted; a file torch's restricted unpickler reads is safe).
        name, charge_aware, spin_aware, level_of_theory, level_of_theory_reference: for an ASE
            calculator only, what it is called (default: its class name, lowercase) and what it
            understands: whether it reads ``atoms.info["charge"]`` and ``atoms.info["spin"]``
            (multiplicity; it receives them either way), what it computes or was trained on
            (free text) and the astray reference method of that (``dft:pbe/def2-tzvp``).

    Example: ``load_potential(LennardJones(sigma=0.7, epsilon=0.1, rc=100.0)).name`` is
    ``"lennardjones"``.

    Raises :class:`PotentialError` for an unknown name, a model that cannot be loaded, an
    object that is neither a Potential nor an ASE calculator, or options that do not apply to
    what ``spec`` is; :class:`WeightsNotFoundError` (one line naming the file and where to put
    it) for missing weights, before anything is imported or started; and
    :class:`CheckpointError` for an untrusted weights file that could run code, before it is
    unpickled.
    """
    declared = {"name": name, "charge_aware": charge_aware, "spin_aware": spin_aware,
                "level_of_theory": level_of_theory,
                "level_of_theory_reference": level_of_theory_reference}
    if not isinstance(spec, str):
        if python is not None or weights is not None or trust_weights:
            raise PotentialError("python, weights and trust_weights apply to a potential "
                                 f"given by name, not to an object ({type(spec).__name__})")
        if isinstance(spec, Potential):
            _refuse_declarations(declared, f"the Potential {spec.name!r} (set them on it)")
            return spec
        return AseCalculatorPotential(spec, **declared)
    _refuse_declarations(declared, f"{spec!r} (a name)")
    if isinstance(weights, str) and weights.startswith(TRUST_PREFIX):
        weights, trust_weights = weights[len(TRUST_PREFIX):], True
    entry = catalogue_entry(spec)
    if entry is not None and entry.family_module is not None:
        weights_path = entry.require_weights(weights, packaged_here=python is None)
        if trust_weights:
            entry = replace(entry, options={**entry.options, "trust_weights": True})
        if python is not None:
            from astray.potentials.remote import RemotePotential

            return RemotePotential(entry, python, weights_path)
        from astray.potentials.foundation import FamilyPotential

        return FamilyPotential(entry, weights_path)
    if python is not None or weights is not None:
        raise PotentialError(f"{spec!r} runs in this environment only and takes no "
                             "--python or --weights")
    return _load_registered(spec)


def _refuse_declarations(declared: dict, what: str) -> None:
    """A declaration of what a calculator understands, given for something else, would be
    silently ignored: refuse it."""
    given = [key for key, value in declared.items() if value not in (None, False, "")]
    if given:
        raise PotentialError(f"the keywords {', '.join(given)} apply to an ASE calculator "
                             f"instance only, not to {what}")


def _load_registered(spec: str) -> Potential:
    key = spec if spec in _REGISTRY else spec.split(":", 1)[0] + ":"
    if key not in _REGISTRY:
        raise PotentialError(
            f"unknown potential {spec!r}: known are {', '.join(known_potentials())}")
    module_name, factory = _REGISTRY[key].split(":")
    try:
        module = import_module(module_name)
    except ImportError as error:
        raise PotentialError(
            f"potential {spec!r} needs a package that is not installed ({error.name}); "
            "install astray[models] or the model's own package") from error
    return attrgetter(factory)(module)(spec)
