"""SevenNet-0 (``7net-0``, 11 July 2024), an equivariant universal potential trained on MPtrj.

The weights ship inside the ``sevenn`` wheel, so nothing is downloaded. A batch is evaluated the
way sevenn's own ``inference`` command does it: one graph per structure with sevenn's graph
builder, torch_geometric batching, one forward pass. It gives the same energies as sevenn's ASE
``SevenNetCalculator`` (checked in the tests), without one model call per structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.potentials.periodic_box import BoxedPotential, require_weights

MODEL_NAME = "SevenNet-0 (11Jul2024)"


def weights_path() -> Path:
    """The checkpoint sevenn resolves ``7net-0`` to (inside the installed package)."""
    from sevenn import _const

    return Path(_const.SEVENNET_0_11Jul2024)


class SevennetPotential(BoxedPotential):
    """SevenNet-0 on CPU; energies in eV, forces in eV/A."""

    family = "sevennet"
    charge_aware = False
    spin_aware = False
    level_of_theory = "PBE/PBE+U (Materials Project, MPtrj)"
    level_of_theory_reference = "dft:pbe/def2-tzvp"

    def __init__(self, name: str = "sevennet-0"):
        super().__init__(name)
        path = require_weights(weights_path(), MODEL_NAME, "sevenn")
        import sevenn._keys as KEY
        from sevenn.util import load_checkpoint

        checkpoint = load_checkpoint(str(path))
        self.model = checkpoint.build_model()
        self.model.set_is_batch_data(True)
        self.model.eval()
        self.cutoff = float(checkpoint.config[KEY.CUTOFF])

    @property
    def version(self) -> str:
        import sevenn

        return f"{MODEL_NAME} (sevenn {sevenn.__version__})"

    def predict_boxed(self, boxed: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        import sevenn._keys as KEY
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph
        from torch_geometric.data import Batch

        graphs = [AtomGraphData.from_numpy_dict(
            unlabeled_atoms_to_graph(atoms, self.cutoff, with_shift=True)) for atoms in boxed]
        output = self.model(Batch.from_data_list(graphs))
        energies = output[KEY.PRED_TOTAL_ENERGY].detach().cpu().numpy().astype(float)
        forces = output[KEY.PRED_FORCE].detach().cpu().numpy().astype(float)
        split = np.cumsum([len(atoms) for atoms in boxed])[:-1]
        return energies.reshape(-1), np.split(forces, split)
