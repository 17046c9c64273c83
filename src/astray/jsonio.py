"""JSON files that a kill never leaves half-written, and that other programs can parse.

Written to a temporary file in the same folder and renamed into place (``os.replace`` is atomic
on POSIX), so a reader sees the old file or the new one, never a torn one. Strict JSON: NaN and
infinities must be turned into ``null`` first (:func:`to_json_safe`);
``allow_nan=False`` makes a forgotten one an error here rather than a file that JSON parsers
other than Python's reject.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np


def write_json_atomic(path: str | Path, data, *, indent: int | None = 1) -> Path:
    """Write ``data`` as strict JSON to ``path`` atomically; returns the path."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(data, indent=indent, allow_nan=False))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def json_number(value):
    """A JSON-ready scalar: numpy scalars to Python, NaN and infinities to None."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def to_json_safe(value):
    """Arrays and tuples to lists, NaN/inf to None, numpy scalars to Python: strict JSON."""
    if isinstance(value, dict):
        return {key: to_json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_json_safe(item) for item in value]
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return json_number(value)
    return value
