"""Every threshold used by the curve probes, in one place.

The numbers that live here:

* *regions of a curve* (compressed, bonding, stretched), shared by the grids
  (:mod:`astray.systems`, where they are defined, a layer below), the metrics and the plot
  windows (:mod:`astray.report.figures`);
* *measurement tolerances*, used by :mod:`astray.probes.metrics` to decide what counts as a
  minimum, a sign flip or a rise (they keep float noise from being read as physics);
* *verdict thresholds*, used by :mod:`astray.probes.verdict` to turn metrics into named failures;
* *grade thresholds*, used by :mod:`astray.probes.grade` to say how close in numbers.

Units are in the names: ``_EV`` eV, ``_ANGSTROM`` angstrom, ``_EV_ANGSTROM`` eV/angstrom,
``_RELATIVE`` a dimensionless fraction.
"""

# --------------------------------------------------------------------------------------------
# Regions of the curve, as fractions of the reference length r_ref (the reference r_e when the
# reference curve has a minimum, else a nominal bond length given by the caller). Defined in
# astray.systems, a layer below the probes, because the grids are built on them (their reasons
# are written there); named here too so that every threshold of the probes is read from here.
# --------------------------------------------------------------------------------------------

#: compressed region: r < COMPRESSED_BELOW * r_ref (0.85); stretched region: r >
#: STRETCHED_ABOVE * r_ref (1.6); the bonding region between them, inclusive.
from astray.systems import COMPRESSED_BELOW, STRETCHED_ABOVE  # noqa: F401 (re-exported)

#: Smallest well depth (eV, 11.5 kcal/mol) that scales a full-curve plot panel (figures only; no
#: metric uses it). A reference without a chemical well (He2: 0.9 meV; repulsive curves: none)
#: would otherwise give an axis a few meV high, on which every model's error fills the panel; at
#: 0.5 eV the panel spans -0.8 to +1.25 eV, where a spurious well of chemical size (a few tenths
#: of an eV) is plain to see.
MINIMUM_DEPTH_EV: float = 0.5

# --------------------------------------------------------------------------------------------
# Measurement tolerances (metrics.py)
# --------------------------------------------------------------------------------------------

#: A local minimum counts (``n_minima``) only if its prominence -- the depth below the lower of
#: the two barriers that enclose it -- is at least this. 1 meV is far below any chemical well
#: here (H2+ 2.8 eV, HeH+ ~2 eV, N2 ~9.9 eV) and below chemical accuracy (43 meV), yet well
#: above SCF / float32 noise (~1e-6 .. 1e-4 eV), so numerical wiggles are not counted as minima.
#: The reference's minima are counted the same way (the verdict asks whether the reference has
#: one from this count): He2 (0.86 meV in FCI/aug-cc-pVTZ) and triplet H2 (a van der Waals dip
#: under 1 meV) are repulsive curves at this resolution, which the exact curve itself passes.
MINIMUM_PROMINENCE_EV: float = 1.0e-3

#: ``repulsive_wall_monotonic``: every inward grid step (decreasing r) must raise E strictly,
#: except in the flat bottom of the well: steps whose two energies are both within 1 meV of the
#: energy at the minimum (the same scale as MINIMUM_PROMINENCE_EV) are excused, because a grid
#: point next to r_e may tie with the grid minimum. Higher up, a plateau or a drop is a hole.
WALL_TOLERANCE_EV: float = 1.0e-3

#: ``force_sign_flips`` ignores forces with |F_r| below this. 0.01 eV/A is the force-noise
#: level of good MLIPs and well below the attractive force maxima of real bonds (D_e a / 2 =
#: 4.6 eV/A for H2), so the flat dissociation tail, where F_r ~ 0, cannot generate flips.
FORCE_FLIP_TOLERANCE_EV_ANGSTROM: float = 1.0e-2

#: The spline that locates a minimum (r_e, D_e, omega_e) runs only through the points around
#: the well within 20 times its depth (at least 20 eV) above its bottom. A not-a-knot spline
#: through a 1/r^12 wall (Lennard-Jones at 0.2 A: 3e6 eV) rings into the well: LJ with H2's
#: r_e and D_e on the H2 grid gave D_e 4.824 eV (exact 4.750) and omega_e 51 % too high through
#: all points, 4.749 eV and 2.8 % low with the ceiling. On the demo's 80 model and reference
#: curves the ceiling moved r_e by at most 4e-5 (relative) and the curvature by at most 0.8 %;
#: 20 depths keep the well and the wall up to many times D_e, where any model is still judged.
WELL_SPLINE_CEILING_DEPTHS: float = 20.0
WELL_SPLINE_CEILING_MIN_EV: float = 20.0

#: Minimum number of finite points needed to build the cubic spline (not-a-knot needs 4 for a
#: genuine cubic); with fewer, spline-based metrics are None.
MIN_SPLINE_POINTS: int = 4

#: Wall radii (``wall_r_1ev_angstrom`` ...): the heights above the dissociation limit (E = 0)
#: at which the repulsive wall's distance is read, eV. The three decades of LAMBench's and
#: Matbench Discovery's six (1, 5, 10, 20, 50, 100 eV): 1 eV is the foot of the wall, met in
#: any hot chemistry (a few thousand K of collision energy); 10 eV is where training sets
#: near equilibrium stop (the compressed region starts about there for first-row bonds); 100
#: eV is deep core overlap, met only in radiation damage and shock physics, where short-range
#: repulsion (ZBL, a physical prior) decides. astray's grids start where a realistic wall is
#: tens of eV high, so a 100 eV radius is often off the grid (None).
WALL_HEIGHTS_EV: tuple[float, ...] = (1.0, 10.0, 100.0)

#: A finite energy E(AB) - E(A) - E(B) beyond +-1e6 eV is a non-physical value, not a number
#: to average: it is dropped from every metric like a NaN and named ``nonphysical-energy``.
#: The bound: the bare Coulomb repulsion of two uranium nuclei, 92^2 * 14.3996 eV A / r,
#: stays below 1e6 eV down to r = 0.12 A, shorter than the start of any grid; the deepest
#: chemical bond is 11 eV, the highest wall on astray's grids tens to hundreds of eV. A
#: PaiNN on H2 returned -2.8e17 eV at 0.2 A, which was averaged into D_e errors of 1e13 eV.
NONPHYSICAL_ENERGY_EV: float = 1.0e6

# --------------------------------------------------------------------------------------------
# Verdict thresholds (verdict.py)
# --------------------------------------------------------------------------------------------

#: ``wrong-asymptote``: |E_pred(r_max) - E_ref(r_max)| above 0.1 eV (2.3 kcal/mol). Curves are
#: relative to the separated fragments, so a correct model goes to the reference there; 0.1 eV
#: is larger than any residual binding at the end of a sensible grid, and smaller than the
#: classic failure (a spin-restricted or fractional-charge dissociation limit, often > 1 eV).
#: The same 0.1 eV bounds ``dissociation_limit_error_ev``, the error of the model's own separated
#: fragments in its energy convention (a lone H of an atomization-energy model must be 0 eV);
#: the few-meV gap between measured and exact non-relativistic ionisation energies (He 24.587
#: against 24.5916 eV) stays far inside it.
ASYMPTOTE_TOLERANCE_EV: float = 0.1

#: ``early-asymptote``: the curve has reached its own limit (from some r outward it stays within
#: ASYMPTOTE_TOLERANCE_EV of its value at the largest r) where the reference is still more than
#: 0.3 eV (6.9 kcal/mol) below its own limit. Three times the 0.1 eV band in which a curve
#: counts as arrived: a flagged curve has lost more than two thirds of the binding the reference
#: still has there, an error of at least 0.2 eV in the direction of a cut-off curve, not noise
#: around a right tail. ASE's MorsePotential with H2's constants and its default smooth cutoff
#: (1.9 to 2.7 r0) is 0.004 eV from 0 at 1.953 A on the H2 grid, where exact H2 is still
#: 0.679 eV bound (its verdict was pass, its grade chemical accuracy); on the default suite the
#: exact curves and GFN2-xTB's stay below 0.1 eV.
EARLY_ASYMPTOTE_DEPTH_EV: float = 0.3

#: ``wrong-bond-length``: |r_e - r_e,ref| above 0.05 A (7 % of the H2 bond). Typical DFT/MLIP
#: bond-length errors are 0.01-0.02 A, so this flags a qualitatively misplaced well only.
R_E_TOLERANCE_ANGSTROM: float = 0.05

#: ``wrong-well-depth``: |D_e - D_e,ref| above 25 % of |D_e,ref|. Binding energies of
#: approximate methods at their worst near-equilibrium are off by ~10 %; 25 % flags the kind
#: of error (e.g. self-interaction over-binding of H2+) that changes the chemistry.
D_E_RELATIVE_TOLERANCE: float = 0.25

#: ``wrong-frequency``: |omega_e - omega_e,ref| above 15 % of omega_e,ref. Harmonic frequencies
#: of approximate methods are typically within ~5 %; omega ~ sqrt(k), so 15 % in omega is ~32 %
#: in curvature -- a wrong shape of the well, not a scaling-factor issue.
OMEGA_RELATIVE_TOLERANCE: float = 0.15

#: ``coulomb-law-violated`` (bare nuclei): |n + 1| must stay below 0.1 for the fitted E = k r^n.
COULOMB_EXPONENT_TOLERANCE: float = 0.1
#: ... and the fitted prefactor k within 10 % of Z1 Z2 * COULOMB_EV_ANGSTROM.
COULOMB_PREFACTOR_RELATIVE_TOLERANCE: float = 0.10
#: ... and every point within 10 % of the exact Coulomb energy (catches local defects that a
#: global power-law fit averages away, e.g. a spurious dip, and offsets in the tail).
COULOMB_MAX_RELATIVE_ERROR: float = 0.10
#: ... and no point may be <= 0 eV (two bare nuclei always repel).
COULOMB_MAX_NONPOSITIVE_POINTS: int = 0

#: ``rough-curve``: force sign flips allowed beyond those of the reference curve on the same
#: grid (1 for a single well, 0 for a repulsive curve). One extra smooth excursion -- a single
#: spurious well, into it and out again, 2 flips -- is reported as ``spurious-minimum``, not as
#: roughness; more extra flips than that mean wiggles or noise. Forces below
#: FORCE_FLIP_TOLERANCE_EV_ANGSTROM are already ignored, so every counted flip is resolved.
MAX_EXTRA_FORCE_SIGN_FLIPS: int = 2

#: ``rough-curve``: energy jump (sum of |dE| over the grid steps adjacent to a sign change of dE)
#: allowed above the reference's own value on the same grid (which removes the contribution of
#: its genuine minimum). For a smooth curve the steps next to an extremum are small (they vanish
#: as the grid is refined): a smooth 1.5 eV deep, 0.3 A wide spurious dip on a 0.05 A grid gives
#: ~0.1 eV. 0.25 eV therefore means a zigzag or a discontinuity against the trend (cutoff
#: artefacts, noise), not merely an extra smooth well (that is ``spurious-minimum``).
ENERGY_JUMP_TOLERANCE_EV: float = 0.25

#: ``energy-force-inconsistent``: median relative mismatch between the energy change over a grid
#: interval and the trapezoid work of the forces above 10%. A conservative model scores ~0.01-0.04
#: on the default grids even where the wall is steep (measured: xTB 0.01, SevenNet-0 0.02, CHGNet
#: 0.04 on H2); the wrong sign scores 2, hartree/bohr instead of eV/A ~50. (The spline-derivative
#: MAE, ``energy_force_mae_ev_angstrom``, is reported but not judged: on a 1/r wall sampled every
#: 0.04 A its own interpolation error reaches 10-20 eV/A and failed conservative models.)
ENERGY_FORCE_WORK_TOLERANCE: float = 0.1
#: Energy changes smaller than this (eV) are compared in absolute terms (flat tails).
ENERGY_FORCE_WORK_FLOOR_EV: float = 0.01

#: ``large-error``: overall MAE against the reference above 1 eV (23 kcal/mol). Deliberately
#: loose: the compressed region (energies of tens of eV) dominates the mean, and the feature
#: tests above already catch qualitative failures; this catches a curve that is wrong everywhere.
LARGE_MAE_EV: float = 1.0

# --------------------------------------------------------------------------------------------
# Grade thresholds (grade.py): how close, in numbers, beside the verdict's qualitative physics
# --------------------------------------------------------------------------------------------

#: Chemical accuracy, 1 kcal/mol (0.0434 eV): the error thermochemistry asks of a method, and
#: the bar for |D_e error| and the MAE of every region the reference covers (compressed,
#: bonding, stretched: the grade's name is a claim about every energy) of the best grade.
#: GFN2-xTB's H2 well is 13 kcal/mol too deep: it passes the verdict (right shape) and is
#: graded ``worse``.
CHEMICAL_ACCURACY_KCAL_MOL: float = 1.0
#: The middle grade: |D_e error| and every region's MAE within 5 kcal/mol, the spread of good
#: hybrid functionals on bond energies (atomisation-energy MAEs of 2-5 kcal/mol).
NEAR_CHEMICAL_ACCURACY_KCAL_MOL: float = 5.0
#: |r_e error| of the best grade: 0.01 A, the scatter of good functionals' bond lengths
#: around experiment (0.005-0.01 A for first-row diatomics).
CHEMICAL_ACCURACY_R_E_ANGSTROM: float = 0.01
#: |r_e error| of the middle grade: 0.03 A, a bond length still recognisably right (GGA
#: functionals stretch bonds by up to ~0.02 A).
NEAR_R_E_ANGSTROM: float = 0.03
#: |omega_e error| / omega_e,ref of the best grade: 3 %, the correction harmonic-frequency
#: scale factors make for good hybrid functionals (B3LYP 0.96-0.97).
CHEMICAL_ACCURACY_OMEGA_RELATIVE: float = 0.03
#: ... and of the middle grade: 10 % (omega ~ sqrt(k): a curvature off by ~20 %).
NEAR_OMEGA_RELATIVE: float = 0.10
