"""The trainable architectures by name, and the rebuilding of any model from its ``config``."""
from torch import nn

from astray.errors import ModelError
from astray.models.painn import PaiNN
from astray.models.prior import PhysicsPrior
from astray.models.schnet import SchNet

#: The many-body architectures, by ``config["architecture"]`` (and ``astray train --model``).
#: The physics prior is not among them: it wraps one of them (``--prior``).
ARCHITECTURES: dict[str, type[nn.Module]] = {model.architecture: model for model in (SchNet, PaiNN)}
#: Every model :func:`build_model` rebuilds: the architectures and the prior around them.
_BUILDABLE: dict[str, type[nn.Module]] = {**ARCHITECTURES,
                                          PhysicsPrior.architecture: PhysicsPrior}


def build_model(config: dict) -> nn.Module:
    """A new (untrained) model from a ``model.config`` dict; raises :class:`ModelError` for an
    unknown architecture or an invalid configuration."""
    arguments = dict(config)
    name = arguments.pop("architecture", None)
    if name not in _BUILDABLE:
        raise ModelError(f"unknown architecture {name!r}; known: {', '.join(_BUILDABLE)}")
    try:
        return _BUILDABLE[name](**arguments)
    except (TypeError, ValueError) as error:
        raise ModelError(f"invalid {name} configuration {config}: {error}") from None
