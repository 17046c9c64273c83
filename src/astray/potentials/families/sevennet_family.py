"""SevenNet (sevenn): SevenNet-0 (``7net-0``, 11 July 2024), SevenNet-l3i5 (``7net-l3i5``), both
equivariant universal potentials trained on MPtrj, and SevenNet-MF-0 (``7net-mf-0``), one network
trained on MPtrj (PBE/PBE+U) and MP-r2SCAN with one output per functional (its "modal").

Options: ``checkpoint``, the name of the checkpoint in ``sevenn._const`` (default
``SEVENNET_0_11Jul2024``), and ``modal`` (``PBE`` or ``R2SCAN``) for the multi-fidelity model,
which refuses to run without one. The weights ship inside the ``sevenn`` wheel, so nothing is
downloaded. SevenNet only accepts
periodic cells: each molecule is put in a vacuum box (:func:`common.in_vacuum_box`). A batch is
evaluated the way sevenn's own ``inference`` command does it: one graph per structure with
sevenn's graph builder, torch_geometric batching, one forward pass. It gives the same energies
as sevenn's ASE ``SevenNetCalculator("7net-0")`` (checked in the tests), without one model call
per structure; the modal is set on every graph as the calculator sets it on its one. SevenNet
reads neither the charge nor the spin of a molecule.
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
#: sevenn's load_checkpoint unpickles with torch's unrestricted loader: a checkpoint holds
#: Python objects (it can run code)
UNPICKLES_WEIGHTS = True
DEFAULT_CHECKPOINT = "SEVENNET_0_11Jul2024"
#: sevenn, e3nn and torch_geometric script parts of the model; recent torch calls it deprecated.
JIT_DEPRECATION = r"`torch\.jit\.script` is deprecated"


@dataclass
class SevenNet:
    """The model in batch mode, its graph cutoff (angstrom) and the output (modal) to read, or
    None for a single-fidelity model."""

    model: Any
    cutoff: float
    modal: str | None = None


def default_weights(options: dict | None = None) -> str:
    """The checkpoint ``options["checkpoint"]`` names (inside the installed package; SevenNet-0
    when none is named)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_DEPRECATION)  # e3nn, on import
        from sevenn import _const

    return str(getattr(_const, (options or {}).get("checkpoint", DEFAULT_CHECKPOINT)))


def load(weights: str, options: dict) -> SevenNet:
    """A SevenNet checkpoint on CPU, built as ``SevenNetCalculator`` builds it, reading the
    output ``options["modal"]`` of a multi-fidelity model."""
    if not Path(weights).is_file():  # sevenn would take a missing file for a model name
        raise FileNotFoundError(f"SevenNet checkpoint {weights} does not exist")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_DEPRECATION)
        import sevenn._keys as KEY
        from sevenn.util import load_checkpoint

        checkpoint = load_checkpoint(weights)
        model = checkpoint.build_model()
    modal = options.get("modal")
    if bool(model.modal_map) != (modal is not None) or (modal and modal not in model.modal_map):
        raise ValueError(f"modal {modal!r} for a model with outputs {sorted(model.modal_map)}")
    model.set_is_batch_data(True)
    model.eval()
    return SevenNet(model, float(checkpoint.config[KEY.CUTOFF]), modal)


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
        if sevennet.modal is not None:
            for graph in graphs:
                graph[KEY.DATA_MODALITY] = sevennet.modal
        output = sevennet.model(Batch.from_data_list(graphs))
    energies = output[KEY.PRED_TOTAL_ENERGY].detach().cpu().numpy().astype(float)
    forces = output[KEY.PRED_FORCE].detach().cpu().numpy().astype(float)
    split = np.cumsum([len(atoms) for atoms in boxed])[:-1]
    return energies.reshape(-1), np.split(forces, split)
