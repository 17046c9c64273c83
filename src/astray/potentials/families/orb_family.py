"""orb-models (Orb v3 conservative OMol).

``ORBCalculator`` turns ``atoms.info["charge"]`` and ``atoms.info["spin"]`` (multiplicity) into the
model's ``total_charge`` and ``total_spin`` conditioning (it refuses a structure without both).
Options: ``architecture`` (the ``orb_models.forcefield.pretrained`` function, e.g.
``orb_v3_conservative_omol``) and ``precision`` (``float32-highest``, as the study used).
"""

from __future__ import annotations

from ase import Atoms

from .common import predict_each

PACKAGE = "orb-models"
#: orb-models reads its state dict with torch.load; treated as a full unpickle
UNPICKLES_WEIGHTS = True


def load(weights: str, options: dict):
    """An ``ORBCalculator`` on CPU with the state dict ``weights`` (never downloads)."""
    from orb_models.forcefield import pretrained
    from orb_models.forcefield.calculator import ORBCalculator

    build = getattr(pretrained, options.get("architecture", "orb_v3_conservative_omol"))
    model = build(weights_path=weights, device="cpu",
                  precision=options.get("precision", "float32-highest"), compile=False)
    return ORBCalculator(model, device="cpu")


def predict(calculator, structures: list[Atoms]):
    """Energies (eV) and forces (eV/A), one structure after the other."""
    return predict_each(calculator, structures)
