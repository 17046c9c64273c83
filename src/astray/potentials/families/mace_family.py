"""MACE (mace-torch): MACE-OFF23, MACE-MP-0 and MACE-OMOL through ``MACECalculator``.

``MACECalculator`` copies ``atoms.info["charge"]`` and ``atoms.info["spin"]`` (multiplicity) into
the model's ``total_charge`` and ``total_spin`` inputs; only models built with charge and spin
embeddings (MACE-OMOL) read them, MACE-OFF and MACE-MP ignore them. Options: ``dtype``
(``float64``, as ``mace_off``/``mace_omol`` default to, or ``float32``) and ``head`` (``omol``
for MACE-OMOL).
"""

from __future__ import annotations

from ase import Atoms

from .common import predict_each

PACKAGE = "mace-torch"
#: a .model file is a whole pickled torch module
UNPICKLES_WEIGHTS = True


def load(weights: str, options: dict):
    """A ``MACECalculator`` on CPU for the ``.model`` file ``weights``."""
    from mace.calculators import MACECalculator

    head = {"head": options["head"]} if options.get("head") else {}
    return MACECalculator(model_paths=weights, device="cpu",
                          default_dtype=options.get("dtype", "float64"), **head)


def predict(calculator, structures: list[Atoms]):
    """Energies (eV) and forces (eV/A), one structure after the other."""
    return predict_each(calculator, structures)
