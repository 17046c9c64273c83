"""Readers: every source format streamed as bounded blocks of :class:`Structures`.

========== ================================================ ========================
format     source                                           energies by default
========== ================================================ ========================
paper-npy  the study's folder of numpy object arrays         TAE, kcal/mol (pickle!)
extxyz     extended XYZ (``ase.io.iread``)                   calculator energy, eV
ase-db     ASE database: SQLite ``.db`` or ``postgresql://`` calculator energy, eV
ani-hdf5   ANI-1x / Transition1x HDF5 (h5py)                 ``--energy-key``, hartree
========== ================================================ ========================

Every block is converted to astray's units (eV, angstrom, eV/angstrom) and sign convention
(atomization energy = E - sum of isolated-atom energies, negative for a bound molecule).
"""

from __future__ import annotations

import inspect
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from astray.data.dataset import Dataset, DatasetWriter, Structures, check_dataset_name, home_root
from astray.data.readers.ani_hdf5 import read_ani_hdf5
from astray.data.readers.ase_db import URL_SCHEMES, read_ase_db
from astray.data.readers.common import parse_atom_energies
from astray.data.readers.extxyz import read_extxyz
from astray.data.readers.paper_npy import read_paper_npy
from astray.errors import DatasetError

READERS = {"paper-npy": read_paper_npy, "extxyz": read_extxyz, "ase-db": read_ase_db,
           "ani-hdf5": read_ani_hdf5}
SUFFIXES = {".extxyz": "extxyz", ".xyz": "extxyz", ".db": "ase-db", ".h5": "ani-hdf5",
            ".hdf5": "ani-hdf5"}


def guess_format(path: str | Path) -> str:
    """The format a path most likely holds: a folder is paper-npy, a URL an ASE database, a
    file goes by its suffix."""
    name = str(path)
    if name.startswith(URL_SCHEMES):
        return "ase-db"
    if Path(name).is_dir():
        return "paper-npy"
    if Path(name).suffix.lower() in SUFFIXES:
        return SUFFIXES[Path(name).suffix.lower()]
    raise DatasetError(f"cannot tell the format of {name} from its name; give --format "
                       f"({', '.join(READERS)})")


def read(path: str | Path, format: str | None = None, **options) -> Iterator[Structures]:
    """Blocks of structures from ``path`` in ``format`` (guessed from the path when None).

    ``options`` are the reader's keyword arguments (None means the reader's default); one the
    format does not take is an error. Errors name the file.
    """
    format = format or guess_format(path)
    if format not in READERS:
        raise DatasetError(f"unknown format {format!r}; expected one of {', '.join(READERS)}")
    reader = READERS[format]
    options = {key: value for key, value in options.items() if value is not None}
    unknown = sorted(set(options) - set(inspect.signature(reader).parameters))
    if unknown:
        flags = ", ".join("--" + key.replace("_", "-") for key in unknown)
        raise DatasetError(f"format {format} does not take {flags}")
    return _naming(path, reader(path, **options))


def import_dataset(path: str | Path, name: str, *, format: str | None = None,
                   level_of_theory: str | None = None, atom_energies: str | None = None,
                   overwrite: bool = False, progress: Callable[[int], None] | None = None,
                   **options) -> Dataset:
    """Read ``path`` into ``$ASTRAY_HOME/datasets/<name>``, block by block, and open it.

    ``atom_energies``: JSON (text or file) of isolated-atom energies in the source's energy unit,
    at the same level of theory, deriving atomization energies for structures that do not carry
    them. ``progress`` is called with the number of structures written so far. The folder appears
    only when complete.
    """
    format = format or guess_format(path)
    check_dataset_name(name)
    blocks = read(path, format, **options)
    unit = options.get("energy_unit") or inspect.signature(
        READERS[format]).parameters["energy_unit"].default
    writer = DatasetWriter(home_root() / name, name=name,
                           level_of_theory=level_of_theory or f"unknown ({format})",
                           atom_energies_ev=(parse_atom_energies(atom_energies, unit)
                                             if atom_energies else None),
                           source=f"{format}:{_display(path)}", overwrite=overwrite)
    written = 0
    try:
        for block in blocks:
            _call_naming(path, writer.append, block)
            written += len(block)
            if progress:
                progress(written)
        return _call_naming(path, writer.close, import_options={
            key: value for key, value in options.items() if value is not None})
    finally:
        shutil.rmtree(writer.partial, ignore_errors=True)


def _call_naming(path, function, *args, **kwargs):
    """``function(*args, **kwargs)`` with its DatasetError prefixed by the source's name."""
    try:
        return function(*args, **kwargs)
    except DatasetError as error:
        raise DatasetError(f"{_display(path)}: {error}") from None


def _naming(path, blocks: Iterator[Structures]) -> Iterator[Structures]:
    try:
        yield from blocks
    except DatasetError as error:
        raise DatasetError(f"{_display(path)}: {error}") from None


def _display(path) -> str:
    """The path as shown in messages and provenance, without credentials in a database URL."""
    return re.sub(r"//[^/@]*@", "//", str(path))
