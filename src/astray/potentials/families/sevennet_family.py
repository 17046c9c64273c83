"""SevenNet-0 (``7net-0``, 11 July 2024), an equivariant universal potential trained on MPtrj.

The weights ship inside the ``sevenn`` wheel, so nothing is downloaded. SevenNet only accepts
periodic cells: each molecule is put in a vacuum box (:func:`common.in_vacuum_box`). A batch is
evaluated the way sevenn's own ``inference`` command does it: one graph per structure with
sevenn's graph builder, torch_geometric batching, one forward pass. It gives the same energies
as sevenn's ASE ``SevenNetCalculator("7net-0")`` (checked in the tests), without one model call
per structure. SevenNet-0 reads neither the charge nor the spin of a molecule.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from .common import in_vacuum_box, torch_threads

PACKAGE = "sevenn"
MODEL_NAME = "SevenNet-0 (11Jul2024)"
#: sevenn, e3nn and torch_geometric script parts of the model; recent torch calls it deprecated.
JIT_DEPRECATION = r"`torch\.jit\.script` is deprecated"


@dataclass
class SevenNet:
    """The model in batch mode and its graph cutoff (angstrom)."""

    model: Any
    cutoff: float


def default_weights() -> str:
    """The checkpoint sevenn resolves ``7net-0`` to (inside the installed package)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_DEPRECATION)  # e3nn, on import
        from sevenn import _const

    return str(_const.SEVENNET_0_11Jul2024)


def load(weights: str, options: dict) -> SevenNet:
    """SevenNet-0 on CPU from a checkpoint file, built as ``SevenNetCalculator`` builds it."""
    if not Path(weights).is_file():  # sevenn would take a missing file for a model name
        raise FileNotFoundError(f"{MODEL_NAME} checkpoint {weights} does not exist")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_DEPRECATION)
        import sevenn._keys as KEY
        from sevenn.util import load_checkpoint

        checkpoint = load_checkpoint(weights)
        model = checkpoint.build_model()
    model.set_is_batch_data(True)
    model.eval()
    return SevenNet(model, float(checkpoint.config[KEY.CUTOFF]))


def predict(sevennet: SevenNet, structures: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Total energies (eV) and forces (eV/A), one forward pass."""
    boxed = [in_vacuum_box(atoms, sevennet.cutoff) for atoms in structures]
    with torch_threads(1), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_DEPRECATION)  # also torch_geometric's
        import sevenn._keys as KEY
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph
        from torch_geometric.data import Batch

        graphs = [AtomGraphData.from_numpy_dict(
            unlabeled_atoms_to_graph(atoms, sevennet.cutoff, with_shift=True)) for atoms in boxed]
        output = sevennet.model(Batch.from_data_list(graphs))
    energies = output[KEY.PRED_TOTAL_ENERGY].detach().cpu().numpy().astype(float)
    forces = output[KEY.PRED_FORCE].detach().cpu().numpy().astype(float)
    split = np.cumsum([len(atoms) for atoms in boxed])[:-1]
    return energies.reshape(-1), np.split(forces, split)
