"""HDF5 in the ANI-1x / Transition1x layout, walked group by group with h5py.

A *conformer group* is any group holding ``atomic_numbers`` [n_atoms] and ``coordinates``
(ANI-1x) or ``positions`` (Transition1x) [n_conformers, n_atoms, 3] in angstrom, next to
per-conformer energy data sets such as ``wb97x_dz.energy`` (ANI-1x, hartree) or
``wB97x_6-31G(d).energy`` (Transition1x, eV: pass ``energy_unit="eV"``). ANI-1x has one group per
formula; Transition1x nests ``data/<formula>/<reaction>`` with ``reactant``, ``product`` and
``transition_state`` subgroups, all of which are read (use ``group="data"`` to skip its
``train``/``val``/``test`` views; objects reachable by several hard links are read once).
Conformers whose chosen energy (or forces) is NaN - ANI-1x stores NaN where a level of theory was
not computed - are skipped with a warning that counts them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from astray.data.dataset import Structures, kind_code
from astray.data.readers.common import (
    BLOCK_SIZE,
    SkippedStructuresWarning,
    ev_per,
    lowest_multiplicity,
    rebatch,
)
from astray.errors import DatasetError

COORDINATE_KEYS = ("coordinates", "positions")


def read_ani_hdf5(path: str | Path, *, energy_key: str | None = None,
                  forces_key: str | None = None, atomization_key: str | None = None,
                  energy_unit: str = "hartree", kind: str = "unknown", group: str | None = None,
                  block_size: int = BLOCK_SIZE) -> Iterator[Structures]:
    """Blocks of conformers from every conformer group under ``group`` (default: the file).

    ``energy_key`` names the energy data set (required; the error lists those present);
    ``forces_key`` defaults to the energy key with ``energy`` replaced by ``forces`` where such a
    data set exists; ``atomization_key`` names given atomization energies (E - sum E_atoms,
    e.g. Transition1x's ``wB97x_6-31G(d).atomization_energy``). Energies in ``energy_unit``,
    forces in ``energy_unit`` per angstrom.
    """
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise DatasetError(f"not a readable HDF5 file: {error}") from None
    with handle:
        if group is not None and not isinstance(handle.get(group), h5py.Group):
            raise DatasetError(f"no HDF5 group {group!r}")
        root = handle[group] if group else handle
        groups = [(root.name.strip("/"), root)] if _is_conformer_group(root, h5py) else []
        prefix = f"{root.name.strip('/')}/" if group else ""
        root.visititems(lambda name, item: groups.append((prefix + name, item))
                        if _is_conformer_group(item, h5py) else None)
        if not groups:
            raise DatasetError("no group holds atomic_numbers with coordinates or positions "
                               "(not the ANI-1x / Transition1x layout)")
        first_name, first = groups[0]
        if energy_key is None or energy_key not in first:
            found = sorted(key for key in first if "energy" in key)
            raise DatasetError(f"name the energy data set with --energy-key (group {first_name} "
                               f"has {', '.join(found) or 'none'})")
        if forces_key is None and energy_key.endswith("energy"):
            candidate = energy_key[: -len("energy")] + "forces"
            forces_key = candidate if candidate in first else None
        reader = _GroupReader(energy_key, forces_key, atomization_key, ev_per(energy_unit),
                              kind_code(kind), block_size)
        yield from rebatch((block for name, item in groups for block in reader.blocks(name, item)),
                           block_size)
        if reader.skipped:
            warnings.warn(f"{Path(path).name}: skipped {reader.skipped} conformers without a "
                          f"finite {energy_key}", SkippedStructuresWarning, stacklevel=2)


def _is_conformer_group(item, h5py) -> bool:
    return (isinstance(item, h5py.Group) and "atomic_numbers" in item
            and any(key in item for key in COORDINATE_KEYS))


class _GroupReader:
    """Turns one conformer group into blocks of at most ``block_size`` conformers."""

    def __init__(self, energy_key, forces_key, atomization_key, ev, kind, block_size):
        self.keys = {"energy": energy_key, "forces": forces_key,
                     "atomization_energy": atomization_key}
        self.ev, self.kind, self.block_size = ev, kind, block_size
        self.skipped = 0

    def blocks(self, name: str, group) -> Iterator[Structures]:
        numbers = np.asarray(group["atomic_numbers"][()]).astype(np.uint8).reshape(-1)
        coordinates = group[next(key for key in COORDINATE_KEYS if key in group)]
        n_conformers, n_atoms = coordinates.shape[0], len(numbers)
        if coordinates.shape[1:] != (n_atoms, 3):
            raise DatasetError(f"group {name}: coordinates of shape {coordinates.shape} for "
                               f"{n_atoms} atoms")
        columns = {}
        for column, key in self.keys.items():
            if key is None:
                continue
            if key not in group:
                raise DatasetError(f"group {name} has no data set {key!r}")
            expected = (n_conformers, n_atoms, 3) if column == "forces" else (n_conformers,)
            if group[key].shape != expected:
                raise DatasetError(f"group {name}: {key} has shape {group[key].shape}, "
                                   f"expected {expected}")
            columns[column] = group[key]
        multiplicity = lowest_multiplicity(int(numbers.sum()))
        for start in range(0, n_conformers, self.block_size):
            window = slice(start, min(start + self.block_size, n_conformers))
            values = {column: np.asarray(data[window], np.float64) * self.ev
                      for column, data in columns.items()}
            keep = np.all([np.isfinite(v).reshape(len(v), -1).all(axis=1)
                           for v in values.values()], axis=0)
            self.skipped += int((~keep).sum())
            if not keep.any():
                continue
            indices = np.arange(window.start, window.stop)[keep]
            count = len(indices)
            yield Structures(
                numbers=np.tile(numbers, count),
                positions=np.asarray(coordinates[window], np.float64)[keep].reshape(-1, 3),
                offsets=np.arange(count + 1, dtype=np.int64) * n_atoms,
                energy=values["energy"][keep],
                atomization_energy=(values["atomization_energy"][keep]
                                    if "atomization_energy" in values else None),
                forces=(values["forces"][keep].reshape(-1, 3)
                        if "forces" in values else None),
                charge=np.zeros(count, np.int8),
                multiplicity=np.full(count, multiplicity, np.int8),
                kind=np.full(count, self.kind, np.uint8),
                origin=np.array([f"{name}:{i}" for i in indices]))
