"""Probe several potentials on several systems: compute, do not write.

Every curve is kept in the results store as soon as it is computed (keyed by its full
configuration, so it is never computed twice); the caller hears of each finished curve through
``on_curve`` (the CLI rewrites ``curves.json`` there), so an interrupted run keeps everything it
finished and a rerun resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone

from astray import __version__
from astray.curve import Curve
from astray.potentials.base import Potential
from astray.probes.curves import probe_curve
from astray.probes.probe_result import ProbeResult
from astray.probes.results import CurveResult
from astray.reference import reference_curve
from astray.store import Store, config_key
from astray.systems import Diatomic

#: ``on_progress(done, total, what)``: steps done, steps in all, what is being done now.
Progress = Callable[[int, int, str], None]
#: ``on_curve(result_so_far, curve)``: called after each curve is added to the result.
CurveDone = Callable[[ProbeResult, CurveResult], None]


def probe_suite(potentials: Sequence[Potential], systems: Sequence[Diatomic], *, store: Store,
                reference_method: str | None = None, compare_level_of_theory: bool = True,
                recompute: bool = False, command: str = "",
                on_progress: Progress | None = None,
                on_curve: CurveDone | None = None) -> ProbeResult:
    """Probe every potential on every system against the reference.

    Args:
        potentials: loaded potentials (:func:`astray.potentials.load_potential`).
        systems: the diatomics (:func:`astray.systems.get_system`).
        store: where references and curves are read from and kept (the caller opens and
            closes it).
        reference_method: the reference method (None: the best available for each system).
        compare_level_of_theory: also compute each model's training level of theory on the curve
            (e.g. PBE for CHGNet), to separate the model's error from its functional's.
        recompute: ignore stored curves.
        command: the command line that reproduces the result (the CLI passes its own).
        on_progress: progress as (done, total, what).
        on_curve: called after each curve (computed now or read from the store).
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
        result.references[system.name] = reference_curve(system, method=reference_method,
                                                         store=store)
    for potential in potentials:
        for system in systems:
            step(f"{potential.name} on {system.name}")
            curve = _stored_or_computed(potential, system, result.references[system.name],
                                        store, compare_level_of_theory, recompute)
            result.curves.append(curve)
            if on_curve is not None:
                on_curve(result, curve)
    if on_progress is not None:
        on_progress(total, total, "done")
    return result


def _stored_or_computed(potential: Potential, system: Diatomic, reference: Curve, store: Store,
                        compare_level_of_theory: bool, recompute: bool) -> CurveResult:
    # a quantum-chemistry potential is its own level of theory: its curve against the
    # reference already is that comparison (computing it again cost 7 minutes of PBE)
    lot_method = (potential.level_of_theory_reference
                  if compare_level_of_theory and potential.family != "pyscf" else None)
    key = config_key({"potential": potential.describe(), "system": system.spec,
                      "r": reference.r_angstrom.round(6).tolist(),
                      "reference": reference.method, "level_of_theory": lot_method,
                      "astray": __version__})
    record = None if recompute else store.curve(key)
    if record is not None:
        try:  # the reference in full (provenance, total energies), not its copy in the record
            return replace(CurveResult.from_json(record), reference=reference)
        except (KeyError, ValueError):  # written by another version of astray: recompute
            pass
    lot = (reference_curve(system, reference.r_angstrom, lot_method, store=store)
           if lot_method else None)
    curve = probe_curve(potential, system, reference, lot)
    store.put_curve(key, potential.name, system.name, curve.to_json())
    return curve
