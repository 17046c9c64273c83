"""Padded batches change nothing (float64 energies, forces and gradients against the unpadded
batch), the padded step reads nothing back from the device (what a CUDA graph capture needs), its
recording bookkeeping leaves no trace, and training is deterministic for a seed. The tests marked
``cuda`` run the same checks through real CUDA graphs where a GPU is present."""
from functools import lru_cache

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from astray.data import open_dataset
from astray.models import PaiNN, PhysicsPrior, SchNet
from astray.train.batching import PackedGraphs
from astray.train.padding import (
    BUCKETS_PER_OCTAVE,
    MIN_PADDING_ATOMS,
    PaddedShape,
    bucket,
    pad_batch,
    padded_energies,
    padded_shape,
)
from astray.train.step import (
    PaddedForward,
    PaddedTrainingStep,
    Rerun,
    ShapeGraphs,
    TrainingStep,
    batch_loss,
    padded_loss,
)
from astray.train.trainer import TrainConfig, train

CUTOFF = 5.0
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread, as the trainer uses for narrow models (threads that wait for
    each other made these tests 20x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@lru_cache
def tiny_packed(dtype=torch.float64) -> tuple[PackedGraphs, np.ndarray, np.ndarray]:
    """The shipped tiny set (up to 11 atoms, with forces) packed with charges -1, 0, +1 in turn;
    its atomization energies (eV) and forces (eV/A) as targets."""
    data = open_dataset("tiny")
    charges = (np.arange(len(data)) % 3 - 1).astype(float)
    packed = PackedGraphs.from_arrays(data.numbers, data.positions, data.offsets,
                                      np.arange(len(data)), CUTOFF, charges, dtype=dtype)
    return packed, np.asarray(data.atomization_energy), np.asarray(data.forces)


@lru_cache
def tiny_offsets() -> np.ndarray:
    return np.asarray(open_dataset("tiny").offsets)


def targets_of(batch, energies, forces, device="cpu", dtype=torch.float64):
    """A batch's target energies and forces as tensors (0.01 x eV: model-sized numbers)."""
    index = batch.index.cpu().numpy()
    offsets = tiny_offsets()
    atoms = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in index])
    return (torch.tensor(0.01 * energies[index], dtype=dtype, device=device),
            torch.tensor(0.01 * forces[atoms], dtype=dtype, device=device))


MODELS = {
    "schnet": lambda: SchNet(hidden_channels=16, num_filters=16, num_interactions=2,
                             num_gaussians=20, cutoff=CUTOFF),
    "schnet-mean": lambda: SchNet(hidden_channels=16, num_filters=16, num_interactions=2,
                                  num_gaussians=20, cutoff=CUTOFF, readout="mean"),
    "painn": lambda: PaiNN(hidden_channels=16, num_interactions=2, num_rbf=8, cutoff=CUTOFF),
    "prior": lambda: PhysicsPrior(PaiNN(hidden_channels=8, num_interactions=1, num_rbf=8,
                                        cutoff=CUTOFF)),
}


def model_named(name: str, seed: int = 0, dtype=torch.float64):
    torch.manual_seed(seed)
    model = MODELS[name]().to(dtype)
    if name == "prior":  # its learned pair term starts at zero: give it weights to test
        torch.nn.init.normal_(model.pair_net[3].weight, std=0.1)
    return model


def test_buckets_are_at_most_one_eighth_above_the_count_and_few():
    counts = np.arange(0, 5000)
    sizes = np.array([bucket(int(c)) for c in counts])
    assert np.all(sizes >= counts) and np.all(sizes <= counts * (1 + 1 / BUCKETS_PER_OCTAVE))
    assert np.all(np.diff(sizes) >= 0)
    assert bucket(15) == 15 and bucket(500) == 512 and bucket(513) == 576
    assert set(sizes[400:600].tolist()) == {416, 448, 480, 512, 576, 640}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_padding_changes_no_energy_force_or_gradient(name):
    packed, energies, forces = tiny_packed()
    batch = packed.batch(torch.tensor([5, 100, 17, 63, 200, 150, 42]))
    targets, force_targets = targets_of(batch, energies, forces)
    n_atoms, n_pairs = batch.z.numel(), batch.edge_index.shape[1] // 2
    shapes = (padded_shape(batch, molecule_slots=10),
              # one padding link carrying many padding pairs, no spare molecule slot
              PaddedShape(molecules=len(batch), atoms=n_atoms + MIN_PADDING_ATOMS,
                          pairs=n_pairs + 40))
    model = model_named(name)
    reference_loss = batch_loss(model, batch, targets, force_targets, force_weight=0.3)
    reference_grads = torch.autograd.grad(reference_loss, list(model.parameters()),
                                          allow_unused=True)
    pos = batch.pos.detach().requires_grad_(True)
    reference_energy = model(batch.z, pos, batch.batch, batch.charge, batch.edge_index)
    reference_forces = -torch.autograd.grad(reference_energy.sum(), pos)[0]
    for shape in shapes:
        padded = pad_batch(batch, shape, CUTOFF, targets, force_targets)
        assert padded.z.numel() == shape.atoms and padded.num_molecules == shape.molecules + 1
        pos = padded.pos.detach().requires_grad_(True)
        energy = padded_energies(model, padded, pos)
        padded_forces = -torch.autograd.grad(energy.sum(), pos)[0]
        close = dict(rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(energy[:len(batch)], reference_energy.detach(), **close)
        torch.testing.assert_close(energy[len(batch):-1], torch.zeros_like(energy[len(batch):-1]))
        torch.testing.assert_close(padded_forces[:n_atoms], reference_forces, **close)
        loss = padded_loss(model, padded, force_weight=0.3)
        torch.testing.assert_close(loss, reference_loss, **close)
        grads = torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)
        for reference, grad in zip(reference_grads, grads):
            if reference is None:
                assert grad is None or not grad.any()
            else:
                torch.testing.assert_close(grad, reference, **close)


def test_padding_never_links_a_padding_atom_to_a_real_one():
    packed, energies, forces = tiny_packed()
    batch = packed.batch(torch.arange(20, 40))
    targets, _ = targets_of(batch, energies, forces)
    padded = pad_batch(batch, padded_shape(batch, 25), CUTOFF, targets)
    source, target = padded.edge_index
    real = batch.z.numel()
    assert torch.equal(source >= real, target >= real)
    pad = source >= real
    distance = (padded.pos[source[pad]] - padded.pos[target[pad]]).norm(dim=-1)
    assert torch.all(distance == CUTOFF)
    assert torch.all(padded.batch[real:] == 25) and torch.all(torch.diff(padded.batch) >= 0)
    assert padded.weight[:20].sum().item() == pytest.approx(1.0) and not padded.weight[20:].any()


class ReadBacks(TorchDispatchMode):
    """Records the operators that would read a value back from a GPU or give a tensor a shape
    that depends on its data: what a CUDA graph capture cannot hold."""

    ALWAYS = {"_local_scalar_dense", "nonzero", "masked_select", "unique_dim", "_unique2",
              "unique_consecutive", "bincount", "equal", "is_nonzero"}

    def __init__(self):
        super().__init__()
        self.seen = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        if (name in self.ALWAYS
                or name == "repeat_interleave" and kwargs.get("output_size") is None
                or name == "index" and any(index is not None and index.dtype == torch.bool
                                           for index in args[1])):
            self.seen.append(str(func))
        return func(*args, **kwargs)


def training_setup(name, dtype=torch.float64, device="cpu", seed=0):
    model = model_named(name, seed, dtype).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, fused=True)
    return model, optimizer


@pytest.mark.parametrize("name", ["schnet", "painn"])
def test_the_padded_step_reads_nothing_back(name):
    packed, energies, forces = tiny_packed()
    batch = packed.batch(torch.arange(30, 37))
    targets, force_targets = targets_of(batch, energies, forces)
    model, optimizer = training_setup(name)
    step = PaddedTrainingStep(model, optimizer, 1000.0, 0.5, CUTOFF, 7, Rerun())
    step.prepare(batch, targets, force_targets)
    with ReadBacks() as padded_reads:
        step(batch, targets, force_targets)
    assert padded_reads.seen == []
    with ReadBacks() as eager_reads:  # the detector sees the unpadded step's read-backs
        TrainingStep(model, optimizer, 1000.0, 0.5)(batch, targets, force_targets)
    assert eager_reads.seen


def epochs_of_batches(packed, sizes, seed=0):
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(packed), generator=generator)
    first = np.concatenate([[0], np.cumsum(sizes)])
    return [packed.batch(order[a:b]) for a, b in zip(first[:-1], first[1:])]


def run_steps(step, optimizer, batches, energies, forces, learning_rates, with_forces=True):
    losses = []
    for batch, lr in zip(batches, learning_rates):
        optimizer.param_groups[0]["lr"] = lr  # as the trainer's warm-up and plateau do
        targets, force_targets = targets_of(batch, energies, forces)
        losses.append(step(batch, targets, force_targets if with_forces else None).clone())
    return torch.stack(losses)


@pytest.mark.parametrize("name", ["schnet", "painn"])
def test_recorded_padded_steps_train_as_the_eager_step(name):
    """Steps of several padded shapes, with changing learning rates and the short last batch of
    an epoch: the same losses and weights as the unpadded eager step (float64, 1e-10)."""
    packed, energies, forces = tiny_packed()
    batches = epochs_of_batches(packed, [8, 8, 5, 8, 8, 3])
    rates = [1e-3, 2e-3, 3e-3, 3e-3, 1.5e-3, 1.5e-3]
    eager_model, eager_optimizer = training_setup(name)
    eager = run_steps(TrainingStep(eager_model, eager_optimizer, 1.0, 0.5), eager_optimizer,
                      batches, energies, forces, rates)
    model, optimizer = training_setup(name)
    step = PaddedTrainingStep(model, optimizer, 1.0, 0.5, CUTOFF, 8, Rerun())
    padded = run_steps(step, optimizer, batches, energies, forces, rates)
    assert step.captured_shapes >= 2
    torch.testing.assert_close(padded, eager, rtol=1e-10, atol=0)
    for a, b in zip(model.parameters(), eager_model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-13)
    assert optimizer.param_groups[0]["lr"] == rates[-1]
    assert not optimizer.param_groups[0]["capturable"]


def test_recording_a_shape_leaves_no_trace():
    """Warm-up and capture of new shapes (here: before every step) change no weight and no
    optimizer state: bit for bit the result of padded steps with nothing recorded."""
    packed, energies, forces = tiny_packed()
    batches = epochs_of_batches(packed, [6, 9, 4, 7])
    model, optimizer = training_setup("schnet", seed=3)
    step = PaddedTrainingStep(model, optimizer, 1.0, 0.5, CUTOFF, 9, Rerun())
    run_steps(step, optimizer, batches, energies, forces, [2e-3] * 4)
    reference_model, reference_optimizer = training_setup("schnet", seed=3)
    reference_optimizer.param_groups[0]["lr"] = 2e-3
    for batch in batches:
        targets, force_targets = targets_of(batch, energies, forces)
        reference_optimizer.zero_grad(set_to_none=True)
        padded_loss(reference_model, step.pad(batch, targets, force_targets), 0.5).backward()
        torch.nn.utils.clip_grad_norm_(reference_model.parameters(), 1.0)
        reference_optimizer.step()
    assert step.captured_shapes == 4
    for a, b in zip(model.parameters(), reference_model.parameters()):
        assert torch.equal(a, b)
    for a, b in zip(optimizer.state.values(), reference_optimizer.state.values()):
        assert all(torch.equal(a[key], b[key]) for key in b)


def test_one_recording_per_shape_replays_each_batch_on_its_own_values():
    packed, energies, forces = tiny_packed()
    batch = packed.batch(torch.arange(10, 16))
    targets, _ = targets_of(batch, energies, forces)
    shape = padded_shape(batch, 8)
    graphs = ShapeGraphs(lambda padded: (padded.weight * padded.target).sum(), Rerun())
    for scale in (1.0, -2.0, 3.0):
        result = graphs(pad_batch(batch, shape, CUTOFF, scale * targets)).clone()
        assert result.item() == pytest.approx(scale * targets.mean().item(), rel=1e-12)
    assert len(graphs) == 1
    graphs(pad_batch(batch, PaddedShape(8, shape.atoms + 4, shape.pairs), CUTOFF, targets))
    assert len(graphs) == 2


def test_padded_evaluation_equals_the_eager_sums():
    packed, energies, forces = tiny_packed()
    model = model_named("painn")
    forward = PaddedForward(model, CUTOFF, Rerun())
    for molecules in (torch.arange(0, 50), torch.arange(50, 73)):
        batch = packed.batch(molecules)
        targets, _ = targets_of(batch, energies, forces)
        with torch.no_grad():
            error = model(batch.z, batch.pos, batch.batch, batch.charge,
                          batch.edge_index) - targets
        sums = forward(batch, targets, molecule_slots=50)
        torch.testing.assert_close(sums, torch.stack([(error ** 2).sum(), error.abs().sum()]),
                                   rtol=1e-12, atol=0)


SMALL = dict(dataset="tiny", subset="all", hidden=16, interactions=2, n_train=60, n_val=30,
             n_test=30, batch_size=20, max_epochs=2, warmup_epochs=1)


def test_training_twice_with_a_seed_gives_the_same_weights(tmp_path):
    first = train(TrainConfig(**SMALL), tmp_path / "first")
    second = train(TrainConfig(**SMALL), tmp_path / "second")
    assert first.history == second.history
    a = torch.load(tmp_path / "first" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "second" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[key], b[key]) for key in a)


def test_the_trainer_runs_its_recorded_path_as_the_eager_one(tmp_path, monkeypatch):
    """The trainer's CUDA branch (padded steps, graphs, device-side loss sums, evaluation
    graphs) run on a CPU with Rerun: the history of the eager run to float32 rounding."""
    from astray.train import trainer

    eager = train(TrainConfig(**SMALL, model="painn", force_weight=0.5), tmp_path / "eager")

    steps = []

    def recorded(model, optimizer, *, gradient_clip, force_weight, cutoff, molecule_slots):
        steps.append(PaddedTrainingStep(model, optimizer, gradient_clip, force_weight, cutoff,
                                        molecule_slots, Rerun()))
        return steps[-1], PaddedForward(model, cutoff, Rerun())

    monkeypatch.setattr(trainer, "training_step", recorded)
    padded = train(TrainConfig(**SMALL, model="painn", force_weight=0.5), tmp_path / "padded")
    assert len(steps) == 1 and steps[0].captured_shapes >= 2
    assert len(padded.history) == len(eager.history) == 2
    for a, b in zip(padded.history, eager.history):
        for key in ("train_loss", "val_loss", "val_mae_kcal_mol"):
            assert a[key] == pytest.approx(b[key], rel=1e-4), key


@cuda
@pytest.mark.parametrize("name", ["schnet", "painn"])
def test_cuda_graph_steps_train_as_the_eager_padded_step(name):
    """Real CUDA graphs (float64): the losses and weights of the same padded steps run op by
    op on the GPU, to the rounding of its atomic sums."""
    from astray.train.step import CudaGraphs

    packed, energies, forces = tiny_packed()
    packed = packed.to("cuda")
    batches = epochs_of_batches(packed, [8, 8, 5, 8, 8, 3])
    rates = [1e-3, 2e-3, 3e-3, 3e-3, 1.5e-3, 1.5e-3]
    results = []
    for graphs in (Rerun(), CudaGraphs()):
        model, optimizer = training_setup(name, device="cuda")
        step = PaddedTrainingStep(model, optimizer, 1.0, 0.5, CUTOFF, 8, graphs)
        losses = []
        for batch, lr in zip(batches, rates):
            optimizer.param_groups[0]["lr"] = lr
            targets, force_targets = targets_of(batch, energies, forces, device="cuda")
            losses.append(step(batch, targets, force_targets).clone())
        results.append((torch.stack(losses), [p.detach().clone() for p in model.parameters()]))
    (eager_losses, eager_weights), (graph_losses, graph_weights) = results
    torch.testing.assert_close(graph_losses, eager_losses, rtol=1e-9, atol=0)
    for a, b in zip(graph_weights, eager_weights):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


@cuda
def test_cuda_training_runs_on_graphs_and_matches_the_cpu(tmp_path):
    cpu = train(TrainConfig(**SMALL), tmp_path / "cpu")
    gpu = train(TrainConfig(**SMALL, device="cuda"), tmp_path / "gpu")
    train(TrainConfig(**SMALL, device="cuda"), tmp_path / "again")  # compared through its files
    for a, b in zip(gpu.history, cpu.history):
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-3)
    weights = [torch.load(tmp_path / run / "last.pt", weights_only=True,
                          map_location="cpu")["model"] for run in ("gpu", "again")]
    difference = max(float((weights[0][k] - weights[1][k]).abs().max()) for k in weights[0])
    print(f"largest weight difference between two CUDA runs with one seed: {difference:.3g}")
    assert difference < 1e-4
