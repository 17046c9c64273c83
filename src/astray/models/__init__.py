"""Trainable architectures (pure torch modules, no I/O) and their rebuilding from a config.

Every model maps ``(z, pos, batch, charge=None, edge_index=None)`` to energies [n_molecules] in
units of ``model.config["energy_unit_ev"]`` eV, and ``model.config`` (JSON-safe) rebuilds it.
"""
from torch import nn

from astray.errors import ModelError
from astray.models.painn import PaiNN
from astray.models.prior import PhysicsPrior
from astray.models.schnet import SchNet

#: Architecture name (``config["architecture"]``) -> model class.
ARCHITECTURES: dict[str, type[nn.Module]] = {"schnet": SchNet, "painn": PaiNN,
                                              "prior": PhysicsPrior}


def build_model(config: dict) -> nn.Module:
    """A new (untrained) model from a ``model.config`` dict."""
    arguments = dict(config)
    name = arguments.pop("architecture", None)
    if name not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    try:
        return ARCHITECTURES[name](**arguments)
    except (TypeError, ValueError) as error:
        raise ModelError(f"invalid {name} configuration {config}: {error}") from None


__all__ = ["ARCHITECTURES", "PaiNN", "PhysicsPrior", "SchNet", "build_model"]
