"""SchNet (Schuett et al. 2017), the architecture of the study, computed the fast way.

The model is ``torch_geometric.nn.SchNet`` (readout over atoms, no atom references): the same
equations, parameter shapes and initialisation, so a PyG model converts with
:meth:`SchNet.from_pyg` and gives the same energies. These rewrites make it cheaper to train
and change nothing beyond float rounding:

* The continuous filter depends only on the distance of a pair, so it is computed once per
  unordered pair (i, j) and used for both messages j -> i and i -> j: half the filter-network
  work, which dominates at large widths.
* The far tails of the Gaussian distance expansion (below eps^2, 1e-14 in float32) are zero,
  not the subnormal floats (<1e-38) that CPUs multiply up to 100 times slower: PyG's SchNet
  spends most of its CPU training time on them (:class:`~astray.models.layers.GaussianSmearing`).
* ``ssp(x) = softplus(x) - log 2`` is always followed by a linear layer, so the shift is folded
  into that layer's bias (``W ssp(x) + b = W softplus(x) + (b - log 2 * W 1)``): one pass over
  every activation tensor less, in the forward and in the backward pass
  (:func:`~astray.models.layers.linear_after_shifted_softplus`).
* The filter network's weight gradients (64 x 50 and 64 x 64 weights summed over ~1,600
  pairs at 64 channels) are summed in one slice of pairs per thread: MKL runs these skinny
  products 5-8x slower on two threads (:func:`~astray.models.layers.weight_gradient`): one
  filter network's forward and backward pass at 64 channels, 1,800 pairs, 2 threads, 2.3 ->
  1.7 ms (median of 21, loaded 2-core VM); no change at 500 channels or on one thread.

Units: positions and cutoff in angstrom; the output is in the model's own energy unit,
``config["energy_unit_ev"]`` eV each.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from astray.models.layers import (
    MAX_ATOMIC_NUMBER,
    GaussianSmearing,
    cosine_cutoff,
    linear,
    linear_after_shifted_softplus,
    reset_linear,
)
from astray.models.neighbors import radius_graph


class SymmetricPairConvolution(torch.autograd.Function):
    """Continuous-filter convolution over unordered pairs: ``m_i = sum_j x_j * w_ij``.

    Pair p = (a, b) has one filter row ``w_p`` (the filter depends on the distance only) and sends
    two messages, ``x_b * w_p`` to a and ``x_a * w_p`` to b. The directed message list is
    ``source = [b, a]``, ``target = [a, b]`` (2 n_pairs entries), so the filter row of message k
    is ``k mod n_pairs``. The operator is symmetric in x, so the gradient with respect to x is the
    same convolution of the incoming gradient; with respect to ``w_p`` it is
    ``g_a * x_b + g_b * x_a``. The backward pass is made of differentiable operations, so force
    training (double backward) works.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, source: Tensor, target: Tensor) -> Tensor:
        ctx.save_for_backward(x, weight, source, target)
        messages = x.index_select(0, source)
        messages.view(2, -1, x.shape[1]).mul_(weight)
        return torch.zeros_like(x).index_add_(0, target, messages)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        x, weight, source, target = ctx.saved_tensors
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_x = SymmetricPairConvolution.apply(grad_out, weight, source, target)
        if ctx.needs_input_grad[1]:
            both = grad_out.index_select(0, target) * x.index_select(0, source)
            both = both.view(2, -1, x.shape[1])
            grad_weight = both[0] + both[1]
        return grad_x, grad_weight, None, None


class InteractionBlock(nn.Module):
    """One SchNet interaction: ``h_i += lin(ssp(conv_out(sum_j conv_in(h)_j * W(r_ij))))`` with the
    filter ``W(r) = filter_out(ssp(filter_in(gaussians(r)))) * cosine_cutoff(r)``."""

    def __init__(self, hidden_channels: int, num_gaussians: int, num_filters: int):
        super().__init__()
        self.filter_in = nn.Linear(num_gaussians, num_filters)
        self.filter_out = nn.Linear(num_filters, num_filters)
        self.conv_in = nn.Linear(hidden_channels, num_filters, bias=False)
        self.conv_out = nn.Linear(num_filters, hidden_channels)
        self.lin = nn.Linear(hidden_channels, hidden_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in (self.filter_in, self.filter_out, self.conv_in, self.conv_out, self.lin):
            reset_linear(layer)

    def filter(self, gaussians: Tensor, cutoff_weight: Tensor) -> Tensor:
        """Filter rows W(r) of shape [n_pairs, num_filters] for the pairs' expanded distances."""
        hidden = F.softplus(linear(gaussians, self.filter_in.weight, self.filter_in.bias))
        weight = linear_after_shifted_softplus(hidden, self.filter_out, linear)
        return weight * cutoff_weight.unsqueeze(-1)

    def forward(self, h: Tensor, filter_weight: Tensor, source: Tensor, target: Tensor) -> Tensor:
        """The update of h (to be added to it) given the pairs' filter rows and the directed
        message list of :class:`SymmetricPairConvolution`."""
        messages = SymmetricPairConvolution.apply(self.conv_in(h), filter_weight, source, target)
        return linear_after_shifted_softplus(F.softplus(self.conv_out(messages)), self.lin)


class SchNet(nn.Module):
    """SchNet energy model, equivalent to ``torch_geometric.nn.SchNet`` without atom references.

    Args:
        hidden_channels: width of the atom embeddings.
        num_filters: width of the continuous filters.
        num_interactions: number of interaction blocks.
        num_gaussians: Gaussians expanding each distance between 0 and ``cutoff``.
        cutoff: interaction radius, angstrom (cosine cutoff to zero at this distance).
        readout: ``"add"`` (energy is the sum of atomic contributions) or ``"mean"``.
        energy_unit_ev: how many eV one unit of the model's output is (bookkeeping only: the
            forward pass does not use it).
    """

    architecture = "schnet"

    def __init__(self, hidden_channels: int = 128, num_filters: int = 128,
                 num_interactions: int = 6, num_gaussians: int = 50, cutoff: float = 10.0,
                 readout: str = "add", energy_unit_ev: float = 1.0):
        super().__init__()
        if readout not in ("add", "mean"):
            raise ValueError(f"readout must be 'add' or 'mean', got {readout!r}")
        self.config = {"architecture": self.architecture, "hidden_channels": hidden_channels,
                       "num_filters": num_filters, "num_interactions": num_interactions,
                       "num_gaussians": num_gaussians, "cutoff": float(cutoff),
                       "readout": readout, "energy_unit_ev": float(energy_unit_ev)}
        self.cutoff = float(cutoff)
        self.readout = readout
        # Atomic number 0 is padding, as in PyG: a zero embedding that receives no gradient.
        self.embedding = nn.Embedding(MAX_ATOMIC_NUMBER, hidden_channels, padding_idx=0)
        self.distance_expansion = GaussianSmearing(0.0, cutoff, num_gaussians)
        self.interactions = nn.ModuleList(
            InteractionBlock(hidden_channels, num_gaussians, num_filters)
            for _ in range(num_interactions))
        self.lin1 = nn.Linear(hidden_channels, hidden_channels // 2)
        self.lin2 = nn.Linear(hidden_channels // 2, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyG's initialisation: N(0, 1) embeddings, Xavier-uniform weights, zero biases."""
        self.embedding.reset_parameters()
        for interaction in self.interactions:
            interaction.reset_parameters()
        for layer in (self.lin1, self.lin2):
            reset_linear(layer)

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor, charge: Tensor | None = None,
                edge_index: Tensor | None = None, *, num_molecules: int | None = None) -> Tensor:
        """Energies of the molecules of a batch.

        Args:
            z: atomic numbers, [n_atoms].
            pos: positions, [n_atoms, 3], angstrom.
            batch: molecule index of each atom, [n_atoms], sorted.
            charge: total charges, [n_molecules]; ignored (SchNet is charge-blind).
            edge_index: [2, n_edges], every pair closer than the cutoff in both directions
                (as :func:`radius_graph` returns); computed when not given.
            num_molecules: the length of the output (at least ``batch[-1] + 1``; molecules
                without atoms get 0). Given, with ``edge_index``, the forward pass reads
                nothing back from the device and has no data-dependent shapes, as a CUDA graph
                capture needs; the edge list is then trusted to be symmetric, not checked.

        Returns:
            energies, [n_molecules], in units of ``config["energy_unit_ev"]`` eV.
        """
        if edge_index is None:
            edge_index = radius_graph(pos, batch, self.cutoff)
        pair_a, pair_b = unordered_pairs(edge_index, validate=num_molecules is None)
        distance = (pos[pair_a] - pos[pair_b]).norm(dim=-1)
        gaussians = self.distance_expansion(distance)
        cutoff_weight = cosine_cutoff(distance, self.cutoff)
        source, target = torch.cat([pair_b, pair_a]), torch.cat([pair_a, pair_b])

        h = self.embedding(z)
        for interaction in self.interactions:
            filter_weight = interaction.filter(gaussians, cutoff_weight)
            h = h + interaction(h, filter_weight, source, target)
        atom_energy = linear_after_shifted_softplus(F.softplus(self.lin1(h)), self.lin2)

        if num_molecules is None:
            num_molecules = int(batch[-1]) + 1 if batch.numel() else 0
        energy = atom_energy.new_zeros(num_molecules).index_add_(0, batch,
                                                                 atom_energy.squeeze(-1))
        if self.readout == "mean":
            # Atom counts by index_add (bincount's length is read back from the device); a
            # molecule without atoms (batch padding) counts 1, so its energy is 0, not 0/0.
            ones = torch.ones_like(batch, dtype=energy.dtype)
            count = torch.zeros_like(energy).index_add_(0, batch, ones)
            energy = energy / count.clamp(min=1)
        return energy

    @classmethod
    def from_pyg(cls, pyg_model: nn.Module, energy_unit_ev: float = 1.0) -> SchNet:
        """A SchNet with the hyper-parameters and weights of a ``torch_geometric.nn.SchNet``.

        Raises ValueError for the PyG options this model does not have (dipole, mean/std
        scaling, atom references, a readout other than add or mean).
        """
        unsupported = [name for name, used in (
            ("dipole", pyg_model.dipole), ("mean/std", pyg_model.mean is not None
                                           or pyg_model.std is not None),
            ("atomref", pyg_model.atomref is not None), ("scale", pyg_model.scale is not None))
            if used]
        readout = type(pyg_model.readout).__name__
        if readout not in ("SumAggregation", "MeanAggregation"):
            unsupported.append(f"readout {readout}")
        if unsupported:
            raise ValueError(f"cannot convert a PyG SchNet using {', '.join(unsupported)}")
        model = cls(hidden_channels=pyg_model.hidden_channels, num_filters=pyg_model.num_filters,
                    num_interactions=pyg_model.num_interactions,
                    num_gaussians=pyg_model.num_gaussians, cutoff=pyg_model.cutoff,
                    readout="add" if readout == "SumAggregation" else "mean",
                    energy_unit_ev=energy_unit_ev)
        pyg_state = pyg_model.state_dict()
        model.load_state_dict({name: pyg_state[pyg_name(name)]
                               for name in model.state_dict()})
        return model


#: Our parameter names -> PyG's, within an interaction block.
_PYG_INTERACTION_NAMES = {"filter_in": "mlp.0", "filter_out": "mlp.2", "conv_in": "conv.lin1",
                          "conv_out": "conv.lin2", "lin": "lin"}


def pyg_name(name: str) -> str:
    """The ``torch_geometric.nn.SchNet`` state-dict key of one of our state-dict keys."""
    parts = name.split(".")
    if parts[0] == "interactions":
        return ".".join(parts[:2] + [_PYG_INTERACTION_NAMES[parts[2]]] + parts[3:])
    return name


def unordered_pairs(edge_index: Tensor, validate: bool = True) -> tuple[Tensor, Tensor]:
    """The pairs (a, b) with a < b of a symmetric edge list (every pair in both directions),
    in the order of the list.

    Raises ValueError when the list cannot be symmetric: self-loops, or not as many edges
    a -> b with a < b as with a > b (a one-directional list, or one capped per atom). With
    ``validate=False`` the list is trusted and nothing is read back from the device: a stable
    sort brings the ascending edges first and the first half is taken.
    """
    source, target = edge_index
    ascending = source < target
    if validate:
        if 2 * int(ascending.sum()) != source.numel():
            raise ValueError("edge_index must list every pair of distinct atoms in both "
                             "directions")
        return source[ascending], target[ascending]
    first = torch.argsort((~ascending).to(torch.uint8), stable=True)[: source.numel() // 2]
    return source[first], target[first]
