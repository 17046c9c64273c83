"""Issue 19, item 9: a grade that was wrong. ASE's MorsePotential with H2's constants and its
default smooth cutoff was graded ``chemical accuracy`` with a pass, its wall 74 kcal/mol off and
its bond cut off 0.68 eV too early; a PaiNN prediction of -2.8e17 eV was averaged into numbers.
The grade now reads every region the reference covers, ``early-asymptote`` names the cut-off
bond and ``nonphysical-energy`` the absurd number."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from ase.calculators.morse import MorsePotential

import astray
from astray.probes import thresholds as th
from astray.probes.grade import grade
from astray.probes.measure import curve_metrics
from astray.probes.metrics import asymptote_reached_r, early_asymptote_depth
from astray.probes.results import Failure, Grade
from astray.probes.verdict import verdict
from astray.units import EV_KCAL_MOL
from fake_calculators import AbsurdAtShortRange

# H2 (exact): D_e 4.7474 eV, r_e 0.74144 A, omega_e 4401.2 cm-1 -> Morse a = 1.9444 1/A
DE, RE, A = 4.7474, 0.74144, 1.94436
H2_MASSES = (1.00784, 1.00784)
R = np.round(np.arange(0.20, 6.0 + 1e-9, 0.05), 10)


def morse(r, de=DE, re=RE, a=A):
    return de * ((1.0 - np.exp(-a * (r - re))) ** 2 - 1.0)


def metrics_of(energy, reference=None, r=R):
    reference = morse(r) if reference is None else reference
    return curve_metrics(r, energy, reference, masses_amu=H2_MASSES, r_ref=RE)


def ase_morse_h2() -> MorsePotential:
    """ASE's Morse with H2's constants and its default smooth cutoff (1.9 to 2.7 r0)."""
    return MorsePotential(epsilon=DE, r0=RE, rho0=A * RE)


def test_ase_morse_on_h2_was_chemical_accuracy_and_now_fails_and_is_graded_worse():
    """The case as filed, through astray.probe: the well is right (bonding MAE 0.2 kcal/mol,
    D_e 0.03 kcal/mol, r_e 0.001 A), the wall and the tail are not."""
    result = astray.probe(ase_morse_h2(), systems=["H2"], name="ase-morse",
                          level_of_theory=False)
    curve = result["ase-morse", "H2"]
    m = curve.metrics
    assert m.mae_bonding_ev * EV_KCAL_MOL < 1.0 and abs(m.d_e_error_ev) * EV_KCAL_MOL < 1.0
    assert abs(m.r_e_error_angstrom) < th.CHEMICAL_ACCURACY_R_E_ANGSTROM
    assert m.mae_compressed_ev * EV_KCAL_MOL == pytest.approx(73.6, abs=0.5)  # as filed: 74
    # the cutoff: within 0.1 eV of 0 from 1.953 A on, where exact H2 is 0.679 eV bound
    assert m.asymptote_reached_r_angstrom == pytest.approx(1.953, abs=1e-3)
    assert m.early_asymptote_depth_ev == pytest.approx(0.679, abs=1e-3)
    assert m.early_asymptote_depth_ev * EV_KCAL_MOL == pytest.approx(15.66, abs=0.05)
    # before: pass, chemical accuracy, nothing in grade_limited_by; now:
    assert curve.verdict.failures == (Failure.EARLY_ASYMPTOTE,)
    assert curve.grade is Grade.WORSE and curve.grade_limited_by == ("mae_compressed_ev",)
    # the old grade, on the bonding region and the well alone, was chemical accuracy
    old = replace(m, mae_compressed_ev=None, mae_stretched_ev=None)
    assert grade(old) == (Grade.CHEMICAL_ACCURACY, ())
    # the same Morse without the cutoff (beyond the grid) passes; its wall is still Morse's
    uncut = MorsePotential(epsilon=DE, r0=RE, rho0=A * RE, rcut1=20.0, rcut2=30.0)
    result = astray.probe(uncut, systems=["H2"], name="morse-uncut", level_of_theory=False)
    curve = result["morse-uncut", "H2"]
    assert curve.verdict.passed and curve.grade is Grade.WORSE
    assert curve.grade_limited_by == ("mae_compressed_ev",)


def test_the_exact_curve_is_chemically_accurate_in_every_region():
    result = astray.probe("exact", systems=["H2", "H2+", "H2++"], level_of_theory=False)
    for c in result.curves:
        assert c.verdict.passed and c.grade is Grade.CHEMICAL_ACCURACY, c.system.name
        assert c.metrics.early_asymptote_depth_ev < th.ASYMPTOTE_TOLERANCE_EV
        for region in ("mae_compressed_ev", "mae_bonding_ev", "mae_stretched_ev"):
            assert c.metrics[region] * EV_KCAL_MOL < th.CHEMICAL_ACCURACY_KCAL_MOL


@pytest.mark.parametrize(("region", "where"), [("mae_compressed_ev", R < 0.6),
                                               ("mae_stretched_ev", R > 1.3)])
def test_each_region_limits_the_grade(region, where):
    """A curve off by 2 kcal/mol in one region only: ``within 5 kcal/mol``, limited by that
    region; 10 kcal/mol: ``worse``."""
    for kcal, expected in ((0.5, Grade.CHEMICAL_ACCURACY), (2.0, Grade.NEAR), (10.0, Grade.WORSE)):
        energy = morse(R) + np.where(where, kcal / EV_KCAL_MOL, 0.0)
        graded, limited_by = grade(metrics_of(energy))
        assert graded is expected, (region, kcal)
        assert limited_by == (() if expected is Grade.CHEMICAL_ACCURACY else (region,))


def test_a_region_the_reference_does_not_cover_is_not_graded():
    """Unreferenced compressed region (a spectroscopic potential below its inner turning
    point): the model's wall there cannot limit its grade; a model with a NaN there can."""
    compressed = R < th.COMPRESSED_BELOW * RE
    reference = morse(R)
    reference[compressed] = np.nan
    wrong_wall = morse(R) + 3.0 * np.exp(-15.0 * (R - R[0]))  # 3 eV too high at the start
    assert grade(metrics_of(wrong_wall))[0] is Grade.WORSE  # where the reference covers it
    m = metrics_of(wrong_wall, reference)
    assert m.mae_compressed_ev is None and grade(m) == (Grade.CHEMICAL_ACCURACY, ())
    model_gap = morse(R)
    model_gap[compressed] = np.nan
    m = metrics_of(model_gap)
    assert grade(m) == (Grade.WORSE, ("mae_compressed_ev",))


def test_asymptote_reached_and_early_asymptote_depth():
    """A curve cut to 0 beyond r_c arrives at r_c; the depth is the reference's binding there."""
    for r_cut in (1.5, 2.0, 3.0):
        cut = np.where(R < r_cut, morse(R), 0.0)
        reached = asymptote_reached_r(R, cut)
        # the last point off by more than 0.1 eV is the one just inside r_c
        inside = R[(R < r_cut) & (np.abs(morse(R)) > th.ASYMPTOTE_TOLERANCE_EV)]
        assert reached == pytest.approx(R[np.searchsorted(R, inside.max()) + 1])
        assert early_asymptote_depth(R, cut, morse(R)) == pytest.approx(-morse(reached), abs=1e-3)
    assert early_asymptote_depth(R, morse(R), morse(R)) <= th.ASYMPTOTE_TOLERANCE_EV
    flat = np.zeros_like(R)  # a dead model: arrived everywhere, the whole well is missed
    assert asymptote_reached_r(R, flat) == R[0]
    assert early_asymptote_depth(R, flat, morse(R)) == pytest.approx(DE, rel=1e-3)
    repulsive = 30 * np.exp(-3 * R)  # a repulsive reference is never below its limit
    assert early_asymptote_depth(R, flat, repulsive) == 0.0
    assert asymptote_reached_r(R, np.full(R.size, np.nan)) is None


@pytest.mark.parametrize(("r_cut", "fails"), [(1.5, True), (2.0, True), (2.6, False),
                                              (3.5, False)])
def test_early_asymptote_threshold(r_cut, fails):
    """Exact-Morse H2 cut at r_c: flagged while the reference is still more than 0.3 eV bound
    where the cut curve has arrived (Morse H2 at 2.0 A: -0.37 eV; 2.6 A: -0.12 eV)."""
    cut = np.where(R < r_cut, morse(R), 0.0)
    failures = verdict(metrics_of(cut), bare_nuclei=False).failures
    assert (Failure.EARLY_ASYMPTOTE in failures) is fails


def test_a_nonphysical_energy_is_named_and_kept_out_of_the_numbers():
    result = astray.probe(AbsurdAtShortRange(), systems=["H2"], name="absurd",
                          level_of_theory=False)
    curve = result["absurd", "H2"]
    m = curve.metrics
    assert curve.curve.energy_ev[0] == -2.8e17  # the curve keeps what the model said
    assert m.n_nonphysical == 1 and m.n_nan == 0
    assert Failure.NONPHYSICAL_ENERGY in curve.verdict.failures
    assert Failure.NAN_ENERGY not in curve.verdict.failures
    # every number is of the rest of the curve: no 1e17 anywhere in the metrics
    numbers = [v for k, v in m.to_dict().items() if isinstance(v, float) and "cm1" not in k]
    assert max(abs(v) for v in numbers) < 100.0
    assert abs(m.d_e_error_ev) < 0.01 and m.mae_ev < 1.0
    # astray.probe keeps the metrics JSON-safe and the frame carries the count
    frame = result.to_frame()
    assert frame.loc[0, "n_nonphysical"] == 1


def test_only_nonphysical_energies_fail_without_a_grade():
    energy = np.full(R.size, 5e6)
    m = metrics_of(energy)
    assert m.n_nonphysical == R.size and m.mae_ev is None
    assert verdict(m, bare_nuclei=False).failures == (Failure.NONPHYSICAL_ENERGY,)
    assert grade(m) == (Grade.UNGRADED, ())
    m = metrics_of(np.where(R < 1.0, np.nan, -5e6))
    assert verdict(m, bare_nuclei=False).failures == (Failure.NAN_ENERGY,
                                                      Failure.NONPHYSICAL_ENERGY)
    # the bound: 1e6 eV is above the bare repulsion of two uranium nuclei beyond 0.12 A
    assert 92**2 * 14.3996 / 0.125 < th.NONPHYSICAL_ENERGY_EV
    assert not math.isclose(th.NONPHYSICAL_ENERGY_EV, 0.0)
