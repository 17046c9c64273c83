"""Layers shared by the models: atom embeddings' size, the cosine cutoff, radial bases, the
shifted softplus and the initialisation of linear layers.

Distances are in angstrom throughout; a radial basis of distances r has one more trailing
dimension than r.
"""
from __future__ import annotations

import math
from collections.abc import Callable

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


def linear_after_shifted_softplus(softplus_x: Tensor, layer: nn.Linear,
                                  apply_linear: Callable[..., Tensor] = F.linear) -> Tensor:
    """``layer(softplus(x) - log 2)`` from ``softplus(x)``: the shift folded into the bias,
    ``W ssp(x) + b = W softplus(x) + (b - log 2 * W 1)``, saves one pass over the activations
    in the forward and in the backward pass. ``apply_linear(x, weight, bias)`` is ``F.linear``
    or :func:`linear`."""
    bias = layer.bias - LOG_2 * layer.weight.sum(dim=1)
    return apply_linear(softplus_x, layer.weight, bias)


#: Weight gradients with at most this many weights per input row are summed in per-thread
#: slices on a CPU (:func:`weight_gradient`).
SPLIT_WEIGHTS_PER_ROW = 64


def weight_gradient(grad_out: Tensor, x: Tensor) -> Tensor:
    """``grad_out.T @ x`` ([out, n] @ [n, in]), the weight gradient of a linear layer.

    A weight small beside the number of rows summed over (the filter network's: 64 x 50
    weights, ~1,600 pairs) is a skinny product that MKL runs 5-8x slower on two threads
    than on one: 20-25 GFLOP/s for [64, 1584] @ [1584, 64] against 125-165 GFLOP/s when the
    rows are cut into one slice per thread, each slice's product is taken as one batched
    matmul (a thread each) and the slices are added (measured on this 2-core AVX-512 VM,
    OMP_WAIT_POLICY=PASSIVE). Large weights (500 x 500) run as fast either way and are left to
    ``mm``. The same sums in another order: equal to float rounding.
    """
    slices = torch.get_num_threads()
    rows = grad_out.shape[0]
    if (grad_out.device.type != "cpu" or slices < 2 or rows < 2 * slices
            or grad_out.shape[1] * x.shape[1] > SPLIT_WEIGHTS_PER_ROW * rows):
        return grad_out.t().mm(x)
    whole = rows - rows % slices
    sliced = torch.bmm(grad_out[:whole].reshape(slices, whole // slices, -1).transpose(1, 2),
                       x[:whole].reshape(slices, whole // slices, -1)).sum(dim=0)
    return sliced if whole == rows else sliced.addmm(grad_out[whole:].t(), x[whole:])


class _Linear(torch.autograd.Function):
    """``F.linear`` of a 2-D input whose weight gradient is :func:`weight_gradient`. The
    backward pass is made of differentiable operations, so double backward works."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        ctx.save_for_backward(x, weight)
        return F.linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        return (grad_out.mm(weight) if need_x else None,
                weight_gradient(grad_out, x) if need_weight else None,
                grad_out.sum(dim=0) if need_bias else None)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``F.linear(x, weight, bias)`` for x of shape [n, in], with the weight gradient of
    :func:`weight_gradient` (faster on a CPU for small weights and many rows). For layers over
    pairs: over atoms (~400 rows a batch) ``mm`` is as fast, and this Python-level autograd
    function costs ~30 us a call more than ``F.linear`` (2% of a 64-channel step per layer), so
    where the weight gradient cannot be sliced (one thread, a GPU) it is ``F.linear``."""
    if x.device.type != "cpu" or torch.get_num_threads() < 2:
        return F.linear(x, weight, bias)
    return _Linear.apply(x, weight, bias)
