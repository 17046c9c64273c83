"""Writing checkpoints (the format and the reader: :mod:`astray.models.checkpoint`) and the
trainer's small helpers on a model."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from astray.jsonio import atomic_file
from astray.models.checkpoint import FORMAT


def save_checkpoint(path: str | Path, model: nn.Module, **metadata) -> None:
    """Write ``model`` and ``metadata`` (JSON-like values only) atomically to ``path``."""
    with atomic_file(path) as handle:  # atomic, and never through a planted link
        torch.save({"format": FORMAT, "model_config": model.config,
                    "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                    **metadata}, handle)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def finite_or_none(value: float) -> float | None:
    """A metric for JSON: None instead of NaN or infinity."""
    return float(value) if value is not None and math.isfinite(value) else None

