"""Reading checkpoints: a trained model with everything needed to say where its numbers came
from (written by :func:`astray.train.checkpoint.save_checkpoint`).

The reader sits with the models, below the potentials, so that ``checkpoint:PATH`` (a
potential) loads a model without importing the trainer: it needs torch and the models only.

A checkpoint is a ``torch.save`` of plain containers and tensors only, so it loads with
``torch.load(..., weights_only=True)``: a corrupt or foreign file is an error, never code that
runs. Contents (format ``astray-checkpoint/1``)::

    format, code_version          "astray-checkpoint/1", astray's version
    model_config, state_dict      rebuild with astray.models.build_model, then load the weights
    dataset, level_of_theory      the training data and the level of theory of its energies
    target                        "atomization_energy": E - sum of isolated-atom energies
    subset, split_seed, data_seed, n_train   which structures were trained on
    metrics                       validation/test MAE (kcal/mol), epochs, throughput, converged
                                  and why, pair distances of the training set (angstrom),
                                  departures from the study's recipe (TrainResult.summary)
    training                      the training configuration

Study checkpoints load too: the study's script saves ``best_model.ckpt`` and
``last_model.ckpt`` as ``{"epoch", "model_state_dict", "optimizer_state_dict", "train_loss",
"val_loss"}`` (the AdamW state is tensors, numbers, tuples and None only, so the safe loader
reads it), and a bare ``torch_geometric.nn.SchNet`` state dict loads the same way. The
architecture is read from the tensor shapes and converted with ``SchNet.from_pyg``; the cutoff
(5 angstrom, the study's example run) is not in the file and is assumed.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from astray.errors import CheckpointError, ModelError
from astray.models.registry import build_model
from astray.models.schnet import SchNet
from astray.units import KCAL_MOL_EV

FORMAT = "astray-checkpoint/1"
#: The checkpoints ``astray train`` writes into its run folder, the best first.
RUN_FILES = ("best.pt", "last.pt")
#: The study trained on TAE/25 with TAE in kcal/mol, positive for a bound molecule.
STUDY_ENERGY_UNIT_EV = -25.0 * KCAL_MOL_EV
STUDY_CUTOFF = 5.0


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's contents, loaded with ``weights_only=True``; one-line errors for a
    missing, corrupt or foreign file."""
    path = Path(path)
    if path.is_dir():
        inside = [str(path / name) for name in RUN_FILES if (path / name).is_file()]
        hint = f"; did you mean {inside[0]}?" if inside else ""
        raise CheckpointError(f"checkpoint {path} is a folder, not a checkpoint file{hint}")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        contents = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001  the safe loader runs no code, so any failure
        # means a file that is not a torch.save of weights (text gives KeyError, IndexError...)
        detail = _loader_reason(error)
        if "global" in detail.lower():
            why = (f"it holds Python objects the safe loader refuses to build, not only "
                   f"tensors and plain containers: {detail}")
        else:
            why = f"not a torch.save file: {type(error).__name__} {detail[:80]}"
        raise CheckpointError(f"{path} is not a readable checkpoint (refused or corrupt: "
                              f"{' '.join(why.split())})") from None
    if not isinstance(contents, dict):
        raise CheckpointError(f"{path} holds a {type(contents).__name__}, not a checkpoint")
    return contents


def _loader_reason(error: Exception) -> str:
    """The line of torch.load's message that says what it met (it wraps that line in advice,
    some of it to load unsafely, which astray never does)."""
    text = str(error).rpartition("WeightsUnpickler error:")[2]
    lines = [line.strip() for line in text.splitlines() if line.strip()
             and not line.startswith(("Weights only load failed", "Check the documentation"))]
    return lines[0] if lines else ""


def load_model(path: str | Path) -> tuple[nn.Module, dict]:
    """The model of a checkpoint (in eval mode) and the checkpoint's metadata (no weights)."""
    contents = read_checkpoint(path)
    if contents.get("format") == FORMAT:
        try:
            model = build_model(contents["model_config"])
            model.load_state_dict(contents["state_dict"])
        except (ModelError, RuntimeError, KeyError) as error:
            raise CheckpointError(f"{path}: weights do not fit the model configuration "
                                  f"({str(error).splitlines()[0]})") from None
        metadata = {k: v for k, v in contents.items() if k != "state_dict"}
    elif _is_pyg_schnet(contents):
        model, metadata = _from_study_state_dict(contents, path)
    elif isinstance(contents.get("model_state_dict"), dict) and _is_pyg_schnet(
            contents["model_state_dict"]):
        model, metadata = _from_study_state_dict(contents["model_state_dict"], path)
        # the study's own record of the epoch (counted from 0) and its losses (model units^2)
        metadata["study_checkpoint"] = {key: contents[key] for key in
                                        ("epoch", "train_loss", "val_loss") if key in contents
                                        and isinstance(contents[key], (int, float))}
    else:
        raise CheckpointError(f"{path} is neither an astray checkpoint nor a torch_geometric "
                              "SchNet state dict (bare or as the study's model_state_dict)")
    return model.eval(), metadata


def _is_pyg_schnet(state: dict) -> bool:
    return "lin1.weight" in state and "interactions.0.mlp.0.weight" in state


def _from_study_state_dict(state: dict, path: Path) -> tuple[nn.Module, dict]:
    """A PyG SchNet state dict as the study saved it (readout add, cutoff 5 A, TAE/25 target)."""
    from torch_geometric.nn import SchNet as PygSchNet

    hidden = state["embedding.weight"].shape[1]
    n_interactions = len({key.split(".")[1] for key in state if key.startswith("interactions.")})
    pyg = PygSchNet(hidden_channels=hidden, num_filters=state["interactions.0.mlp.0.weight"]
                    .shape[0], num_interactions=n_interactions,
                    num_gaussians=state["interactions.0.mlp.0.weight"].shape[1],
                    cutoff=STUDY_CUTOFF, readout="add")
    try:
        pyg.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: not a torch_geometric SchNet state dict "
                              f"({str(error).splitlines()[0]})") from None
    model = SchNet.from_pyg(pyg, energy_unit_ev=STUDY_ENERGY_UNIT_EV)
    return model, {"format": "torch_geometric SchNet state dict (the study's script)",
                   "dataset": "unknown (study checkpoint)", "level_of_theory": "unknown",
                   "target": "atomization_energy", "model_config": model.config,
                   "assumed": f"cutoff {STUDY_CUTOFF} A, output TAE/25 in kcal/mol"}
