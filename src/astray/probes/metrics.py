"""Metrics of a diatomic dissociation curve against a reference curve.

Conventions (the whole module):

* ``r`` is the internuclear distance in angstrom; the grid is sorted here if it is not.
* Energies are in eV *relative to the separated fragments*, E(AB) - E(A) - E(B), so a correct
  curve tends to 0 at large r.
* ``force_r`` is the force along the bond, F_r = -dE/dr in eV/angstrom (positive = repulsive).
* Non-finite energies (NaN from a failed model call) are dropped: every metric is computed on the
  finite points only, and ``n_nan`` counts the dropped ones.
* A metric that cannot be computed (no minimum, too few points, no forces, ...) is ``None``.
  :func:`astray.probes.measure.curve_metrics` gathers them all in a typed ``CurveMetrics``.

Every metric is a small function with its definition and units in the docstring; the smoothness
metrics (force sign flips, energy jump, tortuosity, energy-force consistency, Spearman branch
correlations) follow the spirit of the MLIP Arena diatomics task. All tolerances come from
:mod:`astray.probes.thresholds`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import find_peaks
from scipy.stats import spearmanr

from astray.probes import thresholds as th
from astray.units import (
    AMU_ELECTRON_MASS,
    BOHR_ANGSTROM,
    COULOMB_EV_ANGSTROM,
    HARTREE_EV,
    HARTREE_INVERSE_CM,
)

__all__ = [
    "Minimum",
    "asymptote_error",
    "coulomb_fit",
    "coulomb_max_relative_error",
    "coulomb_nonpositive_points",
    "dissociation_limit_error",
    "energy_force_mae",
    "energy_force_work_error",
    "energy_jump",
    "find_minimum",
    "force_sign_flips",
    "harmonic_frequency_cm1",
    "local_minima_indices",
    "mae",
    "n_minima",
    "reduced_mass_amu",
    "region_masks",
    "repulsive_wall_monotonic",
    "spearman_branches",
    "spline",
    "tortuosity",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _finite(r: Sequence[float], energy: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Return (r, E) restricted to finite energies, sorted by r (float arrays)."""
    r = np.asarray(r, dtype=float).ravel()
    e = np.asarray(energy, dtype=float).ravel()
    if r.shape != e.shape:
        raise ValueError(f"r and energy differ in length: {r.size} != {e.size}")
    keep = np.isfinite(r) & np.isfinite(e)
    r, e = r[keep], e[keep]
    order = np.argsort(r, kind="stable")
    return r[order], e[order]


def _num(x: Any) -> float | None:
    """A plain float, or None for None / NaN / inf (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def spline(r: Sequence[float], energy: Sequence[float]) -> CubicSpline | None:
    """Cubic spline (scipy, not-a-knot) of E(r) through the finite points; None if fewer than
    ``thresholds.MIN_SPLINE_POINTS`` finite points (or repeated r values)."""
    r, e = _finite(r, energy)
    if r.size < th.MIN_SPLINE_POINTS or np.any(np.diff(r) <= 0):
        return None
    return CubicSpline(r, e)


# --------------------------------------------------------------------------------------------
# errors against the reference
# --------------------------------------------------------------------------------------------


def region_masks(r: Sequence[float], r_ref: float) -> dict[str, np.ndarray]:
    """Boolean masks of the three regions of the grid, relative to the reference length r_ref (A).

    * ``compressed``: r < COMPRESSED_BELOW * r_ref                       (0.85 r_ref)
    * ``bonding``:    COMPRESSED_BELOW * r_ref <= r <= STRETCHED_ABOVE * r_ref
    * ``stretched``:  r > STRETCHED_ABOVE * r_ref                         (1.6 r_ref)
    """
    r = np.asarray(r, dtype=float)
    lo, hi = th.COMPRESSED_BELOW * r_ref, th.STRETCHED_ABOVE * r_ref
    return {"compressed": r < lo, "bonding": (r >= lo) & (r <= hi), "stretched": r > hi}


def mae(energy: Sequence[float], reference_energy: Sequence[float], mask=None) -> float | None:
    """Mean absolute error mean |E - E_ref| in eV over the points (optionally selected by a
    boolean ``mask``) where both energies are finite; None if there is no such point."""
    e = np.asarray(energy, dtype=float)
    ref = np.asarray(reference_energy, dtype=float)
    ok = np.isfinite(e) & np.isfinite(ref)
    if mask is not None:
        ok &= np.asarray(mask, dtype=bool)
    if not ok.any():
        return None
    return float(np.mean(np.abs(e[ok] - ref[ok])))


def asymptote_error(
    r: Sequence[float], energy: Sequence[float], reference_energy: Sequence[float]
) -> float | None:
    """Asymptote error in eV: E(r_max) - E_ref(r_max), predicted minus reference at the largest r
    where both are finite (the dissociation limit; 0 for a correct curve). None if no such r."""
    r = np.asarray(r, dtype=float)
    e = np.asarray(energy, dtype=float)
    ref = np.asarray(reference_energy, dtype=float)
    ok = np.isfinite(r) & np.isfinite(e) & np.isfinite(ref)
    if not ok.any():
        return None
    i = np.flatnonzero(ok)[np.argmax(r[ok])]
    return float(e[i] - ref[i])


def dissociation_limit_error(
    fragment_energies: Sequence[float] | None, exact_limit: float | None
) -> float | None:
    """Dissociation-limit error in eV: E(A) + E(B), the potential's own energies of the separated
    fragments, minus their exact sum in the potential's energy convention
    (:func:`astray.probes.convention.exact_dissociation_limit_ev`; 0 for two neutral atoms in the
    ``"atomization"`` convention). The curve E(AB) - E(A) - E(B) hides this error, which a
    short-cutoff model carries unchanged into every bond length. None without an exact limit (a
    ``"total"``-convention potential) or without finite fragment energies."""
    if fragment_energies is None or exact_limit is None:
        return None
    return _num(float(np.sum(np.asarray(fragment_energies, dtype=float))) - exact_limit)


# --------------------------------------------------------------------------------------------
# minima, r_e, D_e, omega_e
# --------------------------------------------------------------------------------------------


def local_minima_indices(r: Sequence[float], energy: Sequence[float]) -> np.ndarray:
    """Indices (into the finite, sorted points) of the interior local minima of E on the grid
    whose prominence -- depth below the lower of the two maxima that enclose the dip -- is at
    least ``thresholds.MINIMUM_PROMINENCE_EV`` (1 meV). End points are never minima: a curve
    still falling at r_max has no bound well on the grid."""
    _, e = _finite(r, energy)
    if e.size < 3:
        return np.zeros(0, dtype=int)
    idx, _ = find_peaks(-e, prominence=th.MINIMUM_PROMINENCE_EV)
    return idx.astype(int)


def n_minima(r: Sequence[float], energy: Sequence[float]) -> int:
    """Number of local minima of E(r) (dimensionless count), ignoring wiggles shallower than
    ``thresholds.MINIMUM_PROMINENCE_EV`` (see :func:`local_minima_indices`)."""
    return int(local_minima_indices(r, energy).size)


@dataclass(frozen=True)
class Minimum:
    """The bottom of the well of a curve, from its cubic spline.

    r_e: position in A; energy: E(r_e) in eV; curvature: d2E/dr2 at r_e in eV/A^2."""

    r_e: float
    energy: float
    curvature: float

    @property
    def d_e(self) -> float:
        """Well depth D_e = -E(r_e) in eV (relative to the asymptote E = 0)."""
        return -self.energy


def find_minimum(r: Sequence[float], energy: Sequence[float]) -> Minimum | None:
    """The lowest significant local minimum of E(r), located between grid points.

    The grid minimum (see :func:`local_minima_indices`) brackets the true minimum in
    [r_{i-1}, r_{i+1}]; there r_e is the root of the spline derivative dE/dr with the lowest
    spline energy (the grid point itself if the derivative has no root). The spline runs through
    the contiguous points around the well that lie at most ``well_spline_ceiling`` above its
    bottom, so that a wall of thousands of eV cannot ring into the well. With several minima
    the deepest is taken. None if the curve has no minimum or too few points for a spline."""
    rf, ef = _finite(r, energy)
    idx = local_minima_indices(rf, ef)
    best: Minimum | None = None
    for i in idx:
        lo, hi = _well_points(ef, i)
        s = spline(rf[lo:hi], ef[lo:hi])
        if s is None:
            continue
        roots = s.derivative().roots(extrapolate=False)
        cand = np.concatenate([[rf[i]], roots[(roots >= rf[i - 1]) & (roots <= rf[i + 1])]])
        x = float(cand[np.argmin(s(cand))])
        m = Minimum(r_e=x, energy=float(s(x)), curvature=float(s(x, 2)))
        if best is None or m.energy < best.energy:
            best = m
    return best


def well_spline_ceiling(bottom_ev: float) -> float:
    """How far above a well's bottom (eV) the points of its spline may lie:
    WELL_SPLINE_CEILING_DEPTHS times its depth below 0, at least WELL_SPLINE_CEILING_MIN_EV."""
    return max(th.WELL_SPLINE_CEILING_DEPTHS * abs(bottom_ev), th.WELL_SPLINE_CEILING_MIN_EV)


def _well_points(energy: np.ndarray, i: int) -> tuple[int, int]:
    """The slice [lo, hi) of the contiguous points around grid minimum ``i`` that lie at most
    :func:`well_spline_ceiling` above it."""
    ceiling = energy[i] + well_spline_ceiling(energy[i])
    below = np.flatnonzero(energy > ceiling)
    lo = below[below < i].max() + 1 if (below < i).any() else 0
    hi = below[below > i].min() if (below > i).any() else energy.size
    return int(lo), int(hi)


def reduced_mass_amu(masses_amu: Sequence[float]) -> float:
    """Reduced mass mu = m1 m2 / (m1 + m2) in amu of two atomic masses in amu."""
    m1, m2 = (float(m) for m in masses_amu)
    return m1 * m2 / (m1 + m2)


def harmonic_frequency_cm1(curvature_ev_angstrom2: float, masses_amu: Sequence[float]) -> float | None:
    """Harmonic wavenumber omega_e = sqrt(k / mu) / (2 pi c) in cm^-1, from the curvature
    k = d2E/dr2 at the minimum in eV/A^2 and the two atomic masses in amu. For a Morse curve,
    k = 2 D_e a^2, so omega_e = a sqrt(2 D_e / mu). None if k <= 0 (not a minimum)."""
    if curvature_ev_angstrom2 is None or not curvature_ev_angstrom2 > 0:
        return None
    k_au = curvature_ev_angstrom2 * BOHR_ANGSTROM**2 / HARTREE_EV  # hartree / bohr^2
    mu_au = reduced_mass_amu(masses_amu) * AMU_ELECTRON_MASS  # electron masses
    return math.sqrt(k_au / mu_au) * HARTREE_INVERSE_CM  # hartree -> cm^-1


# --------------------------------------------------------------------------------------------
# shape: repulsive wall
# --------------------------------------------------------------------------------------------


def repulsive_wall_monotonic(
    r: Sequence[float], energy: Sequence[float], r_ref: float
) -> bool | None:
    """True if E strictly rises as r decreases from the first (smallest-r) minimum down to the
    smallest r; without a minimum, over the compressed branch r < COMPRESSED_BELOW * r_ref
    (from its largest r down to the smallest).

    Every inward grid step must raise the energy, E(r_{j-1}) > E(r_j); the only steps excused are
    those in the flat bottom of the well, where both energies lie within
    ``thresholds.WALL_TOLERANCE_EV`` (1 meV) of the energy at the start of the branch (a grid
    point next to the minimum may tie with it). A plateau or a drop higher up -- a hole in the
    wall -- gives False. None if the branch has fewer than 2 points."""
    rf, ef = _finite(r, energy)
    idx = local_minima_indices(rf, ef)
    if idx.size:
        branch = ef[: idx[0] + 1]
    else:
        branch = ef[rf < th.COMPRESSED_BELOW * r_ref]
    if branch.size < 2:
        return None
    inward_rise = branch[:-1] - branch[1:]  # E(r_{j-1}) - E(r_j)
    near_floor = np.abs(branch - branch[-1]) <= th.WALL_TOLERANCE_EV
    flat_bottom = near_floor[:-1] & near_floor[1:]
    return bool(np.all((inward_rise > 0) | flat_bottom))


# --------------------------------------------------------------------------------------------
# bare nuclei: Coulomb law
# --------------------------------------------------------------------------------------------


def coulomb_fit(r: Sequence[float], energy: Sequence[float]) -> tuple[float, float] | None:
    """Least-squares fit of E = k r^n in log space (ln E = ln k + n ln r) on the finite points
    with E > 0. Returns (n, k): the exponent (dimensionless; exact -1) and the prefactor k in
    eV A^-n (eV A for n = -1; exact Z1 Z2 * 14.3996 eV A). None with fewer than 2 positive points."""
    rf, ef = _finite(r, energy)
    pos = (ef > 0) & (rf > 0)
    if np.count_nonzero(pos) < 2 or np.ptp(rf[pos]) == 0:
        return None
    n, lnk = np.polyfit(np.log(rf[pos]), np.log(ef[pos]), 1)
    return float(n), float(np.exp(lnk))


def coulomb_max_relative_error(
    r: Sequence[float], energy: Sequence[float], nuclear_charges: Sequence[float]
) -> float | None:
    """max |E / E_exact - 1| (dimensionless) over the finite points, with the exact energy of two
    bare nuclei E_exact = Z1 Z2 * COULOMB_EV_ANGSTROM / r (eV). None without finite points."""
    rf, ef = _finite(r, energy)
    if rf.size == 0:
        return None
    z1, z2 = (float(z) for z in nuclear_charges)
    exact = z1 * z2 * COULOMB_EV_ANGSTROM / rf
    return float(np.max(np.abs(ef / exact - 1.0)))


def coulomb_nonpositive_points(r: Sequence[float], energy: Sequence[float]) -> int:
    """Number of finite points with E <= 0 eV (impossible for two bare nuclei; left out of the
    Coulomb fit)."""
    _, ef = _finite(r, energy)
    return int(np.count_nonzero(ef <= 0))


# --------------------------------------------------------------------------------------------
# smoothness (MLIP Arena style)
# --------------------------------------------------------------------------------------------


def _sign_changes(values: np.ndarray) -> int:
    s = np.sign(values)
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1]))


def force_sign_flips(
    r: Sequence[float], energy: Sequence[float], force_r: Sequence[float] | None = None
) -> int | None:
    """Number of sign changes of F_r along increasing r (dimensionless count), ignoring forces
    with |F_r| < ``thresholds.FORCE_FLIP_TOLERANCE_EV_ANGSTROM`` (0.01 eV/A).

    F_r is the given force where finite; without forces, the finite difference
    -(E_{i+1} - E_i) / (r_{i+1} - r_i) between consecutive finite points. A single smooth well has
    1 flip (repulsive -> attractive at r_e), a purely repulsive curve 0. None if < 2 values."""
    if force_r is not None:
        rr = np.asarray(r, dtype=float).ravel()
        f = np.asarray(force_r, dtype=float).ravel()
        if rr.shape != f.shape:
            raise ValueError(f"r and force_r differ in length: {rr.size} != {f.size}")
        _, f = _finite(rr, f)
    else:
        rf, ef = _finite(r, energy)
        f = -np.diff(ef) / np.diff(rf) if rf.size >= 2 else np.zeros(0)
    if f.size < 2:
        return None
    return _sign_changes(np.where(np.abs(f) < th.FORCE_FLIP_TOLERANCE_EV_ANGSTROM, 0.0, f))


def energy_jump(r: Sequence[float], energy: Sequence[float]) -> float | None:
    """Energy jump in eV: sum of |dE| over the grid steps dE_i = E_{i+1} - E_i that take part in
    a sign change of dE (the step before and the step after each change; exact-zero steps are
    skipped; each step counted once). It measures the non-monotonic excursions: for a single
    smooth well only the two steps around the minimum contribute (-> 0 as the grid is refined);
    a sawtooth adds every tooth. None with fewer than 2 points."""
    _, ef = _finite(r, energy)
    if ef.size < 2:
        return None
    de = np.diff(ef)
    nz = np.flatnonzero(de != 0)
    s = np.sign(de[nz])
    flip = np.flatnonzero(s[1:] != s[:-1])
    involved = np.unique(np.concatenate([nz[flip], nz[flip + 1]]))
    return float(np.sum(np.abs(de[involved])))


def tortuosity(r: Sequence[float], energy: Sequence[float]) -> float | None:
    """Tortuosity (dimensionless): total variation sum_i |E_{i+1} - E_i| divided by
    |E(r_min) - E_min| + |E_min - E(r_max)|, E_min the lowest energy. 1 for a curve that falls
    monotonically to a single well and rises monotonically from it (or for a monotonic curve);
    > 1 for every extra excursion. None with < 2 points or a flat curve."""
    _, ef = _finite(r, energy)
    if ef.size < 2:
        return None
    emin = ef.min()
    denom = abs(ef[0] - emin) + abs(emin - ef[-1])
    if denom == 0:
        return None
    return float(np.sum(np.abs(np.diff(ef))) / denom)


def _curve_with_forces(r, energy, force_r) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """r, E and F_r as flat float arrays of one length (ValueError otherwise)."""
    rr = np.asarray(r, dtype=float).ravel()
    e = np.asarray(energy, dtype=float).ravel()
    f = np.asarray(force_r, dtype=float).ravel()
    if f.shape != rr.shape:
        raise ValueError(f"r and force_r differ in length: {rr.size} != {f.size}")
    return rr, e, f


def energy_force_mae(
    r: Sequence[float], energy: Sequence[float], force_r: Sequence[float] | None
) -> float | None:
    """Energy-force consistency in eV/A: mean |F_r + dE/dr| over the points where energy and force
    are finite, with dE/dr the derivative of the cubic spline of the finite energies (0 for a
    conservative model, up to spline interpolation error). None without forces or spline."""
    if force_r is None:
        return None
    rr, e, f = _curve_with_forces(r, energy, force_r)
    s = spline(rr, e)
    ok = np.isfinite(rr) & np.isfinite(e) & np.isfinite(f)
    if s is None or not ok.any():
        return None
    return float(np.mean(np.abs(f[ok] + s(rr[ok], 1))))


def energy_force_work_error(
    r: Sequence[float], energy: Sequence[float], force_r: Sequence[float] | None
) -> float | None:
    """Energy-force consistency without differentiating (dimensionless): for each grid interval,
    the mismatch between the energy change and the work of the forces by the trapezoid rule,
    |dE_i + (F_i + F_(i+1)) / 2 * dr_i| / max(|dE_i|, ENERGY_FORCE_WORK_FLOOR_EV); the median
    over the intervals with finite values. About 0 for forces that are the gradient of the
    energy, 2 for the wrong sign, large for wrong units; unlike the spline derivative it stays
    small on a steep wall sampled coarsely, and the median ignores a few under-resolved
    intervals. None without forces or intervals."""
    if force_r is None:
        return None
    rr, e, f = _curve_with_forces(r, energy, force_r)
    order = np.argsort(rr)
    rr, e, f = rr[order], e[order], f[order]
    d_energy = np.diff(e)
    work = (f[1:] + f[:-1]) / 2.0 * np.diff(rr)
    mismatch = np.abs(d_energy + work) / np.maximum(np.abs(d_energy), th.ENERGY_FORCE_WORK_FLOOR_EV)
    mismatch = mismatch[np.isfinite(mismatch)]
    return float(np.median(mismatch)) if mismatch.size else None


def spearman_branches(
    r: Sequence[float], energy: Sequence[float], split_r: float | None = None
) -> tuple[float | None, float | None]:
    """Spearman rank correlation of E with r (dimensionless, -1..1) on the repulsive branch
    r <= split_r and on the attractive branch r >= split_r, split_r being the predicted minimum r_e
    (default: from :func:`find_minimum`, else the grid point of lowest energy). Ideal: -1 on the
    repulsive branch (E falls as r grows), +1 on the attractive one. Each is None if its branch has
    fewer than 3 points or is constant."""
    rf, ef = _finite(r, energy)
    if rf.size == 0:
        return None, None
    if split_r is None:
        m = find_minimum(rf, ef)
        split_r = m.r_e if m is not None else float(rf[np.argmin(ef)])

    def rho(mask: np.ndarray) -> float | None:
        if np.count_nonzero(mask) < 3 or np.ptp(ef[mask]) == 0:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _num(spearmanr(rf[mask], ef[mask])[0])

    return rho(rf <= split_r), rho(rf >= split_r)
