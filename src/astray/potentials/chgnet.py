"""CHGNet 0.3.0, the universal potential trained on the Materials Project trajectories (MPtrj).

The weights ship inside the ``chgnet`` wheel, so nothing is downloaded. CHGNet reads neither the
charge nor the spin of a molecule. Its converter refuses atoms without neighbours by default;
here an isolated atom (a fragment, or a bond stretched past 6 A) is what is being probed, so it
is evaluated as the model predicts it.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.potentials.periodic_box import BoxedPotential, require_weights

MODEL_VERSION = "0.3.0"
WEIGHTS_FILE = "chgnet_0.3.0_e29f68s314m37.pth.tar"


def weights_path() -> Path:
    """Where ``CHGNet.load(model_name="0.3.0")`` reads its weights from."""
    import chgnet

    return Path(chgnet.__file__).parent / "pretrained" / MODEL_VERSION / WEIGHTS_FILE


class ChgnetPotential(BoxedPotential):
    """CHGNet 0.3.0 on CPU; energies in eV (total, not per atom), forces in eV/A."""

    family = "chgnet"
    charge_aware = False
    spin_aware = False
    level_of_theory = "PBE/PBE+U (Materials Project, MPtrj)"
    level_of_theory_reference = "dft:pbe/def2-tzvp"

    def __init__(self, name: str = "chgnet"):
        super().__init__(name)
        require_weights(weights_path(), f"CHGNet {MODEL_VERSION}", "chgnet")
        from chgnet.model import CHGNet

        with contextlib.redirect_stdout(io.StringIO()):  # it prints its parameter count
            self.model = CHGNet.load(model_name=MODEL_VERSION, use_device="cpu", verbose=False)
        self.model.graph_converter.set_isolated_atom_response("ignore")
        self.cutoff = float(self.model.graph_converter.atom_graph_cutoff)

    @property
    def version(self) -> str:
        import chgnet

        return f"CHGNet {MODEL_VERSION} (chgnet {chgnet.__version__})"

    def predict_boxed(self, boxed: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        from pymatgen.core import Lattice, Structure

        structures = [Structure(Lattice(atoms.cell[:]), atoms.numbers, atoms.positions,
                                coords_are_cartesian=True) for atoms in boxed]
        with warnings.catch_warnings():  # noise from pymatgen (He, Ne) and chgnet's own code
            warnings.filterwarnings("ignore", message="No Pauling electronegativity")
            warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
            predictions = self.model.predict_structure(structures, task="ef",
                                                       batch_size=len(structures))
        if isinstance(predictions, dict):  # chgnet unwraps a batch of one
            predictions = [predictions]
        per_atom = self.model.is_intensive  # CHGNet 0.3.0 predicts eV per atom
        energies = np.array([float(p["e"]) * (len(atoms) if per_atom else 1)
                             for p, atoms in zip(predictions, boxed)])
        return energies, [np.asarray(p["f"], dtype=float) for p in predictions]
