"""Smoothness of a diatomic curve, in the spirit of the MLIP Arena diatomics task: force sign
flips, energy jumps, tortuosity, energy-force consistency and the Spearman correlation of the
repulsive and attractive branches.

Conventions are those of :mod:`astray.probes.metrics` (angstrom, eV relative to the separated
fragments, F_r = -dE/dr in eV/angstrom, non-finite points dropped, None where a metric cannot be
computed); every tolerance comes from :mod:`astray.probes.thresholds`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.stats import spearmanr

from astray.probes import thresholds as th
from astray.probes.metrics import find_minimum, finite_points, number_or_none, spline

__all__ = ["energy_force_mae", "energy_force_work_error", "energy_jump", "force_sign_flips",
           "spearman_branches", "tortuosity"]

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
        _, f = finite_points(rr, f)
    else:
        rf, ef = finite_points(r, energy)
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
    _, ef = finite_points(r, energy)
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
    _, ef = finite_points(r, energy)
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
    rf, ef = finite_points(r, energy)
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
            return number_or_none(spearmanr(rf[mask], ef[mask])[0])

    return rho(rf <= split_r), rho(rf >= split_r)
