"""``astray data build``: generate a data set of small molecules, stable and distorted.

One task per molecule (enumerated with :mod:`astray.data.enumerate`): embed, optimise with
GFN2-xTB, compute the stable structure and its distorted variants at the chosen level of theory
(:mod:`astray.data.single_points`). Tasks run on a Dask cluster: a local cluster of ``workers``
single-threaded processes by default, or any scheduler address (e.g. one started by
dask-jobqueue's ``SLURMCluster`` for a batch system).

Resumable: every finished molecule is committed to a journal (SQLite,
``$ASTRAY_HOME/builds/NAME/journal.sqlite``) as it arrives; a killed build, re-run with the same
command, computes only what is missing. When every molecule is done the journal is packed into a
data set folder (:class:`astray.data.dataset.DatasetWriter`).
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from astray.cluster import check_local_workers
from astray.data.dataset import DISTORTED_KINDS, Dataset, DatasetWriter, Structures
from astray.errors import DatasetError
from astray.store import astray_home, store_error


@dataclass(frozen=True)
class BuildConfig:
    """Everything that determines a build's numbers (its identity for resuming)."""

    method: str
    max_heavy_atoms: int = 4
    elements: tuple[str, ...] = ("C", "N", "O", "F")
    distortions: tuple[str, ...] = ("stretched", "compressed")
    distortions_per_molecule: int = 1
    max_molecules: int | None = None
    seed: int = 0
    normal_mode_temperature: float = 500.0
    forces: bool = False

    def __post_init__(self):
        unknown = [k for k in self.distortions if k not in DISTORTED_KINDS]
        if unknown:
            raise DatasetError(f"unknown distortion {unknown[0]!r}; expected any of "
                               f"{', '.join(DISTORTED_KINDS)}")
        if self.distortions_per_molecule < 0:
            raise DatasetError("--distortions-per-molecule must be 0 or more")
        if self.max_molecules is not None and self.max_molecules < 1:
            raise DatasetError(f"--max-molecules must be 1 or more, got {self.max_molecules} "
                               "(leave it out to build every molecule)")


def compute_molecule(smiles: str, config: BuildConfig) -> dict:
    """Stable and distorted structures of one molecule with energies (eV). Runs on a worker.

    Returns ``{"status": "done" | "unstable", "records": [...], "seconds": float, "note": str}``;
    each record has numbers, positions (angstrom), energy (eV, NaN if its SCF failed), forces
    (eV/angstrom, when the config asks for them), kind and origin. Every random choice
    (conformer, distortion kind, bond, factor) depends only on (seed, SMILES), so a resumed or
    extended build gives each molecule the same structures.
    """
    from astray.data import geometry
    from astray.data.single_points import data_level_of_theory, single_point

    start = time.perf_counter()
    level = data_level_of_theory(config.method)
    molecule_seed = zlib.crc32(smiles.encode())
    rng = np.random.default_rng([config.seed, molecule_seed])
    try:
        stable = geometry.optimise(geometry.embed(smiles, seed=(config.seed + molecule_seed)
                                                  % 2**31))
    except geometry.UnstableMolecule as reason:
        return {"status": "unstable", "records": [], "note": str(reason),
                "seconds": time.perf_counter() - start}
    structures = [(stable, "stable", smiles)]
    for count in range(config.distortions_per_molecule if config.distortions else 0):
        kind = config.distortions[(molecule_seed + count) % len(config.distortions)]
        if kind == "normal-mode":
            distorted, how = geometry.normal_mode_sample(stable, rng,
                                                         config.normal_mode_temperature)
        else:
            distorted, how = geometry.distort_bond(stable, kind, rng)
        origin = f"{smiles} {how}"
        if not geometry.clashes(distorted, geometry.distorted_bond(origin)):
            structures.append((distorted, kind, origin))
    records = []
    for atoms, kind, origin in structures:
        energy, forces = single_point(atoms, level, broken_symmetry=kind != "stable",
                                      forces=config.forces)
        records.append({"numbers": atoms.numbers.tolist(), "positions": atoms.positions.tolist(),
                        "energy": energy, "kind": kind, "origin": origin,
                        "forces": None if forces is None else forces.tolist()})
    return {"status": "done", "records": records, "note": "",
            "seconds": time.perf_counter() - start}


class Journal:
    """The resumable record of a build: its configuration, isolated atoms and finished molecules."""

    def __init__(self, path: Path, config: BuildConfig, restart: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        if restart and path.exists():
            path.unlink()
        self._db = sqlite3.connect(path, timeout=60)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS config (value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS atoms (symbol TEXT PRIMARY KEY, energy_ev REAL NOT NULL);"
            "CREATE TABLE IF NOT EXISTS molecules (smiles TEXT PRIMARY KEY, position INTEGER,"
            " status TEXT NOT NULL, records TEXT NOT NULL, seconds REAL, note TEXT);")
        # max_molecules only cuts the seeded order, so a build may be extended or packed early
        wanted = json.dumps({k: v for k, v in asdict(config).items() if k != "max_molecules"},
                            sort_keys=True)
        stored = self._db.execute("SELECT value FROM config").fetchone()
        if stored is None:
            with self._db:
                self._db.execute("INSERT INTO config VALUES (?)", (wanted,))
        elif stored[0] != wanted:
            raise DatasetError(f"{path} belongs to a build with another configuration "
                               f"({stored[0]}); use --restart or another --name")

    def atom_energies(self) -> dict[str, float]:
        return dict(self._db.execute("SELECT symbol, energy_ev FROM atoms"))

    def save_atoms(self, energies: dict[str, float]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO atoms VALUES (?, ?)",
                                 [(s, float(e)) for s, e in energies.items()])

    def finished(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT smiles FROM molecules")}

    def save(self, smiles: str, position: int, result: dict) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO molecules VALUES (?, ?, ?, ?, ?, ?)",
                             (smiles, position, result["status"], json.dumps(result["records"]),
                              result["seconds"], result["note"]))

    def results(self) -> list[tuple[str, str, list[dict], float, str]]:
        """(smiles, status, records, seconds, note) of every finished molecule, in build order."""
        rows = self._db.execute("SELECT smiles, status, records, seconds, note FROM molecules "
                                "ORDER BY position")
        return [(s, status, json.loads(r), sec, note) for s, status, r, sec, note in rows]

    def close(self) -> None:
        self._db.close()


@dataclass
class BuildSummary:
    """What a build did: counts, timings (seconds) and the data set it wrote."""

    n_molecules: int
    n_computed_now: int
    n_unstable: int
    n_failed_molecules: int
    n_failed_structures: int
    seconds: float
    cpu_seconds: float
    dataset: Dataset | None = field(default=None, repr=False)


def build_dataset(config: BuildConfig, *, name: str, out: Path | None = None, workers: int = 2,
                  scheduler: str | None = None, overwrite: bool = False, restart: bool = False,
                  command: str = "",
                  on_progress: Callable[[int, int], None] | None = None) -> BuildSummary:
    """Run (or resume) a build and pack it into ``out`` (default ``$ASTRAY_HOME/datasets/NAME``).

    ``on_progress(done, total)`` is called after each molecule. Interrupting loses at most the
    molecules in flight; everything finished is in the journal. ``overwrite`` replaces an
    existing output folder (re-packing a finished journal); ``restart`` discards the journal.
    Every input is checked before any work: the name (one folder, as ``data import`` wants),
    the method, the workers, that ``out`` can be written, the elements (by enumerating).
    """
    from astray.data.dataset import check_dataset_name
    from astray.data.enumerate import candidate_molecules
    from astray.data.single_points import data_level_of_theory, isolated_atom_energies
    from astray.paths import writable_folder

    check_dataset_name(name)
    level = data_level_of_theory(config.method)
    if scheduler is None:
        check_local_workers(workers)
    out = writable_folder(out or astray_home() / "datasets" / name,
                          "--out" if out else "ASTRAY_HOME", create=False)
    if out.exists() and not overwrite:
        raise DatasetError(f"data set {out} already exists (use --overwrite)")
    candidates = candidate_molecules(config.max_heavy_atoms, config.elements,
                                     config.max_molecules, config.seed)
    journal_path = astray_home() / "builds" / name / "journal.sqlite"
    try:
        journal = Journal(journal_path, config, restart)
    except sqlite3.DatabaseError as error:
        raise store_error(journal_path, error, "the build journal") from None
    start = time.perf_counter()
    try:
        if not journal.atom_energies():
            journal.save_atoms(isolated_atom_energies(("H",) + config.elements, level))
        done = journal.finished()
        pending = [(i, s) for i, s in enumerate(candidates) if s not in done]
        if on_progress:
            on_progress(len(done), len(candidates))
        for index, smiles, result in _run_on_dask(pending, config, workers, scheduler):
            journal.save(smiles, index, result)
            done.add(smiles)
            if on_progress:
                on_progress(len(done), len(candidates))
        results = journal.results()
        dataset = _pack(results, journal.atom_energies(), level, name, out, config, command,
                        overwrite)
    finally:
        journal.close()
    failed = sum(1 for _, _, records, _, _ in results for r in records
                 if not np.isfinite(r["energy"]))
    return BuildSummary(n_molecules=len(candidates), n_computed_now=len(pending),
                        n_unstable=sum(1 for _, status, *_ in results if status == "unstable"),
                        n_failed_molecules=sum(1 for _, status, *_ in results
                                               if status == "failed"),
                        n_failed_structures=failed, seconds=time.perf_counter() - start,
                        cpu_seconds=sum(seconds for *_, seconds, _ in results), dataset=dataset)


def _run_on_dask(pending, config: BuildConfig, workers: int, scheduler: str | None):
    """Yield (index, smiles, result) as tasks finish, on a local cluster or at ``scheduler``."""
    if not pending:
        return
    from dask.distributed import as_completed

    from astray.cluster import dask_client

    with dask_client(workers=workers, scheduler=scheduler) as client:
        futures = {client.submit(compute_molecule, smiles, config,
                                 key=f"molecule-{index}", pure=False): (index, smiles)
                   for index, smiles in pending}
        for future in as_completed(futures):
            index, smiles = futures.pop(future)
            try:
                result = future.result()
            except Exception as error:  # a crash in one molecule is recorded, not fatal
                result = {"status": "failed", "records": [], "seconds": 0.0,
                          "note": f"{type(error).__name__}: {str(error).splitlines()[0]}"}
            yield index, smiles, result


def _pack(results, atom_energies: dict[str, float], level, name: str, out: Path,
          config: BuildConfig, command: str, overwrite: bool) -> Dataset:
    from astray.data.single_points import metadata_text

    records = [r for _, status, rs, _, _ in results if status == "done" for r in rs
               if np.isfinite(r["energy"]) and not _clashing(r)]
    if not records:
        raise DatasetError("the build produced no structure with an energy")
    writer = DatasetWriter(out, name=name, level_of_theory=metadata_text(level),
                           atom_energies_ev=atom_energies, source=command or "astray data build",
                           overwrite=overwrite)
    for start in range(0, len(records), 10_000):
        writer.append(Structures.from_list(records[start:start + 10_000]))
    return writer.close(build=asdict(config), generator=_versions())


def _clashing(record: dict) -> bool:
    """A record whose atoms clash (see :func:`astray.data.geometry.clashes`); journals of
    earlier versions computed such structures, packing leaves them out."""
    from ase import Atoms

    from astray.data.geometry import clashes, distorted_bond

    atoms = Atoms(numbers=record["numbers"], positions=record["positions"])
    return record["kind"] != "stable" and clashes(atoms, distorted_bond(record["origin"]))


def _versions() -> dict[str, str]:
    import pyscf
    import rdkit
    import tblite

    from astray import __version__

    return {"astray": __version__, "pyscf": pyscf.__version__, "rdkit": rdkit.__version__,
            "tblite": getattr(tblite, "__version__", "unknown")}
