"""ANI-2x (torchani): an 8-network ensemble for H, C, N, O, F, S, Cl; charge- and spin-blind.

``torchani.models.ANI2x()`` fetches its state dict from the network when it is not cached, so
the architecture is assembled here exactly as ``ANI2x`` assembles it (torchani >= 2.7) and the
local state dict ``weights`` is loaded into it.
"""

from __future__ import annotations

from ase import Atoms

from .common import predict_each

PACKAGE = "torchani"
ENSEMBLE_SIZE = 8


def build_architecture():
    """The untrained ANI-2x ensemble (the assembly of ``torchani.models.ANI2x``)."""
    from torchani.arch import Assembler
    from torchani.utils import SYMBOLS_2X

    assembler = Assembler(periodic_table_index=True)
    assembler.set_symbols(SYMBOLS_2X)
    assembler.set_global_cutoff_fn("cosine")
    assembler.set_aev_computer(radial="ani2x", angular="ani2x", strategy="pyaev")
    assembler.set_atomic_networks(ctor="ani2x")
    assembler.set_neighborlist("all_pairs")
    assembler.set_gsaes_as_self_energies("wb97x-631gd")
    return assembler.assemble(ENSEMBLE_SIZE)


def load(weights: str, options: dict):
    """The torchani ASE calculator (float32, torchani's default) for the state dict ``weights``."""
    import torch

    model = build_architecture()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.ase()


def predict(calculator, structures: list[Atoms]):
    """Energies (eV) and forces (eV/A), one structure after the other."""
    return predict_each(calculator, structures)
