"""The failure rules: one :class:`FailureRule` per :class:`~astray.probes.results.Failure`, in
reporting order. Each rule holds its test on a curve's :class:`~astray.probes.results.CurveMetrics`
(and on the :class:`Context` the verdict passes), the names of the threshold constants of
:mod:`astray.probes.thresholds` that the test reads, and its one-paragraph description. The
verdict (:func:`astray.probes.verdict.verdict`) is a loop over :data:`RULES`; the glossary of the
reports (:func:`astray.report.html.failure_glossary`) and the verdict's documentation are
written from the descriptions. A new failure is one :class:`Failure` name and one entry here.

A check whose metric is None (not computable) is skipped -- except that a curve with no usable
energy at all fails with ``nan-energy`` and/or ``nonphysical-energy`` alone (the other rules
ask ``judged_on_usable_points`` and are not run then).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from astray.probes import thresholds as th
from astray.probes.results import CurveMetrics, Failure

__all__ = ["Context", "FailureRule", "RULES", "describe"]


@dataclass(frozen=True)
class Context:
    """What the verdict knows beside the metrics.

    ``bare_nuclei``: the system has no electrons (Coulomb's law is judged);
    ``reference_has_minimum``: the reference has a well (the caller's word, else the metrics'
    own count of the reference's minima); ``judge_minima``: there is something to count minima
    against (a reference curve, or the caller's word); ``usable``: some grid point has a usable
    energy (not every point is NaN or non-physical)."""

    bare_nuclei: bool
    reference_has_minimum: bool
    judge_minima: bool
    usable: bool

    @classmethod
    def of(cls, m: CurveMetrics, *, bare_nuclei: bool,
           reference_has_minimum: bool | None = None) -> Context:
        """The context of a verdict on ``m`` (see :func:`astray.probes.verdict.verdict`)."""
        # without a reference curve (reference_n_points 0) there is nothing to count minima
        # against: spurious- and missing-minimum are judged only on the caller's word then
        judge_minima = reference_has_minimum is not None or m.reference_n_points != 0
        if reference_has_minimum is None:
            reference_has_minimum = m.reference_n_minima > 0
        unusable = m.n_nan + (m.n_nonphysical or 0)
        return cls(bare_nuclei=bare_nuclei, reference_has_minimum=reference_has_minimum,
                   judge_minima=judge_minima,
                   usable=not (unusable > 0 and unusable >= m.n_points))


@dataclass(frozen=True)
class FailureRule:
    """One named failure: ``test(metrics, context)`` is True when the curve has it.

    ``failure``: the name (a :class:`Failure`, or any ``str`` enum for a rule under test);
    ``thresholds``: the constants of :mod:`astray.probes.thresholds` the test reads, each named
    in ``description`` (the glossary writes its value after it); ``description``: one paragraph,
    ``metric`` names in double backquotes; ``judged_on_usable_points``: False only for the rules
    that say a curve has no usable energy (they are judged on every curve)."""

    failure: Enum
    test: Callable[[CurveMetrics, Context], bool]
    thresholds: tuple[str, ...]
    description: str
    judged_on_usable_points: bool = True

    def applies(self, m: CurveMetrics, context: Context) -> bool:
        """Whether the curve has this failure (False where the rule is not judged)."""
        if self.judged_on_usable_points and not context.usable:
            return False
        return bool(self.test(m, context))


def _exceeds(value: float | None, limit: float) -> bool:
    """|value| > limit, False when value is None."""
    return value is not None and abs(value) > limit


def _reference_minima(m: CurveMetrics, c: Context) -> int:
    """Minima the curve may have: the caller's word on the reference wins, the reference's own
    count may add minima."""
    return max(m.reference_n_minima, 1) if c.reference_has_minimum else 0


def _coulomb_violated(m: CurveMetrics, c: Context) -> bool:
    if not c.bare_nuclei:
        return False
    if m.coulomb_exponent is None:
        return True  # fewer than two positive energies to fit: certainly not Coulomb's law
    return (
        abs(m.coulomb_exponent + 1.0) > th.COULOMB_EXPONENT_TOLERANCE
        or _exceeds(m.coulomb_prefactor_relative_error, th.COULOMB_PREFACTOR_RELATIVE_TOLERANCE)
        or _exceeds(m.coulomb_max_relative_error, th.COULOMB_MAX_RELATIVE_ERROR)
        or (m.coulomb_nonpositive_points or 0) > th.COULOMB_MAX_NONPOSITIVE_POINTS
    )


def _rough(m: CurveMetrics, c: Context) -> bool:
    if m.force_sign_flips is not None:
        reference_flips = m.reference_force_sign_flips
        if reference_flips is None:
            reference_flips = 1 if c.reference_has_minimum else 0
        if m.force_sign_flips > reference_flips + th.MAX_EXTRA_FORCE_SIGN_FLIPS:
            return True
    return m.energy_jump_ev is not None and (
        m.energy_jump_ev - (m.reference_energy_jump_ev or 0.0) > th.ENERGY_JUMP_TOLERANCE_EV)


def _relative(error: float | None, reference: float | None, tolerance: float) -> bool:
    """|error| > tolerance * |reference|, False when either is None."""
    return reference is not None and _exceeds(error, tolerance * abs(reference))


#: One rule per Failure, in reporting order (that of :class:`Failure`).
RULES: tuple[FailureRule, ...] = (
    FailureRule(
        Failure.NAN_ENERGY, lambda m, c: m.n_nan > 0, (),
        "The model returned a non-finite energy at one or more grid points (``n_nan > 0``).",
        judged_on_usable_points=False),
    FailureRule(
        Failure.NONPHYSICAL_ENERGY, lambda m, c: (m.n_nonphysical or 0) > 0, (),
        "The model returned a finite energy beyond +-NONPHYSICAL_ENERGY_EV at one or more grid "
        "points (``n_nonphysical > 0``): a broken model's number (a PaiNN gave -2.8e17 eV for H2 "
        "at 0.2 A), dropped from every metric like a NaN instead of being averaged into them.",
        judged_on_usable_points=False),
    FailureRule(
        Failure.NO_REPULSIVE_WALL, lambda m, c: m.repulsive_wall_monotonic is False, (),
        "``repulsive_wall_monotonic`` is False: going inward from the (first) minimum -- or over "
        "the compressed branch if there is no minimum -- the energy fails to rise strictly at "
        "some grid step outside the flat bottom of the well (WALL_TOLERANCE_EV): a \"hole\" or a "
        "plateau where the nuclei should repel ever more strongly."),
    FailureRule(
        Failure.WRONG_ASYMPTOTE,
        lambda m, c: (_exceeds(m.asymptote_error_ev, th.ASYMPTOTE_TOLERANCE_EV)
                      or _exceeds(m.dissociation_limit_error_ev, th.ASYMPTOTE_TOLERANCE_EV)),
        ("ASYMPTOTE_TOLERANCE_EV",),
        "|asymptote_error_ev| > ASYMPTOTE_TOLERANCE_EV: at the largest r the curve does not "
        "reach the reference dissociation limit (e.g. fractional charges, wrong spin state, a "
        "cutoff artefact); or |dissociation_limit_error_ev| > ASYMPTOTE_TOLERANCE_EV too: the "
        "potential's own separated fragments miss their exact energy in its energy convention "
        "(an ``\"atomization\"``-convention model whose lone H is not 0 eV, or whose H+ is not "
        "0.5 hartree, 13.6057 eV). A model whose cutoff is shorter than the grid's largest r "
        "reaches its own fragments exactly there, so only the second test can catch its wrong "
        "limit; it is None, and skipped, for a ``\"total\"``-convention potential."),
    FailureRule(
        Failure.EARLY_ASYMPTOTE,
        lambda m, c: _exceeds(m.early_asymptote_depth_ev, th.EARLY_ASYMPTOTE_DEPTH_EV),
        ("EARLY_ASYMPTOTE_DEPTH_EV",),
        "``early_asymptote_depth_ev`` > EARLY_ASYMPTOTE_DEPTH_EV: the curve has already arrived "
        "at its own limit (within ASYMPTOTE_TOLERANCE_EV of its value at the largest r from "
        "``asymptote_reached_r_angstrom`` outward) where the reference is still that far below "
        "its limit: a cutoff that cuts the bond off while it still binds (ASE's MorsePotential "
        "with its default smooth cutoff on H2: flat at 1.95 A, where exact H2 is 0.68 eV "
        "bound), or a curve flat from its wall on."),
    FailureRule(
        Failure.SPURIOUS_MINIMUM,
        lambda m, c: c.judge_minima and m.n_minima > _reference_minima(m, c), (),
        "More minima than the reference (``n_minima > reference_n_minima``), or any minimum "
        "where the reference has none (bare protons, repulsive states such as triplet H2)."),
    FailureRule(
        Failure.MISSING_MINIMUM,
        lambda m, c: c.judge_minima and c.reference_has_minimum and m.n_minima == 0, (),
        "The reference has a minimum and the curve has none (``n_minima == 0``). Neither "
        "minimum failure is judged against a missing reference (``reference_n_points == 0``). "
        "Minima of both are counted alike, at MINIMUM_PROMINENCE_EV (1 meV): a shallower "
        "reference dip (He2 0.86 meV in FCI/aug-cc-pVTZ, the van der Waals dip of triplet H2) "
        "is no minimum, and a model well of 1 meV or more there is a spurious one."),
    FailureRule(
        Failure.WRONG_BOND_LENGTH,
        lambda m, c: (c.reference_has_minimum
                      and _exceeds(m.r_e_error_angstrom, th.R_E_TOLERANCE_ANGSTROM)),
        ("R_E_TOLERANCE_ANGSTROM",),
        "|r_e_error_angstrom| > R_E_TOLERANCE_ANGSTROM."),
    FailureRule(
        Failure.WRONG_WELL_DEPTH,
        lambda m, c: c.reference_has_minimum and _relative(
            m.d_e_error_ev, m.reference_d_e_ev, th.D_E_RELATIVE_TOLERANCE),
        ("D_E_RELATIVE_TOLERANCE",),
        "|d_e_error_ev| > D_E_RELATIVE_TOLERANCE * |reference D_e|."),
    FailureRule(
        Failure.WRONG_FREQUENCY,
        lambda m, c: c.reference_has_minimum and _relative(
            m.omega_e_error_cm1, m.reference_omega_e_cm1, th.OMEGA_RELATIVE_TOLERANCE),
        ("OMEGA_RELATIVE_TOLERANCE",),
        "|omega_e_error_cm1| > OMEGA_RELATIVE_TOLERANCE * reference omega_e."),
    FailureRule(
        Failure.COULOMB_LAW_VIOLATED, _coulomb_violated,
        ("COULOMB_EXPONENT_TOLERANCE", "COULOMB_PREFACTOR_RELATIVE_TOLERANCE",
         "COULOMB_MAX_RELATIVE_ERROR", "COULOMB_MAX_NONPOSITIVE_POINTS"),
        "Bare nuclei only: the fitted E = k r^n has |n + 1| > COULOMB_EXPONENT_TOLERANCE, or k "
        "off by more than COULOMB_PREFACTOR_RELATIVE_TOLERANCE from Z1 Z2 * 14.3996 eV A, or "
        "some point is off by more than COULOMB_MAX_RELATIVE_ERROR from the exact Coulomb "
        "energy, or has E <= 0 (more than COULOMB_MAX_NONPOSITIVE_POINTS such points), or there "
        "are too few positive points to fit at all."),
    FailureRule(
        Failure.ROUGH_CURVE, _rough,
        ("MAX_EXTRA_FORCE_SIGN_FLIPS", "ENERGY_JUMP_TOLERANCE_EV"),
        "More force sign flips than the reference's plus MAX_EXTRA_FORCE_SIGN_FLIPS (one smooth "
        "extra excursion is left to ``spurious-minimum``), or an energy jump exceeding the "
        "reference's by more than ENERGY_JUMP_TOLERANCE_EV: wiggles, noise, zigzags, steps from "
        "cutoffs."),
    FailureRule(
        Failure.ENERGY_FORCE_INCONSISTENT,
        lambda m, c: _exceeds(m.energy_force_work_error, th.ENERGY_FORCE_WORK_TOLERANCE),
        ("ENERGY_FORCE_WORK_TOLERANCE",),
        "``energy_force_work_error`` > ENERGY_FORCE_WORK_TOLERANCE: the forces are not the "
        "negative gradient of the energies (only when forces were given)."),
    FailureRule(
        Failure.LARGE_ERROR, lambda m, c: _exceeds(m.mae_ev, th.LARGE_MAE_EV), ("LARGE_MAE_EV",),
        "``mae_ev`` > LARGE_MAE_EV over the whole curve."),
)


def describe(rules: Sequence[FailureRule] = RULES) -> str:
    """The rules as reStructuredText definitions (the verdict's documentation)."""
    return "\n".join(f"``{rule.failure.value}``\n    {rule.description}" for rule in rules)
