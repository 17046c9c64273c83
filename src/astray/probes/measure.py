"""Every metric of a curve at once: :func:`curve_metrics` measures a predicted curve against its
reference with the functions of :mod:`astray.probes.metrics` and returns a typed
:class:`~astray.probes.results.CurveMetrics`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from astray.jsonio import json_number
from astray.probes import thresholds as th
from astray.probes.metrics import (
    asymptote_error,
    asymptote_reached_r,
    coulomb_fit,
    coulomb_max_relative_error,
    coulomb_nonpositive_points,
    dissociation_limit_error,
    early_asymptote_depth,
    find_minimum,
    harmonic_frequency_cm1,
    mae,
    n_minima,
    nonphysical_mask,
    region_masks,
    repulsive_wall_monotonic,
    wall_radius,
)
from astray.probes.results import CurveMetrics
from astray.probes.smoothness import (
    energy_force_mae,
    energy_force_work_error,
    energy_jump,
    force_sign_flips,
    spearman_branches,
    tortuosity,
)
from astray.units import COULOMB_EV_ANGSTROM, EV_KCAL_MOL


def curve_metrics(
    r: Sequence[float],
    energy: Sequence[float],
    reference_energy: Sequence[float],
    *,
    masses_amu: Sequence[float],
    r_ref: float,
    force_r: Sequence[float] | None = None,
    bare_nuclei: bool = False,
    nuclear_charges: Sequence[float] | None = None,
    fragment_energy_ev: Sequence[float] | None = None,
    exact_dissociation_limit_ev: float | None = None,
) -> CurveMetrics:
    """All metrics of a predicted curve against its reference (plain Python numbers, None for
    NaN: ready for JSON).

    Parameters
    ----------
    r: grid in angstrom (sorted here if needed); energy, reference_energy: eV relative to the
    separated fragments, same length (NaN allowed: metrics use the finite points);
    masses_amu: (m1, m2) atomic masses in amu (for omega_e); r_ref: nominal bond length in A,
    used for the regions only when the reference has no minimum (else the reference r_e is used);
    force_r: optional F_r = -dE/dr in eV/A; bare_nuclei: the system has no electrons (E = Z1 Z2
    14.3996 / r), which turns on the Coulomb metrics and requires nuclear_charges (Z1, Z2);
    fragment_energy_ev: the potential's own E(A), E(B) in eV and exact_dissociation_limit_ev
    their exact sum in its energy convention (:mod:`astray.probes.convention`), both needed for
    ``dissociation_limit_error_ev`` (else None: a ``"total"``-convention potential).

    A finite energy beyond +-NONPHYSICAL_ENERGY_EV (1e6 eV) is counted in ``n_nonphysical``
    and dropped from every other metric, like a NaN (the curve itself keeps it).

    Keys (None where not computable): see the module docstring of each function.
    ``n_points``, ``n_nan`` (non-finite model energies where the reference has a value, or
    anywhere when there is no reference), ``n_nonphysical``, ``r_ref_angstrom`` (the region length used),
    ``mae_ev``, ``mae_compressed_ev``, ``mae_bonding_ev``, ``mae_stretched_ev``,
    ``r_e_angstrom``, ``r_e_error_angstrom``, ``d_e_ev``, ``d_e_error_ev``, ``omega_e_cm1``,
    ``omega_e_error_cm1`` (errors are predicted minus reference),
    ``reference_r_e_angstrom``, ``reference_d_e_ev``, ``reference_omega_e_cm1``,
    ``reference_n_points`` (grid points with a reference energy; 0: no reference),
    ``reference_n_minima``, ``reference_force_sign_flips``, ``reference_energy_jump_ev``,
    ``asymptote_error_ev``, ``dissociation_limit_error_ev``, ``asymptote_reached_r_angstrom``,
    ``early_asymptote_depth_ev``, ``n_minima``, ``repulsive_wall_monotonic``,
    ``wall_r_1ev_angstrom``, ``wall_r_10ev_angstrom``, ``wall_r_100ev_angstrom`` (the wall's
    distance 1, 10, 100 eV above E = 0, :func:`~astray.probes.metrics.wall_radius`), the
    reference's (``reference_wall_r_1ev_angstrom`` ...) and their differences
    (``wall_r_1ev_error_angstrom`` ...: None where either curve misses that height on the grid),
    ``coulomb_exponent``, ``coulomb_prefactor_ev_angstrom``,
    ``coulomb_prefactor_kcal_mol_angstrom``, ``coulomb_prefactor_relative_error`` (k / k_exact - 1),
    ``coulomb_max_relative_error``,
    ``coulomb_nonpositive_points``, ``force_sign_flips``, ``energy_jump_ev``, ``tortuosity``,
    ``energy_force_mae_ev_angstrom``, ``energy_force_work_error``, ``spearman_repulsive``,
    ``spearman_attractive``.
    """
    r_arr = np.asarray(r, dtype=float).ravel()
    e_arr = np.asarray(energy, dtype=float).ravel()
    ref_arr = np.asarray(reference_energy, dtype=float).ravel()
    f_arr = None if force_r is None else np.asarray(force_r, dtype=float).ravel()
    if not (r_arr.shape == e_arr.shape == ref_arr.shape) or (
            f_arr is not None and f_arr.shape != r_arr.shape):
        raise ValueError("r, energy, reference_energy (and force_r) must have the same length")
    if bare_nuclei and nuclear_charges is None:
        raise ValueError("bare_nuclei=True needs nuclear_charges=(Z1, Z2)")
    order = np.argsort(r_arr, kind="stable")
    r_arr, e_arr, ref_arr = r_arr[order], e_arr[order], ref_arr[order]
    if f_arr is not None:
        f_arr = f_arr[order]

    # a point the reference does not reach (a published potential below its inner turning
    # point) is unreferenced: a model without an energy there is not judged for it (the exact
    # baseline on He2 has none below 0.53 A); with no reference at all, every point counts
    referenced = np.isfinite(ref_arr) if np.any(np.isfinite(ref_arr)) else np.ones_like(r_arr,
                                                                                      bool)
    n_nan = int(np.count_nonzero(~np.isfinite(e_arr) & referenced))
    nonphysical = nonphysical_mask(e_arr)
    e_arr = np.where(nonphysical, np.nan, e_arr)  # dropped from every metric below

    ref_min = find_minimum(r_arr, ref_arr)
    region_length = ref_min.r_e if ref_min is not None else float(r_ref)
    masks = region_masks(r_arr, region_length)

    pred_min = find_minimum(r_arr, e_arr)
    omega = harmonic_frequency_cm1(pred_min.curvature, masses_amu) if pred_min else None
    ref_omega = harmonic_frequency_cm1(ref_min.curvature, masses_amu) if ref_min else None

    def diff(a, b):
        return None if a is None or b is None else a - b

    out = {
        "n_points": int(r_arr.size),
        "n_nan": n_nan,
        "n_nonphysical": int(np.count_nonzero(nonphysical)),
        "r_ref_angstrom": region_length,
        "mae_ev": mae(e_arr, ref_arr),
        "mae_compressed_ev": mae(e_arr, ref_arr, masks["compressed"]),
        "mae_bonding_ev": mae(e_arr, ref_arr, masks["bonding"]),
        "mae_stretched_ev": mae(e_arr, ref_arr, masks["stretched"]),
        "r_e_angstrom": pred_min.r_e if pred_min else None,
        "r_e_error_angstrom": diff(pred_min and pred_min.r_e, ref_min and ref_min.r_e),
        "d_e_ev": pred_min.d_e if pred_min else None,
        "d_e_error_ev": diff(pred_min and pred_min.d_e, ref_min and ref_min.d_e),
        "omega_e_cm1": omega,
        "omega_e_error_cm1": diff(omega, ref_omega),
        "reference_r_e_angstrom": ref_min.r_e if ref_min else None,
        "reference_d_e_ev": ref_min.d_e if ref_min else None,
        "reference_omega_e_cm1": ref_omega,
        "reference_n_points": int(np.count_nonzero(np.isfinite(ref_arr))),
        "reference_n_minima": n_minima(r_arr, ref_arr),
        "reference_force_sign_flips": force_sign_flips(r_arr, ref_arr),
        "reference_energy_jump_ev": energy_jump(r_arr, ref_arr),
        "asymptote_error_ev": asymptote_error(r_arr, e_arr, ref_arr),
        "dissociation_limit_error_ev": dissociation_limit_error(fragment_energy_ev,
                                                                exact_dissociation_limit_ev),
        "asymptote_reached_r_angstrom": asymptote_reached_r(r_arr, e_arr),
        "early_asymptote_depth_ev": early_asymptote_depth(r_arr, e_arr, ref_arr),
        "n_minima": n_minima(r_arr, e_arr),
        "repulsive_wall_monotonic": repulsive_wall_monotonic(r_arr, e_arr, region_length),
        "coulomb_exponent": None,
        "coulomb_prefactor_ev_angstrom": None,
        "coulomb_prefactor_kcal_mol_angstrom": None,
        "coulomb_prefactor_relative_error": None,
        "coulomb_max_relative_error": None,
        "coulomb_nonpositive_points": None,
        "force_sign_flips": force_sign_flips(r_arr, e_arr, f_arr),
        "energy_jump_ev": energy_jump(r_arr, e_arr),
        "tortuosity": tortuosity(r_arr, e_arr),
        "energy_force_mae_ev_angstrom": energy_force_mae(r_arr, e_arr, f_arr),
        "energy_force_work_error": energy_force_work_error(r_arr, e_arr, f_arr),
    }
    for height in th.WALL_HEIGHTS_EV:
        tag = f"{height:g}ev"
        radius, ref_radius = wall_radius(r_arr, e_arr, height), wall_radius(r_arr, ref_arr, height)
        out[f"wall_r_{tag}_angstrom"] = radius
        out[f"reference_wall_r_{tag}_angstrom"] = ref_radius
        out[f"wall_r_{tag}_error_angstrom"] = diff(radius, ref_radius)
    out["spearman_repulsive"], out["spearman_attractive"] = spearman_branches(
        r_arr, e_arr, pred_min.r_e if pred_min else None
    )
    if bare_nuclei:
        fit = coulomb_fit(r_arr, e_arr)
        if fit is not None:
            out["coulomb_exponent"] = fit[0]
            out["coulomb_prefactor_ev_angstrom"] = fit[1]
            out["coulomb_prefactor_kcal_mol_angstrom"] = fit[1] * EV_KCAL_MOL
            z1, z2 = (float(z) for z in nuclear_charges)
            out["coulomb_prefactor_relative_error"] = fit[1] / (z1 * z2 * COULOMB_EV_ANGSTROM) - 1.0
        out["coulomb_max_relative_error"] = coulomb_max_relative_error(r_arr, e_arr, nuclear_charges)
        out["coulomb_nonpositive_points"] = coulomb_nonpositive_points(r_arr, e_arr)

    return CurveMetrics(**{name: json_number(value) for name, value in out.items()})
