"""Probe several potentials on several systems: compute, do not write.

Every curve is kept in the results store as soon as it is computed (keyed by its full
configuration, so it is never computed twice); the caller hears of each finished curve through
``on_curve`` (the CLI rewrites ``curves.json`` there), so an interrupted run keeps everything it
finished and a rerun resumes.

Curves are evaluated in batches: one ``potential.evaluate`` call per chunk of
:data:`SYSTEMS_PER_CHUNK` molecules (each molecule's grid and its two fragments), not one per
molecule; each molecule's slice of the answer is then measured by the same code as a single
curve (:func:`astray.probes.curves.curve_from_prediction` and
:func:`~astray.probes.curves.judge_curve`). A molecule whose slice has a NaN energy, and
every molecule of a chunk whose call raised, is evaluated again on its own, so its curve keeps
the exact reason the potential gave.

A molecule with an element the potential does not declare (:func:`declared_elements`), or more
electrons than it treats, is not evaluated: its curve is a *coverage gap*, all NaN, its
``error`` starting with :data:`COVERAGE_GAP` and saying why. A potential that declares nothing
is tried everywhere, and a molecule on which it gives no finite energy is recorded as a coverage
gap too.

A system without a reference that exists without computing (shipped, exact in closed form, or
already in the store) gets, when ``compute_references`` is False, the *no-reference* curve
(:func:`no_reference`): method :data:`NO_REFERENCE`, all-NaN energies, ``provenance["tier"] =
"none"``. The metrics that compare with a reference are then None, the curve's own checks
(minima, wall, forces, jumps, smoothness) still run.

The same holds for the curve of each potential's training level of theory
(:func:`level_of_theory_curve`): a whole-table suite never starts quantum chemistry for it. It
takes the shipped or stored curve where one exists (for a potential that does not read the spin,
the spin ladder: the lowest unrestricted energy over the multiplicities at each point,
:func:`astray.reference.cache.ladder_reference`; for one that does, its own multiplicity), and
otherwise a missing curve (:func:`missing_level_of_theory`, all NaN) whose ``error`` says why.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
from ase.data import atomic_numbers

from astray import __version__
from astray.curve import Curve
from astray.errors import ReferenceUnavailableError
from astray.potentials.base import Potential, Prediction
from astray.potentials.catalogue import catalogue_entry
from astray.probes.curves import (
    curve_from_prediction,
    curve_structures,
    evaluate_curve,
    judge_curve,
    reissue_warnings,
)
from astray.probes.probe_result import ProbeResult
from astray.probes.results import CurveResult
from astray.reference import fragment_key, reference_curve, resolve_method, shipped_references
from astray.reference.cache import ladder_reference
from astray.reference.constants import measured_constants
from astray.reference.family import TIER_MEASURED
from astray.reference.methods import costs_nothing, mean_field
from astray.store import R_DECIMALS, Store, config_key
from astray.systems import TABLE_ELEMENTS, Diatomic
from astray.systems import suite as system_suite

#: ``on_progress(done, total, what)``: steps done, steps in all, what is being done now.
Progress = Callable[[int, int, str], None]
#: ``on_curve(result_so_far, curve)``: called after each curve is added to the result.
CurveDone = Callable[[ProbeResult, CurveResult], None]
#: Molecules per ``potential.evaluate`` call (x 42 structures: 40 grid points, two fragments).
#: On this 2-core CPU batching gains nothing for CHGNet (benchmarks/suite_batching.py, 89
#: molecules, against one call per molecule measured in the same run: 0.65 at 16 a call, 1.15
#: at 8, 1.03 at 4; noisy, the machine was loaded): each molecule's call already batches 42
#: structures. 8 keeps one call per chunk for GPU models without the slower large batches.
SYSTEMS_PER_CHUNK = 8
#: How a coverage gap's ``curve.error`` begins.
COVERAGE_GAP = "coverage gap"
#: The method (and ``provenance["tier"]``) of a reference curve that does not exist.
NO_REFERENCE = "none"


def declared_elements(potential: Potential) -> frozenset[str] | None:
    """The elements ``potential`` claims: its own ``supported_elements``, else those of its
    catalogue entry (a named model), else None (unknown)."""
    if potential.supported_elements is not None:
        return frozenset(potential.supported_elements)
    entry = _entry(potential)
    return None if entry is None or entry.elements is None else frozenset(entry.elements)


def _entry(potential: Potential):
    entry = getattr(potential, "entry", None) or catalogue_entry(potential.name)
    return entry if entry is not None and entry.family == potential.family else None


def unsupported_reason(potential: Potential, system: Diatomic) -> str | None:
    """Why ``potential`` cannot be put on ``system`` (one line), or None."""
    declared = declared_elements(potential)
    missing = sorted({s for s in system.symbols if declared is not None and s not in declared},
                     key=atomic_numbers.__getitem__)
    if missing:
        return (f"{COVERAGE_GAP}: {potential.name} does not support {', '.join(missing)} "
                f"(it declares {len(declared)} elements)")
    return None


def suite_systems(name: str, potentials: Sequence[Potential],
                  elements: str | Sequence[str] | None = None) -> list[Diatomic]:
    """The systems of suite ``name`` (:func:`astray.systems.suite`); for ``homonuclear`` without
    ``elements``, the X2 of every element any potential declares (H-Rn and beyond where they
    say so), and of all of H-Rn where one declares nothing."""
    if name == "homonuclear" and elements is None and potentials:
        declared = [declared_elements(p) for p in potentials]
        union = set(TABLE_ELEMENTS) if None in declared else set()
        union.update(*(d for d in declared if d is not None))
        elements = sorted(union, key=atomic_numbers.__getitem__)
    return system_suite(name, elements)


def no_reference(system: Diatomic, r_angstrom, reason: str) -> Curve:
    """The reference of a system that has no curve: all-NaN energies on the grid, method
    :data:`NO_REFERENCE`; ``reason`` says why (one line). Its tier is ``measured constants``
    where astray has the molecule's measured r_e, omega_e or D_e (the probe compares with them
    and grades by them), else :data:`NO_REFERENCE`."""
    r = np.asarray(r_angstrom, dtype=float)
    nan = np.full(r.shape, np.nan)
    constants = measured_constants(system)
    if constants is not None and all(value is None for value in (
            constants.r_e_angstrom, constants.omega_e_cm1, constants.d_e_ev)):
        constants = None  # D_0 alone (V2, Ni2): nothing a curve's well is compared with
    tier = NO_REFERENCE if constants is None else TIER_MEASURED
    description = f"no reference curve: {reason}" + (
        "" if constants is None else f"; measured constants: {constants.source}")
    return Curve(system.name, NO_REFERENCE, description, r, nan, nan, None,
                 {"method": NO_REFERENCE, "tier": tier, "reason": reason})


def available_reference(system: Diatomic, method: str | None, store: Store) -> Curve:
    """The reference curve of ``system`` on its grid if it exists without quantum chemistry
    (shipped in the package, a closed form, or every point and both fragments in the store),
    else :func:`no_reference`."""
    r = system.default_grid()
    key = resolve_method(system, method)
    if costs_nothing(key):
        return reference_curve(system, r, method, store=store)
    if method is None and (system.spec, key) not in shipped_references():
        # a shipped curve of a correlated method stands in for the best one (He2:
        # FCI/aug-cc-pVTZ); a mean-field curve (DFT, HF) never does
        key = next((k for spec, k in shipped_references()
                    if spec == system.spec and not mean_field(k)), key)
        method = None if key == resolve_method(system, None) else key
    if _exists(system, key, r, store):
        return reference_curve(system, r, method, store=store)
    return no_reference(system, r, f"{key} is not shipped for {system.name} and quantum "
                        "chemistry is not run in a whole-table suite")


def _exists(system: Diatomic, key: str, r, store: Store) -> bool:
    """Whether the ``key`` curve of ``system`` at every ``r`` and its fragments are shipped or
    stored (so that reading it computes nothing)."""
    shipped = shipped_references().get((system.spec, key))
    known = set() if shipped is None else {round(x, R_DECIMALS) for x in shipped["r_angstrom"]}
    known |= set(store.reference_energies(system.spec, key, r))
    fragments_known = shipped is not None or all(
        store.reference_energies(fragment_key(f), key, [0.0]) for f in system.fragments)
    return fragments_known and all(round(float(x), R_DECIMALS) in known for x in r)


def missing_level_of_theory(system: Diatomic, r_angstrom, method: str, reason: str) -> Curve:
    """The level-of-theory curve a whole-table suite does not have: all NaN on the grid, its
    ``error`` and ``provenance["reason"]`` saying why (one line)."""
    r = np.asarray(r_angstrom, dtype=float)
    nan = np.full(r.shape, np.nan)
    return Curve(system.name, method, f"no level-of-theory curve: {reason}", r, nan, nan, None,
                 {"method": method, "tier": NO_REFERENCE, "reason": reason}, error=reason)


def level_of_theory_curve(potential: Potential, system: Diatomic, r_angstrom, method: str,
                          store: Store, *, compute: bool) -> Curve:
    """The curve of ``potential``'s training level of theory ``method`` on ``r_angstrom``.

    With ``compute`` (systems asked for by name): the reference of that method at the system's
    own multiplicity, computed on first use and kept. Without (a whole-table suite): only what
    exists, never computed: for a potential that does not read the spin and an SCF level, the
    spin ladder (lowest over the multiplicities, as the model has no spin to be told); for one
    that does, its multiplicity's curve; otherwise :func:`missing_level_of_theory`.
    """
    if compute:
        return reference_curve(system, r_angstrom, method, store=store)
    try:
        if not potential.spin_aware and mean_field(method):
            return ladder_reference(system, r_angstrom, method, store=store, compute=False)
        key = resolve_method(system, method)
        if _exists(system, key, r_angstrom, store):
            return reference_curve(system, r_angstrom, method, store=store)
        reason = (f"{key} is not shipped for {system.name} and quantum chemistry is not run in "
                  "a whole-table suite")
    except ReferenceUnavailableError as error:
        reason = str(error)
    return missing_level_of_theory(system, r_angstrom, method, reason)


def probe_suite(potentials: Sequence[Potential], systems: Sequence[Diatomic], *, store: Store,
                reference_method: str | None = None, compare_level_of_theory: bool = True,
                compute_references: bool = True, recompute: bool = False, command: str = "",
                on_progress: Progress | None = None, on_curve: CurveDone | None = None,
                systems_per_chunk: int = SYSTEMS_PER_CHUNK) -> ProbeResult:
    """Probe every potential on every system against the reference.

    Args:
        potentials: loaded potentials (:func:`astray.potentials.load_potential`).
        systems: the diatomics (:func:`astray.systems.get_system`, :func:`suite_systems`).
        store: where references and curves are read from and kept (the caller opens and
            closes it).
        reference_method: the reference method (None: the best available for each system).
        compare_level_of_theory: also compute each model's training level of theory on the curve
            (e.g. PBE for CHGNet), to separate the model's error from its functional's.
        compute_references: compute a missing reference or level-of-theory curve (False: use
            only what exists without quantum chemistry, :func:`available_reference` and
            :func:`level_of_theory_curve`; the whole-table suites' default).
        recompute: ignore stored curves.
        command: the command line that reproduces the result (the CLI passes its own).
        on_progress: progress as (done, total, what).
        on_curve: called after each curve (computed now or read from the store).
        systems_per_chunk: molecules per ``potential.evaluate`` call.
    """
    result = ProbeResult(__version__, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         command, [p.describe() for p in potentials], list(systems))
    total, done = len(systems) * (1 + len(potentials)), 0

    def step(what: str) -> None:
        nonlocal done
        if on_progress is not None:
            on_progress(done, total, what)
        done += 1

    for system in systems:
        step(f"reference {system.name}")
        result.references[system.name] = (
            reference_curve(system, method=reference_method, store=store) if compute_references
            else available_reference(system, reference_method, store))
    for potential in potentials:
        lot_method = (potential.level_of_theory_reference
                      if compare_level_of_theory and not potential.is_own_level_of_theory else None)
        chunk = max(1, systems_per_chunk) if potential.independent_structures else 1
        for start in range(0, len(systems), chunk):
            window = systems[start:start + chunk]
            for system, curve in _window(potential, window, result.references, store,
                                         lot_method, recompute,
                                         failures_are_gaps=not compute_references):
                step(f"{potential.name} on {system.name}")
                result.curves.append(curve)
                if on_curve is not None:
                    on_curve(result, curve)
    if on_progress is not None:
        on_progress(total, total, "done")
    return result


def _key(potential: Potential, system: Diatomic, reference: Curve, lot_method: str | None,
         lot: Curve | None = None):
    """The stored curve's identity; a level-of-theory curve that is missing (a whole-table
    suite before its ladder was built or shipped) is part of it, so the curve is judged again
    once the level of theory exists."""
    identity = {"potential": potential.describe(), "system": system.spec,
                "r": reference.r_angstrom.round(6).tolist(),
                "reference": reference.method, "level_of_theory": lot_method,
                "astray": __version__}
    if lot is not None and lot.error is not None:
        identity["level_of_theory_missing"] = lot.error
    return config_key(identity)


def _window(potential: Potential, window: Sequence[Diatomic], references: dict[str, Curve],
            store: Store, lot_method: str | None, recompute: bool, *,
            failures_are_gaps: bool = False):
    """(system, CurveResult) for each system of the window, in order: gaps and stored curves as
    they are, the rest from one batched call. With ``failures_are_gaps`` (a whole-table
    suite), a potential that declares no elements and gives no finite energy on a molecule
    is recorded as not covering it; on systems asked for by name, that is its failure."""
    done: dict[str, CurveResult] = {}
    pending, lots = [], {}
    for system in window:
        reference = references[system.name]
        reason = unsupported_reason(potential, system)
        if reason is None and potential.is_the_reference and reference.method == NO_REFERENCE:
            reason = (f"{COVERAGE_GAP}: no reference for {system.name} without quantum "
                      "chemistry, so nothing for the reference itself to give")
        if reason is not None:
            done[system.name] = _gap(potential, system, reference, reason)
            continue
        if failures_are_gaps and lot_method:  # only what exists: cheap, read before the key
            lots[system.name] = level_of_theory_curve(potential, system, reference.r_angstrom,
                                                      lot_method, store, compute=False)
        stored = None if recompute else _stored(store, _key(
            potential, system, reference, lot_method, lots.get(system.name)), reference)
        if stored is not None:
            done[system.name] = stored
        else:
            pending.append(system)
    slices = _evaluate_batch(potential, pending, references) if pending else []
    for system, prediction in zip(pending, slices):
        reference = references[system.name]
        lot = lots.get(system.name)
        if lot is None and lot_method:  # systems asked for by name: computed on first use
            lot = level_of_theory_curve(potential, system, reference.r_angstrom, lot_method,
                                        store, compute=True)
        evaluated = (evaluate_curve(potential, system, reference.r_angstrom)
                     if prediction is None else
                     curve_from_prediction(potential, system, reference.r_angstrom,
                                           prediction.energy, prediction.forces))
        curve = judge_curve(potential, system, evaluated, reference, lot)
        if (failures_are_gaps and declared_elements(potential) is None
                and not np.isfinite(curve.curve.energy_ev).any()):
            reason = (f"{COVERAGE_GAP}: {potential.name} declares no elements and gave no "
                      f"finite energy on {system.name}: {curve.curve.error}")
            curve = replace(curve, curve=replace(curve.curve, error=reason))
        store.put_curve(_key(potential, system, reference, lot_method, lot), potential.name,
                        system.name, curve.to_json())
        done[system.name] = curve
    return [(system, done[system.name]) for system in window]


def _stored(store: Store, key: str, reference: Curve) -> CurveResult | None:
    record = store.curve(key)
    if record is None:
        return None
    try:  # the reference in full (provenance, total energies), not its copy in the record
        return replace(CurveResult.from_json(record), reference=reference)
    except (KeyError, ValueError):  # written by another version of astray: recompute
        return None


def _evaluate_batch(potential: Potential, systems: Sequence[Diatomic],
                    references: dict[str, Curve]) -> list[Prediction | None]:
    """One ``potential.evaluate`` call for every system's structures, cut into one Prediction
    per system; None for a system to evaluate on its own (the call raised, or its slice has a
    NaN energy whose reason the batch cannot attribute)."""
    parts = [curve_structures(s, references[s.name].r_angstrom) for s in systems]
    structures = [atoms for part in parts for atoms in part]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            prediction = potential.evaluate(structures)
            energies = np.asarray(prediction.energy, dtype=float)
            if energies.shape != (len(structures),):
                raise ValueError(f"{len(energies)} energies for {len(structures)} structures")
        except Exception:  # each system again on its own: its curve keeps the error
            return [None] * len(systems)
    # issued again outside, so the caller's filters apply; the RuntimeWarnings of failed
    # structures belong to the molecules evaluated again on their own, which issue them there
    reissue_warnings([w for w in caught if not issubclass(w.category, RuntimeWarning)])
    slices, start = [], 0
    for part in parts:
        stop = start + len(part)
        energy = energies[start:stop]
        forces = None if prediction.forces is None else list(prediction.forces[start:stop])
        slices.append(Prediction(energy, forces) if np.isfinite(energy).all() else None)
        start = stop
    return slices


def _gap(potential: Potential, system: Diatomic, reference: Curve, reason: str) -> CurveResult:
    """The coverage-gap result: the curve measured as all NaN, its error the reason."""
    n = len(reference.r_angstrom) + len(system.fragments)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return judge_curve(potential, system, curve_from_prediction(
            potential, system, reference.r_angstrom, np.full(n, np.nan), error=reason),
            reference)
