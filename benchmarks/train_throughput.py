"""Training throughput of astray's SchNet against the study's implementation, measured in one run.

Rows (all train on the same molecules with the study's step: MSE on energies, backward,
gradient-norm clip 1000, AdamW lr 5e-4, batch 50):

* ``study``: ``torch_geometric.nn.SchNet`` fed by a PyG ``DataLoader`` over
  ``torch_geometric.data.Data`` objects, the neighbour graph searched at every step (through
  astray's ``radius_graph``: PyG's own needs pyg-lib or torch-cluster, not installed here).
* ``study-zero-tails`` (``--zero-tails``): the same with astray's Gaussian expansion (far tails
  zero instead of subnormal floats): the share of the gain that comes from that change alone.
* ``astray``: what ``astray train`` runs on a CPU: ``astray.models.SchNet`` fed by
  ``astray.train.PackedGraphs`` (neighbour pairs computed once, each pair's filter computed once
  for both directions), stepped by ``astray.train.step.TrainingStep``, AdamW fused.
* ``astray-graphs`` (``--device cuda`` only): what ``astray train`` runs on CUDA, the same step
  on batches padded to a few shapes, each shape's whole step (forward, backward, clip, AdamW)
  replayed as one CUDA graph. Every shape the timed steps meet is captured before any timing;
  its FLOPs per molecule are counted as ``astray``'s (the padding's extra work is not useful).

``--join 2`` makes QM9-sized molecules (17 atoms and ~100 neighbour pairs within 5 A, as QM9's
18 atoms) out of the shipped set's small ones, two side by side: the size the study trained on
and issue 13's GPU figures used.

Warm-up steps are not timed. One pair is not a measurement on a shared machine (one pair at a
time swung +-50% here), so each size runs ``--rounds`` interleaved rounds (study then astray,
then astray then study, ...), each followed by a ``torch.mm`` of ``--peak-size`` square float32
matrices on the same threads for ~0.3 s (the matmul peak as the machine gives it at that moment).
Printed per size: molecules/s, the ratio to ``study`` as the median and spread (lowest-highest)
of the per-round ratios, and the fraction of the matmul peak reached, per round against that
round's peak; and the ratio of molecules per CPU second (this process's threads), which other
processes' load disturbs less than wall time (but a thread waiting at a barrier for a
descheduled sibling is not counted). FLOPs: ``torch.utils.flop_counter`` on one whole training
step (forward, backward, optimizer), which counts 2 m n k for every matrix product (mm, addmm,
bmm) and nothing else: gathers, scatters, activations, the Gaussian expansion and AdamW are
memory-bound work left out, so the fraction is the matmul work done per second of training over
the matmul peak. Each row is charged its own FLOPs: astray's pair filters are computed once
per pair, the study's twice, so astray's fraction is of a smaller count. The load average is
printed: on a machine busier than its cores, rates are lower and noisier (2-thread rates most:
each parallel region waits for both threads to be scheduled).

    .venv/bin/python benchmarks/train_throughput.py [--dataset default] [--threads 2] [--rounds 5]
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
from astray.train.step import CudaGraphs, PaddedTrainingStep, TrainingStep

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

    def step(self) -> int:
        """The step ``astray train`` takes on a CPU (the same loss, clip and update)."""
        batch = next(self.batches)
        TrainingStep(self.model, self.optimizer, 1000.0)(batch, self.targets[batch.index])
        return len(batch)


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


def matmul_rate(device: torch.device, n: int, seconds: float = 0.3) -> float:
    """Float32 FLOP/s of ``torch.mm`` on n x n matrices on the current threads (or GPU): the
    mean over as many products as fit in ``seconds``, so that it sees the same share of a busy
    machine as a training round beside it (a best-of-few would pick a quiet millisecond)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.mm(a, b)
    synchronize(device)
    count, start = 0, time.perf_counter()
    while count < 3 or time.perf_counter() - start < seconds:
        torch.mm(a, b)
        count += 1
        if device.type == "cuda" and count % 10 == 0:
            synchronize(device)
    synchronize(device)
    return 2 * n**3 * count / (time.perf_counter() - start)


def measure(trainers: dict, steps: int, rounds: int, warmup: int, device: torch.device,
            peak_size: int) -> tuple[dict, dict, list[float]]:
    """Molecules per second of wall time and per second of this process's CPU time (all
    threads) of each trainer in each of ``rounds`` interleaved rounds (order AB, BA, ...), and
    the matmul rate measured right after each round (:func:`matmul_rate`)."""
    for trainer in trainers.values():
        trainer.run(warmup)
    per_round = {name: [] for name in trainers}
    per_cpu_second = {name: [] for name in trainers}
    peaks = []
    names = list(trainers)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            cpu_start = time.process_time()
            n_molecules, seconds = trainers[name].run(steps)
            per_cpu_second[name].append(n_molecules / (time.process_time() - cpu_start))
            per_round[name].append(n_molecules / seconds)
        peaks.append(matmul_rate(device, peak_size))
    return per_round, per_cpu_second, peaks


def summary(values: list[float]) -> dict:
    """Median and spread (lowest, highest) of per-round values."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "per_round": values}


#: The rows measured at every size, by name: the study's loop first.
ROWS = {"study": StudyTrainer, "astray": AstrayTrainer}


def measure_size(size: tuple[int, int], rows: dict, dataset, indices, targets, args,
                 device: torch.device) -> tuple[dict, dict]:
    """The entry of one model size (hidden channels, interactions): each row's molecules/s,
    FLOPs, fraction of the matmul peak and ratio to ``study``; and the atoms and pairs per
    molecule."""
    trainers = {name: cls(dataset, indices, targets, size, args.cutoff, device, args.seed)
                for name, cls in rows.items()}
    flops = {name: trainer.flops_per_molecule() for name, trainer in trainers.items()}
    packed = trainers["astray"].packed
    per_molecule = {"atoms": int(packed.atom_offsets[-1]) / len(packed),
                    "pairs": int(packed.pair_offsets[-1]) / len(packed)}
    if device.type == "cuda":
        trainers["astray-graphs"] = AstrayGraphsTrainer(
            dataset, indices, targets, size, args.cutoff, device, args.seed,
            planned_steps=args.warmup + args.rounds * args.steps)
        flops["astray-graphs"] = flops["astray"]
    speeds, cpu_speeds, peaks = measure(trainers, args.steps, args.rounds, args.warmup, device,
                                        args.peak_size)
    entry = {"hidden_channels": size[0], "num_interactions": size[1],
             "matmul_gflops": summary([p / 1e9 for p in peaks])}
    for name, speed in speeds.items():
        entry[name] = {"molecules_per_s": summary(speed),
                       "molecules_per_cpu_s": summary(cpu_speeds[name]),
                       "gflops_per_molecule": flops[name] / 1e9,
                       "peak_fraction": summary([flops[name] * v / p
                                                 for v, p in zip(speed, peaks)])}
        if name != "study":
            entry[name]["speedup"] = summary([a / s for a, s in zip(speed, speeds["study"])])
            entry[name]["cpu_speedup"] = summary([a / s for a, s in zip(cpu_speeds[name],
                                                                        cpu_speeds["study"])])
    if "astray-graphs" in trainers:
        entry["astray-graphs"]["padding"] = trainers["astray-graphs"].padding
    return entry, per_molecule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="default", help="astray data set name or folder")
    parser.add_argument("--molecules", type=int, default=1000,
                        help="molecules drawn from the data set (same for both)")
    parser.add_argument("--sizes", default="500x3,64x3", help="hidden channels x interactions")
    parser.add_argument("--cutoff", type=float, default=5.0, help="angstrom (the study's 5.0)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per row and round")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved timed rounds (pairs of study and astray)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--peak-size", type=int, default=None,
                        help="n of the n x n x n matmuls timing the peak (default 512 on a CPU, "
                             "the 500-channel layers' width, at which 2 threads reach their "
                             "large-matrix rate; 4096 on a GPU)")
    parser.add_argument("--zero-tails", action="store_true",
                        help="add the study-zero-tails row")
    parser.add_argument("--join", type=int, default=1,
                        help="data-set structures per benchmark molecule (2: QM9-sized)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.peak_size is None:
        args.peak_size = 4096 if device.type == "cuda" else 512
    dataset = open_dataset(args.dataset)
    rng = np.random.default_rng(args.seed)
    indices = np.sort(rng.choice(len(dataset), size=min(args.molecules * args.join,
                                                         len(dataset)), replace=False))
    if args.join > 1:
        dataset = JoinedStructures.of(dataset, rng.permutation(indices), args.join)
        indices = np.arange(len(dataset))
    # Throughput does not depend on the target values; standard-normal targets stand in for TAE/25.
    targets = rng.standard_normal(len(dataset)).astype(np.float32)
    rows = dict(ROWS)
    if args.zero_tails:
        rows = {"study": StudyTrainer, "study-zero-tails": StudyZeroTailsTrainer, **rows}
    load_before = os.getloadavg()[0]
    entries, per_molecule = [], {}
    for spec in args.sizes.split(","):
        size = tuple(int(v) for v in spec.lower().split("x"))
        entry, per_molecule = measure_size(size, rows, dataset, indices, targets, args, device)
        entries.append(entry)
    result = {"dataset": args.dataset, "join": args.join, "per_molecule": per_molecule,
              "molecules": len(indices), "device": args.device,
              "threads": args.threads, "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
              "batch_size": BATCH_SIZE, "cutoff": args.cutoff, "peak_size": args.peak_size,
              "steps": args.steps, "rounds": args.rounds,
              "matmul_peak_gflops": max(e["matmul_gflops"]["max"] for e in entries),
              "load_average": [load_before, os.getloadavg()[0]], "sizes": entries}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    for entry in entries:
        report(entry)
    if max(result["load_average"]) > os.cpu_count():
        print(f"warning: load average above the {os.cpu_count()} CPUs: other processes share "
              "the cores; rates are lower and noisier than on an idle machine")
    print(f"{args.rounds} interleaved rounds of {args.steps} steps per row; {args.device}, "
          f"{args.threads} threads; {len(indices)} molecules of {args.dataset} ({args.join} "
          f"structures joined: {per_molecule['atoms']:.1f} atoms, {per_molecule['pairs']:.0f} "
          f"pairs within the cutoff per molecule), batch {BATCH_SIZE}; load average "
          f"{load_before:.1f} before, {result['load_average'][1]:.1f} after")


def rows_of(entry: dict) -> list[str]:
    """The implementations measured in a size's entry, study first."""
    return [name for name in ("study", "study-zero-tails", "astray", "astray-graphs")
            if name in entry]


def spread(values: dict, scale: float = 1.0, unit: str = "") -> str:
    """``median (min-max)`` of a :func:`summary`."""
    return (f"{scale * values['median']:.2f}{unit} ({scale * values['min']:.2f}-"
            f"{scale * values['max']:.2f})")


def report(entry: dict) -> None:
    peak = entry["matmul_gflops"]
    print(f"SchNet {entry['hidden_channels']} channels x {entry['num_interactions']} "
          f"interactions; matmul rate beside the rounds {spread(peak, unit=' GFLOP/s')}")
    names = rows_of(entry)
    for name in names:
        e = entry[name]
        print(f"  {name:16s} {e['molecules_per_s']['median']:8.1f} molecules/s   "
              f"{e['gflops_per_molecule']:.4f} GFLOP/molecule   "
              f"{spread(e['peak_fraction'], 100, '%')} of matmul peak")
    if "astray-graphs" in entry:
        padding = entry["astray-graphs"]["padding"]
        print(f"  astray-graphs: {padding['captured_shapes']} padded shapes captured; padding "
              f"adds {100 * (padding['atoms'] - 1):.0f}% atoms, "
              f"{100 * (padding['pairs'] - 1):.0f}% pairs")
    for name in names[1:]:
        print(f"  {name} / study: {spread(entry[name]['speedup'], unit='x')}  "
              f"(median (lowest-highest) of {len(entry[name]['speedup']['per_round'])} rounds); "
              f"per CPU second: {spread(entry[name]['cpu_speedup'], unit='x')}")


if __name__ == "__main__":
    main()
