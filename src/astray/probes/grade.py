"""A quantitative grade beside the qualitative verdict.

The verdict judges the physics (a wall, the right asymptote, Coulomb's law ...); a curve of the
right shape can still be far off in numbers: GFN2-xTB passes H2 with its well 13 kcal/mol too
deep. Chemists judge numbers by chemical accuracy (1 kcal/mol), so each curve also gets one of

``chemical accuracy``
    |D_e error| and the bonding-region MAE within CHEMICAL_ACCURACY_KCAL_MOL (1 kcal/mol),
    |r_e error| within CHEMICAL_ACCURACY_R_E_ANGSTROM (0.01 A) and |omega_e error| within
    CHEMICAL_ACCURACY_OMEGA_RELATIVE (3 %) of the reference's;
``within 5 kcal/mol``
    the same errors within NEAR_CHEMICAL_ACCURACY_KCAL_MOL (5 kcal/mol), NEAR_R_E_ANGSTROM
    (0.03 A) and NEAR_OMEGA_RELATIVE (10 %);
``worse``
    any of them beyond, or the reference has a well and the curve none;
``ungraded``
    no finite energy to grade.

For a reference without a well (bare nuclei, repulsive states) only the bonding-region MAE is
graded. The grade names the metrics that kept it from the grade above (``grade_limited_by``).
"""

from __future__ import annotations

from astray.probes import thresholds as th
from astray.probes.results import CurveMetrics, Grade
from astray.units import KCAL_MOL_EV

#: The two graded tiers, best first: (grade, energy limit eV, r_e limit A, omega relative).
_TIERS = (
    (Grade.CHEMICAL_ACCURACY, th.CHEMICAL_ACCURACY_KCAL_MOL * KCAL_MOL_EV,
     th.CHEMICAL_ACCURACY_R_E_ANGSTROM, th.CHEMICAL_ACCURACY_OMEGA_RELATIVE),
    (Grade.NEAR, th.NEAR_CHEMICAL_ACCURACY_KCAL_MOL * KCAL_MOL_EV, th.NEAR_R_E_ANGSTROM,
     th.NEAR_OMEGA_RELATIVE),
)


def _graded_errors(m: CurveMetrics) -> dict[str, float | None]:
    """The graded errors: energies in eV, r_e in A, omega_e as a fraction of the reference's."""
    omega = (None if m.omega_e_error_cm1 is None or not m.reference_omega_e_cm1
             else abs(m.omega_e_error_cm1) / m.reference_omega_e_cm1)
    errors = {"mae_bonding_ev": m.mae_bonding_ev}
    if m.reference_n_minima > 0:
        errors.update(d_e_error_ev=m.d_e_error_ev, r_e_error_angstrom=m.r_e_error_angstrom,
                      omega_e_error_cm1=omega)
    return errors


def grade(metrics: CurveMetrics) -> tuple[Grade, tuple[str, ...]]:
    """The grade of a curve and the metrics that kept it from the grade above (empty for
    chemical accuracy; the missing ones when the curve lacks the reference's well)."""
    if metrics.n_points == metrics.n_nan or metrics.mae_bonding_ev is None:
        return Grade.UNGRADED, ()
    errors = _graded_errors(metrics)
    missing = tuple(name for name, value in errors.items() if value is None)
    if missing:  # the reference has a well the curve lacks (or no frequency): not graded close
        return Grade.WORSE, missing
    above: tuple[str, ...] = ()  # what kept the curve from the tier above
    for tier, energy_ev, r_e_angstrom, omega_relative in _TIERS:
        limits = {"mae_bonding_ev": energy_ev, "d_e_error_ev": energy_ev,
                  "r_e_error_angstrom": r_e_angstrom, "omega_e_error_cm1": omega_relative}
        beyond = tuple(name for name, value in errors.items() if abs(value) > limits[name])
        if not beyond:
            return tier, above
        above = beyond
    return Grade.WORSE, above
