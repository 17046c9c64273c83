"""Exact and ab initio reference curves: one module per method family (registered in
:mod:`.methods`), cached in the results store and shipped precomputed (:mod:`.cache`)."""

from astray.reference.cache import (
    fragment_key,
    reference_curve,
    resolve_method,
    shipped_references,
    write_shipped,
)
from astray.reference.methods import compute_reference, default_method

__all__ = ["compute_reference", "default_method", "fragment_key", "reference_curve",
           "resolve_method", "shipped_references", "write_shipped"]
