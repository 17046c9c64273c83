"""Quantum-chemistry data sets: the canonical packed format, readers, generation, the shipped sets."""

from astray.data.dataset import (
    KINDS,
    Dataset,
    DatasetWriter,
    Structures,
    available_datasets,
    open_dataset,
)

__all__ = ["KINDS", "Dataset", "DatasetWriter", "Structures", "available_datasets", "open_dataset"]
