"""Put one potential on trial on one diatomic: evaluate its curve in one batch, compare it with the
reference, and turn the metrics into a verdict.

Energies are relative to the separated fragments computed by the same potential,
E(AB, r) - E(A) - E(B), so a right curve goes to 0 at infinite separation: the curve's shape,
judged with every potential. A potential whose energies have an exact zero (the
``"atomization"`` convention: neutral atoms are 0) is judged in that convention too: its own
fragments against their exact energies there (``dissociation_limit_error_ev``, a
``wrong-asymptote`` beyond 0.1 eV), and its energies E(AB, r), nothing subtracted, against the
exact ones, E_ref(r) + E_exact(A) + E_exact(B) (``metrics_in_convention``). The force along the
bond is F_r = (F_B - F_A) . u / 2 with u the unit vector from A to B (computed from the
positions), which equals -dE/dr for a potential whose forces are the gradient of its energy
(positive: the atoms are pushed apart).
"""

from __future__ import annotations

import warnings

import numpy as np
from ase import Atoms

from astray.curve import Curve
from astray.potentials.base import Potential
from astray.probes.convention import exact_dissociation_limit_ev
from astray.probes.grade import grade
from astray.probes.measure import curve_metrics
from astray.probes.results import CurveResult, LevelOfTheoryComparison, PotentialInfo
from astray.probes.verdict import verdict
from astray.systems import Diatomic


def bond_force(atoms: Atoms, forces: np.ndarray) -> float:
    """F_r = (F_B - F_A) . u / 2 in eV/A, u the unit vector from atom A to atom B."""
    bond = atoms.positions[1] - atoms.positions[0]
    unit = bond / np.linalg.norm(bond)  # exactly (0, 0, 1) along z: F_r is then F_z to the bit
    return float((forces[1] - forces[0]) @ unit / 2.0)


def evaluate_curve(potential: Potential, system: Diatomic, r_angstrom) -> Curve:
    """Evaluate ``potential`` on the molecule at every bond length and on both fragments, as one
    batch. A potential that raises gives an all-NaN curve with the error kept, not an exception.
    A potential that returns NaN keeps its reason in ``error``: the first ``RuntimeWarning`` it
    issued (how adapters report a failed structure), or that it gave none. Warnings are recorded
    while the potential runs and issued again afterwards, so the caller's filters still apply."""
    r = np.asarray(r_angstrom, dtype=float)
    molecules = [system.atoms(x) for x in r]
    structures = molecules + [f.atoms() for f in system.fragments]
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
        force_r = np.array([bond_force(atoms, f) for atoms, f in zip(molecules, forces)])
    return Curve(system.name, potential.name, "", r, total - sum(fragments), total, fragments,
                 {"potential": potential.describe()}, force_r, error)


def probe_curve(potential: Potential, system: Diatomic, reference: Curve,
          level_of_theory: Curve | None = None) -> CurveResult:
    """Evaluate, measure, judge and grade one curve of ``potential`` against ``reference`` (and
    against its own ``level_of_theory`` curve, where given).

    ``metrics`` is the curve's shape, E(AB) - E(A) - E(B) with the potential's own fragments,
    plus the error of those fragments in the potential's energy convention where it has exact
    values (``dissociation_limit_error_ev``); ``convention_metrics`` (an ``"atomization"``
    potential only) its energies, E(AB), against the exact ones in that convention."""
    curve = evaluate_curve(potential, system, reference.r_angstrom)
    common = dict(masses_amu=system.masses_amu, r_ref=system.r_nominal,
                  bare_nuclei=system.bare_nuclei, nuclear_charges=system.atomic_numbers)
    exact_limit = exact_dissociation_limit_ev(system.fragments, potential.energy_convention)
    limit = dict(fragment_energy_ev=curve.fragment_energy_ev,
                 exact_dissociation_limit_ev=exact_limit)
    metrics = curve_metrics(curve.r_angstrom, curve.energy_ev, reference.energy_ev,
                            force_r=curve.force_r_ev_angstrom, **common, **limit)
    in_convention = None
    if exact_limit is not None:
        # the exact energies in the potential's convention: the reference curve above its
        # exact fragments (for H2 the reference itself); Coulomb's law is a statement about
        # the shape, so it is judged in ``metrics`` only
        in_convention = curve_metrics(
            curve.r_angstrom, curve.total_energy_ev, reference.energy_ev + exact_limit,
            force_r=curve.force_r_ev_angstrom, masses_amu=system.masses_amu,
            r_ref=system.r_nominal, **limit)
    aligned = None
    if not potential.fragment_energies_meaningful:
        # shape only, marked as such: the curve shifted so that it meets the reference at its
        # largest r; the verdict (against the model's own fragments) stands
        shifted = curve.energy_ev - curve.energy_ev[-1] + reference.energy_ev[-1]
        aligned = curve_metrics(curve.r_angstrom, shifted, reference.energy_ev,
                                force_r=curve.force_r_ev_angstrom, **common)
    comparison = None
    if level_of_theory is not None:
        comparison = LevelOfTheoryComparison(
            level_of_theory,
            curve_metrics(curve.r_angstrom, curve.energy_ev, level_of_theory.energy_ev,
                          force_r=curve.force_r_ev_angstrom, **common),
            curve_metrics(curve.r_angstrom, level_of_theory.energy_ev, reference.energy_ev,
                          **common))
    grade_name, limited_by = grade(metrics)
    return CurveResult(
        potential=PotentialInfo(potential.name, potential.version, potential.charge_aware,
                                potential.spin_aware, potential.energy_convention),
        system=system, curve=curve, reference=reference, metrics=metrics,
        verdict=verdict(metrics, bare_nuclei=system.bare_nuclei), grade=grade_name,
        grade_limited_by=limited_by, aligned_metrics=aligned, level_of_theory=comparison,
        convention_metrics=in_convention)
