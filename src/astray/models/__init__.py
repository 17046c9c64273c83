"""Trainable architectures (pure torch modules, no I/O), their registry (:mod:`.registry`: built
from a run's axes, what each reads, rebuilt from a config) and the checkpoint reader
(:mod:`.checkpoint`, the one module here that reads a file).

Every model maps ``(z, pos, batch, charge=None, edge_index=None)`` to energies [n_molecules] in
units of ``model.config["energy_unit_ev"]`` eV, and ``model.config`` (JSON-safe) rebuilds it.
"""
from astray.models.painn import PaiNN
from astray.models.prior import PhysicsPrior
from astray.models.registry import ARCHITECTURES, build_model, config_from_axes, reads_charge
from astray.models.schnet import SchNet

__all__ = ["ARCHITECTURES", "PaiNN", "PhysicsPrior", "SchNet", "build_model", "config_from_axes",
           "reads_charge"]
