"""Training: fast batching of packed data sets (and the trainer, splits, checkpoints)."""
from astray.train.batching import GraphBatch, PackedGraphs

__all__ = ["GraphBatch", "PackedGraphs"]
