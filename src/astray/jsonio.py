"""Files that a kill never leaves half-written and a planted link never redirects; JSON that
other programs can parse.

Every file astray writes into a user's folder (JSON, PNG, HTML, copied checkpoints) goes through
:func:`atomic_file`: a temporary file in the same folder, created exclusively (``O_CREAT |
O_EXCL | O_NOFOLLOW``, a random name: a file or link already there under that name is never
opened), then renamed into place. ``os.replace`` is atomic on POSIX, so a reader sees the old
file or the new one, never a torn one; and it replaces a symbolic link at the destination
itself, so a link planted in a copied or downloaded folder is never written through. A write
that fails (a full disk, an unserialisable value) leaves the old file and no temporary.

Strict JSON: NaN and infinities must be turned into ``null`` first (:func:`to_json_safe`);
``allow_nan=False`` makes a forgotten one an error here rather than a file that JSON parsers
other than Python's reject.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: Flags of a temporary file: created here and now, never an existing file or link.
_EXCLUSIVE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))


@contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write whose content appears at ``path`` only when the block ends without
    an error (atomically, replacing a link there instead of following it); otherwise ``path``
    is left as it was and the temporary file is removed."""
    path = Path(path)
    for _ in range(100):
        # the name stays within NAME_MAX (255 bytes) however long the destination's name is
        temporary = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(temporary, _EXCLUSIVE, 0o666)  # mode as umask allows
            break
        except FileExistsError:  # anything already there, a link included, is left alone
            continue
    else:
        raise FileExistsError(f"cannot create a temporary file beside {path}")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, never through a link (see :func:`atomic_file`)."""
    with atomic_file(path) as handle:
        handle.write(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, never through a link (see :func:`atomic_file`)."""
    return write_bytes_atomic(path, text.encode(encoding))


def write_json_atomic(path: str | Path, data, *, indent: int | None = 1) -> Path:
    """Write ``data`` as strict JSON to ``path`` atomically; returns the path."""
    # serialised first: a value JSON cannot hold fails before any file is created
    return write_text_atomic(path, json.dumps(data, indent=indent, allow_nan=False))


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


def is_number(value) -> bool:
    """A JSON number as read back: int or float, not a bool (True is an int in Python)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def are_numbers(value, nullable: bool = False) -> bool:
    """A JSON list of numbers (with ``nullable``, null allowed: astray writes NaN as null)."""
    return isinstance(value, (list, tuple)) and all(
        is_number(v) or (nullable and v is None) for v in value)

