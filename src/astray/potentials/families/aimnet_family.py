"""AIMNet2 (the ``aimnet`` package).

``AIMNet2ASE`` reads the total charge from ``atoms.info["charge"]``; the NSE variant also reads
the multiplicity from ``atoms.info["spin"]`` (or ``"mult"``), the default wB97M-D3 model ignores
it.
"""

from __future__ import annotations

from ase import Atoms

from .common import predict_each

PACKAGE = "aimnet"
#: aimnet's calculator reads a model file that may be a pickled module
UNPICKLES_WEIGHTS = True


def load(weights: str, options: dict):
    """An ``AIMNet2ASE`` calculator on CPU for the model file ``weights``."""
    from aimnet.calculators import AIMNet2ASE, AIMNet2Calculator

    return AIMNet2ASE(AIMNet2Calculator(weights, device="cpu"))


def predict(calculator, structures: list[Atoms]):
    """Energies (eV) and forces (eV/A), one structure after the other."""
    return predict_each(calculator, structures)
