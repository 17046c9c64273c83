"""The results store: one SQLite database under ``$ASTRAY_HOME`` where every result lives.

Three tables:

- ``reference_points``: total energies (eV) of a reference method, one row per structure, keyed by
  (system spec, method, bond length in angstrom rounded to 1e-6; fragments are stored with the
  fragment's own spec and r = 0). Written point by point, so an interrupted reference
  computation keeps what it finished.
- ``curves``: one evaluated curve per key, the SHA-256 of its full configuration (potential name
  and version, system, grid, reference method), so the same run is never computed twice.
- ``runs``: one finished training run of a scaling sweep per key (the SHA-256 of its training
  configuration and probe), with the folder holding its checkpoint and its ``result.json``.

Every write is committed at once (SQLite's journal keeps the file consistent if the process is
killed mid-write). A store that SQLite cannot read (a damaged disk page, a file that is not a
database, a folder in its place) is a :class:`StoreError` of one line that names the file and
says to move it aside: the file is kept for rescue, and a new store recomputes what is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir

from astray.errors import AstrayError
from astray.paths import writable_folder

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reference_points (
    system TEXT NOT NULL, method TEXT NOT NULL, r REAL NOT NULL,
    total_energy_ev REAL, provenance TEXT NOT NULL,
    PRIMARY KEY (system, method, r));
CREATE TABLE IF NOT EXISTS curves (
    key TEXT PRIMARY KEY, potential TEXT NOT NULL, system TEXT NOT NULL,
    result TEXT NOT NULL, created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, run_id TEXT NOT NULL, folder TEXT NOT NULL,
    result TEXT NOT NULL, created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
"""

#: Bond lengths are keyed to this many decimals of an angstrom.
R_DECIMALS = 6
#: Seconds a writer waits for another process's transaction before giving up.
LOCK_TIMEOUT_S = 60.0


def astray_home() -> Path:
    """``$ASTRAY_HOME`` if set, else the user's data directory (``~/.local/share/astray``)."""
    return Path(os.environ.get("ASTRAY_HOME") or user_data_dir("astray", appauthor=False))


def config_key(config: dict) -> str:
    """SHA-256 of a JSON-serialisable configuration (keys sorted): the identity of a run."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


class StoreError(AstrayError):
    """The results store cannot be opened or read; the message names the file and the remedy."""


def store_error(path: Path, error: sqlite3.Error, what: str = "the results store") -> StoreError:
    """One line for an error of an SQLite file astray keeps (``what``: the results store, a
    build journal): who holds it locked, or how to set a damaged one aside without deleting
    anything."""
    if "locked" in str(error):
        return StoreError(f"{what} {path} stayed locked by another process for "
                          f"{LOCK_TIMEOUT_S:g} s; rerun when it has finished")
    problem, rescue = ("is a folder, not a database file", "") if path.is_dir() else (
        f"cannot be read ({error})", "; sqlite3's .recover can rescue its rows")
    return StoreError(f"{what} {path} {problem}: move it aside (mv {path} {path}.broken"
                      f"{rescue}) and rerun: a new one is started and only what is missing is "
                      "computed again")


class Store:
    """The results database (SQLite at ``path``, default ``$ASTRAY_HOME/store.sqlite``)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else astray_home() / "store.sqlite"
        writable_folder(self.path.parent, "ASTRAY_HOME" if path is None else "store folder")
        with self._reading():
            self._db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_S)
            self._db.executescript(_SCHEMA)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn SQLite's errors (corrupt page, not a database, locked) into a StoreError."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None

    def _rows(self, sql: str, parameters: tuple) -> list[tuple]:
        with self._reading():
            return self._db.execute(sql, parameters).fetchall()

    def _write(self, sql: str, rows: list[tuple]) -> None:
        """Run ``sql`` for every row in one committed transaction."""
        with self._reading(), self._db:
            self._db.executemany(sql, rows)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def reference_energies(self, system: str, method: str, r_values) -> dict[float, float]:
        """Stored total energies (eV) of ``system`` by ``method`` at the requested bond lengths
        (angstrom), as {rounded r: energy}; missing points are absent, points where the method
        failed (stored as NULL) are NaN."""
        wanted = {round(float(r), R_DECIMALS) for r in r_values}
        rows = self._rows(
            "SELECT r, total_energy_ev FROM reference_points WHERE system=? AND method=?",
            (system, method))
        return {r: float("nan") if e is None else e for r, e in rows if r in wanted}

    def put_reference_energies(self, system: str, method: str, energies: dict[float, float],
                               provenance: dict) -> None:
        """Store total energies (eV) keyed by bond length (angstrom), with their provenance; a
        NaN (the method failed there) is stored as NULL, so it is not recomputed every time."""
        text = json.dumps(provenance, sort_keys=True, default=str)
        self._write("INSERT OR REPLACE INTO reference_points VALUES (?, ?, ?, ?, ?)",
                    [(system, method, round(float(r), R_DECIMALS),
                      float(e) if math.isfinite(e) else None, text)
                     for r, e in energies.items()])

    def reference_provenance(self, system: str, method: str) -> dict | None:
        rows = self._rows(
            "SELECT provenance FROM reference_points WHERE system=? AND method=? LIMIT 1",
            (system, method))
        return json.loads(rows[0][0]) if rows else None

    def curve(self, key: str) -> dict | None:
        """A stored curve result by configuration key, or None."""
        rows = self._rows("SELECT result FROM curves WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def put_curve(self, key: str, potential: str, system: str, result: dict) -> None:
        self._write("INSERT OR REPLACE INTO curves (key, potential, system, result) "
                    "VALUES (?, ?, ?, ?)",
                    [(key, potential, system, json.dumps(result, default=str))])

    def run(self, key: str) -> tuple[str, dict] | None:
        """A finished training run of a sweep by configuration key: (its folder, its result)."""
        rows = self._rows("SELECT folder, result FROM runs WHERE key=?", (key,))
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    def put_run(self, key: str, run_id: str, folder: str | Path, result: dict) -> None:
        self._write("INSERT OR REPLACE INTO runs (key, run_id, folder, result) "
                    "VALUES (?, ?, ?, ?)",
                    [(key, run_id, str(folder), json.dumps(result, default=str))])
