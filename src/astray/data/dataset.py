"""The canonical data set: one folder of packed, memory-mappable numpy arrays plus ``meta.json``.

Layout of a data set folder (format ``astray-dataset/1``)::

    meta.json               name, level of theory, units, isolated-atom energies, source, counts
    numbers.npy             uint8   [n_atoms_total]      atomic numbers
    positions.npy           float64 [n_atoms_total, 3]   angstrom
    offsets.npy             int64   [n_structures + 1]   structure k is atoms offsets[k]:offsets[k+1]
    energy.npy              float64 [n_structures]       total energy, eV (NaN where not known)
    atomization_energy.npy  float64 [n_structures]       E - sum of isolated-atom energies, eV
                                                         (negative for a bound molecule)
    charge.npy              int8    [n_structures]       total charge, e
    multiplicity.npy        int8    [n_structures]       spin multiplicity 2S+1
    kind.npy                uint8   [n_structures]       index into KINDS
    origin.npy              unicode [n_structures]       where each record came from
    forces.npy              float64 [n_atoms_total, 3]   eV/angstrom (only when present)

Arrays are opened with ``mmap_mode="r"``: a data set of a million structures costs no memory until
a slice is read, and no file is ever unpickled.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from ase.data import chemical_symbols

from astray.errors import DatasetError
from astray.store import astray_home

FORMAT = "astray-dataset/1"

#: What a structure is, as stored in ``kind.npy``: equilibrium, a bond pushed in or pulled out,
#: sampled along normal modes, or not stated by the source.
KINDS = ("stable", "compressed", "stretched", "normal-mode", "unknown")
DISTORTED_KINDS = ("compressed", "stretched", "normal-mode")

_PER_STRUCTURE = {"energy": np.float64, "atomization_energy": np.float64, "charge": np.int8,
                  "multiplicity": np.int8, "kind": np.uint8}
_PER_ATOM = {"numbers": np.uint8, "positions": np.float64, "forces": np.float64}


@dataclass
class Structures:
    """A packed block of structures: the unit that readers produce and writers append.

    ``offsets`` has one entry more than there are structures and starts at 0. Energies in eV,
    positions in angstrom, forces in eV/angstrom (``None`` when the source has none).
    """

    numbers: np.ndarray
    positions: np.ndarray
    offsets: np.ndarray
    energy: np.ndarray
    charge: np.ndarray
    multiplicity: np.ndarray
    kind: np.ndarray
    origin: np.ndarray
    atomization_energy: np.ndarray | None = None
    forces: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_list(cls, molecules: list[dict]) -> Structures:
        """Pack a list of dicts with keys numbers, positions, energy (eV) and optionally
        atomization_energy, forces, charge, multiplicity, kind (a name from KINDS), origin."""
        counts = [len(m["numbers"]) for m in molecules]
        has_forces = [m.get("forces") is not None for m in molecules]
        if any(has_forces) and not all(has_forces):
            raise DatasetError("some structures have forces and others do not")
        given_atomization = [m.get("atomization_energy") is not None for m in molecules]
        return cls(
            numbers=np.concatenate([np.asarray(m["numbers"], dtype=np.uint8) for m in molecules]),
            positions=np.concatenate([np.asarray(m["positions"], float).reshape(-1, 3)
                                      for m in molecules]),
            offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            energy=np.array([m.get("energy", np.nan) for m in molecules], float),
            charge=np.array([m.get("charge", 0) for m in molecules], np.int8),
            multiplicity=np.array([m.get("multiplicity", 1) for m in molecules], np.int8),
            kind=np.array([kind_code(m.get("kind", "unknown")) for m in molecules], np.uint8),
            origin=np.array([str(m.get("origin", "")) for m in molecules]),
            atomization_energy=(np.array([m["atomization_energy"] for m in molecules], float)
                                if all(given_atomization) and molecules else None),
            forces=(np.concatenate([np.asarray(m["forces"], float).reshape(-1, 3)
                                    for m in molecules]) if all(has_forces) and molecules
                    else None),
        )


def kind_code(kind: str) -> int:
    """Index of ``kind`` in KINDS, with a clear error for anything else."""
    if kind not in KINDS:
        raise DatasetError(f"unknown structure kind {kind!r}; expected one of {', '.join(KINDS)}")
    return KINDS.index(kind)


class Dataset:
    """A data set folder opened read-only; every array is a memory map."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        meta_file = self.path / "meta.json"
        if not meta_file.is_file():
            raise DatasetError(f"{self.path} is not an astray data set (no meta.json)")
        self.meta = json.loads(meta_file.read_text())
        if self.meta.get("format") != FORMAT:
            raise DatasetError(f"{meta_file}: format {self.meta.get('format')!r}, "
                               f"expected {FORMAT!r}")
        self.numbers = self._array("numbers")
        self.positions = self._array("positions")
        self.offsets = self._array("offsets")
        self.energy = self._array("energy")
        self.atomization_energy = self._array("atomization_energy")
        self.charge = self._array("charge")
        self.multiplicity = self._array("multiplicity")
        self.kind = self._array("kind")
        self.origin = self._array("origin")
        self.forces = self._array("forces") if (self.path / "forces.npy").exists() else None
        self._check_consistent()

    def _array(self, name: str) -> np.ndarray:
        file = self.path / f"{name}.npy"
        if not file.is_file():
            raise DatasetError(f"data set {self.path} is missing {file.name}")
        try:
            return np.load(file, mmap_mode="r", allow_pickle=False)
        except ValueError as error:
            raise DatasetError(f"{file} is unreadable or truncated: {error}") from None

    def _check_consistent(self) -> None:
        n = len(self.offsets) - 1
        n_atoms = len(self.numbers)
        if n < 0 or self.offsets[0] != 0 or self.offsets[-1] != n_atoms:
            raise DatasetError(f"data set {self.path}: offsets do not cover the {n_atoms} atoms")
        for name in _PER_STRUCTURE | {"origin": None}:
            if len(getattr(self, name)) != n:
                raise DatasetError(f"data set {self.path}: {name}.npy has "
                                   f"{len(getattr(self, name))} entries for {n} structures")
        for name in ("positions", "forces"):
            array = getattr(self, name)
            if array is not None and array.shape != (n_atoms, 3):
                raise DatasetError(f"data set {self.path}: {name}.npy has shape {array.shape}, "
                                   f"expected ({n_atoms}, 3)")

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def level_of_theory(self) -> str:
        return self.meta["level_of_theory"]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def structure(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Atomic numbers and positions (angstrom) of one structure."""
        start, stop = self.offsets[index], self.offsets[index + 1]
        return np.asarray(self.numbers[start:stop]), np.asarray(self.positions[start:stop])

    def indices_of(self, subset: str) -> np.ndarray:
        """Structure indices of a subset: ``all``, ``stable``, ``distorted`` or any one kind."""
        kinds = np.asarray(self.kind)
        if subset == "all":
            return np.arange(len(self))
        if subset == "distorted":
            return np.flatnonzero(np.isin(kinds, [KINDS.index(k) for k in DISTORTED_KINDS]))
        if subset in KINDS:
            return np.flatnonzero(kinds == KINDS.index(subset))
        raise DatasetError(f"unknown subset {subset!r}; expected all, distorted or one of "
                           f"{', '.join(KINDS)}")

    def info(self) -> dict:
        """The summary printed by ``astray data info``."""
        kinds = np.bincount(np.asarray(self.kind), minlength=len(KINDS))
        counts = np.diff(np.asarray(self.offsets))
        elements = sorted(set(np.unique(np.asarray(self.numbers)).tolist()))
        return {"name": self.name, "level_of_theory": self.level_of_theory,
                "n_structures": len(self), "n_stable": int(kinds[KINDS.index("stable")]),
                "n_distorted": int(sum(kinds[KINDS.index(k)] for k in DISTORTED_KINDS)),
                "elements": [chemical_symbols[z] for z in elements],
                "max_atoms": int(counts.max()) if len(counts) else 0,
                "has_forces": self.forces is not None, "path": str(self.path),
                "source": self.meta.get("source", "")}


class DatasetWriter:
    """Writes a data set folder block by block, so a reader never holds a large set in memory.

    Blocks are appended to raw files in ``<path>.partial/``; :meth:`close` turns them into .npy
    files and moves the folder into place, so a data set folder is either complete or absent.
    Isolated-atom energies (eV, by element symbol) derive atomization energies for blocks that do
    not give them.
    """

    def __init__(self, path: str | Path, *, name: str, level_of_theory: str,
                 atom_energies_ev: dict[str, float] | None = None, source: str = "",
                 overwrite: bool = False):
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise DatasetError(f"data set {self.path} already exists (use --overwrite)")
        self.partial = self.path.with_name(self.path.name + ".partial")
        shutil.rmtree(self.partial, ignore_errors=True)
        self.partial.mkdir(parents=True)
        self.meta = {"format": FORMAT, "name": name, "level_of_theory": level_of_theory,
                     "energy_unit": "eV", "length_unit": "angstrom",
                     "atom_energies_ev": dict(atom_energies_ev or {}), "source": source}
        self._n_structures = 0
        self._n_atoms = 0
        self._has_forces: bool | None = None
        self._origins: list[np.ndarray] = []
        self._offset_chunks: list[np.ndarray] = [np.zeros(1, np.int64)]

    def append(self, block: Structures) -> None:
        """Append a block of structures (validated: shapes, finite energies and positions)."""
        validate(block)
        if self._has_forces is None:
            self._has_forces = block.forces is not None
        elif self._has_forces != (block.forces is not None):
            raise DatasetError("some structures have forces and others do not")
        atomization = (block.atomization_energy if block.atomization_energy is not None
                       else self.atomization_energies(block))
        columns = {"numbers": block.numbers, "positions": block.positions,
                   "energy": block.energy, "atomization_energy": atomization,
                   "charge": block.charge, "multiplicity": block.multiplicity,
                   "kind": block.kind}
        if self._has_forces:
            columns["forces"] = block.forces
        for name, values in columns.items():
            dtype = (_PER_STRUCTURE | _PER_ATOM)[name]
            with open(self.partial / f"{name}.raw", "ab") as raw:
                raw.write(np.ascontiguousarray(values, dtype=dtype).tobytes())
        self._offset_chunks.append(block.offsets[1:] + self._n_atoms)
        self._origins.append(np.asarray(block.origin, dtype=str))
        self._n_structures += len(block)
        self._n_atoms += int(block.offsets[-1])

    def atomization_energies(self, block: Structures) -> np.ndarray:
        """E - sum of isolated-atom energies (eV) for each structure of ``block``."""
        table = self.meta["atom_energies_ev"]
        missing = {chemical_symbols[z] for z in np.unique(block.numbers)} - set(table)
        if missing:
            raise DatasetError(f"no isolated-atom energy for {', '.join(sorted(missing))} at "
                               f"{self.meta['level_of_theory']}: give atom energies or "
                               "atomization energies")
        per_atom = np.array([table.get(symbol, np.nan) for symbol in chemical_symbols])
        sums = np.add.reduceat(per_atom[block.numbers], block.offsets[:-1]) if len(block) else []
        return block.energy - np.asarray(sums)

    def close(self, **extra_meta) -> Dataset:
        """Finish the .npy files and meta.json and move the folder into place."""
        if self._n_structures == 0:
            shutil.rmtree(self.partial)
            raise DatasetError("no structures to write")
        for name, dtype in (_PER_STRUCTURE | _PER_ATOM).items():
            raw = self.partial / f"{name}.raw"
            if not raw.exists():
                continue
            _raw_to_npy(raw, self.partial / f"{name}.npy", np.dtype(dtype),
                        columns=3 if name in ("positions", "forces") else 1)
        np.save(self.partial / "offsets.npy", np.concatenate(self._offset_chunks))
        np.save(self.partial / "origin.npy", np.concatenate(self._origins))
        self.meta.update(extra_meta, n_structures=self._n_structures)
        (self.partial / "meta.json").write_text(json.dumps(self.meta, indent=1) + "\n")
        if self.path.exists():
            shutil.rmtree(self.path)
        os.replace(self.partial, self.path)
        return Dataset(self.path)


def _raw_to_npy(raw: Path, npy: Path, dtype: np.dtype, columns: int) -> None:
    """Prefix the raw bytes with an .npy header by streaming them, so closing a writer never
    loads a column (hundreds of MB for a million structures) into memory."""
    rows = raw.stat().st_size // (dtype.itemsize * columns)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": (rows, 3) if columns == 3 else (rows,)}
    with open(npy, "wb") as out, open(raw, "rb") as source:
        np.lib.format.write_array_header_1_0(out, header)
        shutil.copyfileobj(source, out, length=1 << 20)
    raw.unlink()


def validate(block: Structures) -> None:
    """Refuse a block whose arrays disagree in length or hold NaN/inf, naming the problem."""
    n, n_atoms = len(block), len(block.numbers)
    if block.offsets[0] != 0 or block.offsets[-1] != n_atoms or np.any(np.diff(block.offsets) < 1):
        raise DatasetError(f"offsets do not split {n_atoms} atoms into {n} non-empty structures")
    if block.positions.shape != (n_atoms, 3):
        raise DatasetError(f"positions have shape {block.positions.shape}, "
                           f"expected ({n_atoms}, 3)")
    if block.forces is not None and block.forces.shape != (n_atoms, 3):
        raise DatasetError(f"forces have shape {block.forces.shape}, expected ({n_atoms}, 3)")
    for name in ("energy", "charge", "multiplicity", "kind", "origin"):
        if len(getattr(block, name)) != n:
            raise DatasetError(f"{len(getattr(block, name))} {name} values for {n} structures")
    if not np.all(np.isfinite(block.positions)):
        raise DatasetError("positions contain NaN or infinite values")
    energies = block.atomization_energy if block.atomization_energy is not None else block.energy
    bad = np.flatnonzero(~np.isfinite(energies))
    if len(bad):
        raise DatasetError(f"{len(bad)} structures have NaN or infinite energies "
                           f"(first: structure {bad[0]}, origin {block.origin[bad[0]]!r})")


#: What a data set's name may be: one folder name under ``$ASTRAY_HOME/datasets``.
DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_dataset_name(name: str) -> str:
    """``name`` if it can name a data set: letters, digits, '.', '_' and '-', not starting with
    a dot (so it stays one folder under ``$ASTRAY_HOME``), and not a shipped data set's name."""
    if not DATASET_NAME.fullmatch(name):
        raise DatasetError(f"data set name {name!r}: use letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit")
    if (shipped_root() / name).exists():
        raise DatasetError(f"{name!r} is a data set shipped with astray; choose another name")
    return name


def shipped_root() -> Path:
    """Data sets that ship inside the package (``default`` and the tiny test set)."""
    return Path(str(resources.files("astray.data"))) / "shipped"


def home_root() -> Path:
    """Data sets the user imported or built: ``$ASTRAY_HOME/datasets``."""
    return astray_home() / "datasets"


def dataset_path(name: str) -> Path:
    """Where the named data set lives: a path as given, a shipped set, or ``$ASTRAY_HOME/datasets``."""
    for candidate in (Path(name), shipped_root() / name, home_root() / name):
        if (candidate / "meta.json").is_file():
            return candidate
    return home_root() / name


def open_dataset(name: str | Path) -> Dataset:
    """Open a data set by name (shipped or under ``$ASTRAY_HOME/datasets``) or by folder path."""
    path = dataset_path(str(name))
    if not (path / "meta.json").is_file():
        known = ", ".join(sorted(available_datasets())) or "none"
        raise DatasetError(f"no data set {name!r} (known: {known}); import or build one with "
                           "`astray data import` / `astray data build`")
    return Dataset(path)


def available_datasets() -> dict[str, Path]:
    """Every data set found: shipped ones first, then those under ``$ASTRAY_HOME/datasets``."""
    found = {}
    for root in (home_root(), shipped_root()):
        if root.is_dir():
            found.update({p.name: p for p in sorted(root.iterdir()) if (p / "meta.json").is_file()})
    return found
