"""Pass / fail verdict of a curve from its metrics (:func:`astray.probes.metrics.curve_metrics`).

A curve passes when it has no failure. Failures come from a fixed vocabulary, reported in this
order; every threshold is a named constant in :mod:`astray.probes.thresholds`. A check whose
metric is None (not computable) is skipped -- except that a curve with no finite energy at all
fails with ``nan-energy`` alone.

``nan-energy``
    The model returned a non-finite energy at one or more grid points (``n_nan > 0``).
``no-repulsive-wall``
    ``repulsive_wall_monotonic`` is False: going inward from the (first) minimum -- or over the
    compressed branch if there is no minimum -- the energy fails to rise strictly at some grid
    step outside the flat bottom of the well (WALL_TOLERANCE_EV): a "hole" or a plateau where
    the nuclei should repel ever more strongly.
``wrong-asymptote``
    |asymptote_error_ev| > ASYMPTOTE_TOLERANCE_EV: at the largest r the curve does not reach the
    reference dissociation limit (e.g. fractional charges, wrong spin state, a cutoff artefact).
``spurious-minimum``
    More minima than the reference (``n_minima > reference_n_minima``), or any minimum where
    the reference has none (bare protons, repulsive states such as triplet H2).
``missing-minimum``
    The reference has a minimum and the curve has none (``n_minima == 0``). Minima of both are
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

from typing import Any, Mapping

from astray.probes import thresholds as th

__all__ = ["FAILURES", "verdict"]

#: The failure vocabulary, in reporting order.
FAILURES: tuple[str, ...] = (
    "nan-energy",
    "no-repulsive-wall",
    "wrong-asymptote",
    "spurious-minimum",
    "missing-minimum",
    "wrong-bond-length",
    "wrong-well-depth",
    "wrong-frequency",
    "coulomb-law-violated",
    "rough-curve",
    "energy-force-inconsistent",
    "large-error",
)


def _exceeds(value: Any, limit: float) -> bool:
    """|value| > limit, False when value is None."""
    return value is not None and abs(value) > limit


def _coulomb_violated(m: Mapping[str, Any]) -> bool:
    exponent = m.get("coulomb_exponent")
    if exponent is None:
        return True  # fewer than two positive energies to fit: certainly not Coulomb's law
    return (
        abs(exponent + 1.0) > th.COULOMB_EXPONENT_TOLERANCE
        or _exceeds(m.get("coulomb_prefactor_relative_error"), th.COULOMB_PREFACTOR_RELATIVE_TOLERANCE)
        or _exceeds(m.get("coulomb_max_relative_error"), th.COULOMB_MAX_RELATIVE_ERROR)
        or (m.get("coulomb_nonpositive_points") or 0) > th.COULOMB_MAX_NONPOSITIVE_POINTS
    )


def verdict(
    metrics: Mapping[str, Any], *, bare_nuclei: bool, reference_has_minimum: bool | None = None
) -> tuple[str, list[str]]:
    """("pass" | "fail", failures) for a curve's metrics; failures named from :data:`FAILURES`
    (see the module docstring for each name and its threshold).

    ``reference_has_minimum`` defaults to the metrics' own count of the reference's minima
    (``reference_n_minima``), the measure applied to the model: a reference whose only dip is
    shallower than MINIMUM_PROMINENCE_EV is judged as repulsive, so the reference itself passes."""
    m = metrics
    if reference_has_minimum is None:
        reference_has_minimum = (m.get("reference_n_minima") or 0) > 0
    n_points = m.get("n_points")
    n_nan = m.get("n_nan") or 0
    if n_nan and n_points is not None and n_nan >= n_points:
        return "fail", ["nan-energy"]  # nothing finite to judge

    failed: set[str] = set()
    if n_nan > 0:
        failed.add("nan-energy")
    if m.get("repulsive_wall_monotonic") is False:
        failed.add("no-repulsive-wall")
    if _exceeds(m.get("asymptote_error_ev"), th.ASYMPTOTE_TOLERANCE_EV):
        failed.add("wrong-asymptote")

    n_min = m.get("n_minima") or 0
    # the caller's word on the reference wins; the reference's own count may add minima
    ref_n_min = max(m.get("reference_n_minima") or 0, 1) if reference_has_minimum else 0
    if n_min > ref_n_min:
        failed.add("spurious-minimum")
    if reference_has_minimum and n_min == 0:
        failed.add("missing-minimum")

    if reference_has_minimum:
        if _exceeds(m.get("r_e_error_angstrom"), th.R_E_TOLERANCE_ANGSTROM):
            failed.add("wrong-bond-length")
        ref_de = m.get("reference_d_e_ev")
        if ref_de is not None and _exceeds(m.get("d_e_error_ev"), th.D_E_RELATIVE_TOLERANCE * abs(ref_de)):
            failed.add("wrong-well-depth")
        ref_omega = m.get("reference_omega_e_cm1")
        if ref_omega is not None and _exceeds(
            m.get("omega_e_error_cm1"), th.OMEGA_RELATIVE_TOLERANCE * abs(ref_omega)
        ):
            failed.add("wrong-frequency")

    if bare_nuclei and _coulomb_violated(m):
        failed.add("coulomb-law-violated")

    flips = m.get("force_sign_flips")
    if flips is not None:
        ref_flips = m.get("reference_force_sign_flips")
        if ref_flips is None:
            ref_flips = 1 if reference_has_minimum else 0
        if flips > ref_flips + th.MAX_EXTRA_FORCE_SIGN_FLIPS:
            failed.add("rough-curve")
    jump = m.get("energy_jump_ev")
    if jump is not None and jump - (m.get("reference_energy_jump_ev") or 0.0) > th.ENERGY_JUMP_TOLERANCE_EV:
        failed.add("rough-curve")

    if _exceeds(m.get("energy_force_work_error"), th.ENERGY_FORCE_WORK_TOLERANCE):
        failed.add("energy-force-inconsistent")
    if _exceeds(m.get("mae_ev"), th.LARGE_MAE_EV):
        failed.add("large-error")

    failures = [name for name in FAILURES if name in failed]
    return ("fail" if failures else "pass"), failures
