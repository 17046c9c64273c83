"""Does an error fall as a power law? The pure law and the law with a floor, tested.

"Decreases" is not "falls as a power law": an exponential fall to a plateau also decreases. So a
group's :class:`~astray.scaling.fits.Fit` of ``a*N^-alpha`` and of ``L_inf+a*N^-alpha`` are
weighed with two F tests (log L, per-N means; see :mod:`astray.scaling.fits`):

* lack of fit of each form (``Fit.lack_of_fit_p``): the level means' scatter about the law
  against the replicates' scatter within a level; needs replicates. Caveat: where every
  replicate at one N shares one training set (the seeds of a sweep share its split), an effect of
  that draw counts as lack of fit too.
* the floor (:func:`floor_p`), extra sum of squares of the nested pair (L_inf = 0 gives the pure
  law): ``F = (RSS_pure - RSS_floor) / (RSS_floor / (J - 3))`` on (1, J - 3) df, RSS over the J
  level means; needs J >= 4 distinct N. Exact for a linear nested pair, asymptotic here.

Rules (:func:`compare_forms`, all tests at 5%): the pure law is rejected when its lack of fit is
or the floor is significant; the floor form is rejected when its lack of fit is, when it cannot
be fitted, or when it fits only with a floor resolved below 0 (an error cannot tend to a negative
value: the data fall faster than any power law). Then ``shape`` is "power law" if the pure law
stands, else "power law with floor" if the floor form stands, else "not a power law"; it is
"untested" when there is neither a lack-of-fit test nor a floor comparison (the law is assumed),
or no fit at all. ``direction`` reads the exponent's 95% interval of the chosen form (of the pure
law, i.e. the log-log slope, for "not a power law": its interval widens with the misfit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from astray.scaling.fits import EXACT_SS, Fit

__all__ = ["DIRECTIONS", "FLOOR_FORM", "PURE_FORM", "SHAPES", "TEST_LEVEL", "LawAssessment",
           "assess_groups", "compare_forms", "floor_p"]

PURE_FORM, FLOOR_FORM = "a*N^-alpha", "L_inf+a*N^-alpha"
#: Size of every test: a p-value below it rejects.
TEST_LEVEL = 0.05
SHAPES = ("power law", "power law with floor", "not a power law", "untested")
DIRECTIONS = ("falls", "rises", "not resolved")
_OPTIONAL_NUMBERS = ("floor_p", "pure_lack_of_fit_p", "floor_lack_of_fit_p", "alpha")


def _p(value: float | None) -> str:
    if value is None:
        return "untested"
    return "p < 0.0001" if value < 1e-4 else f"p = {value:.3g}"


def _interval(fit: Fit, name: str) -> str:
    low, high = fit.ci95[name]
    return f"{name} = {fit.params[name]:.3g} [{low:.3g}, {high:.3g}]"


@dataclass(frozen=True)
class LawAssessment:
    """Which law one target of one group follows (see the module docstring for the rules).

    ``chosen_form``: the form kept (None for "not a power law" and without a fit);
    ``direction``/``falls``: from the 95% interval of ``alpha`` of ``direction_form`` (above 0:
    "falls", falls True; below 0: "rises"; spanning 0: "not resolved"; falls False for both, None
    without an interval); ``alpha``/``alpha_ci95``: that exponent. ``floor_p``: extra-sum-of-
    squares F test of the floor; ``pure_lack_of_fit_p``/``floor_lack_of_fit_p``: the forms'
    pure-error F tests (None: untested). ``reason``: one sentence with the numbers.
    """

    target: str
    group: dict[str, Any]
    shape: str
    chosen_form: str | None
    direction: str
    falls: bool | None
    direction_form: str | None
    alpha: float | None
    alpha_ci95: tuple[float, float] | None
    floor_p: float | None
    pure_lack_of_fit_p: float | None
    floor_lack_of_fit_p: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["alpha_ci95"] = None if self.alpha_ci95 is None else list(self.alpha_ci95)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LawAssessment:
        """From :meth:`to_dict`'s output; a wrong field raises ValueError naming it."""
        def bad(name, expected):
            return ValueError(f"law assessment field {name!r}: expected {expected}, "
                              f"got {d.get(name)!r}"[:200])

        if not isinstance(d, Mapping):
            raise ValueError(f"law assessment: expected an object, got {type(d).__name__}")
        for name in cls.__dataclass_fields__:
            if name not in d:
                raise ValueError(f"law assessment field {name!r}: missing")
        for name in ("target", "reason"):
            if not isinstance(d[name], str):
                raise bad(name, "a string")
        for name, choices in (("shape", SHAPES), ("direction", DIRECTIONS)):
            if d[name] not in choices:
                raise bad(name, " or ".join(choices))
        for name in ("chosen_form", "direction_form"):
            if d[name] is not None and not isinstance(d[name], str):
                raise bad(name, "a string or null")
        if d["falls"] is not None and not isinstance(d["falls"], bool):
            raise bad("falls", "true, false or null")
        if not isinstance(d["group"], Mapping):
            raise bad("group", "an object")

        def number(value, name):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(name, "a number or null" if name in _OPTIONAL_NUMBERS else
                          "[low, high] or null")
            return float(value)

        numbers = {name: None if d[name] is None else number(d[name], name)
                   for name in _OPTIONAL_NUMBERS}
        ci = d["alpha_ci95"]
        if ci is not None and (not isinstance(ci, (list, tuple)) or len(ci) != 2):
            raise bad("alpha_ci95", "[low, high] or null")
        return cls(target=d["target"], group=dict(d["group"]), shape=d["shape"],
                   chosen_form=d["chosen_form"], direction=d["direction"], falls=d["falls"],
                   direction_form=d["direction_form"], reason=d["reason"],
                   alpha_ci95=None if ci is None else tuple(number(v, "alpha_ci95") for v in ci),
                   **numbers)


def floor_p(pure: Fit, floor: Fit | None) -> float | None:
    """p of the extra-sum-of-squares F test of the floor (module docstring), from the two fits'
    residual sd on the same J level means; None when either has no fit or J < 4."""
    if floor is None or not (pure.ok and floor.ok) or pure.n_levels != floor.n_levels:
        return None
    if floor.df < 1:
        return None
    rss_pure = pure.residual_sd ** 2 * pure.df
    rss_floor = floor.residual_sd ** 2 * floor.df
    if rss_floor <= EXACT_SS:  # an exact floor law: any misfit of the pure law is significant
        return 0.0 if rss_pure > EXACT_SS else 1.0
    f_stat = max(rss_pure - rss_floor, 0.0) / (rss_floor / floor.df)
    return float(stats.f.sf(f_stat, 1, floor.df))


def _direction(fit: Fit | None) -> tuple[str, bool | None]:
    if fit is None or not fit.ok:
        return "not resolved", None
    low, high = fit.ci95["alpha"]
    if low > 0:
        return "falls", True
    return ("rises" if high < 0 else "not resolved"), False


def _replicates(fit: Fit) -> str:
    return (f"{fit.n_replicates_max} replicates at {fit.n_levels} N" if fit.n_replicates_max > 1
            else f"no replicates at {fit.n_levels} N")


def compare_forms(pure: Fit, floor: Fit | None) -> LawAssessment:
    """The :class:`LawAssessment` of one group from its ``a*N^-alpha`` fit and its
    ``L_inf+a*N^-alpha`` fit (None where that form was not fitted)."""
    p_floor = floor_p(pure, floor)
    pure_lof = pure.lack_of_fit_p
    floor_lof = floor.lack_of_fit_p if floor is not None and floor.ok else None
    pure_rejected = any(p is not None and p < TEST_LEVEL for p in (pure_lof, p_floor))
    pure_why = f"{PURE_FORM} (lack of fit {_p(pure_lof)}, floor F test {_p(p_floor)})"
    if floor is None or not floor.ok:
        floor_rejected, floor_why = True, (f"{FLOOR_FORM} has no fit: " + (
            floor.reason if floor is not None else "not fitted"))
    elif floor.ci95["L_inf"][1] < 0:
        floor_rejected, floor_why = True, (f"{FLOOR_FORM} fits only with a negative floor, "
                                           f"{_interval(floor, 'L_inf')}")
    else:
        floor_rejected = floor_lof is not None and floor_lof < TEST_LEVEL
        floor_why = f"{FLOOR_FORM} (lack of fit {_p(floor_lof)})"
    if not pure.ok:
        shape, chosen, reason = "untested", None, f"{PURE_FORM} has no fit: {pure.reason}"
    elif pure_lof is None and p_floor is None:
        shape, chosen = "untested", pure
        reason = (f"the law is assumed, not tested: {_replicates(pure)} for a lack-of-fit test "
                  f"and no floor comparison ({floor_why}); {_interval(pure, 'alpha')}")
    elif not pure_rejected:
        shape, chosen = "power law", pure
        reason = (f"{PURE_FORM} stands ({_replicates(pure)}): lack of fit {_p(pure_lof)}, "
                  f"floor F test {_p(p_floor)}; {_interval(pure, 'alpha')}")
    elif not floor_rejected:
        shape, chosen = "power law with floor", floor
        reason = (f"{pure_why} is rejected and {floor_why} stands ({_replicates(pure)}); "
                  f"{_interval(floor, 'L_inf')}, {_interval(floor, 'alpha')}")
    else:
        shape, chosen = "not a power law", None
        reason = (f"both forms are rejected ({_replicates(pure)}): {pure_why}; {floor_why}; "
                  f"log-log slope of {PURE_FORM}: {_interval(pure, 'alpha')}")
    trend = chosen if chosen is not None or not pure.ok else pure
    direction, falls = _direction(trend)
    fitted = trend is not None and trend.ok
    return LawAssessment(
        target=pure.target, group=dict(pure.group), shape=shape,
        chosen_form=None if chosen is None else chosen.form, direction=direction, falls=falls,
        direction_form=trend.form if fitted else None,
        alpha=trend.params["alpha"] if fitted else None,
        alpha_ci95=tuple(trend.ci95["alpha"]) if fitted else None, floor_p=p_floor,
        pure_lack_of_fit_p=pure_lof, floor_lack_of_fit_p=floor_lof, reason=reason + ".")


def assess_groups(fits: Iterable[Fit]) -> dict[tuple[str, tuple[tuple[str, Any], ...]],
                                               LawAssessment]:
    """:func:`compare_forms` of every group with an ``a*N^-alpha`` fit, keyed by
    ``(target, tuple(group.items()))`` (the FitPoint.group of its points), each paired with the
    ``L_inf+a*N^-alpha`` fit of the same target and group, if any; in the order of ``fits``."""
    fits = list(fits)

    def key(fit: Fit):
        return fit.target, tuple(fit.group.items())

    floors = {key(fit): fit for fit in fits if fit.form == FLOOR_FORM}
    return {key(fit): compare_forms(fit, floors.get(key(fit)))
            for fit in fits if fit.form == PURE_FORM}
