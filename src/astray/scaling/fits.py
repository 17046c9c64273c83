"""Power laws of an error against the training-set size N and the parameter count P, fitted on
log L with Student-t 95% intervals and a lack-of-fit test (pure numpy/scipy statistics).

Forms (L: a positive error in the units of its target, N: training structures, P: parameters):

``"a*N^-alpha"``
    the pure law; ``a`` is L extrapolated to N = 1 (units of L), ``alpha`` dimensionless.
``"L_inf+a*N^-alpha"``
    with an irreducible floor ``L_inf`` (units of L; not held >= 0, see :class:`Form`).
``"L_inf+A*N^-alpha+B*P^-beta"``
    data and model size together (Hoffmann et al. 2022); A and B in units of L at N = P = 1.

Why these intervals (the measured failure they replace: a percentile pairs-bootstrap over runs
covered the true alpha in only 72% of sweeps at 3 N x 1 seed, 90-92% at 4-6 N and 65-78% when
the seeds share one data draw per N):

* Fit on log L: errors scatter multiplicatively, so log-space residuals are homoscedastic.
* Fit the per-level means of log L (a level: one distinct N, or (N, P) for the joint form), one
  point per level. The mean at level j is ybar_j = f(x_j) + u_j + mean_i e_ij, with u_j an effect
  shared by the level's replicates (the one training set drawn at that N: here every seed of a
  sweep trains on the same split) and e_ij the seed scatter. With normal effects and the same
  number of replicates at every level the ybar_j are independent normals of one variance
  tau^2 + sigma^2/m, so for the pure law (linear in log N: log L = log a - alpha log N) ordinary
  least squares on (log N_j, ybar_j) is the textbook normal linear model and
  (alpha_hat - alpha) / se follows Student's t with (levels - 2) df exactly, whatever tau and
  sigma are; the replicates need not be independent. Runs as units (the bootstrap) treat a shared
  draw as independent information and a handful of levels as a population, hence its
  undercoverage. With unequal replicate counts the t interval is approximate (flag
  ``"unbalanced-replicates"``).
* The nonlinear forms are fitted the same way (MINPACK least squares on the level means), with
  Wald intervals from the delta method, s^2 (J^T J)^-1 with s^2 = RSS / (levels - params), and t
  quantiles on (levels - params) df: asymptotic, not exact (coverage measured in
  tests/test_fit_coverage.py).

Lack of fit (``Fit.lack_of_fit_p``), the classic pure-error F test on all runs: with n runs on J
levels, m_j runs at level j and k parameters,
``F = [sum_j m_j (ybar_j - fhat_j)^2 / (J - k)] / [sum_ij (y_ij - ybar_j)^2 / (n - J)]`` on
(J - k, n - J) df. Under the law (and independent replicates) F is F-distributed; a misfit of the
form inflates the numerator. Caveat: a per-N effect shared by every replicate (u_j above, as when
all seeds share one training split) inflates the numerator too, so on such a sweep a rejection
says "the per-N means scatter about the law more than the seeds do", which a wrong form and a
data-draw effect both cause; only replicates over independent data draws tell them apart.

A group that cannot be fitted gives a :class:`Fit` with ``status`` "insufficient-data" or
"failed" and a ``reason``, never an exception: fewer than 4 distinct N (no interval from fewer),
too few levels for the form, a missing, non-finite or non-positive value (no logarithm), an
optimisation that does not converge or an exponent that runs off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.optimize import leastsq

from astray.jsonio import are_numbers, is_number

__all__ = ["FORMS", "JOINT_FREE_LABELS", "MAX_EXPONENT", "MIN_N_LEVELS", "Fit", "FitPoint", "Form",
           "fit_form", "fit_runs"]

#: An exponent beyond this has run along a direction the data do not determine (an error
#: falling as N^-10 over a decade of N is no scaling law), so that fit counts as failed.
MAX_EXPONENT = 10.0
#: Fewest distinct N for any interval: the pure law then has 2 df, t_0.975 = 4.30.
MIN_N_LEVELS = 4
#: Fewest distinct P for the joint form (two fix B and beta, a third separates them from L_inf).
MIN_P_LEVELS = 3
#: The band's grid: this many log-spaced N from min N / BAND_MARGIN to max N * BAND_MARGIN.
BAND_POINTS = 40
BAND_MARGIN = 1.5
#: A sum of squares of log L below this is an exact fit (rounding): no scatter to test against.
EXACT_SS = 1e-20
#: Labels the joint form is fitted across (its points span the model sizes).
JOINT_FREE_LABELS = ("hidden", "interactions")
LEVEL = 0.95


@dataclass(frozen=True)
class Form:
    """L = [L_inf +] sum over variables x (N, and P for the joint form) of c_x x^-e_x.

    Fitted in scaled variables x / x0 and L / L0 (x0, L0: geometric means over the levels) so
    every fitted number is of order one, as theta = ([l,] log c'_N, e_N[, log c'_P, e_P]) with
    L_inf = l L0 and log c = log c' + log L0 + e log x0: the reported quantities
    q = ([L_inf,] log c_N, e_N, ...) are affine in theta, so their covariance is exact given
    theta's. The floor is not held >= 0: a floor whose interval reaches below 0 is one the data
    cannot tell from 0, and an unconstrained floor keeps the optimum off a boundary.
    """

    name: str
    param_names: tuple[str, ...]
    n_variables: int
    floor: bool

    def terms(self, theta: np.ndarray, log_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log L, d log L / d theta) at each point for log_x (variables, points): shapes
        (points,) and (points, k); log L is nan where the law is <= 0 (a negative floor)."""
        model = np.full(log_x.shape[1], theta[0] if self.floor else 0.0)
        jacobian = np.ones((log_x.shape[1], len(theta)))  # the floor's column stays 1
        for variable in range(self.n_variables):
            column = self.floor + 2 * variable
            power = np.exp(theta[column] - theta[column + 1] * log_x[variable])
            model = model + power
            jacobian[:, column] = power
            jacobian[:, column + 1] = -power * log_x[variable]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(model), jacobian / model[:, None]

    def starts(self, log_x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """First guesses: the floor at 0, 1/2 and 9/10 of the smallest level mean (one guess
        without a floor), the rest shared evenly between the variables, each a straight line in
        log-log. Several starts because a floor form can have more than one local minimum."""
        guesses = []
        for share in (0.0, 0.5, 0.9) if self.floor else (0.0,):
            floor = share * np.exp(y.min())
            rest = np.log((np.exp(y) - floor) / self.n_variables)
            theta = [floor] if self.floor else []
            for log_xv in log_x:
                slope, intercept = np.polyfit(log_xv, rest, 1)
                theta += [intercept, -slope]
            guesses.append(np.array(theta, float))
        return guesses

    def affine(self, log_x0: np.ndarray, log_l0: float) -> tuple[np.ndarray, np.ndarray]:
        """(M, b) with q = M theta + b (see the class docstring)."""
        k = len(self.param_names)
        matrix, offset = np.eye(k), np.zeros(k)
        if self.floor:
            matrix[0, 0] = np.exp(log_l0)
        for variable in range(self.n_variables):
            column = self.floor + 2 * variable
            matrix[column, column + 1] = log_x0[variable]
            offset[column] = log_l0
        return matrix, offset

    def logged(self) -> tuple[bool, ...]:
        """Whether each q is the log of its named parameter (the prefactors)."""
        return (False,) * self.floor + (True, False) * self.n_variables

    def exponents(self, theta: np.ndarray) -> np.ndarray:
        return theta[self.floor + 1::2]


FORMS: dict[str, Form] = {form.name: form for form in (
    Form("a*N^-alpha", ("a", "alpha"), 1, False),
    Form("L_inf+a*N^-alpha", ("L_inf", "a", "alpha"), 1, True),
    Form("L_inf+A*N^-alpha+B*P^-beta", ("L_inf", "A", "alpha", "B", "beta"), 2, True),
)}
STATUSES = ("ok", "insufficient-data", "failed")


def _band_ok(band: Any) -> bool:
    if band is None:
        return True
    if not isinstance(band, Mapping) or set(band) != {"n", "p", "center", "low", "high"}:
        return False
    columns = [band[key] for key in ("n", "p", "center", "low", "high") if band[key] is not None]
    return (are_numbers(band["n"]) and (band["p"] is None or are_numbers(band["p"]))
            and all(are_numbers(band[key], nullable=True) for key in ("center", "low", "high"))
            and len({len(column) for column in columns}) == 1)


def _optional(test):
    return lambda value: value is None or test(value)


def _is(kind):
    return lambda value: isinstance(value, kind) and not isinstance(value, bool)


#: Field -> (test of its JSON value, what it should be), for Fit.from_dict.
_CHECKS = {
    "target": (_is(str), "a string"), "group": (_is(Mapping), "an object"),
    "form": (lambda v: isinstance(v, str) and v in FORMS, "one of " + ", ".join(FORMS)),
    "status": (lambda v: isinstance(v, str) and v in STATUSES, "one of " + ", ".join(STATUSES)),
    "reason": (_optional(_is(str)), "a string or null"),
    "params": (_optional(lambda v: isinstance(v, Mapping) and are_numbers(list(v.values()))),
               "an object of numbers or null"),
    "ci95": (_optional(lambda v: isinstance(v, Mapping) and all(
        are_numbers(ends) and len(ends) == 2 for ends in v.values())), "an object of [low, high] or null"),
    "interval_method": (_is(str), "a string"), "n_points": (_is(int), "an integer"),
    "n_levels": (_is(int), "an integer"), "n_replicates_max": (_is(int), "an integer"),
    "residual_sd": (_optional(is_number), "a number or null"),
    "pure_error_sd": (_optional(is_number), "a number or null"),
    "lack_of_fit_p": (_optional(is_number), "a number or null"),
    "flags": (lambda v: isinstance(v, (list, tuple)) and all(isinstance(f, str) for f in v),
              "a list of strings"),
    "band": (_band_ok, "null or {n, p, center, low, high}: number lists of one length"),
}


@dataclass(frozen=True)
class Fit:
    """One form fitted to one target of one group of runs.

    ``params``/``ci95``: named parameters (units above) and their 95% intervals (t on the level
    means, see the module docstring; prefactors' intervals are t intervals of their log).
    ``n_points``: runs; ``n_levels``: distinct N (distinct (N, P) for the joint form);
    ``n_replicates_max``: most runs at one level. ``residual_sd``: RMS scatter of the level
    means of log L about the law, sqrt(RSS / (levels - params)) (None without df);
    ``pure_error_sd``: pooled sd of log L between replicates of a level (None without
    replicates); both dimensionless (log space: 0.1 is about 10%). ``lack_of_fit_p``: the
    pure-error F test (None without replicates or without df). ``flags``: "negative-floor"
    (L_inf < 0: an error cannot tend to a negative value), "floor-not-resolved" (the L_inf
    interval spans 0), "lack-of-fit" (lack_of_fit_p < 0.05), "unbalanced-replicates" (levels
    with different run counts: t and F are then approximate).

    ``band``: the fitted law and its pointwise 95% confidence band for the median L (exp of the
    mean log L), ``{"n", "p", "center", "low", "high"}``, equal-length columns. N-only forms:
    ``n`` is 40 log-spaced N from min N / 1.5 to max N * 1.5 and ``p`` is None. Joint form: that
    N grid repeated once for each distinct P of the data (ascending), ``p`` giving each row's P.
    An entry is None where the law is <= 0 (a negative floor extrapolated):
    ``np.asarray(column, float)`` turns it into nan. Pure law: t band of the fitted mean,
    s sqrt(1/J + (x - xbar)^2 / Sxx); nonlinear forms: the delta method, g' C g.
    """

    target: str
    group: dict[str, Any]
    form: str
    status: str
    reason: str | None
    params: dict[str, float] | None
    ci95: dict[str, tuple[float, float]] | None
    interval_method: str
    n_points: int
    n_levels: int
    n_replicates_max: int
    residual_sd: float | None
    pure_error_sd: float | None
    lack_of_fit_p: float | None
    flags: tuple[str, ...]
    band: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def df(self) -> int:
        """Residual degrees of freedom of the fit on level means, levels - params."""
        return self.n_levels - len(FORMS[self.form].param_names)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tuples become lists."""
        out = asdict(self)
        out["ci95"] = None if self.ci95 is None else {k: list(v) for k, v in self.ci95.items()}
        out["flags"] = list(self.flags)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Fit:
        """A Fit from :meth:`to_dict`'s output; a wrong field raises ValueError naming it in
        one line, e.g. "fit field 'lack_of_fit_p': expected a number or null, got 'x'"."""
        if not isinstance(d, Mapping):
            raise ValueError(f"fit: expected an object, got {type(d).__name__}")
        for name, (test, expected) in _CHECKS.items():
            if name not in d:
                raise ValueError(f"fit field {name!r}: missing")
            if not test(d[name]):
                raise ValueError(f"fit field {name!r}: expected {expected}, got {d[name]!r}"[:300])
        fields = {name: d[name] for name in _CHECKS}
        fields["group"], fields["flags"] = dict(d["group"]), tuple(d["flags"])
        for name in ("residual_sd", "pure_error_sd", "lack_of_fit_p"):
            fields[name] = None if d[name] is None else float(d[name])
        if d["params"] is not None:
            fields["params"] = {k: float(v) for k, v in d["params"].items()}
        if d["ci95"] is not None:
            fields["ci95"] = {k: (float(lo), float(hi)) for k, (lo, hi) in d["ci95"].items()}
        if d["band"] is not None:
            fields["band"] = {k: None if v is None else list(v) for k, v in d["band"].items()}
        return cls(**fields)


def _levels(log_x: np.ndarray, y: np.ndarray):
    """(level log x (variables, J), level means of y (J,), runs per level (J,), level of each
    run (n,)): one level per distinct column of log_x."""
    level_x, inverse, counts = np.unique(log_x.T, axis=0, return_inverse=True,
                                         return_counts=True)
    inverse = inverse.ravel()
    return level_x.T, np.bincount(inverse, weights=y) / counts, counts, inverse


def _least_squares(form: Form, log_x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """theta minimising sum (log f - ybar)^2 over the levels (best of :meth:`Form.starts`), or
    None when no start converges within |exponent| <= MAX_EXPONENT.

    scipy.optimize.leastsq (MINPACK's lmder, what curve_fit runs) rather than least_squares:
    measured on this 2-core VM, 0.75 ms against 4.6 ms per fit of the floor form; a whole
    :func:`fit_form`, band included, takes 0.6 ms (pure law) and 1.4 ms (floor form, 3 starts).
    """
    def residuals(theta):
        return form.terms(theta, log_x)[0] - y

    def jacobian(theta):
        return form.terms(theta, log_x)[1]

    best, best_ss = None, np.inf
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start in form.starts(log_x, y):
            if not np.all(np.isfinite(start)):
                continue
            theta, _, _, _, status = leastsq(residuals, start, Dfun=jacobian, full_output=True)
            ss = float(np.sum(residuals(theta) ** 2))
            if (status in (1, 2, 3, 4) and np.isfinite(ss) and ss < best_ss
                    and np.all(np.abs(form.exponents(theta)) <= MAX_EXPONENT)):
                best, best_ss = theta, ss
    return best


def _unfitted(form: str, status: str, reason: str, n_points: int, n_levels: int = 0,
              n_replicates_max: int = 0, target: str = "", group=None) -> Fit:
    return Fit(target=target, group=dict(group or {}), form=form, status=status, reason=reason,
               params=None, ci95=None, interval_method="none: no fit", n_points=n_points,
               n_levels=n_levels, n_replicates_max=n_replicates_max, residual_sd=None,
               pure_error_sd=None, lack_of_fit_p=None, flags=(), band=None)


def _band(form: Form, theta, cov, t_crit, variables, log_x0, log_l0) -> dict[str, Any]:
    """The band of :class:`Fit` (pointwise t band of the mean log L, transformed back) for the
    runs' N (and P) in ``variables``."""
    n_grid = np.geomspace(np.min(variables[0]) / BAND_MARGIN,
                          np.max(variables[0]) * BAND_MARGIN, BAND_POINTS)
    p_values = np.unique(variables[1]) if form.n_variables == 2 else None
    grid = [np.tile(n_grid, 1 if p_values is None else len(p_values))]
    if p_values is not None:
        grid.append(np.repeat(p_values, BAND_POINTS))
    log_m, jac = form.terms(theta, np.log(np.array(grid)) - log_x0[:, None])
    half = t_crit * np.sqrt(np.maximum(np.einsum("gi,ij,gj->g", jac, cov, jac), 0.0))

    def column(values):
        return [float(v) if np.isfinite(v) else None for v in np.exp(log_l0 + values)]

    return {"n": grid[0].tolist(), "p": None if p_values is None else grid[1].tolist(),
            "center": column(log_m), "low": column(log_m - half), "high": column(log_m + half)}


def _insufficient(law, values: Sequence[float | None], counts_of: list[int],
                  n_levels: int) -> str | None:
    """Why these runs cannot give the law an interval (a sentence), or None."""
    n_points = len(values)
    missing = sum(v is None or not np.isfinite(v) for v in values)
    if missing:
        return (f"{missing} of {n_points} runs have no finite value (e.g. no minimum, or a "
                "probe that did not run)")
    y_all = np.asarray(values, float)
    if np.any(y_all <= 0):
        return f"{int(np.sum(y_all <= 0))} of {n_points} values are <= 0 and have no logarithm"
    k = len(law.param_names)
    if (counts_of[0] < MIN_N_LEVELS or n_levels < k + 1
            or (law.n_variables == 2 and counts_of[1] < MIN_P_LEVELS)):
        have = " and ".join(f"{c} distinct {name}"
                            for c, name in zip(counts_of, ("training sizes N", "sizes P")))
        needs = f"at least {MIN_N_LEVELS} distinct N" + (
            f", {MIN_P_LEVELS} distinct P and {k + 1} distinct (N, P)"
            if law.n_variables == 2 else f" and {k + 1} levels")
        return f"{have}: no interval from this; the {k}-parameter form needs {needs}"
    return None


def _flags(law, params: dict, ci95: dict, lack_of_fit_p: float | None,
           runs_at: np.ndarray) -> tuple[str, ...]:
    """What a reader of the fit must know: a negative or unresolved floor, lack of fit at the
    5% level, unequal replicates per level."""
    flags = []
    if law.floor and params["L_inf"] < 0:
        flags.append("negative-floor")
    if law.floor and ci95["L_inf"][0] <= 0 <= ci95["L_inf"][1]:
        flags.append("floor-not-resolved")
    if lack_of_fit_p is not None and lack_of_fit_p < 0.05:
        flags.append("lack-of-fit")
    if len(set(runs_at.tolist())) > 1:
        flags.append("unbalanced-replicates")
    return tuple(flags)


def fit_form(form: str, n_train: Sequence[float], values: Sequence[float | None], *,
             n_params: Sequence[float] | None = None, target: str = "",
             group: Mapping[str, Any] | None = None) -> Fit:
    """Fit one law to runs (N, [P,] L), one run per entry; see the module docstring.

    Args:
        form: a key of :data:`FORMS`.
        n_train: N of each run; n_params: P of each run (needed by the joint form only).
        values: the error L of each run (> 0); None marks a run without the value.
        target, group: labels passed through to the :class:`Fit`.

    Deterministic: no random numbers are drawn.
    """
    law, n_points = FORMS[form], len(values)
    labels = {"target": target, "group": dict(group or {})}
    if not n_points:
        return _unfitted(form, "insufficient-data", "no runs", 0, **labels)
    variables = [n_train] + ([n_params] if law.n_variables == 2 else [])
    log_x = np.log(np.asarray(variables, float))
    counts_of = [len(np.unique(row)) for row in log_x]
    n_levels = len(np.unique(log_x.T, axis=0))
    most = int(np.unique(log_x.T, axis=0, return_counts=True)[1].max())
    shape = {"n_points": n_points, "n_levels": n_levels, "n_replicates_max": most, **labels}
    problem = _insufficient(law, values, counts_of, n_levels)
    if problem is not None:
        return _unfitted(form, "insufficient-data", problem, **shape)
    k = len(law.param_names)
    y_all = np.log(np.asarray(values, float))
    level_x, y_bar, runs_at, level_of = _levels(log_x, y_all)
    log_x0, log_l0 = level_x.mean(axis=1), float(y_bar.mean())
    level_x, y = level_x - log_x0[:, None], y_bar - log_l0
    theta = _least_squares(law, level_x, y)
    if theta is None:
        return _unfitted(form, "failed", "the least-squares fit did not converge or ran off to "
                         f"an exponent beyond {MAX_EXPONENT:g}: the data do not determine this "
                         "form", **shape)
    fitted, jac = law.terms(theta, level_x)
    df = n_levels - k
    rss = float(np.sum((y - fitted) ** 2))
    normal = jac.T @ jac
    if not np.all(np.isfinite(normal)) or np.linalg.cond(normal) > 1e12:
        return _unfitted(form, "failed", "the fitted law's parameters are not separately "
                         "determined (singular Jacobian): the data do not determine this form",
                         **shape)
    cov = rss / df * np.linalg.inv(normal)
    matrix, offset = law.affine(log_x0, log_l0)
    q, cov_q = matrix @ theta + offset, matrix @ cov @ matrix.T
    t_crit = float(stats.t.ppf(0.5 + LEVEL / 2, df))
    half = t_crit * np.sqrt(np.maximum(np.diag(cov_q), 0.0))
    params, ci95 = {}, {}
    with np.errstate(over="ignore"):
        for name, logged, value, h in zip(law.param_names, law.logged(), q, half):
            ends = (value - h, value + h)
            params[name] = float(np.exp(value) if logged else value)
            ci95[name] = tuple(float(np.exp(e) if logged else e) for e in ends)
    if not all(np.isfinite(v) for v in [*params.values(), *np.ravel(list(ci95.values()))]):
        return _unfitted(form, "failed", "a fitted parameter or interval overflowed", **shape)
    ss_pure = float(np.sum((y_all - y_bar[level_of]) ** 2))
    df_pure = n_points - n_levels
    lack_of_fit_p = None
    if df_pure > 0 and ss_pure > EXACT_SS:
        ss_lack = float(np.sum(runs_at * (y - fitted) ** 2))
        f_stat = (ss_lack / df) / (ss_pure / df_pure)
        lack_of_fit_p = float(stats.f.sf(f_stat, df, df_pure))
    flags = _flags(law, params, ci95, lack_of_fit_p, runs_at)
    level_name = "N" if law.n_variables == 1 else "(N, P)"
    method = (f"t on per-{level_name} means, {df} df" if form == "a*N^-alpha" else
              f"Wald (delta method) t on per-{level_name} means, {df} df")
    return Fit(form=form, status="ok", reason=None, params=params, ci95=ci95,
               interval_method=method, residual_sd=float(np.sqrt(rss / df)),
               pure_error_sd=float(np.sqrt(ss_pure / df_pure)) if df_pure else None,
               lack_of_fit_p=lack_of_fit_p, flags=flags,
               band=_band(law, theta, cov, t_crit, np.asarray(variables, float), log_x0, log_l0),
               **shape)


@dataclass(frozen=True)
class FitPoint:
    """One run's value of one target: ``group`` the run's labels as (name, value) pairs (e.g.
    subset, model, hidden, interactions, prior), ``value`` the error (> 0; None where the run has
    none), ``replicate`` what tells repeated runs of a group at one N apart (e.g. the seed)."""

    target: str
    group: tuple[tuple[str, Any], ...]
    n_train: int
    n_params: int
    value: float | None
    replicate: Any


def fit_runs(points: Iterable[FitPoint], forms: Iterable[str] = tuple(FORMS)) -> list[Fit]:
    """Every form in ``forms`` fitted to every (target, group) of ``points``.

    The N-only forms are fitted per group as given (``Fit.group`` = dict(point.group)). The
    joint form is fitted over the points of a target whose groups agree on every label except
    those in :data:`JOINT_FREE_LABELS` (``hidden``, ``interactions``), which it spans: its
    ``Fit.group`` holds the remaining labels only. Fits are ordered by form (in ``forms``'
    order), then target, then group (by repr); each group's runs are sorted by (N, P,
    replicate), so the result does not depend on the order of ``points``.
    """
    points = list(points)
    fits = []
    for form in forms:
        joint = FORMS[form].n_variables == 2
        groups: dict[tuple, list[FitPoint]] = {}
        for point in points:
            labels = tuple((k, v) for k, v in point.group if not (joint and
                                                                  k in JOINT_FREE_LABELS))
            groups.setdefault((point.target, labels), []).append(point)
        for (target, labels), members in sorted(groups.items(), key=lambda kv: repr(kv[0])):
            members.sort(key=lambda p: (p.n_train, p.n_params, repr(p.replicate)))
            fits.append(fit_form(form, [p.n_train for p in members],
                                 [p.value for p in members],
                                 n_params=[p.n_params for p in members], target=target,
                                 group=dict(labels)))
    return fits
