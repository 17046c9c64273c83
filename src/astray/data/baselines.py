"""Baseline energies of a data set, for Delta-learning (``astray train --baseline SPEC``).

A Delta-model learns the difference between the data's level of theory and a cheap physical
baseline (GFN2-xTB, ``pyscf:hf/sto-3g``, an ASE calculator, a trained checkpoint: any spec of
:func:`astray.potentials.loading.load_potential`). Both sides are atomization energies against
their *own* isolated atoms::

    A_data(M)     = E_data(M)     - sum_a E_data(atom a)       the data set's atomization_energy
    A_baseline(M) = E_baseline(M) - sum_a E_baseline(atom a)   computed here
    target(M)     = A_data(M) - A_baseline(M)                  what the model learns

E_baseline(M) is the baseline's energy of M at M's own charge and multiplicity; E_baseline(atom)
its energy of the isolated *neutral* atom in its ground state (H doublet, C triplet, N quartet,
O triplet, F doublet: :func:`astray.potentials.checkpoint.ground_state_atom_energies`), whatever
the baseline's own energy convention, so a lone neutral atom is 0 on both sides and the
baseline's constant reference cancels. Forces, where the data set has them and the run asks for
them: F_data - F_baseline. ``baseline + model`` then predicts A_data (the checkpoint potential
evaluates it so, :mod:`astray.potentials.checkpoint`).

Computed once per data set and baseline, in batches of ``BATCH_SIZE`` structures on Dask (a
local cluster of ``workers`` single-threaded processes, or ``scheduler``; ``workers=0`` computes
in this process, as a sweep's worker does when nobody computed them before it). Resumable: every
finished batch is committed to a journal (SQLite) as it arrives, so a killed pass, rerun, computes
only the batches that were not finished. Progress goes to the ``astray.progress`` logger. A
structure where the baseline fails (NaN, an exception) is an exclusion, counted and kept with its
reason, never a crash. Kept under ``$ASTRAY_HOME``, keyed by the data set (name and a digest of
its structures) and the baseline (spec and version)::

    $ASTRAY_HOME/baselines/<data set>/<digest>/<baseline>@<version>[+forces]/
        meta.json                 spec, version, isolated atoms, failures with their reasons
        atomization_energy.npy    float64 [n_structures], eV (NaN: the baseline failed there)
        forces.npy                float64 [n_atoms, 3], eV/angstrom (+forces only)
        journal.sqlite            while the pass is under way

Bad input is one line before any work (:func:`check_baseline`): an unknown spec, an element the
baseline cannot handle (named), a charge-blind baseline on charged data or a spin-blind one on
data with other multiplicities than the lowest, a baseline without meaningful fragment energies
or forces where the run needs forces.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

from astray.data.dataset import Dataset
from astray.errors import AstrayError, DatasetError, PotentialError
from astray.store import astray_home, store_error

#: Structures per Dask task: about a second of GFN2-xTB on the default set's molecules, so
#: the journal commits often and a killed pass loses at most a few seconds per worker.
BATCH_SIZE = 50
#: Seconds between two progress lines (and one at the end).
PROGRESS_EVERY_S = 10.0
#: Baseline potentials loaded in this process, by spec (a Dask worker keeps its own).
_LOADED: dict = {}


@dataclass(frozen=True)
class BaselineInfo:
    """What :func:`check_baseline` found: the baseline's version and isolated atoms (eV)."""

    spec: str
    version: str
    atom_energies_ev: dict[str, float]
    has_forces: bool


@dataclass
class BaselineEnergies:
    """A data set's baseline atomization energies (eV; NaN where the baseline failed) and
    forces (eV/angstrom, per atom, or None), with the failures and their reasons."""

    spec: str
    version: str
    dataset: str
    atomization_energy: np.ndarray
    forces: np.ndarray | None
    atom_energies_ev: dict[str, float]
    failures: dict[int, str] = field(default_factory=dict)
    path: Path | None = None
    computed_now: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> np.ndarray:
        """Boolean mask of the structures the baseline failed on (excluded from training)."""
        return ~np.isfinite(self.atomization_energy)

    def record(self) -> dict:
        """What a checkpoint keeps of its baseline."""
        return {"spec": self.spec, "version": self.version,
                "atom_energies_ev": dict(self.atom_energies_ev),
                "n_failed": int(self.failed.sum()), "dataset": self.dataset}


def load_baseline(spec: str):
    """The baseline potential of ``spec``, loaded once per process; an unknown or unloadable
    spec is one line naming it."""
    if spec not in _LOADED:
        from astray.potentials.loading import load_potential

        try:
            _LOADED[spec] = load_potential(spec)
        except AstrayError as error:
            raise PotentialError(f"--baseline {spec}: {(str(error).splitlines() or [''])[0]}"
                                 ) from None
    return _LOADED[spec]


def check_baseline(spec: str, dataset: Dataset, *, forces: bool = False) -> BaselineInfo:
    """One-line errors, before any work, for a baseline the data set cannot be learned against
    (see the module docstring); returns its version and isolated-atom energies."""
    return _check(spec, str(Path(dataset.path).resolve()), forces)


@functools.lru_cache(maxsize=32)
def _check(spec: str, path: str, forces: bool) -> BaselineInfo:
    from astray.potentials.base import ENERGY_CONVENTIONS
    from astray.potentials.checkpoint import ground_state_atom_energies

    dataset = Dataset(path)
    potential = load_baseline(spec)
    where = f"--baseline {spec}"
    if potential.energy_convention not in ENERGY_CONVENTIONS:
        raise DatasetError(f"{where}: energy convention {potential.energy_convention!r} is "
                           f"neither of {', '.join(ENERGY_CONVENTIONS)}")
    if not potential.fragment_energies_meaningful:
        raise DatasetError(f"{where}: its energies of isolated atoms carry no information "
                           "(trained on forces only), so it has no atomization energies")
    charges = sorted({int(c) for c in np.unique(np.asarray(dataset.charge))})
    if any(charges) and not potential.charge_aware:
        raise DatasetError(f"{where} is charge-blind, but data set {dataset.name!r} holds charged "
                           f"structures (charges {', '.join(f'{c:+d}' for c in charges if c)}): "
                           "it would give them the energy of another charge state")
    counts = np.diff(np.asarray(dataset.offsets))
    electrons = np.add.reduceat(np.asarray(dataset.numbers, dtype=np.int64),
                                np.asarray(dataset.offsets)[:-1]) - np.asarray(dataset.charge)
    lowest = np.where(electrons % 2 == 0, 1, 2)
    other = np.flatnonzero((np.asarray(dataset.multiplicity) != lowest) & (counts > 0))
    if len(other) and not potential.spin_aware:
        raise DatasetError(f"{where} is spin-blind, but data set {dataset.name!r} holds "
                           f"{len(other)} structures with another multiplicity than the lowest "
                           f"(first: structure {other[0]}, multiplicity "
                           f"{dataset.multiplicity[other[0]]})")
    elements = [chemical_symbols[z] for z in np.unique(np.asarray(dataset.numbers))]
    declared = potential.supported_elements
    if declared is not None and set(elements) - set(declared):
        missing = sorted(set(elements) - set(declared))
        raise DatasetError(f"{where} cannot handle {', '.join(missing)} (elements of data set "
                           f"{dataset.name!r}); it knows {len(declared)} elements")
    atoms = ground_state_atom_energies(potential, elements)
    failed = {symbol: why for symbol, (_, why) in atoms.items() if why is not None}
    if failed:
        symbol, why = next(iter(failed.items()))
        raise DatasetError(f"{where} cannot handle {', '.join(failed)} (elements of data set "
                           f"{dataset.name!r}): its isolated {symbol} atom failed ({why})")
    has_forces = potential.evaluate([Atoms(elements[0], positions=[[0, 0, 0]], info={
        "charge": 0, "spin": _ground(elements[0])})]).forces is not None
    if forces and not has_forces:
        raise DatasetError(f"{where} gives no forces, but the run trains on forces "
                           "(--force-weight > 0); use --force-weight 0 or another baseline")
    return BaselineInfo(spec, potential.version, {s: e for s, (e, _) in atoms.items()},
                        has_forces)


def _ground(symbol: str) -> int:
    from ase.data import atomic_numbers

    from astray.systems import ground_multiplicity

    return ground_multiplicity(atomic_numbers[symbol])


def dataset_digest(dataset: Dataset) -> str:
    """SHA-256 (16 hex digits) of what the baseline sees: atoms, positions, charges, spins."""
    digest = hashlib.sha256()
    for name in ("numbers", "positions", "offsets", "charge", "multiplicity"):
        digest.update(np.ascontiguousarray(getattr(dataset, name)).tobytes())
    return digest.hexdigest()[:16]


def _slug(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_.+-]+", "_", text).strip("_.") or "baseline"
    return text if len(text) <= 60 else f"{text[:43]}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def baseline_folder(dataset: Dataset, info: BaselineInfo, forces: bool) -> Path:
    """Where the baseline energies of ``dataset`` are kept (see the module docstring)."""
    name = f"{_slug(info.spec)}@{_slug(info.version)}" + ("+forces" if forces else "")
    return astray_home() / "baselines" / _slug(dataset.name) / dataset_digest(dataset) / name


def baseline_energies(dataset: Dataset, spec: str, *, forces: bool = False, workers: int = 2,
                      scheduler: str | None = None, batch_size: int = BATCH_SIZE,
                      on_progress: Callable[[int, int], None] | None = None
                      ) -> BaselineEnergies:
    """The baseline energies of every structure of ``dataset``: read where they are kept,
    else computed (resuming a journal) and kept. ``forces``: also the forces (eV/angstrom).
    ``on_progress(done, total)`` after every batch."""
    info = check_baseline(spec, dataset, forces=forces)
    folder = baseline_folder(dataset, info, forces)
    for candidate in (folder, baseline_folder(dataset, info, True)):
        if (candidate / "meta.json").is_file():
            return _read(candidate, dataset, forces)
    from astray.progress import progress_log

    log = progress_log()
    folder.mkdir(parents=True, exist_ok=True)
    journal_path = folder / "journal.sqlite"
    identity = {"spec": spec, "version": info.version, "dataset": dataset.name,
                "digest": dataset_digest(dataset), "forces": forces, "batch_size": batch_size,
                "atom_energies_ev": info.atom_energies_ev}
    try:
        journal = _Journal(journal_path, identity)
    except sqlite3.DatabaseError as error:
        raise store_error(journal_path, error, "the baseline journal") from None
    start = time.perf_counter()
    try:
        done = journal.finished()
        pending = [(first, min(first + batch_size, len(dataset)))
                   for first in range(0, len(dataset), batch_size) if first not in done]
        total, finished = len(dataset), sum(stop - first for first, stop in done.items())
        log.info("baseline %s on data set %s: %d of %d structures done, computing %d", spec,
                 dataset.name, finished, total, total - finished)
        if on_progress:
            on_progress(finished, total)
        said = time.perf_counter()
        for first, stop, result in _run(pending, dataset, spec, info.version, forces, workers,
                                        scheduler):
            journal.save(first, stop, result)
            finished += stop - first
            if on_progress:
                on_progress(finished, total)
            if time.perf_counter() - said > PROGRESS_EVERY_S or finished == total:
                said = time.perf_counter()
                log.info("baseline %s on data set %s: %d of %d structures (%.0f s)", spec,
                         dataset.name, finished, total, said - start)
        energies = _pack(journal, folder, dataset, info, forces)
    finally:
        journal.close()
    journal_path.unlink(missing_ok=True)
    energies.computed_now = sum(stop - first for first, stop in pending)
    energies.seconds = time.perf_counter() - start
    if energies.failures:
        log.info("baseline %s failed on %d of %d structures of %s (excluded from training)",
                 spec, len(energies.failures), total, dataset.name)
    return energies


class _Journal:
    """The finished batches of one baseline pass (committed one by one)."""

    def __init__(self, path: Path, identity: dict):
        self._db = sqlite3.connect(path, timeout=60)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS config (value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS batches (first INTEGER PRIMARY KEY, stop INTEGER,"
            " energy BLOB NOT NULL, forces BLOB, failures TEXT NOT NULL, seconds REAL);")
        wanted = json.dumps(identity, sort_keys=True)
        stored = self._db.execute("SELECT value FROM config").fetchone()
        if stored is None:
            with self._db:
                self._db.execute("INSERT INTO config VALUES (?)", (wanted,))
        elif stored[0] != wanted:  # another batch size or atoms: start afresh, never mix
            with self._db:
                self._db.execute("DELETE FROM batches")
                self._db.execute("UPDATE config SET value = ?", (wanted,))

    def finished(self) -> dict[int, int]:
        return dict(self._db.execute("SELECT first, stop FROM batches"))

    def save(self, first: int, stop: int, result: dict) -> None:
        forces = None if result["forces"] is None else np.asarray(result["forces"]).tobytes()
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?, ?)",
                             (first, stop, np.asarray(result["energy"], float).tobytes(),
                              forces, json.dumps(result["failures"]), result["seconds"]))

    def rows(self):
        return self._db.execute("SELECT first, stop, energy, forces, failures FROM batches "
                                "ORDER BY first")

    def close(self) -> None:
        self._db.close()


def _structures(dataset: Dataset, first: int, stop: int) -> dict:
    """The arrays of structures first..stop-1 (what a task ships to a worker)."""
    offsets = np.asarray(dataset.offsets[first:stop + 1])
    atoms = slice(int(offsets[0]), int(offsets[-1]))
    return {"numbers": np.asarray(dataset.numbers[atoms]),
            "positions": np.asarray(dataset.positions[atoms]), "offsets": offsets - offsets[0],
            "charge": np.asarray(dataset.charge[first:stop]),
            "multiplicity": np.asarray(dataset.multiplicity[first:stop])}


def compute_batch(spec: str, version: str, arrays: dict, forces: bool) -> dict:
    """Total energies (eV) and forces of one batch of structures with the baseline; failures
    by position in the batch with their reasons. Runs on a worker."""
    start = time.perf_counter()
    potential = load_baseline(spec)
    if potential.version != version:
        raise DatasetError(f"--baseline {spec}: this worker has version {potential.version!r}, "
                           f"the pass was started with {version!r}")
    offsets = arrays["offsets"]
    structures = [Atoms(numbers=arrays["numbers"][a:b], positions=arrays["positions"][a:b],
                        info={"charge": int(q), "spin": int(m)})
                  for a, b, q, m in zip(offsets[:-1], offsets[1:], arrays["charge"],
                                        arrays["multiplicity"])]
    energy, force_rows, failures = _evaluate_structures(potential, structures, forces)
    return {"energy": energy, "forces": force_rows, "failures": failures,
            "seconds": time.perf_counter() - start}


def _evaluate_structures(potential, structures: list[Atoms], forces: bool):
    """(energies, per-atom forces or None, {index: reason}); a batch that raises is evaluated
    one structure at a time, so one bad structure costs only itself."""
    n_atoms = sum(len(a) for a in structures)
    energy = np.full(len(structures), np.nan)
    force_rows = np.full((n_atoms, 3), np.nan) if forces else None
    failures: dict[int, str] = {}
    starts = np.concatenate([[0], np.cumsum([len(a) for a in structures])])
    groups = [list(range(len(structures)))]
    while groups:
        members = groups.pop()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                prediction = potential.evaluate([structures[i] for i in members])
            except AstrayError:
                raise
            except Exception as error:  # noqa: BLE001  split, or record the one structure
                if len(members) > 1:
                    groups.extend([[i] for i in members])
                else:
                    failures[members[0]] = f"{type(error).__name__}: " \
                                           f"{(str(error).splitlines() or [''])[0]}"
                continue
        reasons = {}
        for warning in caught:
            found = re.search(r"failed on structure (\d+)", str(warning.message))
            if found and int(found.group(1)) < len(members):
                reasons[members[int(found.group(1))]] = str(warning.message)
        for position, index in enumerate(members):
            value = float(prediction.energy[position])
            rows = slice(starts[index], starts[index + 1])
            if forces:
                if prediction.forces is not None:
                    force_rows[rows] = prediction.forces[position]
                if not np.all(np.isfinite(force_rows[rows])):
                    value = float("nan")
            if np.isfinite(value):
                energy[index] = value
            else:
                failures[index] = reasons.get(index, "non-finite energy or forces")
    return energy, force_rows, {str(k): v for k, v in sorted(failures.items())}


def _inside_dask_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


def _run(pending, dataset: Dataset, spec: str, version: str, forces: bool, workers: int,
         scheduler: str | None):
    """Yield (first, stop, result) of every pending batch as it finishes."""
    if not pending:
        return
    if (workers == 0 and scheduler is None) or _inside_dask_worker():
        for first, stop in pending:
            yield first, stop, compute_batch(spec, version, _structures(dataset, first, stop),
                                             forces)
        return
    from dask.distributed import as_completed

    from astray.cluster import dask_client

    with dask_client(workers=workers, scheduler=scheduler) as client:
        futures = {client.submit(compute_batch, spec, version,
                                 _structures(dataset, first, stop), forces,
                                 key=f"baseline-{first}", pure=False): (first, stop)
                   for first, stop in pending}
        for future in as_completed(futures):
            first, stop = futures.pop(future)
            yield first, stop, future.result()


def _pack(journal: _Journal, folder: Path, dataset: Dataset, info: BaselineInfo,
          forces: bool) -> BaselineEnergies:
    """The journal's batches as atomization energies (and forces), written atomically."""
    offsets = np.asarray(dataset.offsets)
    total = np.full(len(dataset), np.nan)
    force_rows = np.full((len(dataset.numbers), 3), np.nan) if forces else None
    failures = {}
    for first, stop, energy, force_blob, failed in journal.rows():
        total[first:stop] = np.frombuffer(energy, dtype=float)
        if forces:
            force_rows[offsets[first]:offsets[stop]] = np.frombuffer(
                force_blob, dtype=float).reshape(-1, 3)
        failures.update({first + int(k): v for k, v in json.loads(failed).items()})
    per_atom = np.array([info.atom_energies_ev.get(s, np.nan) for s in chemical_symbols])
    atoms = np.add.reduceat(per_atom[np.asarray(dataset.numbers)], offsets[:-1])
    atomization = total - atoms
    meta = {"format": "astray-baseline/1", "spec": info.spec, "version": info.version,
            "dataset": dataset.name, "digest": dataset_digest(dataset),
            "atom_energies_ev": info.atom_energies_ev, "forces": forces,
            "n_structures": len(dataset), "n_failed": len(failures),
            "failures": {str(k): v for k, v in sorted(failures.items())}}
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    np.save(partial / "atomization_energy.npy", atomization)
    if forces:
        np.save(partial / "forces.npy", force_rows)
    (partial / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    # meta.json last: its presence means the folder is complete
    for name in sorted(os.listdir(partial), key=lambda name: name == "meta.json"):
        os.replace(partial / name, folder / name)
    partial.rmdir()
    return _read(folder, dataset, forces)


def _read(folder: Path, dataset: Dataset, forces: bool) -> BaselineEnergies:
    meta = json.loads((folder / "meta.json").read_text())
    atomization = np.load(folder / "atomization_energy.npy", allow_pickle=False)
    if len(atomization) != len(dataset):
        raise DatasetError(f"{folder}: {len(atomization)} baseline energies for "
                           f"{len(dataset)} structures; delete the folder to recompute")
    return BaselineEnergies(
        spec=meta["spec"], version=meta["version"], dataset=meta["dataset"],
        atomization_energy=atomization,
        forces=np.load(folder / "forces.npy", allow_pickle=False) if forces else None,
        atom_energies_ev=meta["atom_energies_ev"],
        failures={int(k): v for k, v in meta["failures"].items()}, path=folder)
