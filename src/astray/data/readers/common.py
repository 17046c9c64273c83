"""What every reader shares: energy units, default spin, packing records into bounded blocks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from ase.data import atomic_numbers

from astray.data.dataset import Structures
from astray.errors import DatasetError
from astray.units import HARTREE_EV, KCAL_MOL_EV

#: Energy units a source may use, as the factor that converts them to eV. Forces in a source are
#: read in the same energy unit per angstrom.
ENERGY_UNITS = {"eV": 1.0, "hartree": HARTREE_EV, "kcal/mol": KCAL_MOL_EV}

class SkippedStructuresWarning(UserWarning):
    """A reader left out structures the source marks as not computed; the message counts them."""


#: Structures per block: a reader never holds more than about this many records at once.
BLOCK_SIZE = 10_000


def ev_per(unit: str) -> float:
    """Factor converting an energy in ``unit`` (eV, hartree or kcal/mol) to eV."""
    if unit not in ENERGY_UNITS:
        raise DatasetError(f"unknown energy unit {unit!r}; expected one of "
                           f"{', '.join(ENERGY_UNITS)}")
    return ENERGY_UNITS[unit]


def lowest_multiplicity(electrons):
    """Spin multiplicity 2S+1 of the lowest spin state an electron count (integer or array)
    allows: 1 for an even count, 2 for an odd one. The default when a source states none."""
    return 1 + np.asarray(electrons) % 2


def parse_atom_energies(text: str, unit: str) -> dict[str, float]:
    """Isolated-atom energies from JSON (inline or a file name): ``{"H": -0.5, "C": -37.8}`` in
    ``unit``, returned in eV. They must be of the same level of theory as the structures."""
    source = Path(text).read_text() if Path(text).is_file() else text
    try:
        table = json.loads(source)
    except json.JSONDecodeError as error:
        raise DatasetError(f"--atom-energies is neither a JSON file nor JSON text: "
                           f"{error}") from None
    if not isinstance(table, dict):
        raise DatasetError('--atom-energies must map element symbols to energies, e.g. {"H": -0.5}')
    energies = {}
    for symbol, value in table.items():
        if symbol not in atomic_numbers:
            raise DatasetError(f"--atom-energies: {symbol!r} is not an element symbol")
        if not isinstance(value, (int, float)) or not np.isfinite(value):
            raise DatasetError(f"--atom-energies: energy of {symbol} is not a finite number")
        energies[symbol] = float(value) * ev_per(unit)
    return energies


def records_to_blocks(records: Iterable[dict], size: int = BLOCK_SIZE) -> Iterator[Structures]:
    """Pack per-structure dicts (see :meth:`Structures.from_list`) into blocks of ``size``."""
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield Structures.from_list(chunk)
            chunk = []
    if chunk:
        yield Structures.from_list(chunk)


def concatenate(blocks: list[Structures]) -> Structures:
    """One block holding the structures of ``blocks`` in order."""
    atom_counts = np.cumsum([0] + [len(b.numbers) for b in blocks[:-1]])

    def joined(name):
        parts = [getattr(b, name) for b in blocks]
        if all(part is None for part in parts):
            return None
        if any(part is None for part in parts):
            raise DatasetError(f"some structures have {name.replace('_', ' ')} and others do not")
        return np.concatenate(parts)
    return Structures(
        numbers=joined("numbers"), positions=joined("positions"),
        offsets=np.concatenate([[0]] + [b.offsets[1:] + start
                                        for b, start in zip(blocks, atom_counts)]),
        energy=joined("energy"), charge=joined("charge"), multiplicity=joined("multiplicity"),
        kind=joined("kind"), origin=joined("origin"),
        atomization_energy=joined("atomization_energy"), forces=joined("forces"))


def rebatch(blocks: Iterable[Structures], size: int = BLOCK_SIZE) -> Iterator[Structures]:
    """Merge small blocks (one per HDF5 group, say) into blocks of at least ``size`` structures
    (the last may be smaller), so that writing is not dominated by per-block overhead."""
    pending, count = [], 0
    for block in blocks:
        pending.append(block)
        count += len(block)
        if count >= size:
            yield concatenate(pending)
            pending, count = [], 0
    if pending:
        yield concatenate(pending)
