"""Reference curves, cached in the results store and shipped precomputed.

:func:`reference_curve` is the one entry point: it reads each point from the references shipped
inside the package, then from the store, and computes only what is missing (in small chunks,
each stored as soon as it is done, so an interrupted computation loses at most one chunk).
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
from astray.progress import progress_log
from astray.reference.methods import (
    BEST,
    compute_reference,
    default_method,
    reference_tier,
    resolve,
)
from astray.store import R_DECIMALS, Store
from astray.systems import Diatomic, Fragment, file_stem

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
