"""A quantitative grade beside the qualitative verdict.

The verdict judges the physics (a wall, the right asymptote, Coulomb's law ...); a curve of the
right shape can still be far off in numbers: GFN2-xTB passes H2 with its well 13 kcal/mol too
deep. Chemists judge numbers by chemical accuracy (1 kcal/mol), so each curve also gets one of

``chemical accuracy``
    |D_e error| and the MAE of every region the reference covers (compressed, bonding,
    stretched) within CHEMICAL_ACCURACY_KCAL_MOL (1 kcal/mol),
    |r_e error| within CHEMICAL_ACCURACY_R_E_ANGSTROM (0.01 A) and |omega_e error| within
    CHEMICAL_ACCURACY_OMEGA_RELATIVE (3 %) of the reference's;
``within 5 kcal/mol``
    the same errors within NEAR_CHEMICAL_ACCURACY_KCAL_MOL (5 kcal/mol), NEAR_R_E_ANGSTROM
    (0.03 A) and NEAR_OMEGA_RELATIVE (10 %);
``worse``
    any of them beyond, or the reference has a well and the curve none;
``ungraded``
    no finite energy to grade.

The grade names are claims about every energy the reference covers, so the compressed and
stretched regions are held to the same limits as the bonding one: ASE's MorsePotential with H2's
constants has a perfect well (bonding MAE 0.2 kcal/mol) and was graded ``chemical accuracy``
while its wall was 74 kcal/mol off (MAE over the compressed region) and its smooth cutoff flattened
the stretched bond 16 kcal/mol too early; it is ``worse`` now, limited by ``mae_compressed_ev``
(and failed by ``early-asymptote``). A region the reference does not cover (no reference energy
there: unreferenced, or no grid point) is not graded. A region without an MAE on a curve with
NaN or non-physical energies counts as missing (the curve may have no energy there; the metrics
cannot tell that from a region the reference leaves out), and the grade is ``worse``.
For a reference without a well (bare nuclei, repulsive states) only the region MAEs are graded.
The grade names the metrics that kept it from the grade above (``grade_limited_by``).
"""

from __future__ import annotations

from astray.probes import thresholds as th
from astray.probes.results import CurveMetrics, ExperimentComparison, Grade
from astray.units import KCAL_MOL_EV

#: The two graded tiers, best first: (grade, energy limit eV, r_e limit A, omega relative).
_TIERS = (
    (Grade.CHEMICAL_ACCURACY, th.CHEMICAL_ACCURACY_KCAL_MOL * KCAL_MOL_EV,
     th.CHEMICAL_ACCURACY_R_E_ANGSTROM, th.CHEMICAL_ACCURACY_OMEGA_RELATIVE),
    (Grade.NEAR, th.NEAR_CHEMICAL_ACCURACY_KCAL_MOL * KCAL_MOL_EV, th.NEAR_R_E_ANGSTROM,
     th.NEAR_OMEGA_RELATIVE),
)


#: The regions graded beside the bonding one, where the reference covers them.
_OTHER_REGIONS = ("mae_compressed_ev", "mae_stretched_ev")


def _graded_errors(m: CurveMetrics) -> dict[str, float | None]:
    """The graded errors: energies in eV, r_e in A, omega_e as a fraction of the reference's."""
    omega = (None if m.omega_e_error_cm1 is None or not m.reference_omega_e_cm1
             else abs(m.omega_e_error_cm1) / m.reference_omega_e_cm1)
    errors = {"mae_bonding_ev": m.mae_bonding_ev}
    unusable = m.n_nan + (m.n_nonphysical or 0) > 0
    for region in _OTHER_REGIONS:
        if m[region] is not None or unusable:  # None and no gap: the reference is not there
            errors[region] = m[region]
    if m.reference_n_minima > 0:
        errors.update(d_e_error_ev=m.d_e_error_ev, r_e_error_angstrom=m.r_e_error_angstrom,
                      omega_e_error_cm1=omega)
    return errors


def grade(metrics: CurveMetrics) -> tuple[Grade, tuple[str, ...]]:
    """The grade of a curve and the metrics that kept it from the grade above (empty for
    chemical accuracy; the missing ones when the curve lacks the reference's well)."""
    if (metrics.n_points <= metrics.n_nan + (metrics.n_nonphysical or 0)
            or metrics.mae_bonding_ev is None):
        return Grade.UNGRADED, ()
    return _grade_errors(_graded_errors(metrics))


def grade_from_experiment(experiment: ExperimentComparison) -> tuple[Grade, tuple[str, ...]]:
    """The grade of a curve with no reference curve, from its r_e, omega_e and D_e against the
    measured constants, with the limits of :func:`grade`; a constant the curve lacks (no well)
    keeps it ``worse``, one that was never measured is left out (never guessed). ``ungraded``
    where nothing was measured."""
    omega = (None if experiment.omega_e_error_cm1 is None
             else abs(experiment.omega_e_error_cm1) / experiment.omega_e_cm1)
    measured = {"d_e_error_ev": (experiment.d_e_ev, experiment.d_e_error_ev),
                "r_e_error_angstrom": (experiment.r_e_angstrom, experiment.r_e_error_angstrom),
                "omega_e_error_cm1": (experiment.omega_e_cm1, omega)}
    errors = {name: error for name, (value, error) in measured.items() if value is not None}
    if not errors:
        return Grade.UNGRADED, ()
    return _grade_errors(errors)


def _grade_errors(errors: dict[str, float | None]) -> tuple[Grade, tuple[str, ...]]:
    """The tier the graded errors reach (energies in eV, r_e in A, omega_e as a fraction)."""
    missing = tuple(name for name, value in errors.items() if value is None)
    if missing:  # the reference has a well the curve lacks (or no frequency): not graded close
        return Grade.WORSE, missing
    above: tuple[str, ...] = ()  # what kept the curve from the tier above
    for tier, energy_ev, r_e_angstrom, omega_relative in _TIERS:
        limits = {"mae_bonding_ev": energy_ev, "d_e_error_ev": energy_ev,
                  "mae_compressed_ev": energy_ev, "mae_stretched_ev": energy_ev,
                  "r_e_error_angstrom": r_e_angstrom, "omega_e_error_cm1": omega_relative}
        beyond = tuple(name for name, value in errors.items() if abs(value) > limits[name])
        if not beyond:
            return tier, above
        above = beyond
    return Grade.WORSE, above
