"""ASE ``Atoms`` to astray records: what the extxyz and ASE-database readers share.

Per structure, from ``info`` (extxyz comment keys, or an ASE database row's key-value pairs):
``charge`` (default 0), ``multiplicity`` (or ``spin``, the OMol25/fairchem name for 2S+1; default
the lowest the electron count allows), ``kind`` (default: the reader's ``kind``), ``origin``
(default: file and index) and ``atomization_energy`` (E - sum of isolated-atom energies, negative
when bound, as ``astray data export`` writes it). Positions are angstrom, as in ASE.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from ase import Atoms

from astray.data.dataset import Structures, kind_code
from astray.data.readers.common import ev_per, lowest_multiplicity, records_to_blocks
from astray.errors import DatasetError


def atoms_blocks(items: Iterable[tuple[Atoms, dict, str]], *, energy_key: str | None,
                 forces_key: str | None, atomization_key: str | None, energy_unit: str,
                 kind: str, block_size: int) -> Iterator[Structures]:
    """Blocks of records from ``(atoms, info, default origin)`` triples.

    ``energy_key``: info key or calculator result holding the total energy (default: the
    calculator's ``energy``, else ``info["energy"]``). ``forces_key``: per-atom array or
    calculator result (default ``forces`` when present). ``atomization_key``: info key of given
    atomization energies, used where present (a file must give them for all structures or none).
    Energies are in ``energy_unit``, forces in ``energy_unit`` per angstrom.
    """
    ev = ev_per(energy_unit)
    kind_code(kind)  # refuse an unknown default kind even if every structure names its own
    seen = {"atomization energies": None, "forces": None}

    def record(index: int, atoms: Atoms, info: dict, origin: str) -> dict:
        results = atoms.calc.results if atoms.calc is not None else {}
        where = f"structure {index} ({info.get('origin', origin)})"
        atomization = info.get(atomization_key) if atomization_key else None
        forces = _lookup(forces_key or "forces", atoms.arrays, results)
        for name, value in (("atomization energies", atomization), ("forces", forces)):
            if forces_key and name == "forces" and value is None:
                raise DatasetError(f"{where} has no forces {forces_key!r}")
            if seen[name] is None:
                seen[name] = value is not None
            elif seen[name] != (value is not None):
                raise DatasetError(f"{where}: some structures have {name} and others do not")
        energy = _lookup(energy_key or "energy", info, results)
        if energy is None and (energy_key or atomization is None):
            raise DatasetError(f"{where} has no energy {energy_key or 'energy'!r} (name the field "
                               "with --energy-key)")
        charge = _integer(info.get("charge", 0), "charge", where)
        multiplicity = info.get("multiplicity", info.get("spin"))
        return {"numbers": atoms.numbers, "positions": atoms.positions,
                "energy": np.nan if energy is None else float(energy) * ev,
                "atomization_energy": None if atomization is None else float(atomization) * ev,
                "forces": None if forces is None else np.asarray(forces, float) * ev,
                "charge": charge,
                "multiplicity": (lowest_multiplicity(int(atoms.numbers.sum()) - charge)
                                 if multiplicity is None
                                 else _integer(multiplicity, "multiplicity", where)),
                "kind": str(info.get("kind", kind)), "origin": str(info.get("origin", origin))}

    records = (record(i, atoms, info, origin) for i, (atoms, info, origin) in enumerate(items))
    yield from records_to_blocks(records, block_size)


def _lookup(key: str, first: dict, second: dict):
    """``key`` from the first mapping that has it, else None."""
    return first[key] if key in first else second.get(key)


def _integer(value, name: str, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or value != round(value):
        raise DatasetError(f"{where}: {name} {value!r} is not an integer")
    return int(round(value))
