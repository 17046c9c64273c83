"""Which interatomic distances a data set covers, per element pair, and where a probe leaves them.

A model trained on structures whose two H atoms are never closer than 1.4 angstrom has seen no
H-H repulsion at all: whatever it predicts for H2 at 0.5 angstrom is extrapolation. These
functions say, for every element pair present in a set of structures, the shortest and the
longest distance between two atoms of that pair (over all atom pairs of each structure, bonded
or not, at any range), and which points of a probe grid fall outside that range.

Pair names put the two element symbols in alphabetical order, joined by ``-``: ``"C-H"``,
``"H-H"``, ``"H-O"``, ``"F-N"``. (Alphabetical, not by atomic number, so carbon-hydrogen reads
``C-H`` as chemists write it; :func:`pair_name` turns any spelling into this one.)

Measured on the shipped sets (2-core machine, every structure, first call with the memory maps
cold): ``default`` (4,085 structures, up to 16 atoms) 0.02 s, ``xtb`` (15,520 structures, up to
17 atoms) 0.04 s: structures are grouped by atom count and each group is one array operation.
Shortest H-H distance (angstrom): 1.544 in the stable structures of both sets (the H atoms of
water); with distortions 1.410 in ``default`` (a compressed N-H bond of NCN) and 1.370 in
``xtb`` (a compressed O-H bond of water, which closes the H-O-H angle). So no shipped set holds
two H atoms closer than 1.37 angstrom, 1.85 times the bond length of H2 (0.741).
"""

from __future__ import annotations

import numpy as np
from ase.data import atomic_numbers, chemical_symbols

from astray.errors import DatasetError

#: Structures per array operation: a group of 17-atom structures uses 136 pairs x 3 x 8 bytes
#: per structure, so 20,000 of them are about 65 MB at once.
CHUNK_STRUCTURES = 20_000


def pair_name(first: str | int, second: str | int) -> str:
    """The canonical name of an element pair: symbols (or atomic numbers) in alphabetical order
    of their symbols, e.g. ``pair_name("H", "C") == pair_name(6, 1) == "C-H"``."""
    symbols = sorted(_symbol(e) for e in (first, second))
    return f"{symbols[0]}-{symbols[1]}"


def _symbol(element: str | int) -> str:
    if isinstance(element, (int, np.integer)):
        if not 0 < int(element) < len(chemical_symbols):
            raise DatasetError(f"no element with atomic number {element}")
        return chemical_symbols[int(element)]
    if element not in atomic_numbers:
        raise DatasetError(f"unknown element {element!r}")
    return str(element)


def _parse_pair(pair: str | tuple) -> str:
    if isinstance(pair, str):
        parts = pair.split("-")
        if len(parts) != 2:
            raise DatasetError(f"an element pair is written like 'C-H', got {pair!r}")
        return pair_name(*parts)
    first, second = pair
    return pair_name(first, second)


def pair_distance_ranges(dataset, indices=None) -> dict[str, tuple[float, float]]:
    """Shortest and longest interatomic distance (angstrom) of every element pair present.

    Args:
        dataset: an :class:`astray.data.dataset.Dataset` (or anything with ``numbers``,
            ``positions`` in angstrom and ``offsets`` arrays laid out the same way).
        indices: structure indices to cover (e.g. a run's training set); None: every structure.

    Returns:
        ``{"C-H": (shortest, longest), "H-H": (...), ...}``, pairs named by :func:`pair_name`
        and sorted by name; a pair appears once two atoms of it share a structure. Distances
        are over every atom pair of a structure (not only bonds) and never across structures.
    """
    offsets = np.asarray(dataset.offsets)
    selected = (np.arange(len(offsets) - 1) if indices is None
                else np.asarray(indices, dtype=np.int64).reshape(-1))
    if len(selected) and (selected.min() < 0 or selected.max() >= len(offsets) - 1):
        raise DatasetError(f"structure indices must lie in 0..{len(offsets) - 2}")
    starts, counts = offsets[selected], np.diff(offsets)[selected]
    shortest, longest = np.full(128 * 128, np.inf), np.full(128 * 128, -np.inf)
    for n_atoms in np.unique(counts[counts > 1]):
        group = starts[counts == n_atoms]
        first, second = np.triu_indices(int(n_atoms), 1)
        for chunk in range(0, len(group), CHUNK_STRUCTURES):
            atoms = group[chunk:chunk + CHUNK_STRUCTURES, None] + np.arange(n_atoms)
            # positions[atoms] copies only these structures' atoms out of the memory map
            positions = np.asarray(dataset.positions[atoms.ravel()]).reshape(-1, n_atoms, 3)
            numbers = np.asarray(dataset.numbers[atoms.ravel()]).reshape(-1, n_atoms)
            distance = np.linalg.norm(positions[:, first] - positions[:, second], axis=-1)
            low = np.minimum(numbers[:, first], numbers[:, second]).astype(np.int64)
            high = np.maximum(numbers[:, first], numbers[:, second]).astype(np.int64)
            code = (low * 128 + high).ravel()
            np.minimum.at(shortest, code, distance.ravel())
            np.maximum.at(longest, code, distance.ravel())
    ranges = {}
    for code in np.flatnonzero(np.isfinite(shortest)):
        low, high = divmod(int(code), 128)
        ranges[pair_name(low, high)] = (float(shortest[code]), float(longest[code]))
    return dict(sorted(ranges.items()))


def outside_coverage(ranges: dict[str, tuple[float, float]], pair: str | tuple,
                     r_grid) -> dict:
    """Which points of a probe grid lie outside the distances a data set covers for ``pair``.

    Args:
        ranges: the result of :func:`pair_distance_ranges` (values as tuples or 2-lists).
        pair: ``"H-H"``, ``("H", "C")`` or ``(1, 6)``: any order and spelling.
        r_grid: the probe's distances, angstrom.

    Returns:
        ``{"pair", "covered", "shortest_angstrom", "longest_angstrom", "n_points", "n_below",
        "n_above", "n_outside", "fraction_outside", "below_r_angstrom", "above_r_angstrom"}``:
        ``n_below`` points lie below the shortest training distance of the pair, ``n_above``
        above the longest; ``below_r_angstrom`` / ``above_r_angstrom`` are ``[smallest,
        largest]`` r of those points (None where there are none). A pair the data never holds
        (``covered`` False) has None for its range, and every point counts as outside (in
        ``n_outside``, not in ``n_below`` or ``n_above``).
    """
    name = _parse_pair(pair)
    r = np.asarray(r_grid, dtype=float).reshape(-1)
    record = {"pair": name, "covered": name in ranges, "shortest_angstrom": None,
              "longest_angstrom": None, "n_points": int(len(r)), "n_below": 0, "n_above": 0,
              "n_outside": int(len(r)), "fraction_outside": 1.0 if len(r) else 0.0,
              "below_r_angstrom": None, "above_r_angstrom": None}
    if name not in ranges:
        return record
    shortest, longest = (float(v) for v in ranges[name])
    below, above = r[r < shortest], r[r > longest]
    record.update(shortest_angstrom=shortest, longest_angstrom=longest,
                  n_below=int(len(below)), n_above=int(len(above)),
                  n_outside=int(len(below) + len(above)),
                  fraction_outside=float((len(below) + len(above)) / len(r)) if len(r) else 0.0,
                  below_r_angstrom=[float(below.min()), float(below.max())] if len(below)
                  else None,
                  above_r_angstrom=[float(above.min()), float(above.max())] if len(above)
                  else None)
    return record
