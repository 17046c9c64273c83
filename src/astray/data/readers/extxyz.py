"""Extended XYZ files, streamed frame by frame with ``ase.io.iread``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ase.io

from astray.data.dataset import Structures
from astray.data.readers.ase_atoms import atoms_blocks
from astray.data.readers.common import BLOCK_SIZE
from astray.errors import DatasetError


def read_extxyz(path: str | Path, *, energy_key: str | None = None, forces_key: str | None = None,
                atomization_key: str | None = "atomization_energy", energy_unit: str = "eV",
                kind: str = "unknown", block_size: int = BLOCK_SIZE) -> Iterator[Structures]:
    """Blocks of structures from an extxyz file; the options are those of
    :func:`astray.data.readers.ase_atoms.atoms_blocks` (energies in eV unless ``energy_unit``)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError("no such file")
    frames = ase.io.iread(path, index=":", format="extxyz")
    items = ((atoms, atoms.info, f"{path.name}:{i}") for i, atoms in enumerate(frames))
    try:
        yield from atoms_blocks(items, energy_key=energy_key, forces_key=forces_key,
                                atomization_key=atomization_key, energy_unit=energy_unit,
                                kind=kind, block_size=block_size)
    except (ValueError, KeyError, IndexError, OSError) as error:  # ASE's parse errors
        raise DatasetError(f"not a readable extxyz file: {type(error).__name__}: {error}") from None
