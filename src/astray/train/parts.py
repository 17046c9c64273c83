"""The parts of a split as the trainer holds them (packed graphs, targets in model units, the
baseline's share) and their evaluation against the data: :class:`Part`, :func:`evaluate`."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from astray.data.dataset import Dataset
from astray.train.batching import PackedGraphs, concatenated_ranges
from astray.train.config import TrainConfig
from astray.train.step import PaddedForward
from astray.units import EV_KCAL_MOL

__all__ = ["Part", "evaluate"]


class Part:
    """One part of the split, packed, with its targets in model units (and forces, optional):
    the data's atomization energies, less the baseline's where there is one."""

    def __init__(self, dataset: Dataset, indices: np.ndarray, config: TrainConfig,
                 with_forces: bool, baseline=None):
        self.graphs = PackedGraphs.from_arrays(dataset.numbers, dataset.positions,
                                               dataset.offsets, indices, config.cutoff,
                                               charges=dataset.charge).to(config.device)
        order = np.argsort(indices)
        self._sorted_index = torch.as_tensor(np.asarray(indices)[order], device=config.device)
        sorted_indices = np.asarray(indices)[order]
        data = np.asarray(dataset.atomization_energy[sorted_indices]) / config.energy_unit_ev
        base = (np.zeros_like(data) if baseline is None else
                baseline.atomization_energy[sorted_indices] / config.energy_unit_ev)
        # float64 for the errors against the data; float32 residuals for the training steps
        self._sorted_data = torch.as_tensor(data, dtype=torch.float64, device=config.device)
        self._sorted_base = torch.as_tensor(base, dtype=torch.float64, device=config.device)
        self._sorted_target = torch.as_tensor(data - base, dtype=torch.float32,
                                              device=config.device)
        self._offsets = torch.as_tensor(np.array(dataset.offsets), device=config.device)
        self._forces = dataset.forces if with_forces else None
        if with_forces and baseline is not None:
            self._forces = np.asarray(dataset.forces) - baseline.forces
        self._force_scale = 1.0 / config.energy_unit_ev
        self._has_baseline = baseline is not None

    def __len__(self) -> int:
        return len(self.graphs)

    @property
    def has_forces(self) -> bool:
        return self._forces is not None

    @property
    def has_baseline(self) -> bool:
        return self._has_baseline

    def targets(self, index: torch.Tensor) -> torch.Tensor:
        """What the model learns (model units) for the data-set structures ``index``: their
        atomization energies, less the baseline's where there is one."""
        return self._sorted_target[torch.searchsorted(self._sorted_index, index)]

    def data_and_baseline(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the data's atomization energies, the baseline's; 0 without one), float64, model
        units, of the structures ``index``."""
        where = torch.searchsorted(self._sorted_index, index)
        return self._sorted_data[where], self._sorted_base[where]

    def forces(self, index: torch.Tensor) -> torch.Tensor:
        """Forces (model units per angstrom) of the atoms of structures ``index``, in batch order."""
        starts = self._offsets[index]
        atoms = concatenated_ranges(starts, self._offsets[index + 1] - starts)
        values = np.asarray(self._forces[atoms.cpu().numpy()]) * self._force_scale
        return torch.as_tensor(values, dtype=torch.float32, device=index.device)


def evaluate(model: nn.Module, part: Part, batch_size: int = 500,
             forward: PaddedForward | None = None) -> tuple[float, float]:
    """(MSE in model units squared, MAE in kcal/mol) of the energies of a part: the prediction
    baseline + model against the data's atomization energies (float64), not the model against
    the residual; ``forward``: the model's evaluation on padded batches (the trainer's CUDA
    graphs, which take the residual as target: the same error, in float32)."""
    model.eval()
    # Summed in float64 on the part's device and read once: a read per batch waits for the GPU.
    sums = torch.zeros(2, dtype=torch.float64, device=part.graphs.z.device)
    with torch.no_grad():
        for batch in part.graphs.batches(batch_size):
            targets = part.targets(batch.index)
            if forward is None:
                output = model(batch.z, batch.pos, batch.batch, batch.charge, batch.edge_index)
                if part.has_baseline:
                    data, base = part.data_and_baseline(batch.index)
                    error = (base + output.double()) - data
                else:  # as before baselines existed: the same numbers, bit for bit
                    error = output - targets
                sums += torch.stack([(error ** 2).sum(), error.abs().sum()]).double()
            else:
                sums += forward(batch, targets, batch_size).double()
    squared, absolute = sums.tolist()
    unit_kcal_mol = model.config["energy_unit_ev"] * EV_KCAL_MOL
    return squared / len(part), absolute / len(part) * unit_kcal_mol
