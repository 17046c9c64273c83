"""Pass / fail verdict of a curve from its metrics (:func:`astray.probes.metrics.curve_metrics`).

A curve passes when it has no failure. Failures come from a fixed vocabulary, reported in this
order; every threshold is a named constant in :mod:`astray.probes.thresholds`. A check whose
metric is None (not computable) is skipped -- except that a curve with no usable energy at all
fails with ``nan-energy`` and/or ``nonphysical-energy`` alone.

``nan-energy``
    The model returned a non-finite energy at one or more grid points (``n_nan > 0``).
``nonphysical-energy``
    The model returned a finite energy beyond +-NONPHYSICAL_ENERGY_EV at one or more grid
    points (``n_nonphysical > 0``): a broken model's number (a PaiNN gave -2.8e17 eV for H2 at
    0.2 A), dropped from every metric like a NaN instead of being averaged into them.
``no-repulsive-wall``
    ``repulsive_wall_monotonic`` is False: going inward from the (first) minimum -- or over the
    compressed branch if there is no minimum -- the energy fails to rise strictly at some grid
    step outside the flat bottom of the well (WALL_TOLERANCE_EV): a "hole" or a plateau where
    the nuclei should repel ever more strongly.
``wrong-asymptote``
    |asymptote_error_ev| > ASYMPTOTE_TOLERANCE_EV: at the largest r the curve does not reach the
    reference dissociation limit (e.g. fractional charges, wrong spin state, a cutoff artefact);
    or |dissociation_limit_error_ev| > ASYMPTOTE_TOLERANCE_EV too: the potential's own
    separated fragments miss their exact energy in its energy convention (an
    ``"atomization"``-convention model whose lone H is not 0 eV, or whose H+ is not 0.5 hartree,
    13.6057 eV).
    A model whose cutoff is shorter than the grid's largest r reaches its own fragments exactly
    there, so only the second test can catch its wrong limit; it is None, and skipped, for a
    ``"total"``-convention potential.
``early-asymptote``
    ``early_asymptote_depth_ev`` > EARLY_ASYMPTOTE_DEPTH_EV: the curve has already arrived at
    its own limit (within ASYMPTOTE_TOLERANCE_EV of its value at the largest r from
    ``asymptote_reached_r_angstrom`` outward) where the reference is still that far below its
    limit: a cutoff that cuts the bond off while it still binds (ASE's MorsePotential with its
    default smooth cutoff on H2: flat at 1.95 A, where exact H2 is 0.68 eV bound), or a curve
    flat from its wall on.
``spurious-minimum``
    More minima than the reference (``n_minima > reference_n_minima``), or any minimum where
    the reference has none (bare protons, repulsive states such as triplet H2).
``missing-minimum``
    The reference has a minimum and the curve has none (``n_minima == 0``). Neither minimum
    failure is judged against a missing reference (``reference_n_points == 0``). Minima of both are
    counted alike, at MINIMUM_PROMINENCE_EV (1 meV): a shallower reference dip (He2 0.86 meV in
    FCI/aug-cc-pVTZ, the van der Waals dip of triplet H2) is no minimum, and a model well of
    1 meV or more there is a spurious one.
``wrong-bond-length``
    |r_e_error_angstrom| > R_E_TOLERANCE_ANGSTROM.
``wrong-well-depth``
    |d_e_error_ev| > D_E_RELATIVE_TOLERANCE * |reference D_e|.
``wrong-frequency``
    |omega_e_error_cm1| > OMEGA_RELATIVE_TOLERANCE * reference omega_e.
``coulomb-law-violated``
    Bare nuclei only: the fitted E = k r^n has |n + 1| > COULOMB_EXPONENT_TOLERANCE, or k off by
    more than COULOMB_PREFACTOR_RELATIVE_TOLERANCE from Z1 Z2 * 14.3996 eV A, or some point is off
    by more than COULOMB_MAX_RELATIVE_ERROR from the exact Coulomb energy, or has E <= 0, or there
    are too few positive points to fit at all.
``rough-curve``
    More force sign flips than the reference's plus MAX_EXTRA_FORCE_SIGN_FLIPS (one smooth extra
    excursion is left to ``spurious-minimum``), or an energy jump exceeding the reference's by more
    than ENERGY_JUMP_TOLERANCE_EV: wiggles, noise, zigzags, steps from cutoffs.
``energy-force-inconsistent``
    ``energy_force_work_error`` > ENERGY_FORCE_WORK_TOLERANCE: the forces are not
    the negative gradient of the energies (only when forces were given).
``large-error``
    ``mae_ev`` > LARGE_MAE_EV over the whole curve.
"""

from __future__ import annotations

from astray.probes import thresholds as th
from astray.probes.results import CurveMetrics, Failure, Verdict

__all__ = ["verdict"]


def _exceeds(value: float | None, limit: float) -> bool:
    """|value| > limit, False when value is None."""
    return value is not None and abs(value) > limit


def _coulomb_violated(m: CurveMetrics) -> bool:
    if m.coulomb_exponent is None:
        return True  # fewer than two positive energies to fit: certainly not Coulomb's law
    return (
        abs(m.coulomb_exponent + 1.0) > th.COULOMB_EXPONENT_TOLERANCE
        or _exceeds(m.coulomb_prefactor_relative_error, th.COULOMB_PREFACTOR_RELATIVE_TOLERANCE)
        or _exceeds(m.coulomb_max_relative_error, th.COULOMB_MAX_RELATIVE_ERROR)
        or (m.coulomb_nonpositive_points or 0) > th.COULOMB_MAX_NONPOSITIVE_POINTS
    )


def verdict(m: CurveMetrics, *, bare_nuclei: bool,
            reference_has_minimum: bool | None = None) -> Verdict:
    """The verdict on a curve's metrics; failures named from :class:`Failure` (see the module
    docstring for each name and its threshold).

    ``reference_has_minimum`` defaults to the metrics' own count of the reference's minima
    (``reference_n_minima``), the measure applied to the model: a reference whose only dip is
    shallower than MINIMUM_PROMINENCE_EV is judged as repulsive, so the reference itself passes."""
    # without a reference curve (reference_n_points 0) there is nothing to count minima
    # against: spurious- and missing-minimum are judged only on the caller's word then
    judge_minima = reference_has_minimum is not None or m.reference_n_points != 0
    if reference_has_minimum is None:
        reference_has_minimum = m.reference_n_minima > 0
    failed: set[Failure] = set()
    if m.n_nan > 0:
        failed.add(Failure.NAN_ENERGY)
    if (m.n_nonphysical or 0) > 0:
        failed.add(Failure.NONPHYSICAL_ENERGY)
    if failed and m.n_nan + (m.n_nonphysical or 0) >= m.n_points:
        return Verdict.from_failures(failed)  # nothing usable to judge
    if m.repulsive_wall_monotonic is False:
        failed.add(Failure.NO_REPULSIVE_WALL)
    if (_exceeds(m.asymptote_error_ev, th.ASYMPTOTE_TOLERANCE_EV)
            or _exceeds(m.dissociation_limit_error_ev, th.ASYMPTOTE_TOLERANCE_EV)):
        failed.add(Failure.WRONG_ASYMPTOTE)
    if _exceeds(m.early_asymptote_depth_ev, th.EARLY_ASYMPTOTE_DEPTH_EV):
        failed.add(Failure.EARLY_ASYMPTOTE)

    # the caller's word on the reference wins; the reference's own count may add minima
    reference_minima = max(m.reference_n_minima, 1) if reference_has_minimum else 0
    if judge_minima and m.n_minima > reference_minima:
        failed.add(Failure.SPURIOUS_MINIMUM)
    if judge_minima and reference_has_minimum and m.n_minima == 0:
        failed.add(Failure.MISSING_MINIMUM)

    if reference_has_minimum:
        if _exceeds(m.r_e_error_angstrom, th.R_E_TOLERANCE_ANGSTROM):
            failed.add(Failure.WRONG_BOND_LENGTH)
        if m.reference_d_e_ev is not None and _exceeds(
                m.d_e_error_ev, th.D_E_RELATIVE_TOLERANCE * abs(m.reference_d_e_ev)):
            failed.add(Failure.WRONG_WELL_DEPTH)
        if m.reference_omega_e_cm1 is not None and _exceeds(
                m.omega_e_error_cm1, th.OMEGA_RELATIVE_TOLERANCE * abs(m.reference_omega_e_cm1)):
            failed.add(Failure.WRONG_FREQUENCY)

    if bare_nuclei and _coulomb_violated(m):
        failed.add(Failure.COULOMB_LAW_VIOLATED)

    if m.force_sign_flips is not None:
        reference_flips = m.reference_force_sign_flips
        if reference_flips is None:
            reference_flips = 1 if reference_has_minimum else 0
        if m.force_sign_flips > reference_flips + th.MAX_EXTRA_FORCE_SIGN_FLIPS:
            failed.add(Failure.ROUGH_CURVE)
    if m.energy_jump_ev is not None and (m.energy_jump_ev - (m.reference_energy_jump_ev or 0.0)
                                         > th.ENERGY_JUMP_TOLERANCE_EV):
        failed.add(Failure.ROUGH_CURVE)

    if _exceeds(m.energy_force_work_error, th.ENERGY_FORCE_WORK_TOLERANCE):
        failed.add(Failure.ENERGY_FORCE_INCONSISTENT)
    if _exceeds(m.mae_ev, th.LARGE_MAE_EV):
        failed.add(Failure.LARGE_ERROR)
    return Verdict.from_failures(failed)
