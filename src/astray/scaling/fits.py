"""Power laws of an error against the training-set size N and the parameter count P, with
bootstrap 95% intervals.

Forms (L: an error, N: training structures, P: model parameters):

``"a*N^-alpha"``
    per model size; ``a`` is the error extrapolated to N = 1.
``"L_inf+a*N^-alpha"``
    per model size, with an irreducible floor ``L_inf`` (not held >= 0: see :class:`Form`).
``"L_inf+A*N^-alpha+B*P^-beta"``
    over data and model size together (the form of Hoffmann et al. 2022), per subset, model and
    prior; A and B are in the units of L at N = 1 and P = 1.

Targets (:func:`run_targets`): ``test_mae:<subset>`` (kcal/mol, the run's test MAE on that
subset), ``h2_mae_bonding`` (eV, ``mae_bonding_ev`` of the H2 probe), ``h2_d_e_error`` (eV,
|``d_e_error_ev``|), ``h2_r_e_error`` (angstrom, |``r_e_error_angstrom``|) and
``h2pp_coulomb_exponent_error`` (|``coulomb_exponent`` + 1|, dimensionless).

A group that cannot be fitted gives an entry with ``"status": "insufficient-data"`` or
``"failed"`` and a ``"reason"``, never an exception: too few distinct N (or (N, P) points) for
the form, a run without the value (a model with no minimum has no r_e), a non-positive value
(no logarithm) or an optimisation that does not converge.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import leastsq

__all__ = ["FORMS", "H2_TARGETS", "fit_band", "fit_form", "fit_runs", "law_band",
           "run_targets"]

#: Resamples per bootstrap interval: percentile intervals at 95% need about a thousand to put
#: 25 resamples beyond each end (Efron & Tibshirani 1993, ch. 19).
N_RESAMPLES = 1000
#: Batches of draws allowed before giving up on a design that is almost never identifiable
#: (e.g. a three-parameter form on four runs, which a resample must draw all four of).
MAX_DRAW_BATCHES = 20
#: Gauss-Newton steps of the k-step bootstrap, and the largest change of a fitted log L in the
#: last step for a resample to count as converged; the others are refitted by MINPACK.
GAUSS_NEWTON_STEPS = 8
SETTLED_STEP = 1e-7
#: An exponent beyond this has run along a direction the data do not determine (an error
#: falling as N^-10 over a decade of N is no scaling law), so that fit counts as failed.
MAX_EXPONENT = 10.0
#: Largest share of resamples that may fail to converge or run off: beyond 2.5% one end of the
#: 95% percentile interval is itself undetermined.
MAX_UNDETERMINED_SHARE = 0.025

#: Target name -> (probe system, metric key, transform to a positive error).
H2_TARGETS: dict[str, tuple[str, str, Callable[[float], float]]] = {
    "h2_mae_bonding": ("H2", "mae_bonding_ev", abs),
    "h2_d_e_error": ("H2", "d_e_error_ev", abs),
    "h2_r_e_error": ("H2", "r_e_error_angstrom", abs),
    "h2pp_coulomb_exponent_error": ("H2++", "coulomb_exponent", lambda n: abs(n + 1.0)),
}


@dataclass(frozen=True)
class Form:
    """L = [L_inf +] sum over variables x (N, and P for the joint form) of c_x x^-e_x.

    Fitted in scaled variables x / x0 and L / L0 (x0, L0: the group's geometric means) so every
    fitted number is of order one, as theta = ([l,] log c'_N, e_N[, log c'_P, e_P]) with
    L_inf = l L0 and c = c' L0 x0^e (> 0), reported in the units of L, N and P. The floor is not
    held >= 0: a floor whose interval reaches below 0 is one the data cannot tell from 0, and an
    unconstrained floor keeps the optimum off a boundary where Gauss-Newton would crawl.
    """

    name: str
    param_names: tuple[str, ...]
    n_variables: int
    floor: bool

    def terms(self, theta: np.ndarray, log_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log L, d log L / d theta) at each point for theta of shape (..., k) and log_x
        (variables, points): shapes (..., points) and (..., points, k)."""
        theta = np.asarray(theta)
        model = theta[..., 0, None] if self.floor else 0.0  # (..., 1) against points (n,)
        jacobian = np.empty(theta.shape[:-1] + (log_x.shape[1], theta.shape[-1]))
        jacobian[..., 0] = 1.0  # the floor's column (overwritten below when there is none)
        for variable in range(self.n_variables):
            column = self.floor + 2 * variable
            power = np.exp(theta[..., column, None] - theta[..., column + 1, None]
                           * log_x[variable])
            model = model + power
            jacobian[..., column] = power
            jacobian[..., column + 1] = -power * log_x[variable]
        return np.log(model), jacobian / model[..., None]

    def start(self, log_x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """A first guess: half the smallest error as the floor, the rest shared evenly between
        the variables, each a straight line in log-log."""
        floor = 0.5 * np.exp(y.min()) if self.floor else 0.0
        rest = np.log(np.maximum(np.exp(y) - floor, 1e-3 * np.exp(y.min())) / self.n_variables)
        theta = [floor] if self.floor else []
        for log_xv in log_x[: self.n_variables]:
            slope, intercept = np.polyfit(log_xv, rest, 1) if np.ptp(log_xv) else (0.0, rest.mean())
            theta += [intercept, -slope]
        return np.array(theta, float)

    def params(self, theta: np.ndarray, log_x0: np.ndarray, log_l0: float) -> dict[str, float]:
        """The named parameters in the units of L, N and P."""
        values = [theta[0] * np.exp(log_l0)] if self.floor else []
        for variable in range(self.n_variables):
            log_c, exponent = theta[self.floor + 2 * variable: self.floor + 2 * variable + 2]
            values += [np.exp(log_l0 + log_c + exponent * log_x0[variable]), exponent]
        return {name: float(v) for name, v in zip(self.param_names, values)}

    def evaluate(self, params: np.ndarray, n, p=None) -> np.ndarray:
        """L at N = ``n`` (and P = ``p``) for rows of named parameters (in the order of
        ``param_names``): shape (rows, points)."""
        params = np.atleast_2d(params)
        total = params[:, :1] if self.floor else 0.0
        for variable, x in enumerate([n, p][: self.n_variables]):
            column = self.floor + 2 * variable
            power = np.asarray(x, float) ** -params[:, column + 1, None]
            total = total + params[:, column, None] * power
        return total

    def exponents(self, thetas: np.ndarray) -> np.ndarray:
        return thetas[..., self.floor + 1::2]


FORMS: dict[str, Form] = {form.name: form for form in (
    Form("a*N^-alpha", ("a", "alpha"), 1, False),
    Form("L_inf+a*N^-alpha", ("L_inf", "a", "alpha"), 1, True),
    Form("L_inf+A*N^-alpha+B*P^-beta", ("L_inf", "A", "alpha", "B", "beta"), 2, True),
)}


def _least_squares(form: Form, log_x, y, weights, start) -> np.ndarray | None:
    """theta minimising sum w (log m - log L)^2, or None when MINPACK does not converge or the
    fit runs off (|exponent| > MAX_EXPONENT).

    scipy.optimize.leastsq (MINPACK's lmder, what curve_fit runs) rather than least_squares:
    measured on this 2-core VM, 0.75 ms against 4.6 ms per fit of the floor form.
    """
    root_w = np.sqrt(weights)

    def residuals(theta):
        return root_w * (form.terms(theta, log_x)[0] - y)

    def jacobian(theta):
        return root_w[:, None] * form.terms(theta, log_x)[1]

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        theta, _, _, _, status = leastsq(residuals, start, Dfun=jacobian, full_output=True)
        converged = status in (1, 2, 3, 4) and np.all(np.isfinite(residuals(theta)))
    ran_off = np.any(np.abs(form.exponents(theta)) > MAX_EXPONENT)
    return theta if converged and not ran_off else None


def _present(counts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """How many distinct rows of ``labels`` (one column per run) each count vector draws."""
    groups = np.unique(labels.T, axis=0, return_inverse=True)[1].ravel()
    return ((counts @ np.eye(groups.max() + 1)[groups]) > 0).sum(axis=-1)


def _identifiable(form: Form, counts: np.ndarray, log_x: np.ndarray, margin: int) -> np.ndarray:
    """Whether the runs drawn ``counts`` times can determine the form with ``margin`` degrees of
    freedom to spare: as many distinct points as parameters plus the margin and, beside the
    shared floor of the joint form, three levels of N and of P (two fix a power law's prefactor
    and exponent, the third separates it from the floor)."""
    enough = _present(counts, log_x) >= len(form.param_names) + margin
    if form.n_variables == 2:
        for variable in log_x:
            enough &= _present(counts, variable[None]) >= 3
    return enough


def _identifiable_draws(form: Form, log_x, rng, n_resamples) -> np.ndarray:
    """Counts (resamples, runs) of up to ``n_resamples`` pairs-bootstrap draws of the runs that
    can determine the form (a resample may fit exactly: no degree of freedom to spare)."""
    size, kept = log_x.shape[1], []
    for _ in range(MAX_DRAW_BATCHES):
        counts = rng.multinomial(size, np.full(size, 1.0 / size), size=n_resamples)
        kept.append(counts[_identifiable(form, counts, log_x, margin=0)])
        if sum(len(k) for k in kept) >= n_resamples:
            break
    return np.concatenate(kept)[:n_resamples]


def _bootstrap_thetas(form: Form, log_x, y, theta, rng, n_resamples) -> tuple[np.ndarray, int]:
    """(fitted theta of each resample that converged, number of resamples drawn).

    Pairs bootstrap: the resampled unit is a run (one seed at one N, P), drawn with replacement,
    so both the seed-to-seed scatter and the spread between training sizes enter the interval,
    and a misspecified form widens it (a residual bootstrap would assume the form right). A draw
    whose distinct points cannot determine the parameters is redrawn: this conditions on an
    identifiable design. scipy.stats.bootstrap can neither redraw those nor fit a thousand
    nonlinear resamples at once, hence this seeded loop. Each resample is the k-step bootstrap
    (Davidson & MacKinnon 1999; Andrews 2002): Gauss-Newton steps from the full-data fit, for all
    resamples at once (exact after one step for the linear a*N^-alpha); the few that have not
    settled are refitted by MINPACK. Measured on this 2-core VM for 1000 resamples of a 12-run
    group: 0.02 s (a*N^-alpha) and 0.03-0.09 s (L_inf+a*N^-alpha) against 0.15 s and 0.25-0.34 s
    with one MINPACK fit per resample, with the same interval ends to 4 decimals.
    """
    counts = _identifiable_draws(form, log_x, rng, n_resamples).astype(float)
    thetas = np.tile(theta, (len(counts), 1))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(GAUSS_NEWTON_STEPS):
            log_m, jac = form.terms(thetas, log_x)
            weighted = jac * counts[..., None]
            normal = np.swapaxes(weighted, -1, -2) @ jac
            gradient = np.einsum("bnk,bn->bk", weighted, y - log_m)
            step = np.full_like(thetas, np.nan)  # a diverged resample stays unsettled
            finite = np.all(np.isfinite(normal), axis=(1, 2)) & np.all(np.isfinite(gradient), 1)
            step[finite] = (np.linalg.pinv(normal[finite]) @ gradient[finite, :, None])[..., 0]
            thetas = thetas + step
    moved = np.abs(jac @ step[..., None])[..., 0]  # change of log L at each point, last step
    settled = np.all(moved < SETTLED_STEP, axis=1) & np.all(
        np.abs(form.exponents(thetas)) <= MAX_EXPONENT, axis=1)
    converged, failures = [], 0
    for b in np.flatnonzero(~settled):
        refit = _least_squares(form, log_x, y, counts[b], theta)
        failures += refit is None
        if failures > MAX_UNDETERMINED_SHARE * len(counts):
            break  # the interval is undetermined already: spare the remaining refits
        converged += [] if refit is None else [refit]
    return np.concatenate([thetas[settled], np.reshape(converged, (-1, len(theta)))]), len(counts)


def _rejected(status: str, reason: str, n_points: int) -> tuple[dict[str, Any], None]:
    """A fit entry without a fit (and no resamples)."""
    return {"status": status, "reason": reason, "params": None, "ci95": None,
            "n_points": n_points}, None


def fit_form(form: str, n_train: Sequence[float], values: Sequence[float | None], *,
             n_params: Sequence[float] | None = None, n_resamples: int = N_RESAMPLES,
             seed: int = 0) -> dict[str, Any]:
    """Fit one law to points (N, [P,] L) with a pairs-bootstrap 95% interval per parameter.

    Least squares on log L: errors scatter multiplicatively (the spread over seeds grows with the
    error itself), so residuals are homoscedastic in log space, and every decade of N weighs the
    same instead of the largest errors (smallest N) setting the whole fit.

    Args:
        form: a key of :data:`FORMS`.
        n_train: N of each point (one point per run); n_params: P of each point (joint form).
        values: the error L of each point (> 0); None marks a run without the value.
        n_resamples: bootstrap resamples; seed: seeds them (same seed, same intervals).

    Returns:
        ``{"status": "ok", "params": {name: value}, "ci95": {name: [low, high]},
        "n_points", "n_resamples"}``, or ``{"status": "insufficient-data" | "failed",
        "reason": ..., "params": None, "ci95": None, "n_points"}``.
    """
    return _fit_with_samples(form, n_train, values, n_params, n_resamples, seed)[0]


def law_band(form: str, n_train: Sequence[float], values: Sequence[float | None],
             n_grid: Sequence[float], *, n_params: Sequence[float] | None = None,
             p_grid: Sequence[float] | None = None, n_resamples: int = N_RESAMPLES,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """Pointwise 95% band (low, high) of the fitted law at ``n_grid`` (and ``p_grid`` for the
    joint form), from the very resamples behind :func:`fit_form`'s ``ci95`` for the same
    arguments and seed (a fit entry's ``bootstrap_seed``); None where fit_form gives no fit.

    Pointwise, not the envelope of the parameters' intervals: a and alpha are strongly
    correlated (a is L at N = 1, decades left of the data), so that envelope is far too wide.
    """
    entry, samples = _fit_with_samples(form, n_train, values, n_params, n_resamples, seed)
    if entry["status"] != "ok":
        return None
    low, high = np.percentile(FORMS[form].evaluate(samples, n_grid, p_grid), [2.5, 97.5], axis=0)
    return low, high


def _fit_with_samples(form: str, n_train, values, n_params, n_resamples: int,
                      seed: int) -> tuple[dict[str, Any], np.ndarray | None]:
    """(:func:`fit_form`'s entry, the named parameters of each kept resample or None)."""
    law = FORMS[form]
    n_points = len(values)
    missing = sum(v is None or not np.isfinite(v) for v in values)
    if missing:
        return _rejected("insufficient-data", f"{missing} of {n_points} runs have no value "
                         "(e.g. no minimum, or a probe that did not run)", n_points)
    y_raw = np.asarray(values, float)
    if np.any(y_raw <= 0):
        return _rejected("insufficient-data", f"{int(np.sum(y_raw <= 0))} of {n_points} values "
                         "are <= 0 and have no logarithm", n_points)
    variables = [n_train] + ([n_params] if law.n_variables == 2 else [])
    log_x = np.log(np.asarray(variables, float))
    k = len(law.param_names)
    if not _identifiable(law, np.ones(n_points), log_x, margin=1):
        levels = " and ".join(f"{len(set(row))} distinct {name}"
                              for name, row in zip(("training sizes N", "sizes P"), log_x))
        return _rejected("insufficient-data", f"{levels}: the {k}-parameter form needs at least "
                         f"{k + 1} distinct points" + (" and 3 of N and of P" if len(log_x) == 2
                                                       else ""), n_points)
    log_x0, log_l0 = log_x.mean(axis=1), float(np.log(y_raw).mean())
    log_x, y = log_x - log_x0[:, None], np.log(y_raw) - log_l0
    theta = _least_squares(law, log_x, y, np.ones_like(y), law.start(log_x, y))
    if theta is None:
        return _rejected("failed", "the least-squares fit did not converge or ran off to an "
                         f"exponent beyond {MAX_EXPONENT:g}: the data do not determine this form",
                         n_points)
    params = law.params(theta, log_x0, log_l0)
    if not all(np.isfinite(v) for v in params.values()):
        return _rejected("failed", "a fitted parameter overflowed", n_points)
    rng = np.random.default_rng([seed, zlib.crc32(form.encode())])
    thetas, drawn = _bootstrap_thetas(law, log_x, y, theta, rng, n_resamples)
    with np.errstate(over="ignore"):  # an overflowing resample is dropped just below
        samples = np.array([list(law.params(t, log_x0, log_l0).values())
                            for t in thetas]).reshape(-1, k)
    samples = samples[np.all(np.isfinite(samples), axis=1)]
    if drawn - len(samples) > MAX_UNDETERMINED_SHARE * drawn or not drawn:
        return _rejected("failed", f"{drawn - len(samples)} of {drawn} bootstrap refits did not "
                         "converge or ran off: the data do not determine this form", n_points)
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    ci95 = {name: [float(lo), float(hi)] for name, lo, hi in zip(law.param_names, low, high)}
    return {"status": "ok", "params": params, "ci95": ci95, "n_points": n_points,
            "n_resamples": len(samples)}, samples


def run_targets(run: Mapping[str, Any]) -> dict[str, float | None]:
    """Every target of one finished run (None where the run has no value)."""
    targets: dict[str, float | None] = {
        f"test_mae:{subset}": mae for subset, mae in (run.get("test_mae_kcal_mol") or {}).items()}
    for name, (system, key, to_error) in H2_TARGETS.items():
        value = (((run.get("probe") or {}).get(system) or {}).get("metrics") or {}).get(key)
        targets[name] = None if value is None else float(to_error(value))
    return targets


#: Group keys of each form: per model size for the two N-only forms, per (subset, model,
#: prior) for the joint form, whose points span the model sizes.
_SIZE_KEYS = ("subset", "model", "hidden", "interactions", "prior")
_JOINT_KEYS = ("subset", "model", "prior")
GROUP_KEYS = {"a*N^-alpha": _SIZE_KEYS, "L_inf+a*N^-alpha": _SIZE_KEYS,
              "L_inf+A*N^-alpha+B*P^-beta": _JOINT_KEYS}


def _done(runs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [run for run in runs if run.get("status", "done") == "done"]


def _groups(runs: Iterable[Mapping[str, Any]], keys: tuple[str, ...]) -> dict[tuple, list]:
    groups: dict[tuple, list] = {}
    for run in runs:
        groups.setdefault(tuple(run.get(k) for k in keys), []).append(run)
    return groups


def _points(runs: list, target: str) -> dict[str, list]:
    """The arguments of :func:`fit_form` and :func:`law_band` for ``target`` over ``runs``."""
    return {"n_train": [run["n_train"] for run in runs],
            "values": [run_targets(run).get(target) for run in runs],
            "n_params": [run.get("n_params") or 1 for run in runs]}


def _fit_entry(target: str, labels: dict, runs: list, form: str, n_resamples: int,
               seed: int) -> dict[str, Any]:
    bootstrap_seed = seed + zlib.crc32(repr((target, sorted(labels.items()))).encode())
    fit = fit_form(form, **_points(runs, target), n_resamples=n_resamples, seed=bootstrap_seed)
    return {"target": target, "hidden": None, "interactions": None, **labels, "form": form,
            **fit, "n_seeds": len({run.get("seed") for run in runs}),
            "bootstrap_seed": bootstrap_seed, "bootstrap_resamples": n_resamples}


def fit_runs(runs: Iterable[Mapping[str, Any]], *, n_resamples: int = N_RESAMPLES,
             seed: int = 0) -> list[dict[str, Any]]:
    """Fit every form to every target of every group of finished runs (``status`` "done").

    Each entry: ``{"target", "subset", "model", "hidden", "interactions", "prior", "form",
    "status", "params", "ci95", "n_points", "n_seeds", "bootstrap_seed",
    "bootstrap_resamples"}`` (+ ``n_resamples`` kept, or ``reason``); ``hidden`` and
    ``interactions`` are None for the joint form. Deterministic for ``seed``;
    :func:`fit_band` draws an entry's band from the same resamples as its ``ci95``.
    """
    done = _done(runs)
    targets = sorted({t for run in done for t in run_targets(run)})
    fits = []
    for form, keys in GROUP_KEYS.items():
        for group, members in sorted(_groups(done, keys).items(), key=lambda kv: repr(kv[0])):
            labels = dict(zip(keys, group))
            fits.extend(_fit_entry(target, labels, members, form, n_resamples, seed)
                        for target in targets
                        if any(target in run_targets(run) for run in members))
    return fits


def fit_band(fit: Mapping[str, Any], runs: Iterable[Mapping[str, Any]], n_grid: Sequence[float],
             p_grid: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Pointwise 95% band (low, high) of the law of ``fit``, an entry of ``fit_runs(runs)``
    (``runs`` the same list, in the same order), at N = ``n_grid`` (and P = ``p_grid`` for the
    joint form), in the units of the fit's target: :func:`law_band` over the fit's group with its
    ``bootstrap_seed`` and ``bootstrap_resamples``, so the band comes from the very resamples
    behind its ``ci95``. None for an entry without a fit."""
    keys = GROUP_KEYS[fit["form"]]
    members = [run for run in _done(runs) if all(run.get(k) == fit[k] for k in keys)]
    if fit.get("status") != "ok" or not members:
        return None
    return law_band(fit["form"], **_points(members, fit["target"]), n_grid=n_grid,
                    p_grid=p_grid, n_resamples=fit["bootstrap_resamples"],
                    seed=fit["bootstrap_seed"])
