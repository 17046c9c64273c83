"""Power-law fits on log L with t intervals (astray.scaling.fits) and the law tests
(astray.scaling.law_tests), on synthetic data with a known law."""

import json

import numpy as np
import pytest
from scipy import stats

from astray.scaling.fits import FORMS, MAX_EXPONENT, Fit, FitPoint, fit_form, fit_runs
from astray.scaling.law_tests import LawAssessment, assess_groups, compare_forms

PURE, FLOOR, JOINT = "a*N^-alpha", "L_inf+a*N^-alpha", "L_inf+A*N^-alpha+B*P^-beta"
N5 = np.array([100, 200, 400, 800, 1600], float)
N8 = 100.0 * 2.0 ** np.arange(8)  # 100 ... 12,800


def pure_law(n):
    return 60.0 * n ** -0.4


def noisy(law, levels, seeds, sd, rng_seed=0):
    """(N, L): L = law(N) exp(e), e ~ N(0, sd^2), one run per seed at each N."""
    rng = np.random.default_rng(rng_seed)
    n = np.repeat(np.asarray(levels, float), seeds)
    return n, law(n) * np.exp(sd * rng.standard_normal(n.size))


def assess(n, values):
    return compare_forms(fit_form(PURE, n, values), fit_form(FLOOR, n, values))


def test_noiseless_laws_are_recovered_exactly_with_their_band():
    n = np.repeat(N5, 2)
    pure = fit_form(PURE, n, pure_law(n))
    assert pure.ok and pure.n_points == 10 and pure.n_levels == 5 and pure.n_replicates_max == 2
    assert pure.params == pytest.approx({"a": 60.0, "alpha": 0.4}, rel=1e-9)
    assert all(high - low < 1e-9 * abs(low) for low, high in pure.ci95.values())
    assert pure.lack_of_fit_p is None and pure.pure_error_sd == 0  # identical replicates
    band = pure.band
    assert band["p"] is None and len(band["n"]) == 40
    assert band["n"][0] == pytest.approx(100 / 1.5) and band["n"][-1] == pytest.approx(2400)
    np.testing.assert_allclose(band["center"], pure_law(np.array(band["n"])), rtol=1e-9)
    np.testing.assert_allclose(band["low"], band["high"], rtol=1e-9)
    floor = fit_form(FLOOR, n, 2.0 + 50.0 * n ** -0.5)
    assert floor.params == pytest.approx({"L_inf": 2.0, "a": 50.0, "alpha": 0.5}, rel=1e-7)
    assert floor.flags == () and floor.interval_method == \
        "Wald (delta method) t on per-N means, 2 df"


def test_noiseless_joint_law_is_recovered_with_a_band_per_model_size():
    n, p = (grid.ravel() for grid in np.meshgrid(N5, [1e4, 1e5, 1e6]))
    truth = {"L_inf": 0.5, "A": 40.0, "alpha": 0.4, "B": 300.0, "beta": 0.3}
    law = 0.5 + 40.0 * n ** -0.4 + 300.0 * p ** -0.3
    fit = fit_form(JOINT, n, law, n_params=p)
    assert fit.ok and fit.n_levels == 15 and fit.params == pytest.approx(truth, rel=1e-6)
    assert fit.interval_method == "Wald (delta method) t on per-(N, P) means, 10 df"
    band = {key: np.array(value) for key, value in fit.band.items()}
    assert len(band["n"]) == 120 and list(np.unique(band["p"])) == [1e4, 1e5, 1e6]
    assert np.all(band["p"][:40] == 1e4) and np.all(band["n"][:40] == band["n"][40:80])
    np.testing.assert_allclose(band["center"], 0.5 + 40.0 * band["n"] ** -0.4
                               + 300.0 * band["p"] ** -0.3, rtol=1e-6)


def test_pure_law_interval_band_and_tests_are_the_textbook_ones():
    # the same numbers computed independently: OLS on the per-N means of log L, and the
    # lack-of-fit F test from the OLS on every run (SS residual = SS pure error + SS lack of fit)
    n, values = noisy(pure_law, N5, 3, 0.15, rng_seed=2)
    fit = fit_form(PURE, n, values)
    x, y = np.log(N5), np.log(values).reshape(5, 3).mean(axis=1)
    line = stats.linregress(x, y)
    t = stats.t.ppf(0.975, 3)
    assert fit.params["alpha"] == pytest.approx(-line.slope, rel=1e-9)
    assert fit.ci95["alpha"] == pytest.approx((-line.slope - t * line.stderr,
                                               -line.slope + t * line.stderr), rel=1e-9)
    a_low, a_high = np.exp(line.intercept + np.array([-t, t]) * line.intercept_stderr)
    assert fit.ci95["a"] == pytest.approx((a_low, a_high), rel=1e-9)
    s = np.sqrt(np.sum((y - line.intercept - line.slope * x) ** 2) / 3)
    assert fit.residual_sd == pytest.approx(s, rel=1e-9)
    log_values = np.log(values).reshape(5, 3)
    ss_pure = np.sum((log_values - log_values.mean(axis=1, keepdims=True)) ** 2)
    assert fit.pure_error_sd == pytest.approx(np.sqrt(ss_pure / 10), rel=1e-9)
    slope, intercept = np.polyfit(np.log(n), np.log(values), 1)
    ss_lack = np.sum((np.log(values) - intercept - slope * np.log(n)) ** 2) - ss_pure
    assert fit.lack_of_fit_p == pytest.approx(stats.f.sf(ss_lack / 3 / (ss_pure / 10), 3, 10))
    grid = np.log(fit.band["n"][7])
    half = t * s * np.sqrt(1 / 5 + (grid - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2))
    center = line.intercept + line.slope * grid
    assert [fit.band[k][7] for k in ("low", "center", "high")] == pytest.approx(
        np.exp([center - half, center, center + half]), rel=1e-9)
    assert fit.interval_method == "t on per-N means, 3 df"


@pytest.mark.parametrize("form, n, values, n_params, words", [
    (PURE, [100, 100, 200, 200, 400, 400], [5.0, 5.1, 3.0, 3.1, 2.0, 2.1], None,
     "3 distinct training sizes N: no interval"),
    (FLOOR, [100, 200, 400], [5.0, 3.0, 2.0], None, "at least 4 distinct N"),
    (PURE, [100, 200, 400, 800], [5.0, None, 2.0, float("nan")], None,
     "2 of 4 runs have no finite value"),
    (PURE, [100, 200, 400, 800], [5.0, 0.0, 2.0, 1.0], None, "1 of 4 values are <= 0"),
    (JOINT, [100, 200, 400, 800] * 2, [5.0, 3.0, 2.0, 1.5] * 2, [1e4] * 4 + [1e5] * 4,
     "2 distinct sizes P"),
    (PURE, [], [], None, "no runs"),
])
def test_too_little_data_gives_a_reason_not_an_exception(form, n, values, n_params, words):
    fit = fit_form(form, n, values, n_params=n_params)
    assert fit.status == "insufficient-data" and words in fit.reason
    assert fit.params is None and fit.ci95 is None and fit.band is None
    assert compare_forms(fit, None).shape == "untested"


def test_a_run_off_exponent_fails_with_its_reason():
    fit = fit_form(PURE, N5[:4], N5[:4] ** -12.0)
    assert fit.status == "failed" and f"beyond {MAX_EXPONENT:g}" in fit.reason


def test_floor_flags():
    n = N5  # L = -0.5 + 50 N^-0.3 falls faster than a power law: its floor is negative
    fit = fit_form(FLOOR, n, -0.5 + 50.0 * n ** -0.3)
    assert fit.params["L_inf"] == pytest.approx(-0.5) and fit.flags == ("negative-floor",)
    law = compare_forms(fit_form(PURE, n, -0.5 + 50.0 * n ** -0.3), fit)
    assert law.shape == "not a power law" and "negative floor" in law.reason
    n, values = noisy(pure_law, N5, 3, 0.1)  # a pure law: its floor is not told from 0
    assert "floor-not-resolved" in fit_form(FLOOR, n, values).flags
    n, values = noisy(pure_law, N8, 3, 0.2, rng_seed=4)  # an irregular fall with lack of fit
    bent = np.where(n > 1000, values * 0.5, values)
    assert "lack-of-fit" in fit_form(PURE, n, bent).flags
    assert "unbalanced-replicates" in fit_form(PURE, n[1:], values[1:]).flags


def test_exponential_fall_to_a_plateau_is_not_a_power_law():
    # what the old test ("alpha > 0 with an interval above 0") called a power law
    n, values = noisy(lambda n: 1.0 + 5.0 * np.exp(-n / 400), N8, 3, 0.05)
    law = assess(n, values)
    assert law.shape == "not a power law" and law.chosen_form is None, law.reason
    assert law.pure_lack_of_fit_p < 0.001 and law.floor_lack_of_fit_p < 0.05
    assert law.direction == "falls" and law.direction_form == PURE  # it does decrease
    assert "both forms are rejected" in law.reason


def test_floor_law_is_a_power_law_with_floor_whose_interval_holds_it():
    # measured over 300 draws: "power law with floor" in 94%, "not a power law" in the rest
    n, values = noisy(lambda n: 2.0 + 50.0 * n ** -0.5, N8, 3, 0.05, rng_seed=1)
    law = assess(n, values)
    assert law.shape == "power law with floor" and law.chosen_form == FLOOR, law.reason
    floor = fit_form(FLOOR, n, values)
    assert floor.ci95["L_inf"][0] < 2.0 < floor.ci95["L_inf"][1]
    assert law.alpha_ci95 == floor.ci95["alpha"] and law.falls and law.floor_p < 0.05
    pure = fit_form(PURE, n, values)  # the pure law's alpha is biased low by the floor
    assert pure.ci95["alpha"][1] < 0.5 and "lack-of-fit" in pure.flags


def test_pure_law_with_replicates_is_a_power_law_in_most_draws():
    laws = [assess(*noisy(pure_law, N5, 3, 0.1, rng_seed=draw)) for draw in range(40)]
    # measured over 1000 draws: 91.6% "power law", lack of fit p >= 0.05 in 95.7%
    assert sum(law.shape == "power law" for law in laws) >= 32
    assert sum(law.pure_lack_of_fit_p >= 0.05 for law in laws) >= 34
    law = laws[0]
    assert law.chosen_form == PURE and law.direction == "falls" and law.falls is True
    assert law.alpha_ci95[0] < 0.4 < law.alpha_ci95[1]
    assert "3 replicates at 5 N" in law.reason and "lack of fit p = " in law.reason


def test_without_replicates_only_the_floor_is_tested_and_rising_errors_rise():
    n, values = noisy(lambda n: 0.01 * n ** 0.3, N5, 1, 0.05)
    law = assess(n, values)
    assert law.pure_lack_of_fit_p is None and law.floor_p is not None
    assert law.direction == "rises" and law.falls is False
    assert "no replicates at 5 N" in law.reason
    untested = compare_forms(fit_form(PURE, n, values), None)
    assert untested.shape == "untested" and "assumed, not tested" in untested.reason
    flat = compare_forms(fit_form(PURE, *noisy(lambda n: 3.0 + 0 * n, N5, 1, 0.05)), None)
    assert flat.direction == "not resolved" and flat.falls is False


def test_fit_and_assessment_survive_json_and_name_a_bad_field():
    n, values = noisy(pure_law, N5, 3, 0.1)
    fit = fit_form(FLOOR, n, values, target="test_mae:stable", group={"hidden": 64})
    again = Fit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert again == fit and set(fit.to_dict()) == set(Fit.__dataclass_fields__)
    with pytest.raises(ValueError, match="^fit field 'lack_of_fit_p': expected a number or "
                                         "null, got 'x'$"):
        Fit.from_dict({**fit.to_dict(), "lack_of_fit_p": "x"})
    with pytest.raises(ValueError, match="^fit field 'band'"):
        Fit.from_dict({**fit.to_dict(), "band": {**fit.band, "low": [1.0]}})
    with pytest.raises(ValueError, match="^fit field 'status': missing$"):
        Fit.from_dict({k: v for k, v in fit.to_dict().items() if k != "status"})
    law = compare_forms(fit_form(PURE, n, values), fit)
    assert LawAssessment.from_dict(json.loads(json.dumps(law.to_dict()))) == law
    with pytest.raises(ValueError, match="^law assessment field 'shape'"):
        LawAssessment.from_dict({**law.to_dict(), "shape": "line"})


def test_fit_runs_groups_per_size_and_jointly_and_pairs_the_forms():
    rng = np.random.default_rng(5)
    points = [FitPoint(target, (("subset", "stable"), ("hidden", hidden), ("interactions", 3)),
                       int(n), 1000 * hidden, value, seed)
              for hidden in (16, 64, 256) for n in N5 for seed in (0, 1)
              for target, value in (("test_mae:stable", (1.0 + 30.0 / hidden) * pure_law(n)
                                     * np.exp(0.05 * rng.standard_normal())),
                                    ("h2_r_e_error", None if (hidden, n, seed) == (64, 400, 1)
                                     else 0.1))]
    fits = fit_runs(points)
    assert [f.form for f in fits] == [PURE] * 6 + [FLOOR] * 6 + [JOINT] * 2
    by_size = [f for f in fits if f.form == PURE and f.target == "test_mae:stable"]
    assert [f.group["hidden"] for f in by_size] == [16, 256, 64]  # by repr of the group
    assert all(f.ok and f.n_points == 10 and f.ci95["alpha"][0] < 0.4 < f.ci95["alpha"][1]
               for f in by_size)
    joint = [f for f in fits if f.form == JOINT]
    assert all(f.group == {"subset": "stable"} and f.n_points == 30 for f in joint)
    missing = next(f for f in fits if f.form == PURE and f.group["hidden"] == 64
                   and f.target == "h2_r_e_error")
    assert missing.status == "insufficient-data" and "1 of 10 runs" in missing.reason
    shuffled = fit_runs(points[::-1])
    assert shuffled == fits  # the order of the points does not matter
    laws = assess_groups(fits)
    assert len(laws) == 6 and (by_size[0].target, tuple(by_size[0].group.items())) in laws
    assert set(laws) == {(p.target, p.group) for p in points}
    assert fit_runs(points, forms=[PURE]) == fits[:6]


def test_every_form_names_its_parameters():
    assert {name: form.param_names for name, form in FORMS.items()} == {
        PURE: ("a", "alpha"), FLOOR: ("L_inf", "a", "alpha"),
        JOINT: ("L_inf", "A", "alpha", "B", "beta")}
