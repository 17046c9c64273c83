"""Checkpoints made exactly as the study's script makes them load safely and predict what PyG's
own SchNet predicts (vertaix/Quantum_chemistry_neural_scaling, SchNet_scripts/SchNet_script.py:
``model_initializer`` then ``train_model``, which saves ``best_model.ckpt`` and
``last_model.ckpt``)."""

import numpy as np
import pytest
import torch
from ase import Atoms

from astray.errors import CheckpointError
from astray.models.checkpoint import STUDY_ENERGY_UNIT_EV, load_model
from astray.models.neighbors import pyg_interaction_graph
from astray.potentials import load_potential

#: The study's example run uses CUTOFF=5.0 (Sbatch_example.sh); the model is smaller here.
CUTOFF = 5.0


def study_schnet():
    """``model_initializer(16, 16, 2, 50, 5.0)``: PyG's SchNet with every other argument at its
    default. Its default neighbour search needs torch-cluster, which is not installed here, so
    the same radius graph is given in its place; it holds no weights, so the state dict is the
    study's key for key, shape for shape (checked)."""
    from torch_geometric.nn import SchNet

    arguments = dict(hidden_channels=16, num_filters=16, num_interactions=2, num_gaussians=50,
                     cutoff=CUTOFF)
    torch.manual_seed(0)
    model = SchNet(**arguments, interaction_graph=pyg_interaction_graph(CUTOFF))
    as_the_study = SchNet(**arguments).state_dict()
    assert {k: v.shape for k, v in model.state_dict().items()} == {
        k: v.shape for k, v in as_the_study.items()}
    return model


def save_like_the_study(model, path, epoch=3):
    """Two AdamW steps on a water molecule (so the optimizer state holds step, exp_avg and
    exp_avg_sq), then the study's ``torch.save`` of its dict."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    z = torch.tensor([8, 1, 1])
    pos = torch.tensor([[0.0, 0.0, 0.0], [0.76, 0.59, 0.0], [-0.76, 0.59, 0.0]])
    for _ in range(2):
        optimizer.zero_grad()
        loss = ((model(z, pos, torch.zeros(3, dtype=torch.long)) - 8.0) ** 2).sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1000)
        optimizer.step()
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "train_loss": loss.item(),
                "val_loss": 0.25}, path)


def pyg_energy_ev(model, atoms: Atoms) -> float:
    """PyG's forward (TAE/25 in kcal/mol, positive for bound) as an energy in eV."""
    with torch.no_grad():
        output = model(torch.tensor(atoms.numbers),
                       torch.tensor(atoms.positions, dtype=torch.float32),
                       torch.zeros(len(atoms), dtype=torch.long))
    return float(output) * STUDY_ENERGY_UNIT_EV


def test_the_study_checkpoint_holds_only_what_the_safe_loader_reads(tmp_path):
    save_like_the_study(study_schnet(), tmp_path / "best_model.ckpt")
    contents = torch.load(tmp_path / "best_model.ckpt", weights_only=True)
    optimizer = contents["optimizer_state_dict"]
    assert set(optimizer["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert isinstance(optimizer["param_groups"][0]["betas"], tuple)


def test_a_study_checkpoint_loads_and_its_probe_equals_pyg(tmp_path):
    import astray

    pyg = study_schnet()
    save_like_the_study(pyg, tmp_path / "best_model.ckpt", epoch=7)
    pyg.eval()
    model, metadata = load_model(tmp_path / "best_model.ckpt")
    assert model.config["hidden_channels"] == 16 and model.config["num_interactions"] == 2
    assert model.config["cutoff"] == CUTOFF
    assert metadata["study_checkpoint"]["epoch"] == 7
    assert metadata["study_checkpoint"]["val_loss"] == 0.25

    name = f"checkpoint:{tmp_path / 'best_model.ckpt'}"
    result = astray.probe(name, systems="H2", level_of_theory=False)
    curve = next(record.curve for record in result.curves if record.system.name == "H2")
    hydrogen = pyg_energy_ev(pyg, Atoms("H"))
    expected = [pyg_energy_ev(pyg, Atoms("H2", positions=[[0, 0, 0], [0, 0, r]]))
                - 2 * hydrogen for r in curve.r_angstrom]
    # float32 on both sides: measured 8e-7 eV apart at most on the 40-point grid (0.2-6 A)
    np.testing.assert_allclose(curve.energy_ev, expected, rtol=1e-5, atol=1e-5)
    # and a molecule with every pair inside the cutoff and some beyond the H-H range
    water = Atoms("OH2", positions=[[0, 0, 0], [0.76, 0.59, 0], [-0.76, 0.59, 0]])
    energy = load_potential(name).evaluate([water]).energy[0]
    assert energy == pytest.approx(pyg_energy_ev(pyg, water), rel=1e-5)


def test_the_last_model_checkpoint_loads_too_and_a_foreign_dict_is_refused(tmp_path):
    save_like_the_study(study_schnet(), tmp_path / "last_model.ckpt", epoch=0)
    model, metadata = load_model(tmp_path / "last_model.ckpt")
    assert metadata["study_checkpoint"]["epoch"] == 0 and model.config["architecture"] == "schnet"
    torch.save({"epoch": 1, "model_state_dict": {"weight": torch.zeros(2)}},
               tmp_path / "other.ckpt")
    with pytest.raises(CheckpointError, match="model_state_dict"):
        load_model(tmp_path / "other.ckpt")
