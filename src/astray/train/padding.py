"""Batches padded to a few fixed shapes, with padding that changes no energy, force or gradient.

A CUDA graph replays fixed kernels on fixed buffers, so every batch it replays must have the same
tensor shapes. Molecules differ in size, so :func:`pad_batch` rounds the atom and pair counts of a
batch up to a coarse grid (:func:`bucket`: at most 1/8 more, a handful of shapes per epoch) and
fills the difference with padding that the real molecules never see:

* Padding atoms are hydrogen (an element every model and the physics prior's atomic tables know)
  on a line, each exactly ``cutoff`` angstrom from the next, and belong to one extra molecule slot
  after the real ones. That molecule's energy is computed and discarded: its loss weight is 0.
* Padding pairs join neighbours on that line, so no pair links a padding atom to a real one, and
  at exactly the cutoff distance the cosine cutoff weight of every model is 0: the padding atoms
  exchange no messages (and the distances are positive, so nothing is 0/0).
* Molecule slots beyond the batch's molecules (the short last batch of an epoch) hold no atoms:
  energy 0, weight 0.

So each real molecule's energy and forces are those of the unpadded batch, and the loss gradient
of every parameter receives exactly 0 from the padding (a zero weight times a finite derivative).
Only the last bits can differ, where a matrix product sums the same terms over more rows in
another order (tests/test_padding.py: float64 energies, forces and gradients to 1e-12).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, fields

import torch
from torch import Tensor, nn

from astray.train.batching import GraphBatch

#: Bucket sizes per doubling of a count (a power of two): padded counts are at most 1/8 above the
#: real ones, and batches of 50 molecules fall into a few atom and pair buckets.
BUCKETS_PER_OCTAVE = 8
#: The element of padding atoms: hydrogen, which the physics prior's atomic tables hold.
PADDING_ELEMENT = 1
#: Every padded batch has at least two padding atoms, so padding pairs always have a link to use.
MIN_PADDING_ATOMS = 2


def bucket(count: int) -> int:
    """The smallest size >= ``count`` of the form m 2^k with m < 2 BUCKETS_PER_OCTAVE: at most
    1/BUCKETS_PER_OCTAVE above ``count``; counts up to 2 BUCKETS_PER_OCTAVE are kept as they are.
    """
    shift = max(0, count.bit_length() - BUCKETS_PER_OCTAVE.bit_length())
    return -(-count >> shift) << shift


@dataclass(frozen=True)
class PaddedShape:
    """The fixed sizes of a padded batch: real-molecule slots (the model sees one more, the
    padding atoms' molecule), atoms and unordered pairs."""

    molecules: int
    atoms: int
    pairs: int


def padded_shape(batch: GraphBatch, molecule_slots: int) -> PaddedShape:
    """The bucketed shape of ``batch`` with at least ``molecule_slots`` molecule slots."""
    return PaddedShape(molecules=max(molecule_slots, len(batch)),
                       atoms=bucket(batch.z.numel() + MIN_PADDING_ATOMS),
                       pairs=bucket(batch.edge_index.shape[1] // 2))


@dataclass
class PaddedBatch:
    """A batch in a fixed shape, with its training targets (model units).

    ``z``, ``pos`` (angstrom), ``batch``, ``edge_index`` (the unordered pairs first, then
    reversed) as in :class:`GraphBatch`, over ``num_molecules`` molecule slots, the last of which
    holds the padding atoms. ``charge`` [num_molecules] or None. ``target`` [num_molecules]
    energies (0 in padding slots) and ``weight`` [num_molecules] their loss weights: 1/n for
    the n real molecules, 0 elsewhere, so ``sum(weight * (E - target)^2)`` is the mean squared
    error of the real molecules. With forces: ``force_target`` [n_atoms, 3] (0 on padding atoms)
    and ``atom_weight`` [n_atoms], 1/(3 n_real_atoms) on real atoms and 0 elsewhere.
    """

    z: Tensor
    pos: Tensor
    batch: Tensor
    edge_index: Tensor
    charge: Tensor | None
    target: Tensor
    weight: Tensor
    force_target: Tensor | None = None
    atom_weight: Tensor | None = None

    @property
    def num_molecules(self) -> int:
        return self.target.numel()

    def key(self) -> tuple:
        """What a captured graph of this batch is specific to: every tensor's shape and dtype."""
        return tuple(None if value is None else (tuple(value.shape), value.dtype)
                     for value in (getattr(self, f.name) for f in fields(self)))

    def clone(self) -> PaddedBatch:
        """A copy in new memory (the static input buffers of a captured graph)."""
        return PaddedBatch(*(None if value is None else value.clone()
                             for value in (getattr(self, f.name) for f in fields(self))))

    def copy_(self, other: PaddedBatch) -> None:
        """Overwrite this batch's tensors in place with ``other``'s (same key)."""
        for f in fields(self):
            mine = getattr(self, f.name)
            if mine is not None:
                mine.copy_(getattr(other, f.name), non_blocking=True)


def pad_batch(batch: GraphBatch, shape: PaddedShape, cutoff: float, targets: Tensor,
              forces: Tensor | None = None) -> PaddedBatch:
    """``batch`` padded to ``shape``, with its targets.

    Args:
        batch: a batch cut by :class:`~astray.train.batching.PackedGraphs`.
        shape: at least the batch's sizes plus MIN_PADDING_ATOMS atoms (:func:`padded_shape`).
        cutoff: the models' neighbour radius, angstrom: the spacing of the padding atoms.
        targets: [n_molecules] energies of the batch's molecules, model units.
        forces: [n_atoms, 3] target forces of its atoms (model units per angstrom), or None.
    """
    n_molecules, n_atoms, n_pairs = len(batch), batch.z.numel(), batch.edge_index.shape[1] // 2
    extra_atoms, extra_molecules = shape.atoms - n_atoms, shape.molecules + 1 - n_molecules
    if extra_atoms < MIN_PADDING_ATOMS or shape.pairs < n_pairs or extra_molecules < 1:
        raise ValueError(f"a batch of {n_molecules} molecules, {n_atoms} atoms and {n_pairs} "
                         f"pairs does not fit {shape}")
    device, dtype = batch.pos.device, batch.pos.dtype
    chain = torch.arange(extra_atoms, device=device)
    pad_pos = torch.zeros(extra_atoms, 3, dtype=dtype, device=device)
    pad_pos[:, 0] = chain.to(dtype) * cutoff
    link = n_atoms + torch.arange(shape.pairs - n_pairs, device=device) % (extra_atoms - 1)
    pairs = torch.cat([batch.edge_index[:, :n_pairs], torch.stack([link, link + 1])], dim=1)

    def padded(values: Tensor, fill, count: int) -> Tensor:
        return torch.cat([values, values.new_full((count, *values.shape[1:]), fill)])

    padded_batch = PaddedBatch(
        z=padded(batch.z, PADDING_ELEMENT, extra_atoms),
        pos=torch.cat([batch.pos, pad_pos]),
        batch=padded(batch.batch, shape.molecules, extra_atoms),
        edge_index=torch.cat([pairs, pairs.flip(0)], dim=1),
        charge=None if batch.charge is None else padded(batch.charge, 0, extra_molecules),
        target=padded(targets.to(dtype), 0, extra_molecules),
        weight=padded(targets.new_full((n_molecules,), 1 / n_molecules, dtype=dtype), 0,
                      extra_molecules))
    if forces is not None:
        padded_batch.force_target = padded(forces.to(dtype), 0, extra_atoms)
        padded_batch.atom_weight = padded(forces.new_full((n_atoms,), 1 / (3 * n_atoms),
                                                          dtype=dtype), 0, extra_atoms)
    return padded_batch


def reads_nothing_back(model: nn.Module) -> bool:
    """Whether ``model``'s forward takes ``num_molecules``, with which it reads nothing back from
    the device (SchNet, PaiNN): the condition for capturing it in a CUDA graph."""
    return "num_molecules" in inspect.signature(model.forward).parameters


def padded_energies(model: nn.Module, padded: PaddedBatch, pos: Tensor | None = None) -> Tensor:
    """The model's energies [num_molecules] of a padded batch (``pos`` instead of its positions,
    to differentiate with respect to them)."""
    options = {"num_molecules": padded.num_molecules} if reads_nothing_back(model) else {}
    return model(padded.z, padded.pos if pos is None else pos, padded.batch, padded.charge,
                 padded.edge_index, **options)
