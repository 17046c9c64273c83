"""The training step and the evaluation forward pass, replayed as CUDA graphs on a GPU.

At the study's batch of 50 molecules a GPU finishes each kernel of a training step in a few
microseconds, and launching it from Python takes longer: measured on an H200 (issue 13), astray's
SchNet trained at the same ~5,500 molecules/s at 64 and 500 channels, 0.2% and 9% of the card's
float32 matmul peak. So on CUDA the whole step (forward, backward, gradient clip, AdamW) is
recorded once per padded batch shape as a CUDA graph (:class:`ShapeGraphs`) and then replayed
with one launch, on static buffers into which each batch is copied (:mod:`astray.train.padding`
makes the padding exact).

Why ``torch.cuda.graph`` on the whole step, not ``torch.compile(mode="reduce-overhead")`` or
``torch.cuda.make_graphed_callables``: force training differentiates the forces (double
backward), which neither supports (torch.compile's AOTAutograd raises on double backward,
pytorch/pytorch#91469 and #183603 on 2.11; graphed callables "do not support higher order
differentiation"), and only a whole-step capture also removes the gradient clip's and the
optimizer's launches. The captured kernels are the eager ones, so the numbers are those of the
padded eager step, which is tested on CPU against the unpadded one.

The recipe is PyTorch's (CUDA semantics, "whole-network capture"): a warm-up run on a side stream,
capture on the same stream, ``AdamW(capturable=True)`` with the learning rate in a device tensor
(a Python float would be frozen into the graph), gradients set to None before capture so that
backward allocates them from the graph's pool. The warm-up's update of weights and optimizer
state is undone, so capturing changes no result.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch
from torch import Tensor, nn

from astray.train.batching import GraphBatch
from astray.train.padding import (
    PaddedBatch,
    pad_batch,
    padded_energies,
    padded_shape,
    reads_nothing_back,
)


def batch_loss(model: nn.Module, batch: GraphBatch, targets: Tensor, forces: Tensor | None,
               force_weight: float) -> Tensor:
    """Mean squared energy error of a batch, plus ``force_weight`` times the mean squared force
    error when ``forces`` (model units per angstrom) are given."""
    pos = batch.pos.requires_grad_(True) if forces is not None else batch.pos
    energy = model(batch.z, pos, batch.batch, batch.charge, batch.edge_index)
    loss = torch.mean((energy - targets) ** 2)
    if forces is not None:
        predicted = -torch.autograd.grad(energy.sum(), pos, create_graph=True)[0]
        loss = loss + force_weight * torch.mean((predicted - forces) ** 2)
    return loss


def padded_loss(model: nn.Module, padded: PaddedBatch, force_weight: float) -> Tensor:
    """:func:`batch_loss` of a padded batch: the same value, padding weighted 0."""
    with_forces = padded.force_target is not None
    pos = padded.pos.detach().requires_grad_(True) if with_forces else padded.pos
    energy = padded_energies(model, padded, pos)
    loss = torch.sum(padded.weight * (energy - padded.target) ** 2)
    if with_forces:
        predicted = -torch.autograd.grad(energy.sum(), pos, create_graph=True)[0]
        squared = ((predicted - padded.force_target) ** 2).sum(dim=1)
        loss = loss + force_weight * torch.sum(padded.atom_weight * squared)
    return loss


class TrainingStep:
    """One optimisation step, run op by op on the unpadded batch (CPU, and models whose forward
    reads back from the device).

    Calling it with a batch, its target energies [n_molecules] and optionally target forces
    [n_atoms, 3] (model units) zeroes the gradients, back-propagates the loss, clips the
    gradient norm to ``gradient_clip`` and steps the optimizer; it returns the loss (a detached
    0-d tensor: reading it is left to the caller, since on a GPU that waits for the step).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, gradient_clip: float,
                 force_weight: float = 0.0):
        self.model, self.optimizer = model, optimizer
        self.gradient_clip, self.force_weight = gradient_clip, force_weight

    def __call__(self, batch: GraphBatch, targets: Tensor, forces: Tensor | None = None) -> Tensor:
        return self._descend(batch_loss(self.model, batch, targets, forces, self.force_weight))

    def _descend(self, loss: Tensor) -> Tensor:
        """Back-propagate ``loss`` into fresh gradients, clip them, step the optimizer."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.gradient_clip)
        self.optimizer.step()
        return loss.detach()


class PaddedTrainingStep(TrainingStep):
    """The same step on batches padded to ``molecule_slots`` molecules and bucketed atom and pair
    counts, run through ``graphs`` (:class:`CudaGraphs` on a GPU; :class:`Rerun` runs it op by
    op, as on a CPU). The returned loss is a buffer that the next call overwrites."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, gradient_clip: float,
                 force_weight: float, cutoff: float, molecule_slots: int, graphs):
        super().__init__(model, optimizer, gradient_clip, force_weight)
        self.cutoff, self.molecule_slots = cutoff, molecule_slots
        self._graphs = ShapeGraphs(self._step, graphs, self._capturing, preserved=self._state)
        # The learning rates as the graphs read them: one device tensor per parameter group,
        # float64 on a CPU (its fused AdamW reads them as doubles: the same update as a float),
        # float32 on a GPU (its fused kernel reads floats, as it rounds a Python float).
        device = next(model.parameters()).device
        dtype = torch.float32 if device.type == "cuda" else torch.float64
        self._learning_rates = [torch.tensor(group["lr"], dtype=dtype, device=device)
                                for group in optimizer.param_groups]

    @property
    def captured_shapes(self) -> int:
        """How many padded shapes have a captured step."""
        return len(self._graphs)

    def __call__(self, batch: GraphBatch, targets: Tensor, forces: Tensor | None = None) -> Tensor:
        self._sync_learning_rates()
        return self._graphs(self.pad(batch, targets, forces))

    def prepare(self, batch: GraphBatch, targets: Tensor, forces: Tensor | None = None) -> None:
        """Capture the step of this batch's padded shape now, without taking a step."""
        self._sync_learning_rates()
        self._graphs.prepare(self.pad(batch, targets, forces))

    def pad(self, batch: GraphBatch, targets: Tensor, forces: Tensor | None = None
            ) -> PaddedBatch:
        """The batch as this step pads it."""
        return pad_batch(batch, padded_shape(batch, self.molecule_slots), self.cutoff, targets,
                         forces)

    def _step(self, padded: PaddedBatch) -> Tensor:
        return self._descend(padded_loss(self.model, padded, self.force_weight))

    def _sync_learning_rates(self) -> None:
        """The trainer sets ``group["lr"]`` as a float (warm-up, plateau); the graphs read the
        device tensors, updated here (an asynchronous fill, no read-back)."""
        for group, rate in zip(self.optimizer.param_groups, self._learning_rates):
            rate.fill_(group["lr"])

    @contextmanager
    def _capturing(self) -> Iterator[None]:
        """While a step is recorded, the optimizer reads the learning-rate tensors and may be
        captured; afterwards the parameter groups are as the trainer left them."""
        groups = self.optimizer.param_groups
        saved = [(group["lr"], group.get("capturable", False)) for group in groups]
        for group, rate in zip(groups, self._learning_rates):
            group["lr"], group["capturable"] = rate, True
        try:
            yield
        finally:
            for group, (rate, capturable) in zip(groups, saved):
                group["lr"], group["capturable"] = rate, capturable

    def _state(self) -> list[Tensor]:
        """The tensors a step changes: parameters, buffers and optimizer state."""
        return [*self.model.parameters(), *self.model.buffers(),
                *(value for state in self.optimizer.state.values() for value in state.values()
                  if isinstance(value, Tensor))]


class PaddedForward:
    """The sums of squared and of absolute energy errors of a batch, [2] (model units), computed
    on a padded batch through ``graphs`` (the evaluation of validation and test sets)."""

    def __init__(self, model: nn.Module, cutoff: float, graphs):
        self.model, self.cutoff = model, cutoff
        self._graphs = ShapeGraphs(self._errors, graphs)

    def __call__(self, batch: GraphBatch, targets: Tensor, molecule_slots: int) -> Tensor:
        return self._graphs(pad_batch(batch, padded_shape(batch, molecule_slots), self.cutoff,
                                      targets))

    def _errors(self, padded: PaddedBatch) -> Tensor:
        with torch.no_grad():
            error = (padded_energies(self.model, padded) - padded.target) * (padded.weight > 0)
            return torch.stack([(error ** 2).sum(), error.abs().sum()])


class ShapeGraphs:
    """``function(padded_batch)`` recorded once per padded shape and replayed.

    The first batch of a shape is copied into new static buffers; ``function`` runs once as a
    warm-up (its effect on the ``preserved`` tensors undone) and is then recorded by ``graphs``
    while ``capturing()`` is entered. Every batch of that shape is copied into the same buffers
    and the recording replayed; the call returns the recording's outputs, valid until the next
    call (read them before it, as the trainer does on the device).
    """

    def __init__(self, function: Callable[[PaddedBatch], Tensor], graphs,
                 capturing: Callable[[], AbstractContextManager] = nullcontext,
                 preserved: Callable[[], list[Tensor]] = list):
        self._function, self._graphs = function, graphs
        self._capturing, self._preserved = capturing, preserved
        self._recorded: dict[tuple, tuple[PaddedBatch, Callable[[], Tensor]]] = {}

    def __len__(self) -> int:
        return len(self._recorded)

    def __call__(self, padded: PaddedBatch) -> Tensor:
        static, replay = self.prepare(padded)
        static.copy_(padded)
        return replay()

    def prepare(self, padded: PaddedBatch) -> tuple[PaddedBatch, Callable[[], Tensor]]:
        """The static buffers and the replay of ``padded``'s shape, recorded now if new."""
        key = padded.key()
        if key not in self._recorded:
            static = padded.clone()
            self._graphs.warm_up(lambda: self._run_undone(static))
            self._recorded[key] = static, self._graphs.capture(lambda: self._recordable(static))
        return self._recorded[key]

    def _recordable(self, static: PaddedBatch) -> Tensor:
        with self._capturing():
            return self._function(static)

    def _run_undone(self, static: PaddedBatch) -> None:
        """Run the function and restore the preserved tensors in place (the recordings hold
        their addresses). Tensors the run creates (AdamW's state, at the first step) are
        zeroed: AdamW creates them as zeros."""
        saved = {id(tensor): tensor.detach().clone() for tensor in self._preserved()}
        self._recordable(static)
        with torch.no_grad():
            for tensor in self._preserved():
                if id(tensor) in saved:
                    tensor.copy_(saved[id(tensor)])
                else:
                    tensor.zero_()


class CudaGraphs:
    """Records with ``torch.cuda.graph`` on one side stream, used for the warm-up too (a library
    handle created lazily on another stream during capture would break it).

    All recordings share one memory pool, so the GPU memory held is about one step's, however
    many shapes are recorded (not one step's per shape). That is safe because replays never run
    concurrently and nothing a recording allocates must outlive the next replay: gradients are
    recreated by each replay and consumed by its optimizer step, and each returned output is
    read (stream-ordered) before the next replay, which may overwrite it.
    """

    def __init__(self, device: torch.device | str = "cuda"):
        self.stream = torch.cuda.Stream(device=device)
        self.pool = torch.cuda.graph_pool_handle()

    def warm_up(self, run: Callable[[], object]) -> None:
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            run()
        torch.cuda.current_stream().wait_stream(self.stream)

    def capture(self, run: Callable[[], Tensor]) -> Callable[[], Tensor]:
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool, stream=self.stream):
            outputs = run()

        def replay() -> Tensor:
            graph.replay()
            return outputs

        return replay


class Rerun:
    """Stands in for :class:`CudaGraphs` where there are none (a CPU): the warm-up runs the
    function, and a "replay" runs it again on the static buffers. Everything around the
    recording (padding, static copies, learning-rate tensors, the undone warm-up) is the same."""

    def warm_up(self, run: Callable[[], object]) -> None:
        run()

    def capture(self, run: Callable[[], Tensor]) -> Callable[[], Tensor]:
        return run


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, *, gradient_clip: float,
                  force_weight: float, cutoff: float, molecule_slots: int
                  ) -> tuple[TrainingStep, PaddedForward | None]:
    """The trainer's step and evaluation for ``model``: on a CUDA device, for a model whose
    forward reads nothing back (SchNet, PaiNN), padded and replayed as CUDA graphs; otherwise
    the eager step and no evaluation graphs (None)."""
    device = next(model.parameters()).device
    if device.type != "cuda" or not reads_nothing_back(model):
        return TrainingStep(model, optimizer, gradient_clip, force_weight), None
    return (PaddedTrainingStep(model, optimizer, gradient_clip, force_weight, cutoff,
                               molecule_slots, CudaGraphs(device)),
            PaddedForward(model, cutoff, CudaGraphs(device)))
