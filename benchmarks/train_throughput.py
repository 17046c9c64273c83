"""Training throughput of astray's SchNet against the study's implementation, measured in one run.

Rows (all train on the same molecules with the study's step: MSE on energies, backward,
gradient-norm clip 1000, AdamW lr 5e-4, batch 50):

* ``study``: ``torch_geometric.nn.SchNet`` fed by a PyG ``DataLoader`` over
  ``torch_geometric.data.Data`` objects, the neighbour graph searched at every step (through
  astray's ``radius_graph``: PyG's own needs pyg-lib or torch-cluster, not installed here).
* ``study-zero-tails``: the same with astray's Gaussian expansion (far tails zero instead of
  subnormal floats): the share of the gain that comes from that change alone.
* ``astray``: ``astray.models.SchNet`` fed by ``astray.train.PackedGraphs`` (neighbour pairs
  computed once, each pair's filter computed once for both directions), AdamW fused.
* ``astray-graphs`` (``--device cuda`` only): what ``astray train`` runs on CUDA, the same step
  on batches padded to a few shapes, each shape's whole step (forward, backward, clip, AdamW)
  replayed as one CUDA graph. Every shape the timed steps meet is captured before any timing;
  its FLOPs per molecule are counted as ``astray``'s (the padding's extra work is not useful).

``--join 2`` makes QM9-sized molecules (17 atoms and ~100 neighbour pairs within 5 A, as QM9's
18 atoms) out of the shipped set's small ones, two side by side: the size the study trained on
and issue 13's GPU figures used.

Warm-up steps are not timed; the timed rounds run the rows in alternating order (ABC, CBA, ...)
so that all see the same noise of a shared machine. Prints molecules/s of each row, its ratio to
``study`` at each size, and the fraction of the machine's float32 matrix-multiply peak (the best
of large matmuls on the same threads, timed before and after each size) that each reaches, with
FLOPs counted by ``torch.utils.flop_counter`` on one training step. The load average is printed:
on a machine busier than its cores, rates are lower and noisier.

    .venv/bin/python benchmarks/train_throughput.py [--dataset default] [--threads 2] [--json]
    python benchmarks/train_throughput.py --device cuda --steps 50 --rounds 6 --warmup 10
"""
from __future__ import annotations

import os

# Before torch loads GNU OpenMP: idle threads sleep instead of spinning. On cores shared with
# other processes, spinning makes each parallel region wait milliseconds for the scheduler (a
# 100x slowdown of small steps measured on a busy 2-core VM); both rows get the same setting.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import itertools
import json
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader
from torch_geometric.nn import SchNet as PygSchNet

from astray.data import open_dataset
from astray.models import SchNet
from astray.models.neighbors import pyg_interaction_graph
from astray.models.schnet import GaussianSmearing
from astray.train import PackedGraphs
from astray.train.padding import padded_shape
from astray.train.step import CudaGraphs, PaddedTrainingStep

BATCH_SIZE = 50


class Trainer:
    """One implementation's training loop, advanced a given number of steps at a time."""

    #: AdamW as one fused kernel per parameter instead of ~10 tensor operations (same update).
    fused_optimizer = False

    def __init__(self, model, batches, device):
        self.model = model.to(device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=5e-4,
                                           fused=self.fused_optimizer)
        self.batches = batches
        self.device = torch.device(device)

    def loss(self) -> tuple[torch.Tensor, int]:
        raise NotImplementedError

    def step(self) -> int:
        self.optimizer.zero_grad()
        loss, n_molecules = self.loss()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1000.0)
        self.optimizer.step()
        return n_molecules

    def run(self, steps: int) -> tuple[int, float]:
        """Molecules trained on and seconds spent in ``steps`` steps."""
        synchronize(self.device)
        start = time.perf_counter()
        n_molecules = sum(self.step() for _ in range(steps))
        synchronize(self.device)
        return n_molecules, time.perf_counter() - start

    def flops_per_molecule(self) -> float:
        with FlopCounterMode(display=False) as counter:
            n_molecules = self.step()
        return counter.get_total_flops() / n_molecules


class StudyTrainer(Trainer):
    """PyG SchNet through a PyG DataLoader over Data objects (the study's implementation)."""

    def __init__(self, dataset, indices, targets, size, cutoff, device, seed):
        hidden, interactions = size
        torch.manual_seed(seed)
        model = PygSchNet(hidden_channels=hidden, num_filters=hidden,
                          num_interactions=interactions, num_gaussians=50, cutoff=cutoff,
                          interaction_graph=pyg_interaction_graph(cutoff))
        data = []
        for k in indices:
            numbers, positions = dataset.structure(k)
            data.append(Data(z=torch.from_numpy(numbers.astype(np.int64)),
                             pos=torch.from_numpy(positions).float(),
                             y=torch.tensor([targets[k]], dtype=torch.float32)))
        loader = DataLoader(data, batch_size=BATCH_SIZE, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        super().__init__(model, itertools.chain.from_iterable(itertools.repeat(loader)), device)

    def loss(self):
        batch = next(self.batches).to(self.device)
        energy = self.model(batch.z, batch.pos, batch.batch).view(-1)
        return torch.nn.functional.mse_loss(energy, batch.y), batch.num_graphs


class StudyZeroTailsTrainer(StudyTrainer):
    """The study's implementation with astray's Gaussian expansion (tails zero, not subnormal):
    how much of astray's gain comes from that change alone."""

    def __init__(self, dataset, indices, targets, size, cutoff, device, seed):
        super().__init__(dataset, indices, targets, size, cutoff, device, seed)
        self.model.distance_expansion = GaussianSmearing(0.0, cutoff, 50).to(device)


class AstrayTrainer(Trainer):
    """astray's SchNet on PackedGraphs batches (neighbour pairs computed once), fused AdamW."""

    fused_optimizer = True

    def __init__(self, dataset, indices, targets, size, cutoff, device, seed):
        hidden, interactions = size
        torch.manual_seed(seed)
        model = SchNet(hidden_channels=hidden, num_filters=hidden, num_interactions=interactions,
                       num_gaussians=50, cutoff=cutoff)
        self.packed = PackedGraphs.from_arrays(dataset.numbers, dataset.positions,
                                               dataset.offsets, indices, cutoff).to(device)
        self.targets = torch.as_tensor(targets, dtype=torch.float32, device=device)
        self.seed = seed
        super().__init__(model, self.epochs(), device)

    def epochs(self):
        """The endless sequence of shuffled batches (the same each time for a seed)."""
        generator = torch.Generator().manual_seed(self.seed)
        while True:
            yield from self.packed.batches(BATCH_SIZE, shuffle=True, generator=generator)

    def loss(self):
        batch = next(self.batches)
        energy = self.model(batch.z, batch.pos, batch.batch, edge_index=batch.edge_index)
        return torch.nn.functional.mse_loss(energy, self.targets[batch.index]), len(batch)


class AstrayGraphsTrainer(AstrayTrainer):
    """astray's CUDA training path: padded batches, the whole step replayed as a CUDA graph per
    padded shape, every shape of the first ``planned_steps`` batches captured up front."""

    def __init__(self, dataset, indices, targets, size, cutoff, device, seed, planned_steps):
        super().__init__(dataset, indices, targets, size, cutoff, device, seed)
        self.padded_step = PaddedTrainingStep(self.model, self.optimizer, 1000.0, 0.0, cutoff,
                                              BATCH_SIZE, CudaGraphs(device))
        real, padded = np.zeros(2), np.zeros(2)
        for batch in itertools.islice(self.epochs(), planned_steps):
            self.padded_step.prepare(batch, self.targets[batch.index])
            shape = padded_shape(batch, BATCH_SIZE)
            real += (batch.z.numel(), batch.edge_index.shape[1] // 2)
            padded += (shape.atoms, shape.pairs)
        #: Padded atoms and pairs per real one, over the planned batches.
        self.padding = {"atoms": padded[0] / real[0], "pairs": padded[1] / real[1],
                        "captured_shapes": self.padded_step.captured_shapes}

    def step(self) -> int:
        batch = next(self.batches)
        self.padded_step(batch, self.targets[batch.index])
        return len(batch)


@dataclass
class JoinedStructures:
    """Larger benchmark molecules made of small ones: each joins ``join`` consecutive structures
    of ``indices``, each shifted along x to begin ``gap`` angstrom beyond the previous one's last
    atom (no two atoms closer than ``gap`` across)."""

    numbers: np.ndarray
    positions: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, dataset, indices: np.ndarray, join: int, gap: float = 1.5):
        numbers, positions, counts = [], [], []
        for group in np.asarray(indices)[: len(indices) // join * join].reshape(-1, join):
            edge = -np.inf
            for k in group:
                z, xyz = dataset.structure(k)
                xyz = xyz + [edge + gap - xyz[:, 0].min() if np.isfinite(edge) else 0, 0, 0]
                edge = xyz[:, 0].max()
                numbers.append(z)
                positions.append(xyz)
            counts.append(sum(len(z) for z in numbers[-join:]))
        return cls(np.concatenate(numbers), np.concatenate(positions),
                   np.concatenate([[0], np.cumsum(counts)]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def structure(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        start, stop = self.offsets[index], self.offsets[index + 1]
        return self.numbers[start:stop], self.positions[start:stop]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_flops(device: torch.device, n: int = 4096, repeats: int = 5) -> float:
    """Best float32 FLOP/s of an n x n x n matmul on the current threads (or GPU)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def measure(trainers: dict, steps: int, rounds: int, warmup: int) -> dict:
    """Molecules/s of each trainer over interleaved rounds (order ABC, CBA, ABC, ...)."""
    for trainer in trainers.values():
        trainer.run(warmup)
    totals = {name: [0, 0.0] for name in trainers}
    per_round = {name: [] for name in trainers}
    names = list(trainers)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            n_molecules, seconds = trainers[name].run(steps)
            totals[name][0] += n_molecules
            totals[name][1] += seconds
            per_round[name].append(n_molecules / seconds)
    return {name: {"molecules_per_s": n / s, "per_round": per_round[name]}
            for name, (n, s) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="default", help="astray data set name or folder")
    parser.add_argument("--molecules", type=int, default=1000,
                        help="molecules drawn from the data set (same for both)")
    parser.add_argument("--sizes", default="500x3,64x3", help="hidden channels x interactions")
    parser.add_argument("--cutoff", type=float, default=5.0, help="angstrom (the study's 5.0)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved timed rounds")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--join", type=int, default=1,
                        help="data-set structures per benchmark molecule (2: QM9-sized)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dataset = open_dataset(args.dataset)
    rng = np.random.default_rng(args.seed)
    indices = np.sort(rng.choice(len(dataset), size=min(args.molecules * args.join,
                                                         len(dataset)), replace=False))
    if args.join > 1:
        dataset = JoinedStructures.of(dataset, rng.permutation(indices), args.join)
        indices = np.arange(len(dataset))
    # Throughput does not depend on the target values; standard-normal targets stand in for TAE/25.
    targets = rng.standard_normal(len(dataset)).astype(np.float32)
    load_before = os.getloadavg()[0]
    peaks = [matmul_peak_flops(device)]
    entries = []
    for spec in args.sizes.split(","):
        size = tuple(int(v) for v in spec.lower().split("x"))
        trainers = {name: cls(dataset, indices, targets, size, args.cutoff, device, args.seed)
                    for name, cls in (("study", StudyTrainer),
                                      ("study-zero-tails", StudyZeroTailsTrainer),
                                      ("astray", AstrayTrainer))}
        flops = {name: trainer.flops_per_molecule() for name, trainer in trainers.items()}
        packed = trainers["astray"].packed
        per_molecule = {"atoms": int(packed.atom_offsets[-1]) / len(packed),
                        "pairs": int(packed.pair_offsets[-1]) / len(packed)}
        if device.type == "cuda":
            trainers["astray-graphs"] = AstrayGraphsTrainer(
                dataset, indices, targets, size, args.cutoff, device, args.seed,
                planned_steps=args.warmup + args.rounds * args.steps)
            flops["astray-graphs"] = flops["astray"]
        speeds = measure(trainers, args.steps, args.rounds, args.warmup)
        peaks.append(matmul_peak_flops(device))
        entry = {"hidden_channels": size[0], "num_interactions": size[1]}
        for name, speed in speeds.items():
            entry[name] = {**speed, "gflops_per_molecule": flops[name] / 1e9}
            if name != "study":
                entry[name]["speedup"] = speed["molecules_per_s"] / speeds["study"][
                    "molecules_per_s"]
                entry[name]["speedup_per_round"] = [
                    a / s for a, s in zip(speed["per_round"], speeds["study"]["per_round"])]
        if "astray-graphs" in trainers:
            entry["astray-graphs"]["padding"] = trainers["astray-graphs"].padding
        entries.append(entry)
    peak = max(peaks)
    for entry in entries:
        for name in rows_of(entry):
            entry[name]["peak_fraction"] = (entry[name]["gflops_per_molecule"] * 1e9
                                            * entry[name]["molecules_per_s"] / peak)
    result = {"dataset": args.dataset, "join": args.join, "per_molecule": per_molecule,
              "molecules": len(indices), "device": args.device,
              "threads": args.threads, "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
              "batch_size": BATCH_SIZE, "cutoff": args.cutoff, "matmul_peak_gflops": peak / 1e9,
              "load_average": [load_before, os.getloadavg()[0]], "sizes": entries}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for entry in entries:
        report(entry)
    if max(result["load_average"]) > os.cpu_count():
        print(f"warning: load average above the {os.cpu_count()} CPUs: other processes share "
              "the cores; rates are lower and noisier than on an idle machine")
    print(f"matmul peak: {peak / 1e9:.0f} GFLOP/s ({args.device}, {args.threads} threads); "
          f"{len(indices)} molecules of {args.dataset} ({args.join} structures joined: "
          f"{per_molecule['atoms']:.1f} atoms, {per_molecule['pairs']:.0f} pairs within the "
          f"cutoff per molecule), batch {BATCH_SIZE}; load average "
          f"{load_before:.1f} before, {result['load_average'][1]:.1f} after")


def rows_of(entry: dict) -> list[str]:
    """The implementations measured in a size's entry, study first."""
    return [name for name in ("study", "study-zero-tails", "astray", "astray-graphs")
            if name in entry]


def report(entry: dict) -> None:
    print(f"SchNet {entry['hidden_channels']} channels x {entry['num_interactions']} interactions")
    names = rows_of(entry)
    for name in names:
        e = entry[name]
        print(f"  {name:16s} {e['molecules_per_s']:8.1f} molecules/s   "
              f"{e['gflops_per_molecule']:.3f} GFLOP/molecule   "
              f"{100 * e['peak_fraction']:.1f}% of matmul peak")
    if "astray-graphs" in entry:
        padding = entry["astray-graphs"]["padding"]
        print(f"  astray-graphs: {padding['captured_shapes']} padded shapes captured; padding "
              f"adds {100 * (padding['atoms'] - 1):.0f}% atoms, "
              f"{100 * (padding['pairs'] - 1):.0f}% pairs")
    for name in names[1:]:
        rounds = ", ".join(f"{r:.2f}" for r in entry[name]["speedup_per_round"])
        print(f"  {name} / study: {entry[name]['speedup']:.2f}x  (per round: {rounds}; "
              f"median {statistics.median(entry[name]['speedup_per_round']):.2f}x)")


if __name__ == "__main__":
    main()
