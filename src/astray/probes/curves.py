"""Put one potential on trial on one diatomic: evaluate its curve in one batch, compare it with the
reference, and turn the metrics into a verdict.

Energies are relative to the separated fragments computed by the same potential,
E(AB, r) - E(A) - E(B), so a right curve goes to 0 at infinite separation. The force along the
bond is F_r = (F_B - F_A) . u / 2 with u the unit vector from A to B, which equals -dE/dr for a
potential whose forces are the gradient of its energy (positive: the atoms are pushed apart).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from astray.potentials.base import Potential
from astray.probes.metrics import curve_metrics
from astray.probes.verdict import verdict
from astray.curve import Curve
from astray.systems import Diatomic


@dataclass
class EvaluatedCurve:
    """A potential's curve: bond lengths (A), energies relative to its own fragments (eV),
    total energies (eV), fragment energies (eV), the force along the bond (eV/A) or None, and
    why energies are missing (one line) or None."""

    r_angstrom: np.ndarray
    energy_ev: np.ndarray
    total_energy_ev: np.ndarray
    fragment_energy_ev: tuple[float, float]
    force_r: np.ndarray | None
    error: str | None = None


def evaluate_curve(potential: Potential, system: Diatomic, r_angstrom) -> EvaluatedCurve:
    """Evaluate ``potential`` on the molecule at every bond length and on both fragments, as one
    batch. A potential that raises gives an all-NaN curve with the error kept, not an exception.
    A potential that returns NaN keeps its reason in ``error``: the first ``RuntimeWarning`` it
    issued (how adapters report a failed structure), or that it gave none. Warnings are recorded
    while the potential runs and issued again afterwards, so the caller's filters still apply."""
    r = np.asarray(r_angstrom, dtype=float)
    structures = [system.atoms(x) for x in r] + [f.atoms() for f in system.fragments]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            prediction = potential.evaluate(structures)
            energies = np.asarray(prediction.energy, dtype=float)
            forces, error = prediction.forces, None
        except Exception as exc:  # a broken model is a finding, not a crash of the whole probe
            energies, forces = np.full(len(structures), np.nan), None
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    for record in caught:
        warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    n_failed = int(np.count_nonzero(~np.isfinite(energies)))
    if error is None and n_failed:
        reasons = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        error = (f"{n_failed} of {len(structures)} energies are NaN; "
                 + (f"first: {reasons[0].splitlines()[0]}" if reasons else "the model gave no "
                    "reason"))
    total, fragments = energies[: len(r)], (float(energies[-2]), float(energies[-1]))
    force_r = None
    if forces is not None:
        force_r = np.array([(f[1, 2] - f[0, 2]) / 2.0 for f in forces[: len(r)]])
    return EvaluatedCurve(r, total - sum(fragments), total, fragments, force_r, error)


def probe(potential: Potential, system: Diatomic, reference: Curve,
          level_of_theory: Curve | None = None) -> dict:
    """Evaluate, measure and judge one curve. Returns the JSON record of ``curves.json``
    (NaN written as null)."""
    curve = evaluate_curve(potential, system, reference.r_angstrom)
    common = dict(masses_amu=system.masses_amu, r_ref=system.r_nominal, force_r=curve.force_r,
                  bare_nuclei=system.bare_nuclei, nuclear_charges=system.atomic_numbers)
    metrics = curve_metrics(curve.r_angstrom, curve.energy_ev, reference.energy_ev, **common)
    outcome, failures = verdict(metrics, bare_nuclei=system.bare_nuclei)
    record = {
        "potential": potential.name, "potential_version": potential.version,
        "system": system.name, "spec": system.spec, "charge": system.charge,
        "multiplicity": system.multiplicity, "n_electrons": system.n_electrons,
        "fragments": [f.label for f in system.fragments],
        "charge_aware": potential.charge_aware, "spin_aware": potential.spin_aware,
        "blind_to_this_system": (system.charge != 0 and not potential.charge_aware)
        or (system.multiplicity != 1 and not potential.spin_aware),
        "r_angstrom": curve.r_angstrom, "energy_ev": curve.energy_ev,
        "force_r_ev_angstrom": curve.force_r, "fragment_energy_ev": curve.fragment_energy_ev,
        "reference_method": reference.method, "reference_description": reference.description,
        "reference_energy_ev": reference.energy_ev,
        "metrics": metrics, "failures": failures, "verdict": outcome, "error": curve.error,
    }
    if not potential.fragment_energies_meaningful:
        # shape only, marked as such: the curve shifted so that it meets the reference at its
        # largest r; the verdict above (against the model's own fragments) stands
        aligned = curve.energy_ev - curve.energy_ev[-1] + reference.energy_ev[-1]
        record["metrics_aligned_at_largest_r"] = curve_metrics(
            curve.r_angstrom, aligned, reference.energy_ev, **common)
    if level_of_theory is not None:
        record["level_of_theory"] = {
            "method": level_of_theory.method, "energy_ev": level_of_theory.energy_ev,
            "metrics_model_vs_level_of_theory": curve_metrics(
                curve.r_angstrom, curve.energy_ev, level_of_theory.energy_ev, **common),
            "metrics_level_of_theory_vs_reference": curve_metrics(
                curve.r_angstrom, level_of_theory.energy_ev, reference.energy_ev,
                **{**common, "force_r": None}),
        }
    return to_json_safe(record)


def to_json_safe(value):
    """Arrays to lists, NaN/inf to None, numpy scalars to Python: strict JSON."""
    if isinstance(value, dict):
        return {k: to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    return value
