"""Every metric of a curve at once: :func:`curve_metrics` measures a predicted curve against its
reference with the functions of :mod:`astray.probes.metrics` and returns a typed
:class:`~astray.probes.results.CurveMetrics`. Its fields come from one function per concern,
each returning its own: the usable points, the well (minimum, r_e, D_e, omega_e, the
repulsive wall and its radii), the errors against the reference, the asymptote, Coulomb's law
(bare nuclei) and the smoothness.

Every function here takes the grid sorted by r (``r``, ``e``, ``ref``: arrays of one length,
energies in eV, NaN where there is none); ``e`` is the model's energy with the non-physical
values already dropped (:func:`point_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

__all__ = ["asymptote_metrics", "coulomb_metrics", "curve_metrics", "error_metrics",
           "point_counts", "smoothness_metrics", "well_metrics"]

Fields = dict[str, Any]


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


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

    The fields (None where not computable) come from one function per concern, each of which
    names its own: :func:`point_counts`, :func:`well_metrics`, :func:`error_metrics`,
    :func:`asymptote_metrics`, :func:`coulomb_metrics`, :func:`smoothness_metrics`.
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

    counts, e_arr = point_counts(r_arr, e_arr, ref_arr)  # non-physical energies dropped
    well = well_metrics(r_arr, e_arr, ref_arr, masses_amu=masses_amu, r_ref=r_ref)
    out = {
        **counts,
        **well,
        **error_metrics(r_arr, e_arr, ref_arr, region_length=well["r_ref_angstrom"]),
        **asymptote_metrics(r_arr, e_arr, ref_arr, fragment_energy_ev=fragment_energy_ev,
                            exact_dissociation_limit_ev=exact_dissociation_limit_ev),
        **coulomb_metrics(r_arr, e_arr, nuclear_charges if bare_nuclei else None),
        **smoothness_metrics(r_arr, e_arr, ref_arr, f_arr, r_e=well["r_e_angstrom"]),
    }
    return CurveMetrics(**{name: json_number(value) for name, value in out.items()})


def point_counts(r: np.ndarray, e: np.ndarray, ref: np.ndarray) -> tuple[Fields, np.ndarray]:
    """``n_points``, ``n_nan`` (non-finite model energies where the reference has a value, or
    anywhere when there is no reference) and ``n_nonphysical`` (finite energies beyond
    +-NONPHYSICAL_ENERGY_EV), and the model's energies with the non-physical ones set to NaN:
    dropped from every other metric."""
    # a point the reference does not reach (a published potential below its inner turning
    # point) is unreferenced: a model without an energy there is not judged for it (the exact
    # baseline on He2 has none below 0.53 A); with no reference at all, every point counts
    referenced = np.isfinite(ref) if np.any(np.isfinite(ref)) else np.ones_like(r, bool)
    nonphysical = nonphysical_mask(e)
    return ({"n_points": int(r.size),
             "n_nan": int(np.count_nonzero(~np.isfinite(e) & referenced)),
             "n_nonphysical": int(np.count_nonzero(nonphysical))},
            np.where(nonphysical, np.nan, e))


def well_metrics(r: np.ndarray, e: np.ndarray, ref: np.ndarray, *,
                 masses_amu: Sequence[float], r_ref: float) -> Fields:
    """The well and its wall, of the model and of the reference: ``r_ref_angstrom`` (the
    regions' length: the reference r_e, else the nominal ``r_ref``), ``r_e_angstrom``,
    ``d_e_ev``, ``omega_e_cm1`` and their errors (``r_e_error_angstrom`` ...: predicted minus
    reference), ``reference_r_e_angstrom``, ``reference_d_e_ev``, ``reference_omega_e_cm1``,
    ``n_minima``, ``reference_n_minima``, ``repulsive_wall_monotonic``, and the wall radii
    ``wall_r_1ev_angstrom`` ... (:func:`~astray.probes.metrics.wall_radius`, at each of
    WALL_HEIGHTS_EV), the reference's (``reference_wall_r_1ev_angstrom`` ...) and their
    differences (``wall_r_1ev_error_angstrom`` ...: None where either misses that height)."""
    ref_min = find_minimum(r, ref)
    region_length = ref_min.r_e if ref_min is not None else float(r_ref)
    pred_min = find_minimum(r, e)
    omega = harmonic_frequency_cm1(pred_min.curvature, masses_amu) if pred_min else None
    ref_omega = harmonic_frequency_cm1(ref_min.curvature, masses_amu) if ref_min else None
    r_e, ref_r_e = (pred_min.r_e if pred_min else None), (ref_min.r_e if ref_min else None)
    d_e, ref_d_e = (pred_min.d_e if pred_min else None), (ref_min.d_e if ref_min else None)
    out = {
        "r_ref_angstrom": region_length,
        "r_e_angstrom": r_e,
        "r_e_error_angstrom": _diff(r_e, ref_r_e),
        "d_e_ev": d_e,
        "d_e_error_ev": _diff(d_e, ref_d_e),
        "omega_e_cm1": omega,
        "omega_e_error_cm1": _diff(omega, ref_omega),
        "reference_r_e_angstrom": ref_r_e,
        "reference_d_e_ev": ref_d_e,
        "reference_omega_e_cm1": ref_omega,
        "n_minima": n_minima(r, e),
        "reference_n_minima": n_minima(r, ref),
        "repulsive_wall_monotonic": repulsive_wall_monotonic(r, e, region_length),
    }
    for height in th.WALL_HEIGHTS_EV:
        tag = f"{height:g}ev"
        radius, ref_radius = wall_radius(r, e, height), wall_radius(r, ref, height)
        out[f"wall_r_{tag}_angstrom"] = radius
        out[f"reference_wall_r_{tag}_angstrom"] = ref_radius
        out[f"wall_r_{tag}_error_angstrom"] = _diff(radius, ref_radius)
    return out


def error_metrics(r: np.ndarray, e: np.ndarray, ref: np.ndarray, *,
                  region_length: float) -> Fields:
    """The errors against the reference: ``mae_ev`` over the curve, ``mae_compressed_ev``,
    ``mae_bonding_ev``, ``mae_stretched_ev`` over the regions of ``region_length``
    (:func:`~astray.probes.metrics.region_masks`), and ``reference_n_points`` (grid points with
    a reference energy; 0: no reference)."""
    masks = region_masks(r, region_length)
    return {
        "mae_ev": mae(e, ref),
        "mae_compressed_ev": mae(e, ref, masks["compressed"]),
        "mae_bonding_ev": mae(e, ref, masks["bonding"]),
        "mae_stretched_ev": mae(e, ref, masks["stretched"]),
        "reference_n_points": int(np.count_nonzero(np.isfinite(ref))),
    }


def asymptote_metrics(r: np.ndarray, e: np.ndarray, ref: np.ndarray, *,
                      fragment_energy_ev: Sequence[float] | None,
                      exact_dissociation_limit_ev: float | None) -> Fields:
    """The dissociation limit: ``asymptote_error_ev`` (against the reference at the largest r),
    ``dissociation_limit_error_ev`` (the potential's own fragments against their exact sum in
    its convention; None without both), ``asymptote_reached_r_angstrom`` and
    ``early_asymptote_depth_ev``."""
    return {
        "asymptote_error_ev": asymptote_error(r, e, ref),
        "dissociation_limit_error_ev": dissociation_limit_error(fragment_energy_ev,
                                                                exact_dissociation_limit_ev),
        "asymptote_reached_r_angstrom": asymptote_reached_r(r, e),
        "early_asymptote_depth_ev": early_asymptote_depth(r, e, ref),
    }


def coulomb_metrics(r: np.ndarray, e: np.ndarray,
                    nuclear_charges: Sequence[float] | None) -> Fields:
    """Coulomb's law of bare nuclei (charges Z1, Z2; every field None when ``nuclear_charges``
    is None: the system has electrons): the fit E = k r^n (``coulomb_exponent`` n,
    ``coulomb_prefactor_ev_angstrom`` k, ``coulomb_prefactor_kcal_mol_angstrom``,
    ``coulomb_prefactor_relative_error`` k / k_exact - 1; None with fewer than two positive
    energies), ``coulomb_max_relative_error`` and ``coulomb_nonpositive_points``."""
    out: Fields = dict.fromkeys((
        "coulomb_exponent", "coulomb_prefactor_ev_angstrom", "coulomb_prefactor_kcal_mol_angstrom",
        "coulomb_prefactor_relative_error", "coulomb_max_relative_error",
        "coulomb_nonpositive_points"))
    if nuclear_charges is None:
        return out
    fit = coulomb_fit(r, e)
    if fit is not None:
        out["coulomb_exponent"] = fit[0]
        out["coulomb_prefactor_ev_angstrom"] = fit[1]
        out["coulomb_prefactor_kcal_mol_angstrom"] = fit[1] * EV_KCAL_MOL
        z1, z2 = (float(z) for z in nuclear_charges)
        out["coulomb_prefactor_relative_error"] = fit[1] / (z1 * z2 * COULOMB_EV_ANGSTROM) - 1.0
    out["coulomb_max_relative_error"] = coulomb_max_relative_error(r, e, nuclear_charges)
    out["coulomb_nonpositive_points"] = coulomb_nonpositive_points(r, e)
    return out


def smoothness_metrics(r: np.ndarray, e: np.ndarray, ref: np.ndarray, f: np.ndarray | None, *,
                       r_e: float | None) -> Fields:
    """Smoothness and consistency (:mod:`astray.probes.smoothness`): ``force_sign_flips``,
    ``energy_jump_ev`` and the reference's (``reference_force_sign_flips``,
    ``reference_energy_jump_ev``), ``tortuosity``, ``energy_force_mae_ev_angstrom`` and
    ``energy_force_work_error`` (None without forces ``f``), ``spearman_repulsive`` and
    ``spearman_attractive`` (the branches either side of the model's ``r_e``)."""
    out = {
        "force_sign_flips": force_sign_flips(r, e, f),
        "energy_jump_ev": energy_jump(r, e),
        "reference_force_sign_flips": force_sign_flips(r, ref),
        "reference_energy_jump_ev": energy_jump(r, ref),
        "tortuosity": tortuosity(r, e),
        "energy_force_mae_ev_angstrom": energy_force_mae(r, e, f),
        "energy_force_work_error": energy_force_work_error(r, e, f),
    }
    out["spearman_repulsive"], out["spearman_attractive"] = spearman_branches(r, e, r_e)
    return out
