"""astray's SchNet is torch_geometric's SchNet: same energies, gradients and forces after
``from_pyg`` (on its own neighbour search and on the packed fast path), the same training step
through the fast path (weight gradients summed in slices, one per thread), same
parameter shapes and initialisation, and the symmetries of an energy (rotation, translation,
permutation)."""
import json
import math

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from torch_geometric.nn import SchNet as PygSchNet

from astray.errors import ModelError
from astray.models import build_model
from astray.models.layers import weight_gradient
from astray.models.neighbors import pyg_interaction_graph, radius_graph
from astray.models.schnet import GaussianSmearing, SchNet, pyg_name, unordered_pairs
from astray.train import PackedGraphs
from test_batching import CUTOFF, embedded_molecules

RTOL = 1e-5


# PyG's interaction-graph contract on astray's radius graph (pyg-lib is not installed)
interaction_graph = pyg_interaction_graph(CUTOFF)


def pyg_model(readout="add", seed=0):
    torch.manual_seed(seed)
    return PygSchNet(hidden_channels=32, num_filters=24, num_interactions=3, num_gaussians=50,
                     cutoff=CUTOFF, interaction_graph=interaction_graph, readout=readout)


def molecules(dtype=torch.float32):
    """The embedded test molecules as one batch: z, pos (angstrom), batch."""
    numbers, positions, offsets = embedded_molecules()
    batch = torch.repeat_interleave(torch.arange(len(offsets) - 1),
                                    torch.from_numpy(np.diff(offsets)))
    return (torch.from_numpy(numbers.astype(np.int64)),
            torch.tensor(positions, dtype=dtype), batch)


def assert_close(actual, expected, rtol=RTOL):
    scale = expected.abs().max()
    assert (actual - expected).abs().max() <= rtol * scale, (actual, expected)


@pytest.mark.parametrize("readout", ["add", "mean"])
def test_from_pyg_gives_the_same_energies_on_real_molecules(readout):
    reference = pyg_model(readout)
    model = SchNet.from_pyg(reference)
    z, pos, batch = molecules()
    expected = reference(z, pos, batch).view(-1)
    energy = model(z, pos, batch)
    assert energy.shape == (len(embedded_molecules()[2]) - 1,)
    assert expected.std() > 1e-3 * expected.abs().max()  # the molecules do differ
    assert ((energy - expected).abs() <= RTOL * expected.abs()).all()


def test_from_pyg_energies_on_the_packed_fast_path():
    reference = pyg_model()
    model = SchNet.from_pyg(reference)
    numbers, positions, offsets = embedded_molecules()
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, [7, 0, 3, 9, 5], CUTOFF)
    batch = packed.batch(torch.tensor([4, 1, 3, 0, 2]))
    expected = reference(batch.z, batch.pos, batch.batch).view(-1)
    energy = model(batch.z, batch.pos, batch.batch, edge_index=batch.edge_index)
    assert ((energy - expected).abs() <= RTOL * expected.abs()).all()


def test_same_parameter_gradients_and_forces_as_pyg():
    reference = pyg_model()
    model = SchNet.from_pyg(reference)
    z, pos, batch = molecules()
    targets = torch.linspace(-3.0, 3.0, int(batch[-1]) + 1)
    pos_ref, pos_ours = pos.clone().requires_grad_(), pos.clone().requires_grad_()
    loss_ref = ((reference(z, pos_ref, batch).view(-1) - targets) ** 2).mean()
    loss_ours = ((model(z, pos_ours, batch) - targets) ** 2).mean()
    loss_ref.backward()
    loss_ours.backward()
    assert_close(pos_ours.grad, pos_ref.grad)
    reference_parameters = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        assert_close(parameter.grad, reference_parameters[pyg_name(name)].grad)


def test_force_training_double_backward_matches_pyg():
    reference = pyg_model()
    model = SchNet.from_pyg(reference)
    z, pos, batch = molecules()
    for network in (reference, model):
        positions = pos.clone().requires_grad_()
        energy = network(z, positions, batch).sum()
        forces = -torch.autograd.grad(energy, positions, create_graph=True)[0]
        (forces ** 2).sum().backward()
    reference_parameters = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        expected = reference_parameters[pyg_name(name)].grad
        if expected is None:  # the final bias shifts energies, not forces
            assert parameter.grad is None and name == "lin2.bias"
        else:
            assert_close(parameter.grad, expected)


@pytest.fixture
def two_threads():
    """Two intra-op threads, so that weight gradients take the sliced path; restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


def test_sliced_weight_gradient_equals_the_plain_product(two_threads):
    generator = torch.Generator().manual_seed(0)
    # (rows, out, in): the filter network's shapes (sliced, with and without leftover rows),
    # too few rows to slice, and a large weight left to one product.
    for rows, out, inp, sliced in ((1585, 64, 50, True), (1584, 64, 64, True),
                                   (3, 64, 50, False), (414, 500, 500, False)):
        grad = torch.randn(rows, out, generator=generator, dtype=torch.float64)
        x = torch.randn(rows, inp, generator=generator, dtype=torch.float64)
        with FlopCounterMode(display=False) as counter:
            result = weight_gradient(grad, x)
        ops = {str(op) for op in counter.get_flop_counts()["Global"]}
        assert ("aten.bmm" in ops) == sliced, (rows, ops)
        assert counter.get_total_flops() == 2 * rows * out * inp
        assert torch.allclose(result, grad.t() @ x, rtol=1e-12, atol=1e-12)


def test_one_training_step_with_forces_equals_pygs(two_threads):
    """Energies, forces and the parameters after one AdamW step of the study's recipe (with a
    force term, so the fast paths' double backward is used too), in float64 so that Adam's
    first step (about lr * sign(gradient)) does not amplify rounding. The tolerance is PyG's
    shift of the softplus, log 2 rounded to float32 (2e-9 off): equal to 1e-7, not 1e-10."""
    reference = pyg_model().double()
    model = SchNet.from_pyg(reference).double()
    z, pos, batch = molecules(torch.float64)
    targets = torch.linspace(-3.0, 3.0, int(batch[-1]) + 1, dtype=torch.float64)
    results = []
    for network in (reference, model):
        optimizer = torch.optim.AdamW(network.parameters(), lr=5e-4)
        positions = pos.clone().requires_grad_()
        energy = network(z, positions, batch).view(-1)
        forces = -torch.autograd.grad(energy.sum(), positions, create_graph=True)[0]
        loss = ((energy - targets) ** 2).mean() + 0.1 * (forces ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1000.0)
        optimizer.step()
        results.append((energy.detach(), forces.detach(), dict(network.named_parameters())))
    (energy_ref, forces_ref, parameters_ref), (energy, forces, parameters) = results
    assert_close(energy, energy_ref, rtol=1e-7)
    assert_close(forces, forces_ref, rtol=1e-7)
    initial = SchNet.from_pyg(pyg_model()).double().state_dict()
    for name, parameter in parameters.items():
        expected = parameters_ref[pyg_name(name)]
        assert not torch.equal(expected, initial[name]), name  # the step moved every tensor
        assert torch.allclose(parameter, expected, rtol=1e-7, atol=1e-9), name


def test_same_parameter_shapes_and_initialisation_as_pyg():
    reference = pyg_model()
    torch.manual_seed(1)
    model = SchNet(hidden_channels=32, num_filters=24, num_interactions=3, cutoff=CUTOFF)
    reference_state = reference.state_dict()
    for name, value in model.state_dict().items():
        assert value.shape == reference_state[pyg_name(name)].shape, name
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in reference.parameters())
    assert torch.equal(model.distance_expansion.offset, reference.distance_expansion.offset)
    assert not model.embedding.weight[0].any()  # atomic number 0 is padding
    assert abs(model.embedding.weight[1:].std().item() - 1.0) < 0.05
    for name, parameter in model.named_parameters():
        if name.endswith("bias"):
            assert not parameter.any(), name
        elif "embedding" not in name:  # Xavier-uniform: U(-b, b), b = sqrt(6 / (fan_in + fan_out))
            bound = math.sqrt(6.0 / sum(parameter.shape))
            assert parameter.abs().max() <= bound, name
            assert abs(parameter.std().item() - bound / math.sqrt(3)) < 0.25 * bound, name


def test_energy_is_invariant_under_rotation_translation_and_permutation():
    model = SchNet.from_pyg(pyg_model())
    z, pos, batch = molecules(torch.float64)
    model = model.double()
    energy = model(z, pos, batch)
    rotation, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64,
                                              generator=torch.Generator().manual_seed(3)))
    assert_close(model(z, pos @ rotation.T + torch.tensor([4.0, -2.0, 7.5]), batch), energy,
                 rtol=1e-10)
    # Shuffle the atoms within each molecule (the batch vector stays sorted).
    order = torch.argsort(batch * 1000 + torch.randperm(len(z),
                                                        generator=torch.Generator().manual_seed(5)))
    assert not torch.equal(order, torch.arange(len(z)))
    assert_close(model(z[order], pos[order], batch[order]), energy, rtol=1e-10)


def test_gaussian_tails_are_zero_not_subnormal():
    expansion = GaussianSmearing(0.0, CUTOFF, 50)
    distance = torch.linspace(0.0, CUTOFF, 1000)
    values = expansion(distance)
    negligible = torch.finfo(values.dtype).eps ** 2
    assert not ((values > 0) & (values < negligible)).any()
    exact = torch.exp(expansion.coeff * (distance[:, None] - expansion.offset) ** 2)
    assert ((exact > 0) & (exact < torch.finfo(values.dtype).tiny)).any()  # PyG's are subnormal
    assert (values - exact).abs().max() < negligible
    assert values.max() == 1.0


def test_config_rebuilds_the_model_and_is_json_safe():
    model = SchNet(hidden_channels=16, num_filters=8, num_interactions=2, num_gaussians=20,
                   cutoff=4.0, readout="mean", energy_unit_ev=1.0841)
    config = json.loads(json.dumps(model.config))
    assert config["architecture"] == "schnet" and config["energy_unit_ev"] == 1.0841
    rebuilt = build_model(config)
    rebuilt.load_state_dict(model.state_dict())
    z, pos, batch = molecules()
    assert torch.equal(rebuilt(z, pos, batch), model(z, pos, batch))
    assert rebuilt.config == model.config


def test_bad_configs_and_unconvertible_pyg_models_are_refused():
    with pytest.raises(ModelError, match="unknown architecture"):
        build_model({"architecture": "transformer"})
    with pytest.raises(ModelError, match="invalid schnet"):
        build_model({"architecture": "schnet", "hidden_chanels": 8})
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="atomref"):
        SchNet.from_pyg(PygSchNet(hidden_channels=8, num_filters=8, num_interactions=1,
                                  atomref=torch.zeros(100, 1), interaction_graph=interaction_graph))


def test_one_directional_edge_lists_are_refused():
    z, pos, batch = molecules()
    edge_index = radius_graph(pos, batch, CUTOFF)
    pair_a, pair_b = unordered_pairs(edge_index)
    assert (pair_a < pair_b).all() and 2 * len(pair_a) == edge_index.shape[1]
    model = SchNet(hidden_channels=8, num_filters=8, num_interactions=1, cutoff=CUTOFF)
    with pytest.raises(ValueError, match="both directions"):
        model(z, pos, batch, edge_index=edge_index[:, edge_index[0] < edge_index[1]])


@pytest.mark.slow
def test_compiled_model_gives_the_eager_energies_and_gradients():
    model = SchNet.from_pyg(pyg_model())
    compiled = torch.compile(model, dynamic=True)
    numbers, positions, offsets = embedded_molecules()
    packed = PackedGraphs.from_arrays(numbers, positions, offsets, np.arange(10), CUTOFF)
    for molecules_in_batch in ([0, 1, 2, 3], [4, 5, 6, 7, 8, 9]):  # two batch shapes
        batch = packed.batch(torch.tensor(molecules_in_batch))
        inputs = (batch.z, batch.pos, batch.batch, None, batch.edge_index)
        eager = model(*inputs)
        eager_grads = torch.autograd.grad(eager.square().sum(), list(model.parameters()))
        energy = compiled(*inputs)
        grads = torch.autograd.grad(energy.square().sum(), list(model.parameters()))
        assert_close(energy, eager)
        for grad, eager_grad in zip(grads, eager_grads):
            assert_close(grad, eager_grad, rtol=1e-4)
