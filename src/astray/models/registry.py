"""The trainable architectures by name: how each is built from a training run's axes (width,
depth, cutoff, output unit), what it reads beyond the elements and positions, and the
rebuilding of any model from its ``config``."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from astray.errors import ModelError
from astray.models.painn import PaiNN
from astray.models.prior import PhysicsPrior
from astray.models.schnet import SchNet


@dataclass(frozen=True)
class Architecture:
    """One architecture of the registry.

    Attributes:
        model: the module class; ``model.architecture`` is its name (``config["architecture"]``,
            ``astray train --model``) and ``model(**config)`` rebuilds it.
        reads_charge: whether its energy depends on the molecule's total charge (the
            ``charge`` argument of ``forward``); a model that does not gives H2 and H2+ one
            energy.
        from_axes: ``(hidden, interactions, cutoff [angstrom], energy_unit_ev [eV per output
            unit]) -> config``: the model a training run's axes ask for (None for a wrapper,
            which is built around one of these, ``config["base"]``).
    """

    model: type[nn.Module]
    reads_charge: bool
    from_axes: Callable[[int, int, float, float], dict] | None = None

    @property
    def name(self) -> str:
        return self.model.architecture


def _schnet_axes(hidden: int, interactions: int, cutoff: float, energy_unit_ev: float) -> dict:
    """The study's SchNet: filters as wide as the embeddings, 50 Gaussians, sum readout."""
    return {"architecture": "schnet", "hidden_channels": hidden, "num_filters": hidden,
            "num_interactions": interactions, "num_gaussians": 50, "cutoff": cutoff,
            "readout": "add", "energy_unit_ev": energy_unit_ev}


def _painn_axes(hidden: int, interactions: int, cutoff: float, energy_unit_ev: float) -> dict:
    """PaiNN with the 20 sinc radial functions of Schütt et al. (2021)."""
    return {"architecture": "painn", "hidden_channels": hidden, "num_interactions": interactions,
            "num_rbf": 20, "cutoff": cutoff, "energy_unit_ev": energy_unit_ev}


#: The many-body architectures, by name (``astray train --model``, a sweep's models).
ARCHITECTURES: dict[str, Architecture] = {entry.name: entry for entry in (
    Architecture(SchNet, reads_charge=False, from_axes=_schnet_axes),
    Architecture(PaiNN, reads_charge=False, from_axes=_painn_axes))}
#: The physics prior wraps one of them (``--prior``); it reads the total charge (its atomic
#: limit places the charge on the atoms).
PRIOR = Architecture(PhysicsPrior, reads_charge=True)
#: Every model :func:`build_model` rebuilds: the architectures and the prior around them.
_BUILDABLE: dict[str, Architecture] = {**ARCHITECTURES, PRIOR.name: PRIOR}


def config_from_axes(model: str, hidden: int, interactions: int, cutoff: float,
                 energy_unit_ev: float, prior: bool = False) -> dict:
    """The ``model.config`` of architecture ``model`` at a run's axes (widths, depth, cutoff in
    angstrom, eV per output unit), wrapped in the physics prior if ``prior``."""
    if model not in ARCHITECTURES:
        raise ModelError(f"unknown model {model!r}; choose {' or '.join(ARCHITECTURES)}")
    base = ARCHITECTURES[model].from_axes(hidden, interactions, cutoff, energy_unit_ev)
    return {"architecture": PRIOR.name, "base": base} if prior else base


def _entry(config: dict) -> Architecture:
    name = config.get("architecture")
    if name not in _BUILDABLE:
        raise ModelError(f"unknown architecture {name!r}; known: {', '.join(_BUILDABLE)}")
    return _BUILDABLE[name]


def reads_charge(config: dict) -> bool:
    """Whether the model of a ``model.config`` reads the total charge: its architecture does,
    or, for a wrapper, the model it wraps does."""
    return _entry(config).reads_charge or (
        isinstance(config.get("base"), dict) and reads_charge(config["base"]))


def build_model(config: dict) -> nn.Module:
    """A new (untrained) model from a ``model.config`` dict (a wrapper's ``base`` is built
    first); raises :class:`ModelError` for an unknown architecture or an invalid configuration."""
    entry = _entry(config)
    arguments = {k: v for k, v in config.items() if k != "architecture"}
    if isinstance(arguments.get("base"), dict):
        arguments["base"] = build_model(arguments["base"])
    try:
        return entry.model(**arguments)
    except (TypeError, ValueError) as error:
        raise ModelError(f"invalid {entry.name} configuration {config}: {error}") from None
