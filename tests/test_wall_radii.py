"""Wall radii (issue 18, item 3): the distance at which the repulsive wall stands 1, 10 and 100 eV
above the dissociation limit, against curves whose radii are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from astray.probes import thresholds as th
from astray.probes.measure import curve_metrics
from astray.probes.metrics import wall_radius
from astray.probes.results import METRIC_NAMES, CurveMetrics

# N2-like Morse parameters (eV, angstrom, 1/angstrom; H2's Morse is finite at r = 0, 44 eV, and
# never reaches 100 eV); Lennard-Jones with the same r_e and D_e.
DE, RE, A = 9.905, 1.0977, 2.689
EPS, SIGMA = DE, RE / 2 ** (1 / 6)
K_COULOMB = 14.399645  # e^2 / (4 pi eps0), eV A
H2_MASSES = (1.00784, 1.00784)
#: 0.05 .. 20 A in 0.01 A steps (out to 20 A so that Coulomb's 1 eV radius, 14.4 A, is on it)
R = np.round(np.arange(0.05, 20.0 + 1e-9, 0.01), 10)
#: H2's own grid spacing in the compressed region (0.043 A), the coarse case
R_COARSE = np.round(np.arange(0.05, 20.0 + 1e-9, 0.043), 10)


def morse(r):
    return DE * ((1.0 - np.exp(-A * (r - RE))) ** 2 - 1.0)


def morse_radius(h):
    """E = h on the inner branch: (1 - x)^2 = 1 + h / D_e with x = exp(-a (r - r_e)) > 1."""
    return RE - math.log(1.0 + math.sqrt(1.0 + h / DE)) / A


def lennard_jones(r):
    return 4.0 * EPS * ((SIGMA / r) ** 12 - (SIGMA / r) ** 6)


def lennard_jones_radius(h):
    """4 eps (y^2 - y) = h with y = (sigma / r)^6: y = (1 + sqrt(1 + h / eps)) / 2."""
    return SIGMA * ((1.0 + math.sqrt(1.0 + h / EPS)) / 2.0) ** (-1.0 / 6.0)


def coulomb(r, z1=1, z2=1):
    return z1 * z2 * K_COULOMB / r


def coulomb_radius(h, z1=1, z2=1):
    return z1 * z2 * K_COULOMB / h


CURVES = {"morse": (morse, morse_radius), "lennard-jones": (lennard_jones, lennard_jones_radius),
          "coulomb": (coulomb, coulomb_radius)}


@pytest.mark.parametrize("name", CURVES)
@pytest.mark.parametrize("height", th.WALL_HEIGHTS_EV)
@pytest.mark.parametrize(("grid", "tolerance"), [(R, 1e-4), (R_COARSE, 1e-3)])
def test_wall_radius_matches_the_closed_form(name, height, grid, tolerance):
    curve, exact = CURVES[name]
    assert wall_radius(grid, curve(grid), height) == pytest.approx(exact(height), abs=tolerance)


def test_the_heights_are_above_the_dissociation_limit_not_above_the_well():
    """A deeper well with the same wall above E = 0 has the same radii: the height is measured
    from E = 0 (LAMBench and Matbench Discovery measure it from the minimum)."""
    radius = wall_radius(R, morse(R), 10.0)
    # at 10 eV above the limit the wall is 10 + D_e above the minimum
    assert morse(np.array([radius]))[0] == pytest.approx(10.0, abs=2e-3)
    assert radius == pytest.approx(morse_radius(10.0), abs=1e-4)
    assert radius != pytest.approx(morse_radius(10.0 - DE), abs=1e-2)


def test_a_height_off_the_grid_is_none():
    """The grid starts below the height, or the lowest point is above it (the crossing lies
    beyond the grid's end), or there are too few points: None, never an extrapolation."""
    r = np.linspace(morse_radius(10.0) + 0.02, 6.0, 400)  # the grid starts below 10 eV
    assert wall_radius(r, morse(r), 1.0) == pytest.approx(morse_radius(1.0), abs=1e-4)
    assert wall_radius(r, morse(r), 10.0) is None
    near = np.linspace(0.1, 1.0, 50)  # Coulomb at 1 A: 14.4 eV, still above 10 eV
    assert wall_radius(near, coulomb(near), 10.0) is None
    assert wall_radius([0.5], [20.0], 10.0) is None
    assert wall_radius(R, np.full(R.size, np.nan), 10.0) is None


def test_the_first_crossing_inward_counts_and_nan_points_are_skipped():
    """A hole in the wall (the energy drops again further in) does not move the radius: it is
    the first crossing met coming in from the well. NaN points are left out."""
    energy = morse(R)
    radius = wall_radius(R, energy, 10.0)
    holed = energy.copy()
    holed[R < radius - 0.2] = 0.0  # a hole inside the 10 eV crossing
    assert wall_radius(R, holed, 10.0) == pytest.approx(radius, abs=1e-12)
    gappy = energy.copy()
    gappy[(R > radius - 0.03) & (R < radius + 0.03)] = np.nan  # no energy near the crossing
    assert wall_radius(R, gappy, 10.0) == pytest.approx(radius, abs=2e-3)  # across 0.06 A


def test_a_purely_repulsive_curve_is_all_wall():
    """Triplet-like repulsion: E = A exp(-b r), falling to 0 at the grid's end."""
    energy = 40.0 * np.exp(-3.0 * R)
    for height in (1.0, 10.0):
        assert wall_radius(R, energy, height) == pytest.approx(math.log(40.0 / height) / 3.0,
                                                               abs=1e-5)


def test_curve_metrics_report_radii_reference_radii_and_errors():
    """A Morse model against a Lennard-Jones reference of the same r_e and D_e: each radius,
    the reference's, and predicted minus reference; None where the grid misses a height."""
    m = curve_metrics(R, morse(R), lennard_jones(R), masses_amu=H2_MASSES, r_ref=RE)
    for height in th.WALL_HEIGHTS_EV:
        tag = f"{height:g}ev"
        assert m[f"wall_r_{tag}_angstrom"] == pytest.approx(morse_radius(height), abs=1e-4)
        assert m[f"reference_wall_r_{tag}_angstrom"] == pytest.approx(
            lennard_jones_radius(height), abs=1e-4)
        assert m[f"wall_r_{tag}_error_angstrom"] == pytest.approx(
            morse_radius(height) - lennard_jones_radius(height), abs=2e-4)
    # the LJ wall is the steeper (1/r^12): its 1 eV radius lies further out than Morse's
    assert m.wall_r_1ev_error_angstrom < 0
    short = R[R >= morse_radius(100.0) + 0.02]  # the model's grid ends below 100 eV
    m = curve_metrics(short, morse(short), lennard_jones(short), masses_amu=H2_MASSES, r_ref=RE)
    assert m.wall_r_100ev_angstrom is None and m.wall_r_100ev_error_angstrom is None
    assert m.reference_wall_r_100ev_angstrom == pytest.approx(lennard_jones_radius(100.0),
                                                              abs=1e-4)


def test_the_wall_metrics_are_fields_that_stale_records_lack():
    """Each radius is a CurveMetrics field; a stored record written before them is refused by
    from_dict (and recomputed), never half-read."""
    for height in th.WALL_HEIGHTS_EV:
        for name in (f"wall_r_{height:g}ev_angstrom", f"reference_wall_r_{height:g}ev_angstrom",
                     f"wall_r_{height:g}ev_error_angstrom"):
            assert name in METRIC_NAMES
    record = curve_metrics(R, morse(R), morse(R), masses_amu=H2_MASSES, r_ref=RE).to_dict()
    assert CurveMetrics.from_dict(record).to_dict() == record
    stale = {k: v for k, v in record.items() if not k.startswith(("wall_r", "reference_wall"))}
    with pytest.raises(KeyError, match="missing"):
        CurveMetrics.from_dict(stale)
