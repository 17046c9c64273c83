"""PaiNN: symmetry of energies and forces, forces as the energy's derivative, locality."""
import json
import math

import pytest
import torch

from astray.models import build_model
from astray.models.neighbors import radius_graph
from astray.models.painn import PaiNN, cosine_cutoff, sinc_radial_basis


def _random_rotation(generator: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))
    if torch.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


@pytest.fixture
def model():
    torch.manual_seed(0)
    return PaiNN(hidden_channels=16, num_interactions=2, num_rbf=8, cutoff=3.0).double()


@pytest.fixture
def molecules():
    """Two molecules (5 and 3 atoms), compact enough that most pairs are within the cutoff."""
    generator = torch.Generator().manual_seed(1)
    z = torch.tensor([6, 1, 1, 8, 7, 1, 8, 1])
    pos = 1.2 * torch.randn(8, 3, generator=generator, dtype=torch.float64)
    batch = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1])
    return z, pos, batch


def _energy_and_forces(model, z, pos, batch):
    pos = pos.clone().requires_grad_(True)
    energy = model(z, pos, batch)
    (grad,) = torch.autograd.grad(energy.sum(), pos)
    return energy.detach(), -grad


def test_energies_are_one_per_molecule(model, molecules):
    energy = model(*molecules)
    assert energy.shape == (2,)
    assert torch.isfinite(energy).all()


def test_rotation_translation_invariance_and_force_equivariance(model, molecules):
    z, pos, batch = molecules
    rotation = _random_rotation(torch.Generator().manual_seed(2))
    energy, forces = _energy_and_forces(model, z, pos, batch)
    moved = pos @ rotation.T + torch.tensor([3.0, -1.0, 7.5], dtype=torch.float64)
    energy_moved, forces_moved = _energy_and_forces(model, z, moved, batch)
    torch.testing.assert_close(energy_moved, energy, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(forces_moved, forces @ rotation.T, rtol=1e-9, atol=1e-10)
    assert forces.abs().max() > 1e-3  # the check above is not vacuous


def test_permutation_invariance(model, molecules):
    z, pos, batch = molecules
    within_molecules = torch.tensor([3, 0, 4, 1, 2, 7, 5, 6])
    energy, forces = _energy_and_forces(model, z, pos, batch)
    energy_p, forces_p = _energy_and_forces(model, z[within_molecules], pos[within_molecules],
                                            batch[within_molecules])
    torch.testing.assert_close(energy_p, energy, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(forces_p, forces[within_molecules], rtol=1e-9, atol=1e-10)


def test_forces_are_minus_the_energy_gradient(model, molecules):
    z, pos, batch = molecules
    _, forces = _energy_and_forces(model, z, pos, batch)
    step = 1e-5
    for atom, axis in [(0, 0), (2, 1), (4, 2), (6, 0)]:
        plus, minus = pos.clone(), pos.clone()
        plus[atom, axis] += step
        minus[atom, axis] -= step
        derivative = (model(z, plus, batch).sum() - model(z, minus, batch).sum()) / (2 * step)
        assert float(-derivative) == pytest.approx(float(forces[atom, axis]), rel=1e-6, abs=1e-9)


def test_given_edge_index_is_used_instead_of_a_neighbour_search(model, molecules):
    z, pos, batch = molecules
    edges = radius_graph(pos, batch, model.cutoff)
    torch.testing.assert_close(model(z, pos, batch, edge_index=edges), model(z, pos, batch))
    no_edges = torch.zeros(2, 0, dtype=torch.long)
    assert not torch.allclose(model(z, pos, batch, edge_index=no_edges), model(z, pos, batch))


def test_atoms_beyond_the_cutoff_are_independent_and_the_crossing_is_smooth(model):
    z = torch.tensor([6, 8])
    batch = torch.zeros(2, dtype=torch.long)

    def dimer(r):
        pos = torch.tensor([[0.0, 0.0, 0.0], [r, 0.0, 0.0]], dtype=torch.float64)
        return _energy_and_forces(model, z, pos, batch)

    separate = (model(z[:1], torch.zeros(1, 3, dtype=torch.float64), batch[:1])
                + model(z[1:], torch.zeros(1, 3, dtype=torch.float64), batch[:1]))
    energy_beyond, forces_beyond = dimer(model.cutoff + 0.1)
    torch.testing.assert_close(energy_beyond, separate, rtol=1e-12, atol=1e-12)
    assert forces_beyond.abs().max() == 0.0
    energy_inside, forces_inside = dimer(model.cutoff - 1e-4)
    assert abs(float(energy_inside - separate)) < 1e-6
    assert forces_inside.abs().max() < 1e-3


def test_radial_basis_and_cutoff_values():
    r = torch.tensor([1e-6, 1.0, 2.5, 5.0, 6.0], dtype=torch.float64)
    basis = sinc_radial_basis(r, 3, 5.0)
    assert float(basis[0, 1]) == pytest.approx(2 * math.pi / 5.0, rel=1e-9)
    assert float(basis[1, 0]) == pytest.approx(math.sin(math.pi / 5.0), rel=1e-12)
    weight = cosine_cutoff(r, 5.0)
    assert weight.tolist()[2:] == pytest.approx([0.5, 0.0, 0.0], abs=1e-15)
    assert float(weight[0]) == pytest.approx(1.0, abs=1e-12)


def test_config_is_json_and_rebuilds_the_same_model():
    torch.manual_seed(3)
    model = PaiNN(hidden_channels=8, num_interactions=2, num_rbf=6, cutoff=4.0,
                  energy_unit_ev=1.0842)
    config = json.loads(json.dumps(model.config))
    assert config == {"architecture": "painn", "hidden_channels": 8, "num_interactions": 2,
                      "num_rbf": 6, "cutoff": 4.0, "energy_unit_ev": 1.0842}
    torch.manual_seed(3)
    rebuilt = build_model(config)
    assert isinstance(rebuilt, PaiNN)
    for (name, a), (_, b) in zip(model.state_dict().items(), rebuilt.state_dict().items()):
        assert torch.equal(a, b), name
