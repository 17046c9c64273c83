"""Energy sources behind one protocol (:class:`Potential`), looked up by the name a user types.

Adapters are imported lazily, so asking for ``xtb`` never imports torch. Foundation models of
the catalogue (:mod:`astray.potentials.catalog`) run in this interpreter or, with ``python=``,
in a worker process of another environment (:mod:`astray.potentials.remote`).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from pathlib import Path

from astray.errors import PotentialError
from astray.potentials.base import Potential, Prediction, charge_and_multiplicity
from astray.potentials.catalog import catalog_entry, potential_catalog

#: ``--weights trust:PATH``: the user trusts PATH, which may then run code when it is loaded.
TRUST_PREFIX = "trust:"

# name (or "prefix:") -> "module:factory"; each factory takes the full spec string.
_REGISTRY: dict[str, str] = {
    "xtb": "astray.potentials.xtb:XtbPotential",
    "exact": "astray.potentials.exact:ExactPotential",
    "pyscf:": "astray.potentials.pyscf_qc:PyscfPotential",
    "ase:": "astray.potentials.ase_calculator:AseCalculatorPotential",
    "checkpoint:": "astray.potentials.checkpoint:CheckpointPotential",
}


def known_potentials() -> list[str]:
    """Names and prefixes that :func:`load_potential` accepts."""
    catalogued = [record["name"] for record in potential_catalog()]
    return catalogued + [name for name in _REGISTRY if name not in catalogued]


def load_potential(spec: str, *, python: str | Path | None = None,
                   weights: str | Path | None = None, trust_weights: bool = False) -> Potential:
    """Instantiate the potential named by ``spec`` (``chgnet``, ``uma-s-1p1``, ``xtb``,
    ``pyscf:pbe/def2-svp``, ``ase:module:Class`` ...).

    Args:
        spec: a catalogue name or a registry name/prefix.
        python: interpreter of another environment to evaluate the model in (a worker
            process started once); only for catalogued models with a family module.
        weights: the weights file (overrides the environment variable and caches);
            ``trust:PATH`` (what ``--weights trust:PATH`` passes) trusts it.
        trust_weights: load ``weights`` even if loading it can run code (a pickle of Python
            objects). Without it such a file is refused (weights that ship inside an installed
            wheel are trusted; a file torch's restricted unpickler reads is safe).

    Raises :class:`PotentialError` for an unknown name or a model that cannot be loaded,
    :class:`WeightsNotFoundError` (one line naming the file and where to put it) for missing
    weights, before anything is imported or started, and :class:`CheckpointError` for an
    untrusted weights file that could run code, before it is unpickled.
    """
    if isinstance(weights, str) and weights.startswith(TRUST_PREFIX):
        weights, trust_weights = weights[len(TRUST_PREFIX):], True
    entry = catalog_entry(spec)
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
    return getattr(module, factory)(spec)


__all__ = ["Potential", "Prediction", "charge_and_multiplicity", "known_potentials",
           "load_potential", "potential_catalog"]
