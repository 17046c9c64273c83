"""PaiNN: polarizable atom interaction neural network (Schütt, Unke, Gastegger, ICML 2021).

Every atom i carries scalar features s_i [F] and vector features v_i [3, F]. Each interaction
is a message block followed by an update block (equations 7-9 and 10-12 of the paper), with
r_ij = pos_j - pos_i, r_ij = |r_ij| and the unit vector e_ij = r_ij / r_ij:

    message:  (x_s, x_vv, x_vs) = phi(s_j) * W(r_ij)                 phi: MLP, W: linear in the
              s_i += sum_j x_s                                         radial basis times f_cut
              v_i += sum_j v_j * x_vv + x_vs * e_ij
    update:   (a_vv, a_sv, a_ss) = MLP(s_i, ||V v_i||)
              v_i += a_vv * (U v_i)
              s_i += a_sv * <U v_i, V v_i> + a_ss

The radial basis is sin(n pi r / cutoff) / r (n = 1 .. num_rbf) and the cutoff the cosine
0.5 (cos(pi r / cutoff) + 1), whose derivative vanishes at the cutoff, so energies and forces
are continuous when a neighbour crosses it. The energy is the sum over atoms of an atomwise MLP
of the final scalar features. Forces are -dE/dpos by autograd; the model is invariant to
rotations, translations and permutations and its forces rotate with the input.
"""
from __future__ import annotations

import torch
from torch import nn

from astray.models.layers import (
    MAX_ATOMIC_NUMBER,
    cosine_cutoff,
    reset_linear,
    silu_mlp,
    sinc_radial_basis,
)
from astray.models.neighbors import radius_graph

#: Added under the square root of ||V v||: the norm of a zero vector has no derivative.
_NORM_EPSILON = 1e-8


class PaiNNMessage(nn.Module):
    """Message block: the neighbours' scalar and vector features, filtered by distance."""

    def __init__(self, hidden_channels: int, num_rbf: int):
        super().__init__()
        self.hidden_channels = hidden_channels
        self.scalar_net = silu_mlp(hidden_channels, hidden_channels, 3 * hidden_channels)
        self.filter_net = nn.Linear(num_rbf, 3 * hidden_channels)

    def reset_parameters(self) -> None:
        reset_linear(self.scalar_net[0])
        reset_linear(self.scalar_net[2])
        reset_linear(self.filter_net)

    def forward(self, s, v, edge_index, radial, cutoff_weight, unit_vector):
        """Returns the updated (s [n, F], v [n, 3, F])."""
        source, target = edge_index
        x = self.scalar_net(s)[source] * self.filter_net(radial) * cutoff_weight.unsqueeze(-1)
        x_s, x_vv, x_vs = torch.split(x, self.hidden_channels, dim=-1)
        dv = v[source] * x_vv.unsqueeze(1) + x_vs.unsqueeze(1) * unit_vector.unsqueeze(-1)
        s = s.index_add(0, target, x_s)
        v = v.index_add(0, target, dv)
        return s, v


class PaiNNUpdate(nn.Module):
    """Update block: mixes each atom's scalar and vector channels."""

    def __init__(self, hidden_channels: int):
        super().__init__()
        self.hidden_channels = hidden_channels
        self.vector_u = nn.Linear(hidden_channels, hidden_channels, bias=False)
        self.vector_v = nn.Linear(hidden_channels, hidden_channels, bias=False)
        self.mix_net = silu_mlp(2 * hidden_channels, hidden_channels, 3 * hidden_channels)

    def reset_parameters(self) -> None:
        reset_linear(self.vector_u)
        reset_linear(self.vector_v)
        reset_linear(self.mix_net[0])
        reset_linear(self.mix_net[2])

    def forward(self, s, v):
        """Returns the updated (s [n, F], v [n, 3, F])."""
        uv = self.vector_u(v)
        vv = self.vector_v(v)
        vv_norm = torch.sqrt(torch.sum(vv * vv, dim=1) + _NORM_EPSILON)
        a = self.mix_net(torch.cat([s, vv_norm], dim=-1))
        a_vv, a_sv, a_ss = torch.split(a, self.hidden_channels, dim=-1)
        v = v + a_vv.unsqueeze(1) * uv
        s = s + a_sv * torch.sum(uv * vv, dim=1) + a_ss
        return s, v


class PaiNN(nn.Module):
    """PaiNN energy model: ``model(z, pos, batch) -> energies [n_molecules]``.

    Args:
        hidden_channels: F, the width of the scalar and vector features.
        num_interactions: number of message + update blocks (independent weights).
        num_rbf: number of sinc radial basis functions.
        cutoff: neighbour radius in angstrom.
        energy_unit_ev: how many eV one output unit is (recorded in ``config``; the network
            itself is unit-free).
    """

    architecture = "painn"

    def __init__(self, hidden_channels: int = 128, num_interactions: int = 3, num_rbf: int = 20,
                 cutoff: float = 5.0, energy_unit_ev: float = 1.0):
        super().__init__()
        self.hidden_channels = hidden_channels
        self.num_rbf = num_rbf
        self.cutoff = cutoff
        self.config = {"architecture": self.architecture, "hidden_channels": hidden_channels,
                       "num_interactions": num_interactions, "num_rbf": num_rbf,
                       "cutoff": float(cutoff), "energy_unit_ev": float(energy_unit_ev)}
        self.embedding = nn.Embedding(MAX_ATOMIC_NUMBER, hidden_channels)
        self.messages = nn.ModuleList(PaiNNMessage(hidden_channels, num_rbf)
                                      for _ in range(num_interactions))
        self.updates = nn.ModuleList(PaiNNUpdate(hidden_channels)
                                     for _ in range(num_interactions))
        self.readout = silu_mlp(hidden_channels, hidden_channels // 2, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.embedding.reset_parameters()
        for message, update in zip(self.messages, self.updates):
            message.reset_parameters()
            update.reset_parameters()
        reset_linear(self.readout[0])
        reset_linear(self.readout[2])

    def forward(self, z: torch.Tensor, pos: torch.Tensor, batch: torch.Tensor,
                charge: torch.Tensor | None = None, edge_index: torch.Tensor | None = None, *,
                num_molecules: int | None = None) -> torch.Tensor:
        """Energies of a batch of molecules, in units of ``energy_unit_ev`` eV.

        Args:
            z: atomic numbers [n_atoms].
            pos: positions [n_atoms, 3], angstrom.
            batch: molecule index of each atom [n_atoms], sorted.
            charge: total charges [n_molecules]; ignored (PaiNN is charge-blind).
            edge_index: [2, n_edges] (source j, target i) pairs within ``cutoff``; computed
                with :func:`radius_graph` when None.
            num_molecules: the length of the output (at least ``batch[-1] + 1``; molecules
                without atoms get 0). Given, with ``edge_index``, the forward pass reads
                nothing back from the device, as a CUDA graph capture needs.

        Returns:
            energies [n_molecules].
        """
        if edge_index is None:
            edge_index = radius_graph(pos, batch, self.cutoff)
        source, target = edge_index
        vector = pos[source] - pos[target]
        distance = vector.norm(dim=-1)
        radial = sinc_radial_basis(distance, self.num_rbf, self.cutoff)
        cutoff_weight = cosine_cutoff(distance, self.cutoff)
        unit_vector = vector / distance.unsqueeze(-1)

        s = self.embedding(z)
        v = s.new_zeros(s.shape[0], 3, self.hidden_channels)
        for message, update in zip(self.messages, self.updates):
            s, v = message(s, v, edge_index, radial, cutoff_weight, unit_vector)
            s, v = update(s, v)

        atom_energy = self.readout(s).squeeze(-1)
        if num_molecules is None:
            num_molecules = int(batch[-1]) + 1 if batch.numel() else 0
        return atom_energy.new_zeros(num_molecules).index_add(0, batch, atom_energy)
