"""SO3LR (Kabylda et al., JACS 2025) from the ``so3krates-torch`` package: a So3krates
equivariant transformer with learned partial charges, a damped Coulomb term, dispersion and a
ZBL repulsion, trained on forces at PBE0+MBD (molecules, including charged and open-shell ones).

The weights (``so3krates_torch/pretrained/so3lr/so3lr.model``, MIT) ship inside the wheel, so
nothing is downloaded. The model reads the total charge and the total spin S (not the
multiplicity: S = (multiplicity - 1) / 2, read as ``atoms.info["total_spin"]``; the model turns it
into 2S unpaired electrons).

Three settings differ from the package's ``SO3LRCalculator`` defaults, for gas-phase diatomics:

* ``r_max_lr`` (angstrom): the long-range cutoff. At the default 12 A the Coulomb switching
  function starts at 0.45 x 12 = 5.4 A, inside the 6 A end of astray's H2 grid; the authors
  suggest about 1000 A for isolated molecules. The value used is in the provenance.
* ``dtype``: the float32 weights are converted to float64, as for the other molecular models
  here, so that curves are not rounded at the 1e-5 eV level of energies of -320 eV.
* the process-wide default dtype, which the package's calculator sets for good
  (``torch.set_default_dtype``): it is set only while SO3LR loads or evaluates and restored
  after, so a model evaluated next in the same process (CHGNet, float32) is unchanged.

A batch is one forward pass: the structures are collated with the package's own data pipeline
(``AtomicData.from_config``, its ``DataLoader``), as its training and evaluation do.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from ase import Atoms

from .common import installed_file, torch_threads

PACKAGE = "so3krates-torch"
#: the weights are a whole pickled torch module
UNPICKLES_WEIGHTS = True
#: The weights inside the installed package (``SO3LRCalculator._load_model`` reads this file).
PACKAGED_WEIGHTS = Path("pretrained") / "so3lr" / "so3lr.model"


def default_weights(options: dict | None = None) -> str:
    """The SO3LR weights file inside the installed ``so3krates_torch`` package."""
    return installed_file("so3krates_torch", PACKAGED_WEIGHTS)


@contextlib.contextmanager
def default_dtype(name: str) -> Iterator[None]:
    """torch's default dtype set to ``name`` (``float32``/``float64``) for the duration, then
    restored: the package builds its input tensors with the default dtype."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, name))
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def load(weights: str, options: dict):
    """The package's calculator around the model in ``weights`` on CPU, with ``r_max_lr``
    (angstrom), the dispersion damping width (angstrom) and ``dtype`` of ``options``."""
    import torch
    from so3krates_torch.calculator.so3 import TorchkratesCalculator

    # the calculator prints its dtype conversion; stdout may be astray's JSON output
    with default_dtype(options["dtype"]), contextlib.redirect_stdout(io.StringIO()):
        with torch.serialization.safe_globals(module_classes(weights)):
            model = torch.load(weights, map_location="cpu", weights_only=True)
        return TorchkratesCalculator(
            models=model, r_max_lr=float(options["r_max_lr"]), model_type="so3lr",
            dispersion_energy_cutoff_lr_damping=float(options["dispersion_damping"]),
            default_dtype=options["dtype"], device="cpu")


def module_classes(weights: str) -> list[type]:
    """The classes a pickled SO3LR model file names, allowed to torch's restricted loader only
    when they are torch or so3krates-torch modules: the file is then rebuilt from tensors and
    those classes, and nothing else in it can run."""
    import importlib

    import torch

    classes = []
    for name in torch.serialization.get_unsafe_globals_in_checkpoint(weights):
        module, _, attribute = name.rpartition(".")
        if not module.startswith(("torch.nn.", "so3krates_torch.")):
            raise ValueError(f"{weights} names {name}, which is not a torch or so3krates-torch "
                             "module class: not loaded")
        classes.append(getattr(importlib.import_module(module), attribute))
    return classes


def settings(calculator) -> dict:
    """What the loaded model runs with (for the provenance), read back from the model."""
    model = calculator.models[0]
    return {"r_max_angstrom": float(model.r_max), "r_max_lr_angstrom": float(model.r_max_lr),
            "dispersion_damping_angstrom": float(model.dispersion_energy_cutoff_lr_damping),
            "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
            "total_spin": "S = (multiplicity - 1) / 2"}


def with_total_spin(atoms: Atoms) -> Atoms:
    """A copy whose ``info`` holds what SO3LR reads: ``charge`` and ``total_spin`` = S."""
    copy = atoms.copy()
    copy.info["total_spin"] = (int(atoms.info["spin"]) - 1) / 2
    return copy


def predict(calculator, structures: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Energies (eV) and forces (eV/A) of the whole batch in one forward pass."""
    from so3krates_torch.data.atomic_data import AtomicData
    from so3krates_torch.data.utils import config_from_atoms
    from so3krates_torch.tools.torch_geometric.dataloader import DataLoader

    keys = calculator.key_specification.update(arrays_keys={calculator.charges_key: "Qs"})
    dtype = str(next(calculator.models[0].parameters()).dtype).removeprefix("torch.")
    with default_dtype(dtype), torch_threads(1):
        data = [AtomicData.from_config(
            config_from_atoms(with_total_spin(atoms), key_specification=keys),
            z_table=calculator.z_table, cutoff=calculator.r_max, cutoff_lr=calculator.r_max_lr)
            for atoms in structures]
        batch = next(iter(DataLoader(dataset=data, batch_size=len(data), shuffle=False)))
        output = calculator.models[0](batch.to_dict(), compute_stress=False)
    energies = output["energy"].detach().cpu().numpy().astype(float).reshape(-1)
    forces = output["forces"].detach().cpu().numpy().astype(float)
    return energies, np.split(forces, np.cumsum([len(atoms) for atoms in structures])[:-1])
