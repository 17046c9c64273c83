"""Curve metrics and verdicts on synthetic curves whose answers are known analytically."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import constants as sc

from astray.probes import metrics as pm
from astray.probes import smoothness as ps
from astray.probes import thresholds as th
from astray.probes.measure import curve_metrics
from astray.probes.verdict import verdict

# H2-like Morse parameters (eV, angstrom, 1/angstrom) and H masses (amu).
DE, RE, A = 4.7476, 0.7414, 1.9426
M_H = 1.00784
H2_MASSES = (M_H, M_H)
# 0.2 .. 6.0 A in 0.05 A steps: RE = 0.7414 lies between the grid points 0.70 and 0.75.
R = np.round(np.arange(0.20, 6.0 + 1e-9, 0.05), 10)
# Exact Coulomb constant e^2 / (4 pi eps0) in eV A, from SI constants (independent of astray.units).
K_COULOMB = sc.e / (4 * sc.pi * sc.epsilon_0) * 1e10
KCAL_MOL_PER_EV = sc.e * sc.N_A / (sc.calorie * 1e3)


def morse(r, de=DE, re=RE, a=A):
    return de * ((1.0 - np.exp(-a * (r - re))) ** 2 - 1.0)


def morse_force(r, de=DE, re=RE, a=A):
    """F_r = -dE/dr of :func:`morse`."""
    x = np.exp(-a * (r - re))
    return -2.0 * de * a * (1.0 - x) * x


def morse_omega_cm1(de, a, masses):
    """omega_e = a sqrt(2 De / mu) / (2 pi c) in cm^-1, all in SI."""
    mu = masses[0] * masses[1] / (masses[0] + masses[1]) * sc.atomic_mass
    omega_rad_s = a * 1e10 * math.sqrt(2.0 * de * sc.e / mu)
    return omega_rad_s / (2.0 * math.pi * sc.c) / 100.0


def coulomb(r, z1=1, z2=1):
    return z1 * z2 * K_COULOMB / r


def judged(metrics, **kw) -> tuple[str, list[str]]:
    """The verdict as ("pass" | "fail", failure names), as curves.json writes it."""
    outcome = verdict(metrics, **kw)
    return outcome.outcome, [f.value for f in outcome.failures]


def metrics_of(energy, reference, r=R, **kw):
    kw.setdefault("masses_amu", H2_MASSES)
    kw.setdefault("r_ref", RE)
    m = curve_metrics(r, energy, reference, **kw)
    json.dumps(m.to_dict(), allow_nan=False)  # always plain JSON
    return m


# ------------------------------------------------------------------------------------ Morse


def test_morse_spectroscopic_constants():
    m = metrics_of(morse(R), morse(R))
    assert RE not in R  # the minimum must be found between grid points
    assert m["r_e_angstrom"] == pytest.approx(RE, abs=1e-3)
    assert abs(m["r_e_angstrom"] - RE) < 0.2 * abs(R[np.argmin(morse(R))] - RE)  # beats the grid
    assert m["d_e_ev"] == pytest.approx(DE, abs=1e-3)
    expected_omega = morse_omega_cm1(DE, A, H2_MASSES)
    assert expected_omega == pytest.approx(4397.3, abs=1.0)  # the formula itself, H2-like
    assert m["omega_e_cm1"] == pytest.approx(expected_omega, rel=1e-3)
    assert m["n_minima"] == 1 and m["reference_n_minima"] == 1
    assert m["r_e_error_angstrom"] == 0.0 and m["d_e_error_ev"] == 0.0
    assert m["omega_e_error_cm1"] == 0.0 and m["asymptote_error_ev"] == 0.0
    assert m["mae_ev"] == 0.0
    assert m["repulsive_wall_monotonic"] is True
    assert m["force_sign_flips"] == 1
    assert m["tortuosity"] == pytest.approx(1.0, abs=1e-12)
    assert m["spearman_repulsive"] == pytest.approx(-1.0) and m["spearman_attractive"] == pytest.approx(1.0)
    assert m["energy_force_mae_ev_angstrom"] is None  # no forces given
    assert m["coulomb_exponent"] is None  # not bare nuclei
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("pass", [])


def test_harmonic_frequency_units_heteronuclear():
    masses = (4.002602, M_H)  # HeH+-like reduced mass
    k = 2.0 * DE * A**2  # Morse curvature at r_e, eV/A^2
    assert pm.harmonic_frequency_cm1(k, masses) == pytest.approx(morse_omega_cm1(DE, A, masses), rel=1e-9)
    assert pm.reduced_mass_amu(masses) == pytest.approx(4.002602 * M_H / (4.002602 + M_H))
    assert pm.harmonic_frequency_cm1(-1.0, masses) is None


def test_morse_errors_are_predicted_minus_reference():
    de2, re2, a2 = 0.5 * DE, RE + 0.1, A
    m = metrics_of(morse(R, de2, re2, a2), morse(R))
    assert m["r_e_error_angstrom"] == pytest.approx(0.1, abs=2e-3)
    assert m["d_e_error_ev"] == pytest.approx(de2 - DE, abs=2e-3)
    omega_err = morse_omega_cm1(de2, a2, H2_MASSES) - morse_omega_cm1(DE, A, H2_MASSES)
    assert m["omega_e_error_cm1"] == pytest.approx(omega_err, rel=5e-3)
    assert m["mae_ev"] < th.LARGE_MAE_EV
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == (
        "fail",
        ["wrong-bond-length", "wrong-well-depth", "wrong-frequency"],
    )


@pytest.mark.parametrize(
    "eps, sigma, flips",
    [
        (1.0, 1.2, 1),  # a covalent-depth well
        # argon-like: the largest attractive force, 2.4 eps / sigma ~ 0.007 eV/A, is below the
        # flip tolerance, so the well gives no counted force flip (documented behaviour)
        (0.0104, 3.40, 0),
    ],
)
def test_lennard_jones_minimum_and_depth(eps, sigma, flips):
    r = np.round(np.arange(0.88 * sigma, 3.0 * sigma + 1e-9, 0.02 * sigma), 10)
    e = 4 * eps * ((sigma / r) ** 12 - (sigma / r) ** 6)
    masses = (39.948, 39.948)
    m = metrics_of(e, e, r=r, masses_amu=masses, r_ref=1.1 * sigma)
    assert m["r_e_angstrom"] == pytest.approx(2 ** (1 / 6) * sigma, rel=1e-3)
    assert m["d_e_ev"] == pytest.approx(eps, rel=1e-3)
    # LJ curvature at the minimum: 72 eps / r_min^2 = 72 eps / (2^(1/3) sigma^2)
    k = 72 * eps / (2 ** (1 / 3) * sigma**2)
    assert m["omega_e_cm1"] == pytest.approx(pm.harmonic_frequency_cm1(k, masses), rel=5e-3)
    assert m["n_minima"] == 1 and m["force_sign_flips"] == flips
    assert m["tortuosity"] == pytest.approx(1.0)
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("pass", [])


def test_a_steep_wall_does_not_ring_into_the_well():
    """Lennard-Jones with H2's r_e and D_e on the H2 grid, which starts at 0.2 A where the
    1/r^12 wall is 3e6 eV high: the well's r_e, D_e and omega_e are still LJ's exact ones (a
    spline through every point gave D_e 4.824 eV and omega_e 51 % too high)."""
    from astray.systems import get_system

    sigma, eps = 0.66, 4.75
    r = get_system("H2").default_grid()
    e = 4 * eps * ((sigma / r) ** 12 - (sigma / r) ** 6)
    assert e.max() > 1e6
    m = metrics_of(e, e, r=r)
    assert m["r_e_angstrom"] == pytest.approx(2 ** (1 / 6) * sigma, abs=1e-3)
    assert m["d_e_ev"] == pytest.approx(eps, abs=0.01)
    k = 72 * eps / (2 ** (1 / 3) * sigma**2)  # 623 eV/A^2
    assert m["omega_e_cm1"] == pytest.approx(pm.harmonic_frequency_cm1(k, H2_MASSES), rel=0.05)


def test_shifted_curve_fails_asymptote_depth_and_mae():
    m = metrics_of(morse(R) + 1.5, morse(R))
    assert m["asymptote_error_ev"] == pytest.approx(1.5)
    assert m["mae_ev"] == pytest.approx(1.5)
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == (
        "fail",
        ["wrong-asymptote", "wrong-well-depth", "large-error"],
    )


def test_missing_minimum():
    repulsive = coulomb(R) * np.exp(-2.0 * R)
    m = metrics_of(repulsive, morse(R))
    assert m["n_minima"] == 0
    assert m["r_e_angstrom"] is None and m["r_e_error_angstrom"] is None and m["omega_e_cm1"] is None
    assert m["reference_r_e_angstrom"] == pytest.approx(RE, abs=1e-3)
    _, failures = judged(m, bare_nuclei=False, reference_has_minimum=True)
    assert "missing-minimum" in failures and "spurious-minimum" not in failures


# ------------------------------------------------------------------------------------ regions


def test_region_maes_and_bounds():
    r_ref = 1.0
    r = np.array([0.5, 0.8, 0.85, 1.0, 1.6, 2.0, 3.0])  # 0.85 and 1.6 are bonding (inclusive)
    ref = coulomb(r)
    offset = np.array([1.0, 3.0, 0.2, 0.4, 0.6, 0.5, 0.7])
    m = metrics_of(ref + offset, ref, r=r, r_ref=r_ref)
    assert th.COMPRESSED_BELOW == 0.85 and th.STRETCHED_ABOVE == 1.6
    assert m["r_ref_angstrom"] == r_ref  # reference has no minimum: nominal length used
    assert m["mae_compressed_ev"] == pytest.approx(2.0)
    assert m["mae_bonding_ev"] == pytest.approx(0.4)
    assert m["mae_stretched_ev"] == pytest.approx(0.6)
    assert m["mae_ev"] == pytest.approx(offset.mean())
    assert m["asymptote_error_ev"] == pytest.approx(0.7)


def test_regions_use_reference_r_e_when_reference_has_minimum():
    m = metrics_of(morse(R), morse(R), r_ref=2.0)  # nominal length ignored
    assert m["r_ref_angstrom"] == pytest.approx(RE, abs=1e-3)
    masks = pm.region_masks(R, m["r_ref_angstrom"])
    assert masks["compressed"].sum() + masks["bonding"].sum() + masks["stretched"].sum() == R.size
    assert R[masks["bonding"]].min() >= 0.85 * m["r_ref_angstrom"]


# ------------------------------------------------------------------------------------ Coulomb


def coulomb_metrics(energy, r=R):
    return metrics_of(energy, coulomb(r), r=r, bare_nuclei=True, nuclear_charges=(1, 1))


def test_pure_coulomb_recovered_exactly():
    m = coulomb_metrics(coulomb(R))
    assert m["coulomb_exponent"] == pytest.approx(-1.0, abs=1e-9)
    assert m["coulomb_prefactor_ev_angstrom"] == pytest.approx(14.3996, abs=1e-4)
    assert m["coulomb_prefactor_kcal_mol_angstrom"] == pytest.approx(K_COULOMB * KCAL_MOL_PER_EV, rel=1e-9)
    assert m["coulomb_prefactor_kcal_mol_angstrom"] == pytest.approx(332.06, abs=0.01)
    assert m["coulomb_max_relative_error"] == pytest.approx(0.0, abs=1e-9)
    assert m["coulomb_nonpositive_points"] == 0
    assert m["n_minima"] == 0 and m["r_e_angstrom"] is None and m["d_e_ev"] is None
    assert m["force_sign_flips"] == 0 and m["repulsive_wall_monotonic"] is True
    assert m["tortuosity"] == pytest.approx(1.0)
    assert m["spearman_repulsive"] == pytest.approx(-1.0)
    assert judged(m, bare_nuclei=True, reference_has_minimum=False) == ("pass", [])


def test_coulomb_other_charges_and_power_law_fit():
    m = metrics_of(coulomb(R, 2, 1), coulomb(R, 2, 1), bare_nuclei=True, nuclear_charges=(2, 1))
    assert m["coulomb_prefactor_ev_angstrom"] == pytest.approx(2 * K_COULOMB, rel=1e-9)
    assert judged(m, bare_nuclei=True, reference_has_minimum=False) == ("pass", [])
    # a screened power law E = 10 r^-1.5 is fitted exactly, and violates Coulomb's law
    n, k = pm.coulomb_fit(R, 10.0 * R**-1.5)
    assert n == pytest.approx(-1.5) and k == pytest.approx(10.0)
    m = coulomb_metrics(10.0 * R**-1.5)
    assert "coulomb-law-violated" in judged(m, bare_nuclei=True, reference_has_minimum=False)[1]


def test_coulomb_with_spurious_minimum_fails():
    dipped = coulomb(R) - 1.5 * np.exp(-(((R - 3.0) / 0.3) ** 2))
    m = coulomb_metrics(dipped)
    assert m["n_minima"] == 1
    assert 3.0 < m["r_e_angstrom"] < 3.5
    assert m["r_e_error_angstrom"] is None  # the reference has no minimum
    assert m["coulomb_max_relative_error"] > th.COULOMB_MAX_RELATIVE_ERROR
    assert m["force_sign_flips"] == 2  # into the dip and out again
    assert judged(m, bare_nuclei=True, reference_has_minimum=False) == (
        "fail",
        ["spurious-minimum", "coulomb-law-violated"],
    )


def test_coulomb_with_constant_offset_fails():
    m = coulomb_metrics(coulomb(R) + 0.5)
    assert m["asymptote_error_ev"] == pytest.approx(0.5)
    assert m["coulomb_max_relative_error"] == pytest.approx(0.5 / coulomb(R[-1]))
    assert m["coulomb_exponent"] > -1.0
    assert judged(m, bare_nuclei=True, reference_has_minimum=False) == (
        "fail",
        ["wrong-asymptote", "coulomb-law-violated"],
    )


def test_coulomb_nonpositive_points_counted_and_left_out_of_fit():
    e = np.where(R < 4.0, coulomb(R), -0.05)
    e[R >= 5.0] = 0.0  # zero counts as non-positive too
    m = coulomb_metrics(e)
    assert m["coulomb_nonpositive_points"] == int(np.count_nonzero(R >= 4.0))
    assert m["coulomb_exponent"] == pytest.approx(-1.0, abs=1e-9)  # fit of the positive points
    assert m["coulomb_prefactor_ev_angstrom"] == pytest.approx(K_COULOMB, rel=1e-9)
    _, failures = judged(m, bare_nuclei=True, reference_has_minimum=False)
    assert "coulomb-law-violated" in failures
    # all points non-positive: no fit, still a clean violation
    m = coulomb_metrics(-coulomb(R))
    assert m["coulomb_exponent"] is None and m["coulomb_nonpositive_points"] == R.size
    assert "coulomb-law-violated" in judged(m, bare_nuclei=True, reference_has_minimum=False)[1]


# ------------------------------------------------------------------------------------ smoothness

# A constructed wiggly curve on r = 1..10 A (dr = 1):
#   dE     = [-4, -3, -2, -1, +0.5, -0.2, +0.5, -0.2, 0]
#   -dE/dr = [ 4,  3,  2,  1, -0.5, +0.2, -0.5, +0.2, 0]  -> 4 sign flips (the 0 is ignored)
#   steps around the flips: 1 + 0.5 + 0.2 + 0.5 + 0.2 = 2.4 eV of energy jump
#   total variation 11.4 eV over |E0 - Emin| + |Emin - Eend| = 10 + 0.6 -> tortuosity 11.4 / 10.6
WIGGLE_R = np.arange(1.0, 11.0)
WIGGLE_E = np.array([10.0, 6.0, 3.0, 1.0, 0.0, 0.5, 0.3, 0.8, 0.6, 0.6])


def test_constructed_wiggles_counted_exactly():
    assert ps.force_sign_flips(WIGGLE_R, WIGGLE_E) == 4
    assert ps.energy_jump(WIGGLE_R, WIGGLE_E) == pytest.approx(2.4)
    assert ps.tortuosity(WIGGLE_R, WIGGLE_E) == pytest.approx(11.4 / 10.6)
    assert pm.n_minima(WIGGLE_R, WIGGLE_E) == 2  # E=0 at r=5 and the 0.2-eV dip at r=7
    # Spearman on the branch beyond the lowest minimum is not perfectly monotonic
    rep, att = ps.spearman_branches(WIGGLE_R, WIGGLE_E, split_r=5.0)
    assert rep == pytest.approx(-1.0) and 0.0 < att < 1.0


def test_force_sign_flips_from_given_forces_ignore_small_forces():
    f = np.array([1.0, -1.0, 0.5 * th.FORCE_FLIP_TOLERANCE_EV_ANGSTROM, -1.0, 1.0])
    r = np.arange(5.0)
    assert ps.force_sign_flips(r, np.zeros(5), f) == 2
    f[2] = 2 * th.FORCE_FLIP_TOLERANCE_EV_ANGSTROM  # now a real excursion: two more flips
    assert ps.force_sign_flips(r, np.zeros(5), f) == 4


def test_tiny_wiggles_are_ignored_but_real_ones_make_a_rough_curve():
    saw = (-1.0) ** np.arange(R.size)
    tiny = morse(R) + 1e-4 * saw  # wiggles the flat tail (r > 5 A), all below tolerance
    m = metrics_of(tiny, morse(R))
    assert m["n_minima"] == 1 and m["force_sign_flips"] == 1
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("pass", [])
    rough = morse(R) + 0.05 * saw * (R > 1.5)
    m = metrics_of(rough, morse(R))
    assert m["n_minima"] > 1 and m["force_sign_flips"] > 10
    assert m["energy_jump_ev"] > 1.0 and m["tortuosity"] > 1.2
    _, failures = judged(m, bare_nuclei=False, reference_has_minimum=True)
    assert "rough-curve" in failures and "spurious-minimum" in failures


def test_small_zigzag_is_rough_by_force_flips_alone():
    zigzag = morse(R) + 0.003 * (-1.0) ** np.arange(R.size) * ((R > 4.5) & (R < 5.0))
    m = metrics_of(zigzag, morse(R))
    assert m["force_sign_flips"] > m["reference_force_sign_flips"] + th.MAX_EXTRA_FORCE_SIGN_FLIPS
    assert m["energy_jump_ev"] - m["reference_energy_jump_ev"] < th.ENERGY_JUMP_TOLERANCE_EV
    assert "rough-curve" in judged(m, bare_nuclei=False, reference_has_minimum=True)[1]


def test_rough_curve_rule_on_hand_made_metrics():
    base = metrics_of(morse(R), morse(R))
    ok = replace(base, force_sign_flips=base["reference_force_sign_flips"] + th.MAX_EXTRA_FORCE_SIGN_FLIPS)
    assert judged(ok, bare_nuclei=False, reference_has_minimum=True) == ("pass", [])
    flips = replace(ok, force_sign_flips=ok["force_sign_flips"] + 1)
    assert judged(flips, bare_nuclei=False, reference_has_minimum=True) == ("fail", ["rough-curve"])
    jump = replace(base, energy_jump_ev=base["reference_energy_jump_ev"] + 1.01 * th.ENERGY_JUMP_TOLERANCE_EV)
    assert judged(jump, bare_nuclei=False, reference_has_minimum=True) == ("fail", ["rough-curve"])


def test_repulsive_wall_hole_and_plateau():
    hole = morse(R).copy()
    inner = R < 0.4
    hole[inner] = morse(0.4) - 20.0 * (0.4 - R[inner])  # energy falls again at short range
    m = metrics_of(hole, morse(R))
    assert m["repulsive_wall_monotonic"] is False
    assert m["spearman_repulsive"] > -1.0
    assert "no-repulsive-wall" in judged(m, bare_nuclei=False, reference_has_minimum=True)[1]
    plateau = np.minimum(morse(R), 5.0)  # saturating wall: no force at short range
    assert pm.repulsive_wall_monotonic(R, plateau, RE) is False
    assert pm.repulsive_wall_monotonic(R, morse(R), RE) is True
    # no minimum: the compressed branch of a repulsive curve is checked
    assert pm.repulsive_wall_monotonic(R, coulomb(R), RE) is True
    assert pm.repulsive_wall_monotonic(R, -coulomb(R), RE) is False


# ------------------------------------------------------------------------------------ forces


def test_energy_force_consistency():
    m = metrics_of(morse(R), morse(R), force_r=morse_force(R))
    assert m["energy_force_mae_ev_angstrom"] < 0.01
    assert m["force_sign_flips"] == 1
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("pass", [])
    wrong_sign = -morse_force(R)  # F = +dE/dr
    m = metrics_of(morse(R), morse(R), force_r=wrong_sign)
    assert m["energy_force_mae_ev_angstrom"] == pytest.approx(2 * np.mean(np.abs(morse_force(R))), rel=0.01)
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("fail", ["energy-force-inconsistent"])
    assert m["energy_force_work_error"] > 1.5  # about 2: the work has the opposite sign
    coulomb_forces = metrics_of(coulomb(R), coulomb(R), force_r=coulomb(R) / R)
    assert coulomb_forces["energy_force_work_error"] < 0.01


def test_energy_force_work_test_tolerates_a_coarse_steep_wall_but_not_wrong_units():
    """Two protons from 0.2 A on a coarse 0.1 A grid: exact forces pass, although the spline
    derivative there is far off; forces in hartree/bohr (a unit bug) fail."""
    r = np.arange(0.2, 6.0, 0.1)
    energy, force = coulomb(r), coulomb(r) / r
    m = curve_metrics(r, energy, energy, masses_amu=(1.008, 1.008), r_ref=0.74,
                         force_r=force, bare_nuclei=True, nuclear_charges=(1, 1))
    assert m["energy_force_mae_ev_angstrom"] > 0.3  # eV/A: the spline derivative is poor here
    assert m["energy_force_work_error"] < th.ENERGY_FORCE_WORK_TOLERANCE
    assert judged(m, bare_nuclei=True, reference_has_minimum=False) == ("pass", [])
    hartree_per_bohr = force / 27.211386 * 0.529177
    m = curve_metrics(r, energy, energy, masses_amu=(1.008, 1.008), r_ref=0.74,
                         force_r=hartree_per_bohr, bare_nuclei=True, nuclear_charges=(1, 1))
    assert "energy-force-inconsistent" in judged(m, bare_nuclei=True, reference_has_minimum=False)[1]


# ------------------------------------------------------------------------------------ NaN


def test_some_nan_energies():
    e = morse(R)
    bad = [0, 40, 80]
    e[bad] = np.nan
    e[100] = np.inf
    m = metrics_of(e, morse(R))
    assert m["n_nan"] == 4 and m["n_points"] == R.size
    assert m["r_e_angstrom"] == pytest.approx(RE, abs=1e-3)
    assert m["mae_ev"] == 0.0 and m["n_minima"] == 1
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("fail", ["nan-energy"])


def test_nan_where_the_reference_has_no_value_is_not_judged():
    """A published potential is NaN below its inner turning point (unreferenced): a model with
    no energy there is not a nan-energy failure; one with no energy where it is referenced is."""
    reference = morse(R)
    reference[:10] = np.nan
    energy = morse(R)
    energy[:10] = np.nan
    m = metrics_of(energy, reference)
    assert m["n_nan"] == 0
    assert judged(m, bare_nuclei=False, reference_has_minimum=True) == ("pass", [])
    energy[10] = np.nan
    assert metrics_of(energy, reference)["n_nan"] == 1
    # with no reference at all, every missing energy counts
    assert metrics_of(energy, np.full(R.size, np.nan))["n_nan"] == 11


@pytest.mark.parametrize("bare", [False, True])
def test_all_nan_energies(bare):
    e = np.full(R.size, np.nan)
    ref = coulomb(R) if bare else morse(R)
    kw = {"bare_nuclei": True, "nuclear_charges": (1, 1)} if bare else {}
    m = metrics_of(e, ref, force_r=np.full(R.size, np.nan), **kw)
    assert m["n_nan"] == R.size
    assert m["mae_ev"] is None and m["r_e_angstrom"] is None and m["force_sign_flips"] is None
    assert judged(m, bare_nuclei=bare, reference_has_minimum=not bare) == ("fail", ["nan-energy"])


def test_metric_values_are_plain_python_types():
    m = metrics_of(morse(R), morse(R), force_r=morse_force(R))
    for key, value in m.to_dict().items():
        assert value is None or type(value) in (bool, int, float), key
    assert type(m["n_minima"]) is int and type(m["repulsive_wall_monotonic"]) is bool


def test_a_misspelt_metric_is_an_error_not_none():
    m = metrics_of(morse(R), morse(R))
    with pytest.raises(KeyError, match="no metric 'd_e_eror_ev'"):
        m["d_e_eror_ev"]
    with pytest.raises(AttributeError):
        _ = m.d_e_eror_ev
    with pytest.raises(KeyError, match="unknown"):
        type(m).from_dict({**m.to_dict(), "d_e_eror_ev": 0.0})
