"""DIEP 2.0 (the ``diep`` package): a direct-integration-of-the-external-potential network
(Tawfik et al., Digital Discovery 2024) trained on MatPES r2SCAN, in PyTorch Geometric.

The released model ``diep_fold1`` (BSD-3) ships inside the wheel as a folder of ``model.json``,
``model.pt`` and ``state.pt``; the weights are ``state.pt`` (its SHA-256 is the one recorded), and
the folder that holds it is what is loaded. The package loads both ``.pt`` files with torch's
default restricted unpickler and refuses an incomplete folder instead of downloading. Its
calculator evaluates an isolated molecule without a cell (no vacuum box needed). DIEP reads
neither the charge nor the spin of a molecule.
"""

from __future__ import annotations

from pathlib import Path

from ase import Atoms

from .common import installed_file, predict_each, torch_threads

PACKAGE = "diep"
#: diep's loader relies on torch's default, a full unpickle in torch < 2.6
UNPICKLES_WEIGHTS = True
#: The released model's weights inside the installed package.
PACKAGED_WEIGHTS = Path("pretrained_models") / "diep_fold1" / "state.pt"


def default_weights(options: dict | None = None) -> str:
    """``state.pt`` of the released ``diep_fold1`` inside the installed package."""
    return installed_file("diep", PACKAGED_WEIGHTS)


def load(weights: str, options: dict):
    """The package's ASE calculator for the exported model folder that holds ``weights``."""
    from diep.pretrained import make_calculator

    return make_calculator(Path(weights).parent, device="cpu", stress=False)


def predict(calculator, structures: list[Atoms]):
    """Energies (eV) and forces (eV/A), one structure after the other."""
    with torch_threads(1):
        return predict_each(calculator, structures)
