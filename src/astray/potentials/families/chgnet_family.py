"""CHGNet: 0.3.0, the universal potential trained on the Materials Project trajectories (MPtrj),
and ``r2scan``, the same network fine-tuned on MP-r2SCAN (option ``model``, as
``CHGNet.load(model_name=...)`` takes it).

The weights ship inside the ``chgnet`` wheel, so nothing is downloaded. CHGNet only accepts
periodic cells: each molecule is put in a vacuum box (:func:`common.in_vacuum_box`) and a batch
is one ``predict_structure`` call. CHGNet reads neither the charge nor the spin of a molecule.
Its converter refuses atoms without neighbours by default; here an isolated atom (a fragment, or
a bond stretched past 6 A) is what is being probed, so it is evaluated as the model predicts it.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
from ase import Atoms

from .common import in_vacuum_box, torch_threads

PACKAGE = "chgnet"
#: CHGNet.from_file unpickles the whole file with torch's unrestricted loader (it can run code)
UNPICKLES_WEIGHTS = True
MODEL_VERSION = "0.3.0"
WEIGHTS_FILE = "chgnet_0.3.0_e29f68s314m37.pth.tar"
#: ``CHGNet.load(model_name=...)``'s checkpoints inside the wheel, by model name.
WEIGHTS_FILES = {MODEL_VERSION: f"{MODEL_VERSION}/{WEIGHTS_FILE}",
                 "r2scan": "r2scan/chgnet_r2scan_transfer_learning_e15f36s161m23.pth.tar"}


def default_weights(options: dict | None = None) -> str:
    """The file ``CHGNet.load(model_name=options["model"])`` reads (inside the installed wheel;
    0.3.0 when no model is named)."""
    import chgnet

    return str(Path(chgnet.__file__).parent / "pretrained"
               / WEIGHTS_FILES[(options or {}).get("model", MODEL_VERSION)])


def load(weights: str, options: dict):
    """CHGNet on CPU from a checkpoint file, as ``CHGNet.load`` builds 0.3.0 and r2scan (no
    output bias, which only the deprecated 0.2.0 has)."""
    from chgnet.model import CHGNet

    with contextlib.redirect_stdout(io.StringIO()):  # it prints its parameter count
        model = CHGNet.from_file(weights, mlp_out_bias=False).to("cpu")
    model.graph_converter.set_isolated_atom_response("ignore")
    return model


def predict(model, structures: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Total energies (eV, not per atom) and forces (eV/A), one forward pass."""
    from pymatgen.core import Lattice, Structure

    cutoff = float(model.graph_converter.atom_graph_cutoff)  # the bond graph's is shorter
    boxed = [in_vacuum_box(atoms, cutoff) for atoms in structures]
    crystals = [Structure(Lattice(atoms.cell[:]), atoms.numbers, atoms.positions,
                          coords_are_cartesian=True) for atoms in boxed]
    with torch_threads(1), warnings.catch_warnings():  # noise from pymatgen (He, Ne) and chgnet
        warnings.filterwarnings("ignore", message="No Pauling electronegativity")
        warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
        predictions = model.predict_structure(crystals, task="ef", batch_size=len(crystals))
    if isinstance(predictions, dict):  # chgnet unwraps a batch of one
        predictions = [predictions]
    per_atom = model.is_intensive  # CHGNet 0.3.0 and r2scan predict eV per atom
    energies = np.array([float(p["e"]) * (len(atoms) if per_atom else 1)
                         for p, atoms in zip(predictions, structures)])
    return energies, [np.asarray(p["f"], dtype=float) for p in predictions]
