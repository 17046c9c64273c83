"""JSON files that a kill never leaves half-written, and that other programs can parse.

Written to a temporary file in the same folder and renamed into place (``os.replace`` is atomic
on POSIX), so a reader sees the old file or the new one, never a torn one. Strict JSON: NaN and
infinities must be turned into ``null`` first (:func:`astray.probes.curves.to_json_safe`);
``allow_nan=False`` makes a forgotten one an error here rather than a file that JSON parsers
other than Python's reject.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


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
