"""Training batches without per-step graph work: neighbour lists are computed once per subset.

Geometries do not change while a model is fitted to energies, so :class:`PackedGraphs` copies
the selected structures out of the (possibly memory-mapped, million-structure) data set arrays
once, computes every structure's neighbour pairs once, and then cuts batches out of these packed
tensors with a few vectorised gathers per step: no per-molecule Python loop, no collation of
objects, no neighbour search.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import Tensor

from astray.models.neighbors import radius_graph

#: Structures whose neighbour lists are computed together (bounds the all-pairs scratch memory).
NEIGHBOUR_CHUNK = 4096


@dataclass
class GraphBatch:
    """A batch of molecules in the layout every astray model takes.

    ``z`` [n_atoms] atomic numbers, ``pos`` [n_atoms, 3] angstrom, ``batch`` [n_atoms] molecule
    of each atom (sorted), ``edge_index`` [2, n_edges] every pair within the cutoff in both
    directions (row 0 source, row 1 target): the unordered pairs (a < b) first, then the same
    pairs reversed; ``charge`` [n_molecules] total charge in e (or None), ``index``
    [n_molecules] the data-set index of each molecule (to gather targets).
    """

    z: Tensor
    pos: Tensor
    batch: Tensor
    edge_index: Tensor
    charge: Tensor | None
    index: Tensor

    def __len__(self) -> int:
        return self.index.numel()

    def to(self, device: torch.device | str) -> GraphBatch:
        return GraphBatch(*(None if value is None else value.to(device)
                            for value in (getattr(self, f.name) for f in fields(self))))


def concatenated_ranges(starts: Tensor, lengths: Tensor, total: int | None = None) -> Tensor:
    """``cat([arange(s, s + n) for s, n in zip(starts, lengths)])`` without a Python loop.

    ``total`` (``lengths.sum()``, when the caller knows it) spares reading the sum back from a GPU.
    """
    total = int(lengths.sum()) if total is None else total
    ends = torch.cumsum(lengths, 0)
    shift = torch.repeat_interleave(starts - (ends - lengths), lengths, output_size=total)
    return torch.arange(total, device=starts.device) + shift


class PackedGraphs:
    """The selected structures of a data set, packed with their neighbour pairs.

    Holds, for the subset only: atomic numbers, positions, per-structure atom offsets, each
    structure's unordered neighbour pairs (a < b, numbered within the structure), and optional
    charges. Move it to a GPU with :meth:`to` and batches are cut on the GPU.
    """

    def __init__(self, z: Tensor, pos: Tensor, atom_offsets: Tensor, pairs: Tensor,
                 pair_offsets: Tensor, index: Tensor, cutoff: float,
                 charge: Tensor | None = None):
        self.z, self.pos, self.atom_offsets = z, pos, atom_offsets
        self.pairs, self.pair_offsets = pairs, pair_offsets
        self.index, self.cutoff, self.charge = index, cutoff, charge
        # Batch sizes are looked up on the host, so cutting a batch on a GPU reads nothing back
        # from it: a read-back would wait for the previous training step to finish.
        self._host_atom_offsets, self._host_pair_offsets = atom_offsets.cpu(), pair_offsets.cpu()

    @classmethod
    def from_arrays(cls, numbers, positions, offsets, indices, cutoff: float,
                    charges=None, dtype: torch.dtype = torch.float32) -> PackedGraphs:
        """Pack structures ``indices`` of packed data-set arrays.

        Args:
            numbers: atomic numbers of all structures, [n_atoms_total] (numpy, may be a memmap).
            positions: [n_atoms_total, 3], angstrom.
            offsets: [n_structures + 1]; structure k is atoms ``offsets[k]:offsets[k + 1]``.
            indices: the structures to pack (only these are read), in batch-sampling order.
            cutoff: neighbour radius, angstrom (must equal the model's cutoff).
            charges: optional total charge per structure, [n_structures], e.
            dtype: floating type of the packed positions and charges.
        """
        index = np.asarray(indices, dtype=np.int64).reshape(-1)
        offsets = np.asarray(offsets)
        starts, stops = offsets[index], offsets[index + 1]
        counts = torch.from_numpy((stops - starts).astype(np.int64))
        atoms = concatenated_ranges(torch.from_numpy(starts.astype(np.int64)), counts).numpy()
        z = torch.from_numpy(np.asarray(numbers[atoms], dtype=np.int64))
        pos = torch.from_numpy(np.asarray(positions[atoms])).to(dtype)
        atom_offsets = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])
        pairs, pair_counts = [], []
        for first in range(0, len(index), NEIGHBOUR_CHUNK):
            chunk_pairs, chunk_counts = structure_pairs(
                pos, atom_offsets[first:first + NEIGHBOUR_CHUNK + 1], cutoff)
            pairs.append(chunk_pairs)
            pair_counts.append(chunk_counts)
        pair_counts = torch.cat(pair_counts) if pair_counts else torch.zeros(0, dtype=torch.long)
        pair_offsets = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(pair_counts, 0)])
        charge = (None if charges is None
                  else torch.from_numpy(np.asarray(charges)[index].astype(np.float64)).to(dtype))
        return cls(z, pos, atom_offsets,
                   torch.cat(pairs, dim=1) if pairs else torch.zeros(2, 0, dtype=torch.int32),
                   pair_offsets, torch.from_numpy(index), float(cutoff), charge)

    def __len__(self) -> int:
        return self.index.numel()

    def to(self, device: torch.device | str) -> PackedGraphs:
        """The same packed subset with every tensor on ``device``."""
        def move(tensor: Tensor | None) -> Tensor | None:
            return None if tensor is None else tensor.to(device)

        return PackedGraphs(move(self.z), move(self.pos), move(self.atom_offsets),
                            move(self.pairs), move(self.pair_offsets), move(self.index),
                            self.cutoff, move(self.charge))

    def batch(self, molecules: Tensor) -> GraphBatch:
        """The batch of the packed structures at positions ``molecules`` (0 .. len - 1)."""
        molecules = molecules.cpu()
        atom_start = self._host_atom_offsets[molecules]
        atom_count = self._host_atom_offsets[molecules + 1] - atom_start
        pair_start = self._host_pair_offsets[molecules]
        pair_count = self._host_pair_offsets[molecules + 1] - pair_start
        n_atoms, n_pairs = int(atom_count.sum()), int(pair_count.sum())
        device = self.z.device
        if device.type != "cpu":
            lookups = torch.stack([molecules, atom_start, atom_count, pair_start, pair_count])
            if device.type == "cuda":  # pinned, so the copy does not wait for the GPU
                lookups = lookups.pin_memory()
            molecules, atom_start, atom_count, pair_start, pair_count = lookups.to(
                device, non_blocking=True)
        atoms = concatenated_ranges(atom_start, atom_count, n_atoms)
        batch_atom_start = torch.cumsum(atom_count, 0) - atom_count
        pairs = self.pairs[:, concatenated_ranges(pair_start, pair_count, n_pairs)].long()
        pairs += torch.repeat_interleave(batch_atom_start, pair_count, output_size=n_pairs)
        batch = torch.repeat_interleave(torch.arange(len(molecules), device=device),
                                        atom_count, output_size=n_atoms)
        return GraphBatch(z=self.z[atoms], pos=self.pos[atoms], batch=batch,
                          edge_index=torch.cat([pairs, pairs.flip(0)], dim=1),
                          charge=None if self.charge is None else self.charge[molecules],
                          index=self.index[molecules])

    def batches(self, batch_size: int, shuffle: bool = False,
                generator: torch.Generator | None = None,
                drop_last: bool = False) -> Iterator[GraphBatch]:
        """One epoch of batches of ``batch_size`` molecules; with ``shuffle``, in the random
        order drawn from ``generator`` (deterministic given its seed)."""
        order = (torch.randperm(len(self), generator=generator) if shuffle
                 else torch.arange(len(self)))
        stop = len(self) - len(self) % batch_size if drop_last else len(self)
        for first in range(0, stop, batch_size):
            yield self.batch(order[first:first + batch_size])


def structure_pairs(pos: Tensor, atom_offsets: Tensor, cutoff: float) -> tuple[Tensor, Tensor]:
    """Unordered neighbour pairs (a < b) of consecutive structures, numbered within each structure.

    Args:
        pos: packed positions, angstrom; the structures are atoms
            ``atom_offsets[k]:atom_offsets[k + 1]``.
        atom_offsets: [n + 1] offsets of the n structures to treat.
        cutoff: neighbour radius, angstrom.

    Returns:
        pairs [2, n_pairs] (int32, local atom numbers) and the pair count of each structure [n].
    """
    first, last = int(atom_offsets[0]), int(atom_offsets[-1])
    counts = torch.diff(atom_offsets)
    batch = torch.repeat_interleave(torch.arange(len(counts)), counts, output_size=last - first)
    source, target = radius_graph(pos[first:last], batch, cutoff)
    keep = source < target
    structure = batch[source[keep]]
    order = torch.argsort(structure, stable=True)
    source, target, structure = source[keep][order], target[keep][order], structure[order]
    local_start = (atom_offsets[:-1] - first)[structure]
    pairs = torch.stack([source - local_start, target - local_start]).to(torch.int32)
    return pairs, torch.bincount(structure, minlength=len(counts))
