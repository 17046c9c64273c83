"""Energy sources behind one protocol (:class:`Potential`), looked up by the name a user types.

Adapters are imported lazily, so asking for ``xtb`` never imports torch.
"""

from __future__ import annotations

from importlib import import_module

from astray.errors import PotentialError
from astray.potentials.base import Potential, Prediction, charge_and_multiplicity

# name (or "prefix:") -> "module:factory"; each factory takes the full spec string.
_REGISTRY: dict[str, str] = {
    "chgnet": "astray.potentials.chgnet:ChgnetPotential",
    "sevennet-0": "astray.potentials.sevennet:SevennetPotential",
    "xtb": "astray.potentials.xtb:XtbPotential",
    "exact": "astray.potentials.exact:ExactPotential",
    "pyscf:": "astray.potentials.pyscf_qc:PyscfPotential",
    "ase:": "astray.potentials.ase_calculator:AseCalculatorPotential",
}


def known_potentials() -> list[str]:
    """Names and prefixes that :func:`load_potential` accepts."""
    return list(_REGISTRY)


def load_potential(spec: str) -> Potential:
    """Instantiate the potential named by ``spec`` (``chgnet``, ``xtb``, ``pyscf:pbe/def2-svp``,
    ``ase:module:Class`` ...). Raises :class:`PotentialError` for an unknown name."""
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
           "load_potential"]
