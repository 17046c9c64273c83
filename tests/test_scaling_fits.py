"""Power-law fits with bootstrap intervals (astray.scaling.fits) on data that follow known laws."""

import numpy as np
import pytest

from astray.scaling.fits import (
    FORMS,
    fit_band,
    fit_form,
    fit_runs,
    law_band,
    run_targets,
)
from scaling_fixtures import read_run, write_synthetic_sweep

N_LEVELS = np.array([100, 300, 1000, 3000, 10000], float)


def noisy_points(law, n_levels, seeds, noise, rng_seed=0):
    """(N, L) with L = law(N) (1 + noise e), e ~ N(0, 1), one point per seed at each N."""
    rng = np.random.default_rng(rng_seed)
    n = np.repeat(n_levels, seeds)
    return n, law(n) * (1 + noise * rng.standard_normal(n.size))


def test_power_law_recovers_alpha_within_its_interval_and_excludes_a_wrong_one():
    n, loss = noisy_points(lambda n: 60.0 * n ** -0.4, N_LEVELS[:4], seeds=3, noise=0.05)
    fit = fit_form("a*N^-alpha", n, loss, n_resamples=1000, seed=0)
    assert fit["status"] == "ok" and fit["n_points"] == 12 and fit["n_resamples"] == 1000
    low, high = fit["ci95"]["alpha"]
    assert low < 0.4 < high
    assert abs(fit["params"]["alpha"] - 0.4) < 0.03
    assert not low < 0.5 < high and not low < 0.3 < high  # a wrong exponent is outside
    a_low, a_high = fit["ci95"]["a"]
    assert a_low < 60.0 < a_high


def test_interval_narrows_with_less_noise():
    law = lambda n: 60.0 * n ** -0.4  # noqa: E731
    widths = []
    for noise in (0.1, 0.01):
        n, loss = noisy_points(law, N_LEVELS[:4], seeds=3, noise=noise)
        low, high = fit_form("a*N^-alpha", n, loss, n_resamples=300)["ci95"]["alpha"]
        widths.append(high - low)
    assert widths[1] < 0.3 * widths[0]


def test_floor_form_recovers_l_inf_at_the_nominal_coverage():
    # a 95% interval misses the truth in 1 of 20 data sets: count over 20 independent draws
    covered = {"L_inf": 0, "alpha": 0}
    for draw in range(20):
        n, loss = noisy_points(lambda n: 2.0 + 50.0 * n ** -0.5, N_LEVELS, seeds=3, noise=0.02,
                               rng_seed=draw)
        fit = fit_form("L_inf+a*N^-alpha", n, loss, n_resamples=200, seed=draw)
        assert fit["status"] == "ok"
        assert abs(fit["params"]["L_inf"] - 2.0) < 0.3
        assert fit["ci95"]["L_inf"][0] > 1.0  # the floor is resolved, not just "somewhere >= 0"
        for name, true in (("L_inf", 2.0), ("alpha", 0.5)):
            covered[name] += fit["ci95"][name][0] < true < fit["ci95"][name][1]
    assert covered["L_inf"] >= 16 and covered["alpha"] >= 16, covered  # P(< 16 | 95%) = 1.6%


def test_joint_form_recovers_both_exponents():
    rng = np.random.default_rng(3)
    n, p = (grid.ravel() for grid in np.meshgrid(np.repeat(N_LEVELS, 2), [1e4, 1e5, 1e6]))
    loss = (0.5 + 40.0 * n ** -0.4 + 300.0 * p ** -0.3) * (1 + 0.03 * rng.standard_normal(n.size))
    fit = fit_form("L_inf+A*N^-alpha+B*P^-beta", n, loss, n_params=p, n_resamples=300)
    assert fit["status"] == "ok", fit.get("reason")
    for name, true in (("alpha", 0.4), ("beta", 0.3)):
        low, high = fit["ci95"][name]
        assert low < true < high and high - low < 0.35, (name, low, high)


@pytest.mark.parametrize("form, n, values, n_params, word", [
    ("a*N^-alpha", [100, 100, 300, 300], [5.0, 5.1, 3.0, 3.1], None, "2 distinct training"),
    ("L_inf+a*N^-alpha", [100, 300, 1000], [5.0, 3.0, 2.0], None, "at least 4"),
    ("a*N^-alpha", [100, 300, 1000], [5.0, None, 2.0], None, "1 of 3 runs have no value"),
    ("a*N^-alpha", [100, 300, 1000], [5.0, 0.0, 2.0], None, "<= 0"),
    ("L_inf+A*N^-alpha+B*P^-beta", [100, 300, 1000, 3000] * 2, [5.0, 3.0, 2.0, 1.5] * 2,
     [1e4] * 4 + [1e5] * 4, "2 distinct sizes P"),
])
def test_too_little_data_gives_a_reason_not_an_exception(form, n, values, n_params, word):
    fit = fit_form(form, n, values, n_params=n_params, n_resamples=50)
    assert fit["status"] == "insufficient-data" and word in fit["reason"]
    assert fit["params"] is None and fit["ci95"] is None


def test_flat_data_do_not_determine_the_floor_form():
    # errors that do not depend on N: L_inf + a N^-alpha has no determined a and alpha
    n, loss = noisy_points(lambda n: 3.0 + 0 * n, N_LEVELS[:4], seeds=3, noise=0.05)
    fit = fit_form("L_inf+a*N^-alpha", n, loss, n_resamples=300)
    assert fit["status"] == "failed" and "do not determine" in fit["reason"]
    flat = fit_form("a*N^-alpha", n, loss, n_resamples=300)  # the plain law says alpha ~ 0
    assert flat["ci95"]["alpha"][0] < 0 < flat["ci95"]["alpha"][1]


def test_same_seed_same_intervals_other_seed_other_intervals():
    n, loss = noisy_points(lambda n: 60.0 * n ** -0.4, N_LEVELS[:4], seeds=2, noise=0.05)
    first, again = (fit_form("L_inf+a*N^-alpha", n, loss, n_resamples=200, seed=7)
                    for _ in range(2))
    other = fit_form("L_inf+a*N^-alpha", n, loss, n_resamples=200, seed=8)
    assert first == again
    assert first["ci95"] != other["ci95"] and first["params"] == other["params"]


def test_band_holds_the_true_law_and_is_narrowest_inside_the_data():
    n, loss = noisy_points(lambda n: 60.0 * n ** -0.4, N_LEVELS[:4], seeds=3, noise=0.05)
    grid = np.array([10.0, 550.0, 1e5])  # left of, in the log-middle of, and right of the data
    low, high = law_band("a*N^-alpha", n, loss, grid, n_resamples=500, seed=4)
    assert np.all(low < 60.0 * grid ** -0.4) and np.all(60.0 * grid ** -0.4 < high)
    relative = (high - low) / (60.0 * grid ** -0.4)
    assert relative[1] < 0.1 and relative[1] < relative[0] / 2 and relative[1] < relative[2] / 2
    assert law_band("a*N^-alpha", [100, 300], [2.0, 1.0], grid) is None  # no fit, no band


def test_joint_band_follows_both_variables():
    n, p = (grid.ravel() for grid in np.meshgrid(np.repeat(N_LEVELS, 2), [1e4, 1e5, 1e6]))
    loss = 0.5 + 40.0 * n ** -0.4 + 300.0 * p ** -0.3
    low, high = law_band("L_inf+A*N^-alpha+B*P^-beta", n, loss, [1000, 1000], n_params=p,
                         p_grid=[1e4, 1e6], n_resamples=100)
    truth = 0.5 + 40.0 * 1000 ** -0.4 + 300.0 * np.array([1e4, 1e6]) ** -0.3
    np.testing.assert_allclose(low, truth, rtol=1e-6)  # exact data: every resample agrees
    np.testing.assert_allclose(high, truth, rtol=1e-6)


def test_every_form_names_its_parameters():
    assert {name: form.param_names for name, form in FORMS.items()} == {
        "a*N^-alpha": ("a", "alpha"), "L_inf+a*N^-alpha": ("L_inf", "a", "alpha"),
        "L_inf+A*N^-alpha+B*P^-beta": ("L_inf", "A", "alpha", "B", "beta")}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return write_synthetic_sweep(tmp_path_factory.mktemp("sweep"), seeds=(0, 1),
                                 hidden=(16, 64, 256), subsets=("stable",), priors=(False,))


def test_run_targets_reads_the_probe_metrics(sweep):
    run = read_run(sweep, "default-stable-schnet-h64-i3-prior0-n300-s1")
    targets = run_targets(run)
    h2, h2pp = run["probe"]["H2"]["metrics"], run["probe"]["H2++"]["metrics"]
    assert targets["h2_mae_bonding"] == h2["mae_bonding_ev"]
    assert targets["h2_r_e_error"] == abs(h2["r_e_error_angstrom"])
    assert targets["h2_d_e_error"] == abs(h2["d_e_error_ev"])
    assert targets["h2pp_coulomb_exponent_error"] == pytest.approx(
        abs(h2pp["coulomb_exponent"] + 1))
    assert targets["test_mae:distorted"] == run["test_mae_kcal_mol"]["distorted"]


def test_fit_runs_groups_by_size_and_jointly(sweep):
    import json
    runs = [json.loads(p.read_text()) for p in sweep.glob("runs/*/result.json")]
    runs.append({"run_id": "crashed", "status": "failed", "error": "worker died"})
    fits = fit_runs(runs, n_resamples=100)
    keys = {"target", "subset", "model", "hidden", "interactions", "prior", "form", "status",
            "params", "ci95", "n_points", "n_seeds"}
    assert all(keys <= set(f) for f in fits)
    by_size = [f for f in fits if f["form"] == "a*N^-alpha" and f["target"] == "test_mae:stable"]
    assert sorted(f["hidden"] for f in by_size) == [16, 64, 256]
    for f in by_size:  # in distribution: the fixture's law, alpha = 0.4
        assert f["n_points"] == 8 and f["n_seeds"] == 2
        assert f["ci95"]["alpha"][0] < 0.4 < f["ci95"]["alpha"][1]
    entry = by_size[0]  # its band at N = 1 is the interval of a: the very same resamples
    members = [r for r in runs if r.get("hidden") == entry["hidden"]]  # in fit_runs' order
    band = law_band(entry["form"], [r["n_train"] for r in members],
                    [r["test_mae_kcal_mol"]["stable"] for r in members], [1.0],
                    n_resamples=100, seed=entry["bootstrap_seed"])
    np.testing.assert_allclose(np.ravel(band), entry["ci95"]["a"], rtol=1e-12)
    assert entry["bootstrap_resamples"] == 100
    np.testing.assert_allclose(fit_band(entry, runs, [1.0]), band, rtol=1e-12)
    floor = next(f for f in fits if f["form"] == "L_inf+a*N^-alpha" and f["hidden"] == 256
                 and f["target"] == "test_mae:stable")
    members = [r for r in runs if r.get("hidden") == 256]
    np.testing.assert_allclose(
        fit_band(floor, runs, [30.0, 300.0]),
        law_band(floor["form"], [r["n_train"] for r in members],
                 [r["test_mae_kcal_mol"]["stable"] for r in members], [30.0, 300.0],
                 n_resamples=100, seed=floor["bootstrap_seed"]), rtol=1e-12)
    unfitted = next(f for f in fits if f["status"] != "ok")
    assert fit_band(unfitted, runs, [300.0]) is None
    joint = [f for f in fits if f["form"] == "L_inf+A*N^-alpha+B*P^-beta"]
    assert joint and all(f["hidden"] is None and f["interactions"] is None for f in joint)
    assert {f["n_points"] for f in joint} == {24}
