"""Do the 95% intervals and the law tests of astray.scaling.fits / law_tests keep their promises?

Simulated sweeps with a known law and log-normal multiplicative noise (fixed numpy seeds, so
every number below is reproducible). The old percentile pairs-bootstrap covered the true alpha
in 72% of sweeps at 3 N x 1 seed, 90-92% at 4-6 N and 65-78% with a shared data draw per N.
"""

import numpy as np
import pytest

from astray.scaling.fits import fit_form
from astray.scaling.law_tests import compare_forms

PURE, FLOOR = "a*N^-alpha", "L_inf+a*N^-alpha"
CLI_N = [50, 100, 200, 400, 800]  # the CLI's default design (astray scale): 5 N x 1 seed
DEMO_N = [50, 100, 200, 400]  # the demo's design: 4 N x 1 seed


def pure_law(n):
    return 60.0 * n ** -0.4


def floor_law(n):
    return 2.0 + 50.0 * n ** -0.5


def sweeps(law, levels, seeds, within, shared=0.0, count=2000, rng_seed=0):
    """``count`` sweeps (N, L): L = law(N) exp(u_N + e), e ~ N(0, within^2) per run and
    u_N ~ N(0, shared^2) one per N, shared by that N's seeds (the one training set drawn)."""
    rng = np.random.default_rng(rng_seed)
    n = np.repeat(np.asarray(levels, float), seeds)
    for _ in range(count):
        u = np.repeat(shared * rng.standard_normal(len(levels)), seeds)
        yield n, law(n) * np.exp(u + within * rng.standard_normal(n.size))


def coverage(form, truth, **design):
    """Share of sweeps whose 95% interval holds each true parameter (a fit that fails counts
    as a miss)."""
    hits, total = dict.fromkeys(truth, 0), 0
    for n, values in sweeps(**design):
        fit, total = fit_form(form, n, values), total + 1
        for name, true in truth.items():
            hits[name] += fit.ok and fit.ci95[name][0] <= true <= fit.ci95[name][1]
    return {name: hit / total for name, hit in hits.items()}


@pytest.mark.parametrize("design", [
    # measured over 2000 sweeps for each of rng seeds 0, 1, 2 (alpha; a): 94.8/95.0/94.7%;
    # 95.0/95.2/94.7% -- t on per-N means is exact here (normal log-errors, one run per N)
    {"levels": CLI_N, "seeds": 1, "within": 0.15},
    # 95.0/95.9/94.9%; 95.2/95.8/94.6%
    {"levels": DEMO_N, "seeds": 1, "within": 0.15},
    # seeds share a per-N draw (sd 0.1 within, 0.1 shared): 95.5/95.1/94.5%; 95.8/95.1/94.4%
    # -- still exact: the per-N means are iid normal with variance 0.1^2 + 0.1^2 / 3
    {"levels": DEMO_N, "seeds": 3, "within": 0.1, "shared": 0.1},
], ids=["cli-5Nx1", "demo-4Nx1", "4Nx3-shared-draw"])
def test_pure_law_interval_covers_alpha_at_the_nominal_rate(design):
    covered = coverage(PURE, {"alpha": 0.4, "a": 60.0}, law=pure_law, **design)
    # 2000 sweeps: a binomial sd of 0.5 points at 95%, so 93% is 4 sd below the nominal rate
    assert covered["alpha"] >= 0.93 and covered["a"] >= 0.93, covered


def test_floor_form_wald_interval_coverage_at_5n_x_3_seeds():
    # L = 2 + 50 N^-0.5, 5 N x 3 independent seeds, sd 0.1: Wald t intervals on 2 df.
    # Measured over 1000 sweeps (rng seeds 0, asserted here; 1): alpha 93.8%; 94.3%, L_inf
    # 90.6%; 91.5%, a 90.0%; 90.9% (about 2% of the fits run off and count as misses); at
    # sd 0.05: alpha 94.2%; 94.7%, L_inf 93.5%; 94.9%. A profile-likelihood interval measured over 300 sweeps
    # was no better (L_inf 91.7% against Wald's 89.0%, alpha 89.7% against 93.0%), so the
    # floor form keeps Wald. Asserted: what holds with margin for the seed used here.
    covered = coverage(FLOOR, {"alpha": 0.5, "L_inf": 2.0, "a": 50.0}, law=floor_law,
                       levels=CLI_N, seeds=3, within=0.1, count=1000)
    assert covered["alpha"] >= 0.91 and covered["L_inf"] >= 0.87, covered


def test_law_tests_have_their_nominal_size_on_a_true_power_law():
    # independent seeds, 5 N x 3, sd 0.1: measured on these 400 sweeps the pure law's lack of
    # fit rejects in 4.5%, the floor F test in 3.8%, and 91.8% are assessed "power law" (5.2%
    # "power law with floor", 3.0% "not a power law"); over 1000 sweeps (rng seed 1): 4.3%,
    # 4.2%, 91.6%. The floor form's own lack of fit rejected 5.1% of them.
    shapes, lack_of_fit, floor = [], [], []
    for n, values in sweeps(pure_law, CLI_N, 3, 0.1, count=400, rng_seed=1):
        law = compare_forms(fit_form(PURE, n, values), fit_form(FLOOR, n, values))
        shapes.append(law.shape)
        lack_of_fit.append(law.pure_lack_of_fit_p < 0.05)
        floor.append(law.floor_p is not None and law.floor_p < 0.05)
    assert 0.01 <= np.mean(lack_of_fit) <= 0.09 and np.mean(floor) <= 0.09
    assert shapes.count("power law") >= 0.85 * len(shapes)


def test_a_shared_data_draw_looks_like_lack_of_fit():
    # The caveat of the lack-of-fit test, measured: when every seed at one N shares a training
    # set (sd 0.1 shared, 0.1 within, 4 N x 3) the pure law's lack of fit rejects a true power
    # law in 35% of these 300 sweeps (36.9% of 1000 with rng seed 1), and only 59.6% of 1000
    # sweeps (rng seed 0) are assessed "power law" (31.5% "not a power law"): the test reads the
    # draw's effect as misfit. Only replicates over independent data draws tell the two apart.
    rejected = [fit_form(PURE, n, values).lack_of_fit_p < 0.05
                for n, values in sweeps(pure_law, DEMO_N, 3, 0.1, shared=0.1, count=300)]
    assert np.mean(rejected) > 0.2
