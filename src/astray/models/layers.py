"""Layers shared by the models: atom embeddings' size, the cosine cutoff, radial bases, the
shifted softplus and the initialisation of linear layers.

Distances are in angstrom throughout; a radial basis of distances r has one more trailing
dimension than r.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: Atomic numbers 0 .. MAX_ATOMIC_NUMBER - 1 have an embedding (as in torch_geometric's SchNet).
MAX_ATOMIC_NUMBER = 100
#: log 2, the shift of the shifted softplus ssp(x) = softplus(x) - log 2 (ssp(0) = 0).
LOG_2 = math.log(2.0)


def reset_linear(layer: nn.Linear) -> None:
    """Xavier-uniform weights and zero bias (PyG's initialisation of SchNet, used by every
    model here)."""
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def silu_mlp(in_channels: int, hidden_channels: int, out_channels: int) -> nn.Sequential:
    """``Linear -> SiLU -> Linear``, the two-layer perceptron of PaiNN's blocks and readout."""
    return nn.Sequential(nn.Linear(in_channels, hidden_channels), nn.SiLU(),
                         nn.Linear(hidden_channels, out_channels))


def cosine_cutoff(distance: Tensor, cutoff: float) -> Tensor:
    """0.5 (cos(pi r / cutoff) + 1) for r < cutoff, else 0; value and slope vanish at the cutoff.

    Args:
        distance: distances r, any shape, angstrom.
        cutoff: angstrom.
    """
    inside = distance < cutoff
    return torch.where(inside, 0.5 * (torch.cos(distance * (math.pi / cutoff)) + 1.0),
                       torch.zeros_like(distance))


def sinc_radial_basis(distance: Tensor, num_rbf: int, cutoff: float) -> Tensor:
    """sin(n pi r / cutoff) / r for n = 1 .. num_rbf, shape [*distance.shape, num_rbf], 1/angstrom.

    Finite as r -> 0 (the limit is n pi / cutoff); distances must be positive.
    """
    frequencies = torch.arange(1, num_rbf + 1, device=distance.device, dtype=distance.dtype)
    frequencies = frequencies * (math.pi / cutoff)
    r = distance.unsqueeze(-1)
    return torch.sin(frequencies * r) / r


class GaussianSmearing(nn.Module):
    """Expansion of distances (angstrom) on ``num_gaussians`` Gaussians centred on an even grid
    from ``start`` to ``stop``, each as wide as the grid spacing (as PyG's GaussianSmearing)."""

    def __init__(self, start: float, stop: float, num_gaussians: int):
        super().__init__()
        offset = torch.linspace(start, stop, num_gaussians)
        self.coeff = -0.5 / (offset[1] - offset[0]).item() ** 2
        self.register_buffer("offset", offset)

    def forward(self, distance: Tensor) -> Tensor:
        exponent = self.coeff * (distance.unsqueeze(-1) - self.offset) ** 2
        # Values below eps^2 (1e-14 in float32) vanish in the rounding of the filter's sums, but
        # where they reach the subnormal range (<1e-38), alone or as products with gradients,
        # they slow exp and every CPU matrix product reading them up to 100-fold: zero them.
        tail = exponent < 2 * math.log(torch.finfo(exponent.dtype).eps)
        return torch.exp(exponent.masked_fill(tail, 0.0)).masked_fill(tail, 0.0)


def linear_after_shifted_softplus(softplus_x: Tensor, layer: nn.Linear) -> Tensor:
    """``layer(softplus(x) - log 2)`` from ``softplus(x)``: the shift folded into the bias,
    ``W ssp(x) + b = W softplus(x) + (b - log 2 * W 1)``, saves one pass over the activations
    in the forward and in the backward pass."""
    bias = layer.bias - LOG_2 * layer.weight.sum(dim=1)
    return F.linear(softplus_x, layer.weight, bias)
