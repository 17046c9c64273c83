"""The study's folder format (``paper-npy``): three numpy files of per-molecule arrays.

::

    all_nuclear_charges.npy            per molecule: atomic numbers [n]
    all_xyz_coordinates.npy            per molecule: positions [n, 3], angstrom
    all_total_atomization_energy.npy   per molecule: total atomization energy (TAE), kcal/mol

Lee & Dieng saved the ragged per-molecule lists as numpy *object* arrays, which numpy stores with
pickle. Unpickling can run code hidden in the file, so it happens only when the caller opts in
(the ``allow_pickle`` argument, ``--allow-pickle`` on the command line); object arrays are then
loaded whole (the pickle format cannot be read in parts, about 0.3 GB per million small
molecules), while regular arrays are memory-mapped.

Sign convention: the study's TAE = sum(E_atoms) - E is positive for a bound molecule; astray stores
``atomization_energy = E - sum(E_atoms)`` in eV, negative for a bound molecule, so
``atomization_energy = -TAE * KCAL_MOL_EV``. Total energies are not in the files and stay NaN.
The default kind is ``stable``: GDB-9-G4(MP2) holds equilibrium geometries only (pass
``kind="unknown"`` for VQM24, which also holds saddle points and other stationary structures).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from astray.data.dataset import Structures, kind_code
from astray.data.readers.common import BLOCK_SIZE, ev_per, lowest_multiplicity
from astray.errors import DatasetError

NUMBERS_FILE = "all_nuclear_charges.npy"
POSITIONS_FILE = "all_xyz_coordinates.npy"
TAE_FILE = "all_total_atomization_energy.npy"


def read_paper_npy(path: str | Path, *, allow_pickle: bool = False, energy_unit: str = "kcal/mol",
                   kind: str = "stable", block_size: int = BLOCK_SIZE) -> Iterator[Structures]:
    """Blocks of at most ``block_size`` molecules from a paper-npy folder, checked molecule by
    molecule; ``energy_unit`` is the unit of the TAE file (kcal/mol in the study)."""
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder (paper-npy is a folder holding "
                           f"{NUMBERS_FILE}, {POSITIONS_FILE} and {TAE_FILE})")
    charges, coordinates, tae = (_load(folder / name, allow_pickle)
                                 for name in (NUMBERS_FILE, POSITIONS_FILE, TAE_FILE))
    n = len(charges)
    if not len(coordinates) == len(tae) == n:
        raise DatasetError(f"files of different lengths: {NUMBERS_FILE} has {n} molecules, "
                           f"{POSITIONS_FILE} {len(coordinates)}, {TAE_FILE} {len(tae)}")
    tae_ev = _energies(tae) * ev_per(energy_unit)
    code = kind_code(kind)
    for start in range(0, n, block_size):
        molecules = range(start, min(start + block_size, n))
        numbers = [_atomic_numbers(charges[i], i) for i in molecules]
        positions = [_positions(coordinates[i], len(z), i) for z, i in zip(numbers, molecules)]
        counts = np.array([len(z) for z in numbers])
        electrons = np.array([int(z.sum()) for z in numbers])
        yield Structures(
            numbers=np.concatenate(numbers).astype(np.uint8),
            positions=np.concatenate(positions),
            offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            energy=np.full(len(molecules), np.nan),
            atomization_energy=-tae_ev[start:molecules.stop],
            charge=np.zeros(len(molecules), np.int8),
            multiplicity=lowest_multiplicity(electrons).astype(np.int8),
            kind=np.full(len(molecules), code, np.uint8),
            origin=np.array([f"{folder.name}:{i}" for i in molecules]))


def _load(file: Path, allow_pickle: bool) -> np.ndarray:
    """One of the three files: memory-mapped if it is a regular array, unpickled only if allowed."""
    if not file.is_file():
        raise DatasetError(f"{file.name} is missing (a paper-npy folder holds {NUMBERS_FILE}, "
                           f"{POSITIONS_FILE} and {TAE_FILE})")
    try:
        with open(file, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            dtype = read_header(handle)[2]
    except (ValueError, OSError) as error:
        raise DatasetError(f"{file.name} is not a readable .npy file: {error}") from None
    if dtype.hasobject and not allow_pickle:
        raise DatasetError(f"{file.name} holds Python objects (ragged per-molecule arrays), which "
                           "numpy stores with pickle, and unpickling can run code from the file: "
                           "pass --allow-pickle only for files you trust")
    try:
        return np.load(file, mmap_mode=None if dtype.hasobject else "r",
                       allow_pickle=dtype.hasobject)
    except Exception as error:  # a damaged pickle can fail in any way; name the file instead
        raise DatasetError(f"{file.name} is unreadable (corrupt or truncated): "
                           f"{type(error).__name__}: {error}") from None


def _energies(tae: np.ndarray) -> np.ndarray:
    """The TAE file as a float vector, refusing anything but one finite number per molecule."""
    try:
        values = np.asarray(tae, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != (len(tae),):
        raise DatasetError(f"{TAE_FILE} does not hold one number per molecule")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise DatasetError(f"{TAE_FILE} has {len(bad)} NaN or infinite energies "
                           f"(first: molecule {bad[0]})")
    return values


def _atomic_numbers(charges, index: int) -> np.ndarray:
    z = np.asarray(charges)
    if z.ndim != 1 or len(z) == 0 or z.dtype.kind not in "iuf" or np.any(z != np.round(z)) \
            or z.min() < 1 or z.max() > 118:
        raise DatasetError(f"{NUMBERS_FILE}: molecule {index} does not hold atomic numbers "
                           f"(got {z.tolist()!r:.60})")
    return z.astype(np.uint8)


def _positions(coordinates, n_atoms: int, index: int) -> np.ndarray:
    xyz = np.asarray(coordinates)
    if xyz.shape != (n_atoms, 3) or xyz.dtype.kind not in "iuf":
        raise DatasetError(f"{POSITIONS_FILE}: molecule {index} has coordinates of shape "
                           f"{xyz.shape} for its {n_atoms} nuclear charges, "
                           f"expected ({n_atoms}, 3)")
    if not np.all(np.isfinite(xyz)):
        raise DatasetError(f"{POSITIONS_FILE}: molecule {index} has NaN or infinite coordinates")
    return xyz.astype(np.float64)
