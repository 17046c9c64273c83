"""ASE databases: an SQLite ``.db`` file or a ``postgresql://`` URL, read row by row."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from astray.data.dataset import Structures
from astray.data.readers.ase_atoms import atoms_blocks
from astray.data.readers.common import BLOCK_SIZE
from astray.errors import DatasetError

URL_SCHEMES = ("postgresql://", "postgres://")


def read_ase_db(path: str | Path, *, energy_key: str | None = None, forces_key: str | None = None,
                atomization_key: str | None = "atomization_energy", energy_unit: str = "eV",
                kind: str = "unknown", block_size: int = BLOCK_SIZE) -> Iterator[Structures]:
    """Blocks of structures from an ASE database; charge, multiplicity, kind, origin and given
    atomization energies come from each row's key-value pairs (see ``ase_atoms``)."""
    from ase.db import connect

    name = str(path)
    is_url = name.startswith(URL_SCHEMES)
    if not is_url and not Path(name).is_file():
        raise DatasetError("no such ASE database file")  # connect() would create an empty one
    label = "postgresql" if is_url else Path(name).name
    try:
        rows = connect(name, type="postgresql" if is_url else "db").select()
        items = ((row.toatoms(), dict(row.key_value_pairs), f"{label}:{row.id}") for row in rows)
        yield from atoms_blocks(items, energy_key=energy_key, forces_key=forces_key,
                                atomization_key=atomization_key, energy_unit=energy_unit,
                                kind=kind, block_size=block_size)
    except (sqlite3.Error, ImportError, ValueError, KeyError, OSError) as error:
        raise DatasetError(f"not a readable ASE database: {type(error).__name__}: "
                           f"{error}") from None
