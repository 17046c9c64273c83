"""Neighbour lists for molecular graphs, in plain torch (no torch-cluster or pyg-lib needed)."""
from __future__ import annotations

import torch


def radius_graph(pos: torch.Tensor, batch: torch.Tensor, cutoff: float) -> torch.Tensor:
    """All ordered pairs (j, i) of distinct atoms of the same molecule closer than ``cutoff``.

    Args:
        pos: atomic positions, shape [n_atoms, 3], angstrom.
        batch: molecule index of each atom, shape [n_atoms], sorted (atoms of one molecule are
            contiguous, as in a PyG batch).
        cutoff: neighbour radius, angstrom (strictly less than).

    Returns:
        edge_index of shape [2, n_edges]: row 0 the source atom j, row 1 the target atom i, the
        convention of ``torch_geometric.nn.radius_graph`` (flow source-to-target). Every pair
        appears in both directions. Unlike PyG there is no cap on neighbours per atom.
    """
    n_atoms = batch.numel()
    if n_atoms == 0:
        return torch.zeros(2, 0, dtype=torch.long, device=pos.device)
    counts = torch.bincount(batch)
    first_atom = torch.cumsum(counts, 0) - counts
    per_atom_count = counts[batch]
    target = torch.repeat_interleave(torch.arange(n_atoms, device=pos.device), per_atom_count)
    block_start = torch.cumsum(per_atom_count, 0) - per_atom_count
    position_in_block = torch.arange(target.numel(), device=pos.device) - block_start[target]
    source = first_atom[batch[target]] + position_in_block
    keep = source != target
    source, target = source[keep], target[keep]
    distance = (pos[source] - pos[target]).norm(dim=-1)
    keep = distance < cutoff
    return torch.stack([source[keep], target[keep]])


def pyg_interaction_graph(cutoff: float):
    """An ``interaction_graph`` for ``torch_geometric.nn.SchNet`` built on :func:`radius_graph`
    (PyG's default needs pyg-lib or torch-cluster): returns (edge_index, edge_weight)."""

    def interaction_graph(pos: torch.Tensor, batch: torch.Tensor):
        edge_index = radius_graph(pos, batch, cutoff)
        return edge_index, (pos[edge_index[0]] - pos[edge_index[1]]).norm(dim=-1)

    return interaction_graph
