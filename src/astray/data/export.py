"""Export a data set to extended XYZ that any ASE-based tool reads, and astray reads back exactly.

Each frame carries ``energy`` (total, eV; NaN where the source gave only atomization energies),
``atomization_energy`` (E - sum of isolated-atom energies, eV, negative when bound), ``charge``,
``multiplicity``, ``kind``, ``origin`` and, when the data set has them, per-atom ``forces``
(eV/angstrom). Numbers are written with Python's shortest round-trip representation (ASE's own
writer rounds positions to 8 decimals), so importing the file again gives identical float64 arrays.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ase.data import chemical_symbols
from ase.io.extxyz import escape, key_val_dict_to_str, key_val_str_to_dict

from astray.data.dataset import KINDS, Dataset
from astray.errors import DatasetError

#: Structures read from the memory maps at a time.
CHUNK = 10_000


def export_extxyz(dataset: Dataset, out: str | Path, *, overwrite: bool = False,
                  progress: Callable[[int], None] | None = None) -> int:
    """Write every structure of ``dataset`` to ``out``; returns how many. The file appears only
    when complete. ``progress`` is called with the number of structures written so far."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise DatasetError(f"{out} already exists (use --overwrite)")
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "w") as handle:
            for start in range(0, len(dataset), CHUNK):
                stop = min(start + CHUNK, len(dataset))
                handle.writelines(_frames(dataset, start, stop))
                if progress:
                    progress(stop)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return len(dataset)


def _frames(dataset: Dataset, start: int, stop: int):
    """extxyz text of structures ``start:stop``, one frame at a time."""
    offsets = np.asarray(dataset.offsets[start:stop + 1])
    atoms = slice(offsets[0], offsets[-1])
    symbols = np.array(chemical_symbols)[np.asarray(dataset.numbers[atoms])]
    columns = [np.asarray(dataset.positions[atoms])]
    properties = "species:S:1:pos:R:3"
    if dataset.forces is not None:
        columns.append(np.asarray(dataset.forces[atoms]))
        properties += ":forces:R:3"
    values = np.hstack(columns).tolist()
    local = offsets - offsets[0]
    per_structure = {name: np.asarray(getattr(dataset, name)[start:stop]).tolist()
                     for name in ("energy", "atomization_energy", "charge", "multiplicity",
                                  "kind", "origin")}
    for k in range(stop - start):
        info = {"energy": per_structure["energy"][k],
                "atomization_energy": per_structure["atomization_energy"][k],
                "charge": per_structure["charge"][k],
                "multiplicity": per_structure["multiplicity"][k],
                "kind": KINDS[per_structure["kind"][k]], "pbc": np.zeros(3, bool)}
        rows = range(local[k], local[k + 1])
        yield (f"{len(rows)}\nProperties={properties} {key_val_dict_to_str(info)}"
               f"{_origin_field(per_structure['origin'][k])}\n"
               + "".join(f"{symbols[i]} {' '.join(map(repr, values[i]))}\n" for i in rows))


def _origin_field(origin: str) -> str:
    """`` origin=...`` as ASE will read it back: ASE turns values that look like numbers or
    booleans into them, so those are written in ASE's ``_JSON`` form. ASE cannot read an empty
    value back, so an empty origin is left out (a reader then names file and index)."""
    if not origin:
        return ""
    plain = key_val_dict_to_str({"origin": origin})
    if key_val_str_to_dict(plain).get("origin") == origin:
        return " " + plain
    return " origin=" + escape("_JSON " + json.dumps(origin))
