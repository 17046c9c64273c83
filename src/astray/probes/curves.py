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
from dataclasses import replace

import numpy as np
from ase import Atoms

from astray.curve import Curve
from astray.potentials.base import Potential
from astray.probes.convention import exact_dissociation_limit_ev
from astray.probes.grade import grade, grade_from_experiment
from astray.probes.measure import curve_metrics
from astray.probes.results import (
    CurveMetrics,
    CurveResult,
    ExperimentComparison,
    LevelOfTheoryComparison,
    PotentialInfo,
    Verdict,
)
from astray.probes.verdict import verdict
from astray.reference.constants import MeasuredConstants, measured_constants
from astray.systems import Diatomic


def bond_force(atoms: Atoms, forces: np.ndarray) -> float:
    """F_r = (F_B - F_A) . u / 2 in eV/A, u the unit vector from atom A to atom B."""
    bond = atoms.positions[1] - atoms.positions[0]
    unit = bond / np.linalg.norm(bond)  # exactly (0, 0, 1) along z: F_r is then F_z to the bit
    return float((forces[1] - forces[0]) @ unit / 2.0)


def curve_structures(system: Diatomic, r_angstrom) -> list[Atoms]:
    """What a curve evaluates, in this order: the molecule at every bond length, then its two
    fragments."""
    return [system.atoms(x) for x in np.asarray(r_angstrom, dtype=float)] + [
        f.atoms() for f in system.fragments]


def curve_from_prediction(potential: Potential, system: Diatomic, r_angstrom, energies,
                          forces=None, error: str | None = None) -> Curve:
    """The :class:`Curve` of the answer ``(energies, forces)`` of ``potential`` for
    :func:`curve_structures` (eV, eV/angstrom): E(AB) - E(A) - E(B) with its own fragments, and
    the force along the bond where it gave forces."""
    r = np.asarray(r_angstrom, dtype=float)
    energies = np.asarray(energies, dtype=float)
    total, fragments = energies[: len(r)], (float(energies[-2]), float(energies[-1]))
    force_r = None
    if forces is not None and any(np.shape(f) != (2, 3) for f in list(forces)[: len(r)]):
        # forces of the wrong shape are the adapter's fault: the energies stand, the forces
        # are left out (no force checks), and the curve says why
        shapes = sorted({str(np.shape(f)) for f in list(forces)[: len(r)]})
        note = f"forces ignored: shape {', '.join(shapes)} where a pair of atoms has (2, 3)"
        error, forces = (note if error is None else f"{error}; {note}"), None
    if forces is not None:
        molecules = [system.atoms(x) for x in r]
        force_r = np.array([bond_force(atoms, f) for atoms, f in zip(molecules, forces)])
    return Curve(system.name, potential.name, "", r, total - sum(fragments), total, fragments,
                 {"potential": potential.describe()}, force_r, error)


def reissue_warnings(caught) -> None:
    """Issue the warnings recorded while a potential ran again, so the caller's filters apply;
    the RuntimeWarnings of failed structures as one (a NaN curve gave 41 before)."""
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    for record in [w for w in caught if not issubclass(w.category, RuntimeWarning)] + runtime[:1]:
        message = record.message
        if record in runtime[:1] and len(runtime) > 1:
            message = RuntimeWarning(f"{message} (and {len(runtime) - 1} more such warnings)")
        warnings.warn_explicit(message, record.category, record.filename, record.lineno)


def evaluate_curve(potential: Potential, system: Diatomic, r_angstrom) -> Curve:
    """Evaluate ``potential`` on the molecule at every bond length and on both fragments, as one
    batch. A potential that raises gives an all-NaN curve with the error kept, not an exception.
    A potential that returns NaN keeps its reason in ``error``: the first ``RuntimeWarning`` it
    issued (how adapters report a failed structure), or that it gave none. Warnings are recorded
    while the potential runs and issued again afterwards, so the caller's filters still apply."""
    structures = curve_structures(system, r_angstrom)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            prediction = potential.evaluate(structures)
            energies = np.asarray(prediction.energy, dtype=float)
            forces, error = prediction.forces, None
        except Exception as exc:  # a broken model is a finding, not a crash of the whole probe
            energies, forces = np.full(len(structures), np.nan), None
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    reissue_warnings(caught)
    n_failed = int(np.count_nonzero(~np.isfinite(energies)))
    if error is None and n_failed:
        reasons = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        error = (f"{n_failed} of {len(structures)} energies are NaN; "
                 + (f"first: {reasons[0].splitlines()[0]}" if reasons else "the model gave no "
                    "reason"))
    return curve_from_prediction(potential, system, r_angstrom, energies, forces, error)


def _verdict(metrics: CurveMetrics, system: Diatomic, curve: Curve) -> Verdict:
    """The verdict; without a reference curve (``reference_n_points`` 0: no truth on the grid)
    it is judged from the curve's own physics: the ground state of a neutral diatomic is
    bound, so one minimum is expected, with the force sign flip and the two grid steps around
    it that a smooth well has (the reference's minima, flips and jump measured on an all-NaN
    reference are not statements about the molecule). Pairs with helium may have a well
    shallower than the minimum prominence (He2: 0.9 meV): there no minimum and one are both
    accepted. Only the verdict is judged so; the metrics are kept as measured."""
    if metrics.reference_n_points != 0 or system.bare_nuclei:
        return verdict(metrics, bare_nuclei=system.bare_nuclei)
    bound = "He" not in system.symbols or (metrics.n_minima or 0) > 0
    energy = curve.energy_ev[np.argsort(curve.r_angstrom)]
    energy = energy[np.isfinite(energy)]
    lowest = int(np.argmin(energy)) if energy.size else 0
    well_steps = (float(np.abs(np.diff(energy[max(lowest - 1, 0):lowest + 2])).sum())
                  if bound else 0.0)
    judged = replace(metrics, reference_force_sign_flips=None, reference_n_minima=0,
                     reference_energy_jump_ev=well_steps)
    return verdict(judged, bare_nuclei=False, reference_has_minimum=bound)


def probe_curve(potential: Potential, system: Diatomic, reference: Curve,
                level_of_theory: Curve | None = None) -> CurveResult:
    """Evaluate, measure, judge and grade one curve of ``potential`` against ``reference`` (and
    against its own ``level_of_theory`` curve, where given): :func:`evaluate_curve`, then
    :func:`judge_curve`."""
    return judge_curve(potential, system, evaluate_curve(potential, system, reference.r_angstrom),
                       reference, level_of_theory)


def compare_with_experiment(metrics: CurveMetrics,
                            constants: MeasuredConstants | None) -> ExperimentComparison | None:
    """The curve's r_e, omega_e and D_e against measured ground-state constants (None without
    a measurement; an error is None where either side lacks the value)."""
    if constants is None:
        return None

    def error(model, measured):
        return None if model is None or measured is None else float(model - measured)

    return ExperimentComparison(
        constants.source, constants.state, constants.r_e_angstrom, constants.omega_e_cm1,
        constants.d_e_ev, error(metrics.r_e_angstrom, constants.r_e_angstrom),
        error(metrics.omega_e_cm1, constants.omega_e_cm1), error(metrics.d_e_ev, constants.d_e_ev))


def judge_curve(potential: Potential, system: Diatomic, curve: Curve, reference: Curve,
                level_of_theory: Curve | None = None) -> CurveResult:
    """Measure, judge and grade an evaluated curve (:func:`evaluate_curve`, or a slice of a batch
    of several systems) against ``reference`` on the same grid.

    ``metrics`` is the curve's shape, E(AB) - E(A) - E(B) with the potential's own fragments,
    plus the error of those fragments in the potential's energy convention where it has exact
    values (``dissociation_limit_error_ev``); ``convention_metrics`` (an ``"atomization"``
    potential only) its energies, E(AB), against the exact ones in that convention;
    ``experiment`` its constants against the measured ones where astray has them. The grade is
    read from the metrics against the reference, or, where there is no reference curve, from the
    errors against experiment."""
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
    experiment = compare_with_experiment(metrics, measured_constants(system))
    if metrics.reference_n_points == 0 and experiment is not None:
        grade_name, limited_by = grade_from_experiment(experiment)
    else:
        grade_name, limited_by = grade(metrics)
    return CurveResult(
        potential=PotentialInfo(potential.name, potential.version, potential.charge_aware,
                                potential.spin_aware, potential.energy_convention),
        system=system, curve=curve, reference=reference, metrics=metrics,
        verdict=_verdict(metrics, system, curve), grade=grade_name,
        grade_limited_by=limited_by, aligned_metrics=aligned, level_of_theory=comparison,
        convention_metrics=in_convention, experiment=experiment)
