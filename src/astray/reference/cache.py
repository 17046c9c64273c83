"""Reference curves, cached in the results store and shipped precomputed.

:func:`reference_curve` is the one entry point: it reads each point from the references shipped
inside the package, then from the store, and computes only what is missing (in small chunks,
each stored as soon as it is done, so an interrupted computation loses at most one chunk).

:func:`ladder_reference` does the same for the spin-ladder level-of-theory curve of a pair of
atoms (:mod:`astray.reference.spin_ladder`), point by point: each point is stored as soon as
its last rung is solved, so a rerun computes only the points it lacks; with ``compute=False``
it never computes and says what is missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from astray.curve import Curve
from astray.errors import ReferenceUnavailableError
from astray.jsonio import write_json_atomic
from astray.level_of_theory import LevelOfTheory
from astray.progress import progress_log
from astray.reference.family import TIER_LEVEL_OF_THEORY
from astray.reference.methods import (
    BEST,
    code_versions,
    compute_reference,
    default_method,
    family_of,
    mean_field,
    reference_tier,
    resolve,
)
from astray.reference.spin_ladder import (
    NOT_CONVERGED,
    atom_solution,
    ladder_atoms,
    ladder_multiplicities,
    walk_ladder,
)
from astray.store import R_DECIMALS, Store
from astray.systems import Diatomic, Fragment, file_stem
from astray.units import BOHR_ANGSTROM, HARTREE_EV

#: Points computed (and stored) together when a reference is missing.
CHUNK_POINTS = 8
#: Seconds between two progress lines of one computation.
PROGRESS_EVERY_S = 10.0
#: What a long computation is doing, for people (the ``astray`` command prints it on stderr).
_SHIPPED_PACKAGE = "astray.reference.shipped"
SHIPPED_DIR = Path(__file__).parent / "shipped"


def resolve_method(system: Diatomic, method: str | None) -> str:
    """The method key used for caching: the canonical spelling of the best method for the
    system or of the user's (``dft/PBE/def2-TZVP`` and ``dft:pbe/def2-tzvp`` are one key, that
    of the shipped curves).

    Without electrons (H2++) every method's energy is Coulomb's law, so any valid method
    resolves to ``coulomb``: a checkpoint trained on B3LYP data gets its level of theory for two
    protons at once instead of minutes of SCF on an empty molecule."""
    if method is None or method.strip().lower() in BEST:
        return default_method(system)
    # an unknown method is an error for bare nuclei too
    canonical = resolve(method, tuple(system.symbols), system.n_electrons).canonical
    return "coulomb" if system.n_electrons == 0 else canonical


def fragment_key(fragment: Fragment) -> str:
    """Store key of an isolated atom or ion, e.g. ``fragment:H+,mult=1``."""
    return f"fragment:{fragment.label},mult={fragment.multiplicity}"


@lru_cache(maxsize=1)
def shipped_references() -> dict[tuple[str, str], dict]:
    """The precomputed references inside the package, by (system spec, method)."""
    shipped = {}
    for entry in resources.files(_SHIPPED_PACKAGE).iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text())
            shipped[(data["system"], data["method"])] = data
    return shipped


def _shipped_points(system: Diatomic, method: str) -> tuple[dict[float, float], dict | None]:
    data = shipped_references().get((system.spec, method))
    if data is None:
        return {}, None
    points = {round(r, R_DECIMALS): np.nan if e is None else e
              for r, e in zip(data["r_angstrom"], data["total_energy_ev"])}
    return points, data


def reference_curve(system: Diatomic, r_angstrom: Iterable[float] | None = None,
                    method: str | None = None, *, store: Store | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> Curve:
    """The reference curve of ``system`` at ``r_angstrom`` (default: the system's grid).

    Args:
        system: the diatomic.
        r_angstrom: bond lengths in angstrom.
        method: ``None``/``"best"`` for the most accurate method available (exact where it
            exists), or any method string of :mod:`astray.reference.methods`.
        store: results store (default: the one under ``$ASTRAY_HOME``).
        on_progress: called with (points done, points needed) while computing.

    Returns:
        energies relative to the separated fragments by the same method, in eV.
    """
    r = np.asarray(system.default_grid() if r_angstrom is None else list(r_angstrom), float)
    method_key = resolve_method(system, method)
    own_store = store is None
    store = store or Store()
    try:
        known, shipped = _shipped_points(system, method_key)
        known = {**store.reference_energies(system.spec, method_key, r), **known}
        fragments = _fragment_energies(store, system, method_key, shipped)
        missing = [x for x in r if round(float(x), R_DECIMALS) not in known]
        if fragments is None and not missing:
            missing = list(r[:1])  # fragment energies were never stored: recompute one chunk
        provenance = (shipped or {}).get("provenance") or store.reference_provenance(
            system.spec, method_key)
        if missing:
            progress_log().info("computing the %s curve of %s at %d bond lengths (kept in %s)",
                              method_key, system.name, len(missing), store.path)
        started = said = time.perf_counter()
        for start in range(0, len(missing), CHUNK_POINTS):
            if on_progress:
                on_progress(start, len(missing))
            if start and time.perf_counter() - said > PROGRESS_EVERY_S:
                said = time.perf_counter()
                progress_log().info("%s of %s: %d of %d points in %.0f s", method_key,
                                  system.name, start, len(missing), said - started)
            computed = compute_reference(system, missing[start:start + CHUNK_POINTS], method_key)
            provenance = {**computed.provenance, "method": computed.method,
                          "description": computed.description}
            points = dict(zip(computed.r_angstrom, computed.total_energy_ev))
            store.put_reference_energies(system.spec, method_key, points, provenance)
            fragments = _store_fragments(store, system, method_key, computed, provenance)
            known.update({round(float(k), R_DECIMALS): v for k, v in points.items()})
        total = np.array([known[round(float(x), R_DECIMALS)] for x in r])
        # curves shipped or stored before tiers existed say it here too
        provenance = {**provenance, "tier": provenance.get("tier") or reference_tier(method_key)}
    finally:
        if own_store:
            store.close()
    return Curve(
        system=system.name, method=provenance.get("method", method_key),
        description=provenance.get("description", ""), r_angstrom=r,
        energy_ev=total - sum(fragments), total_energy_ev=total,
        fragment_energy_ev=fragments, provenance=provenance)


def _fragment_energies(store: Store, system: Diatomic, method: str,
                       shipped: dict | None) -> tuple[float, float] | None:
    if shipped is not None:
        return tuple(shipped["fragment_energy_ev"])
    energies = [store.reference_energies(fragment_key(f), method, [0.0]).get(0.0)
                for f in system.fragments]
    return None if None in energies else tuple(energies)


def _store_fragments(store: Store, system: Diatomic, method: str, computed: Curve,
                     provenance: dict) -> tuple[float, float]:
    for fragment, energy in zip(system.fragments, computed.fragment_energy_ev):
        store.put_reference_energies(fragment_key(fragment), method, {0.0: energy}, provenance)
    return tuple(computed.fragment_energy_ev)


def write_shipped(curve: Curve, system: Diatomic, method_key: str) -> Path:
    """Write ``curve`` into the package's shipped references (from a source checkout): how the
    precomputed default suite is regenerated (``astray reference --ship``)."""
    path = SHIPPED_DIR / f"{file_stem(system.name)}__{file_stem(method_key)}.json"
    path.write_text(json.dumps(_shipped_record(curve, system, method_key), indent=1) + "\n")
    shipped_references.cache_clear()
    return path


def _shipped_record(curve: Curve, system: Diatomic, method_key: str) -> dict:
    return {"system": system.spec, "name": system.name, "method": method_key,
            "r_angstrom": [float(x) for x in curve.r_angstrom],
            "total_energy_ev": [float(x) if np.isfinite(x) else None
                                for x in curve.total_energy_ev],
            "fragment_energy_ev": [float(x) for x in curve.fragment_energy_ev],
            "provenance": {**curve.provenance, "method": curve.method,
                           "description": curve.description}}


# --------------------------------------------------------------------------------------------
# The spin ladder (a level-of-theory curve of a pair of atoms, whatever its multiplicity)
# --------------------------------------------------------------------------------------------

#: Decimals of an eV kept of a shipped ladder energy: 1e-5 eV, far below the SCF convergence
#: of the grid-limited DFT energies (about 1e-4 eV) and keeping each file near 3 kB.
LADDER_DECIMALS = 5


def ladder_level(method: str) -> LevelOfTheory:
    """The SCF level of theory of a spin ladder (``dft:pbe/def2-tzvp``, ``hf:BASIS``); raises
    :class:`ReferenceUnavailableError` for any other method."""
    level = LevelOfTheory.parse(method)
    if not mean_field(level):
        raise ReferenceUnavailableError(
            f"the spin ladder is an SCF level of theory (dft:FUNCTIONAL/BASIS or hf:BASIS), "
            f"not {level.canonical}")
    return level


def ladder_key(system: Diatomic) -> str:
    """Store and shipped key of the ladder curve of the system's pair of atoms, which does not
    depend on the system's multiplicity: ``O-O,charge=0,spin=lowest``."""
    return f"{system.symbols[0]}-{system.symbols[1]},charge={system.charge},spin=lowest"


def _ladder_fragment_key(fragment: Fragment) -> str:
    # UKS with def2 ECPs: not the same energies as the ``dft`` family's atoms beyond Kr
    return f"{fragment_key(fragment)},spin-ladder"


def ladder_reference(system: Diatomic, r_angstrom: Iterable[float] | None = None,
                     method: str = "dft:pbe/def2-tzvp", *, store: Store | None = None,
                     compute: bool = True,
                     on_progress: Callable[[int, int], None] | None = None) -> Curve:
    """The lowest unrestricted SCF energy over the spin multiplicities at each bond length
    (:mod:`astray.reference.spin_ladder`), relative to the ground-state atoms, in eV.

    Args:
        system: the pair of atoms and its charge (its multiplicity is not used).
        r_angstrom: bond lengths in angstrom (default: the system's grid).
        method: an SCF level of theory (:func:`ladder_level`).
        store: results store (default: the one under ``$ASTRAY_HOME``).
        compute: compute the points neither shipped nor stored (False: raise
            :class:`ReferenceUnavailableError` saying what is missing).
        on_progress: called with (points done, points needed) while computing.

    Returns:
        the curve; ``provenance["multiplicity"]`` is the winning multiplicity at each point
        (None where no rung converged: the energy is NaN and ``provenance["failed"]`` says
        why).
    """
    level = ladder_level(method)
    r = np.asarray(system.default_grid() if r_angstrom is None else list(r_angstrom), float)
    own_store = store is None
    store = store or Store()
    try:
        energies, winners, fragments, seconds = _known_ladder(store, system, level, r)
        missing = [x for x in r if round(float(x), R_DECIMALS) not in energies]
        if (missing or fragments is None) and not compute:
            raise ReferenceUnavailableError(
                f"the {level.canonical} spin ladder of {system.name} is not shipped "
                f"({len(missing)} of {len(r)} points missing) and quantum chemistry is not run "
                "here")
        if fragments is None:
            fragments = _ladder_atoms_ev(store, system, level)
        if missing:
            seconds = _compute_ladder(store, system, level, missing, energies, winners,
                                      on_progress)
    finally:
        if own_store:
            store.close()
    return _ladder_curve(system, level, r, energies, winners, fragments, seconds)


def _known_ladder(store: Store, system: Diatomic, level: LevelOfTheory, r: np.ndarray):
    """(energies, winning multiplicities, fragment energies or None, seconds a point or None)
    shipped or stored, keyed by rounded r."""
    key, method = ladder_key(system), level.canonical
    shipped = shipped_references().get((key, method))
    energies = store.reference_energies(key, method, r)
    winners = store.reference_energies(key + ",multiplicity", method, r)
    fragments = [store.reference_energies(_ladder_fragment_key(f), method, [0.0]).get(0.0)
                 for f in ladder_atoms(system)]
    seconds = None
    if shipped is not None:
        for x, e, m in zip(shipped["r_angstrom"], shipped["total_energy_ev"],
                           shipped["multiplicity"]):
            energies[round(x, R_DECIMALS)] = np.nan if e is None else e
            winners[round(x, R_DECIMALS)] = np.nan if m is None else m
        fragments = shipped["fragment_energy_ev"]
        seconds = shipped["provenance"].get("seconds_per_point")
    return energies, winners, None if None in fragments else tuple(fragments), seconds


def _ladder_atoms_ev(store: Store, system: Diatomic, level: LevelOfTheory) -> tuple:
    energies = []
    for fragment in ladder_atoms(system):
        energy = atom_solution(fragment.symbol, fragment.charge, fragment.multiplicity,
                               level)[0] * HARTREE_EV
        store.put_reference_energies(_ladder_fragment_key(fragment), level.canonical,
                                     {0.0: energy}, {"method": level.canonical})
        energies.append(energy)
    return tuple(energies)


def _compute_ladder(store: Store, system: Diatomic, level: LevelOfTheory, missing: list,
                    energies: dict, winners: dict, on_progress) -> float:
    """Solve the ladder at the ``missing`` bond lengths, storing each point as it is done;
    returns the seconds a point took."""
    key, method = ladder_key(system), level.canonical
    progress_log().info("computing the %s spin ladder of %s at %d bond lengths (kept in %s)",
                        method, system.name, len(missing), store.path)
    started = time.perf_counter()
    done = 0

    def keep(point) -> None:
        nonlocal done
        r = round(point.r_bohr * BOHR_ANGSTROM, R_DECIMALS)
        energy = point.energy_hartree * HARTREE_EV
        winner = np.nan if point.multiplicity is None else float(point.multiplicity)
        provenance = {"method": method, "rungs_hartree": point.rungs, "reason": point.reason}
        # the multiplicity first: a point counts as stored once its energy is
        store.put_reference_energies(key + ",multiplicity", method, {r: winner}, provenance)
        store.put_reference_energies(key, method, {r: energy}, provenance)
        energies[r], winners[r] = energy, winner
        done += 1
        if on_progress is not None:
            on_progress(done, len(missing))

    walk_ladder(system, np.asarray(missing) / BOHR_ANGSTROM, level, keep)
    return (time.perf_counter() - started) / len(missing)


def _ladder_curve(system: Diatomic, level: LevelOfTheory, r: np.ndarray, energies: dict,
                  winners: dict, fragments: tuple, seconds: float | None) -> Curve:
    keys = [round(float(x), R_DECIMALS) for x in r]
    total = np.array([energies[k] for k in keys], float)
    multiplicity = [None if not np.isfinite(winners.get(k, np.nan)) else int(winners[k])
                    for k in keys]
    description = (f"Kohn-Sham {level.describe()}" if level.functional else level.describe()) + (
        f", unrestricted, the lowest of multiplicities {list(ladder_multiplicities(system))} at "
        "each point; a level of theory, not an exact reference")
    provenance = {
        "method": level.canonical, "description": description, "tier": TIER_LEVEL_OF_THEORY,
        "spin": "lowest unrestricted SCF energy over the spin ladder at every point",
        "ladder": list(ladder_multiplicities(system)), "multiplicity": multiplicity,
        "fragments": [f"{f.label},mult={f.multiplicity}" for f in ladder_atoms(system)],
        "ecp": "def2 effective core potentials beyond Kr" if level.basis.startswith("def2")
        else None, "code": code_versions(family_of(level)),
        "seconds_per_point": None if seconds is None else round(seconds, 2)}
    failed = [float(x) for x, e in zip(r, total) if not np.isfinite(e)]
    if failed:
        provenance["failed"] = {"r_angstrom": failed, "reason": NOT_CONVERGED}
    return Curve(system=system.name, method=level.canonical, description=description,
                 r_angstrom=r, energy_ev=total - sum(fragments), total_energy_ev=total,
                 fragment_energy_ev=tuple(fragments), provenance=provenance)


def write_shipped_ladder(curve: Curve, system: Diatomic) -> Path:
    """Write a ladder curve into the package's shipped references (``astray reference
    --spin-ladder --ship``), energies to :data:`LADDER_DECIMALS`."""
    path = SHIPPED_DIR / f"{file_stem(system.name)}__{file_stem(curve.method)}__ladder.json"
    provenance = {k: v for k, v in curve.provenance.items() if k != "multiplicity"}
    write_json_atomic(path, {
        "system": ladder_key(system), "name": system.name, "method": curve.method,
        "r_angstrom": [float(x) for x in curve.r_angstrom],
        "total_energy_ev": [round(float(x), LADDER_DECIMALS) if np.isfinite(x) else None
                            for x in curve.total_energy_ev],
        "multiplicity": curve.provenance["multiplicity"],
        "fragment_energy_ev": [round(float(x), LADDER_DECIMALS)
                               for x in curve.fragment_energy_ev],
        "provenance": provenance}, indent=None)
    shipped_references.cache_clear()
    return path
