"""Typed results of the probe: the metrics of one curve, its verdict and grade, and the result of
one potential on one system. JSON exists only at the edges: :meth:`CurveResult.to_json` writes the
record of ``curves.json`` and :meth:`CurveResult.from_json` reads it back (from the store).

A metric is read by attribute (``metrics.d_e_error_ev``) or by name (``metrics["d_e_error_ev"]``);
a misspelt name is an error in both, never a silent ``None`` that would switch a check off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import Enum
from typing import Any

import numpy as np

from astray.curve import Curve
from astray.jsonio import json_number, to_json_safe
from astray.potentials.base import ENERGY_CONVENTIONS
from astray.systems import Diatomic, get_system


class _Name(str, Enum):
    """A name as results write it: ``str()`` is the value (enum.StrEnum needs Python 3.11)."""

    def __str__(self) -> str:
        return self.value


class Failure(_Name):
    """The named physical failures of a curve, in reporting order (definitions and thresholds:
    :mod:`astray.probes.verdict`)."""

    NAN_ENERGY = "nan-energy"
    NONPHYSICAL_ENERGY = "nonphysical-energy"
    NO_REPULSIVE_WALL = "no-repulsive-wall"
    WRONG_ASYMPTOTE = "wrong-asymptote"
    EARLY_ASYMPTOTE = "early-asymptote"
    SPURIOUS_MINIMUM = "spurious-minimum"
    MISSING_MINIMUM = "missing-minimum"
    WRONG_BOND_LENGTH = "wrong-bond-length"
    WRONG_WELL_DEPTH = "wrong-well-depth"
    WRONG_FREQUENCY = "wrong-frequency"
    COULOMB_LAW_VIOLATED = "coulomb-law-violated"
    ROUGH_CURVE = "rough-curve"
    ENERGY_FORCE_INCONSISTENT = "energy-force-inconsistent"
    LARGE_ERROR = "large-error"


@dataclass(frozen=True)
class Verdict:
    """Pass or fail on the physics: ``passed`` when there is no failure; ``failures`` in the
    order of :class:`Failure`."""

    passed: bool
    failures: tuple[Failure, ...] = ()

    @property
    def outcome(self) -> str:
        """``"pass"`` or ``"fail"``, as ``curves.json`` writes it."""
        return "pass" if self.passed else "fail"

    @classmethod
    def from_failures(cls, failures) -> Verdict:
        named = {Failure(name) for name in failures}
        return cls(not named, tuple(f for f in Failure if f in named))


class Grade(_Name):
    """How close in numbers, beside the verdict's physics (thresholds:
    :mod:`astray.probes.thresholds`, computed by :func:`astray.probes.grade.grade`)."""

    CHEMICAL_ACCURACY = "chemical accuracy"
    NEAR = "within 5 kcal/mol"
    WORSE = "worse"
    UNGRADED = "ungraded"


@dataclass(frozen=True)
class CurveMetrics:
    """Every metric of a curve against its reference (definitions, units:
    :func:`astray.probes.measure.curve_metrics`). Errors are predicted minus reference; None
    where a metric cannot be computed (no minimum, no forces, not bare nuclei ...).

    ``asymptote_error_ev`` is the curve's error at its largest r; ``dissociation_limit_error_ev``
    the error of the potential's own separated fragments, E(A) + E(B) minus their exact value in
    its energy convention (None for a ``"total"``-convention potential, whose lone atoms have no
    exact value to compare with).

    ``reference_n_points`` counts the grid points with a reference energy (0: no reference,
    nothing is compared); ``n_nonphysical`` counts the finite energies beyond 1e6 eV (dropped from every other
    metric, like NaN); ``wall_r_*`` are the distances (A) at which the wall stands 1, 10, 100 eV
    above E = 0; ``early_asymptote_depth_ev`` how far below its limit the reference still is
    where the curve has already arrived at its own (``asymptote_reached_r_angstrom``)."""

    n_points: int
    n_nan: int
    n_nonphysical: int
    r_ref_angstrom: float
    mae_ev: float | None
    mae_compressed_ev: float | None
    mae_bonding_ev: float | None
    mae_stretched_ev: float | None
    r_e_angstrom: float | None
    r_e_error_angstrom: float | None
    d_e_ev: float | None
    d_e_error_ev: float | None
    omega_e_cm1: float | None
    omega_e_error_cm1: float | None
    reference_r_e_angstrom: float | None
    reference_d_e_ev: float | None
    reference_omega_e_cm1: float | None
    reference_n_points: int
    reference_n_minima: int
    reference_force_sign_flips: int | None
    reference_energy_jump_ev: float | None
    asymptote_error_ev: float | None
    dissociation_limit_error_ev: float | None
    asymptote_reached_r_angstrom: float | None
    early_asymptote_depth_ev: float | None
    n_minima: int
    repulsive_wall_monotonic: bool | None
    wall_r_1ev_angstrom: float | None
    wall_r_10ev_angstrom: float | None
    wall_r_100ev_angstrom: float | None
    reference_wall_r_1ev_angstrom: float | None
    reference_wall_r_10ev_angstrom: float | None
    reference_wall_r_100ev_angstrom: float | None
    wall_r_1ev_error_angstrom: float | None
    wall_r_10ev_error_angstrom: float | None
    wall_r_100ev_error_angstrom: float | None
    coulomb_exponent: float | None
    coulomb_prefactor_ev_angstrom: float | None
    coulomb_prefactor_kcal_mol_angstrom: float | None
    coulomb_prefactor_relative_error: float | None
    coulomb_max_relative_error: float | None
    coulomb_nonpositive_points: int | None
    force_sign_flips: int | None
    energy_jump_ev: float | None
    tortuosity: float | None
    energy_force_mae_ev_angstrom: float | None
    energy_force_work_error: float | None
    spearman_repulsive: float | None
    spearman_attractive: float | None

    def __getitem__(self, name: str):
        if name not in METRIC_NAMES:
            raise KeyError(f"no metric {name!r}; the metrics are {', '.join(METRIC_NAMES)}")
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        """The ``metrics`` object of ``curves.json`` (plain JSON types, None for NaN)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CurveMetrics:
        """Read a ``metrics`` object; an unknown or a missing name is an error (a record written
        by another version of astray is recomputed, not half-read)."""
        unknown = set(values) - set(METRIC_NAMES)
        missing = set(METRIC_NAMES) - set(values)
        if unknown or missing:
            raise KeyError(f"metrics do not match this version of astray: unknown "
                           f"{sorted(unknown)}, missing {sorted(missing)}")
        return cls(**{name: json_number(values[name]) for name in METRIC_NAMES})


#: The metric names, in the order of ``curves.json``.
METRIC_NAMES: tuple[str, ...] = tuple(f.name for f in fields(CurveMetrics))


@dataclass(frozen=True)
class LevelOfTheoryComparison:
    """A model against the curve of its own training level of theory (e.g. PBE for CHGNet), and
    that level against the reference: is the model or its functional at fault?"""

    curve: Curve
    model_vs_level_of_theory: CurveMetrics
    level_of_theory_vs_reference: CurveMetrics

    def to_json(self) -> dict:
        return {"method": self.curve.method, "energy_ev": to_json_safe(self.curve.energy_ev),
                "error": self.curve.error,
                "metrics_model_vs_level_of_theory": self.model_vs_level_of_theory.to_dict(),
                "metrics_level_of_theory_vs_reference":
                    self.level_of_theory_vs_reference.to_dict()}


@dataclass(frozen=True)
class ExperimentComparison:
    """A curve's spectroscopic constants against the measured ones of the molecule's ground state
    (:mod:`astray.reference.constants`, each with its source): errors are the curve's minus the
    measured value (r_e in angstrom, omega_e in cm-1, D_e in eV), None where either is missing
    (a missing measurement is missing, never guessed)."""

    source: str
    state: str
    r_e_angstrom: float | None
    omega_e_cm1: float | None
    d_e_ev: float | None
    r_e_error_angstrom: float | None
    omega_e_error_cm1: float | None
    d_e_error_ev: float | None

    def to_json(self) -> dict[str, Any]:
        return {name: json_number(value) if not isinstance(value, str) else value
                for name, value in asdict(self).items()}

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> ExperimentComparison:
        return cls(**{f.name: record[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class PotentialInfo:
    """What the results say about the potential that made a curve (``energy_convention``: where
    the zero of its energies lies, :attr:`astray.potentials.base.Potential.energy_convention`)."""

    name: str
    version: str
    charge_aware: bool
    spin_aware: bool
    energy_convention: str = "total"


@dataclass(frozen=True, eq=False)
class CurveResult:
    """One potential on one system: its curve, the reference, the metrics, the verdict, the grade.

    ``metrics`` (``"metrics"`` in ``curves.json``): the curve's shape, E(AB) - E(A) - E(B) with
    the potential's own fragments against the reference, for every potential; beside it
    ``metrics.dissociation_limit_error_ev``, those fragments against their exact energy in the
    potential's energy convention (None in the ``"total"`` convention). The verdict and the
    grade are read from these.
    ``convention_metrics`` (``"metrics_in_convention"``): only for a potential in the
    ``"atomization"`` convention (E of a neutral atom = 0), its energies in that convention,
    E(AB, r) with nothing subtracted, against the exact ones, E_ref(r) + E_exact(A) +
    E_exact(B) (for H2 the reference itself); its ``asymptote_error_ev`` is the whole error at
    the largest r, shape and fragments together, and its ``d_e_ev`` minus the energy at the
    minimum in the convention (for a neutral molecule, the atomization energy there).
    ``aligned_metrics``: only for a model whose fragment energies mean nothing (SO3LR), the
    curve's metrics after shifting it to meet the reference at its largest r (shape only).
    ``level_of_theory``: the model against its own training level of theory, where it has one.
    ``experiment``: the curve's r_e, omega_e and D_e against the measured constants of the
    molecule's ground state, where astray has them.
    """

    potential: PotentialInfo
    system: Diatomic
    curve: Curve
    reference: Curve
    metrics: CurveMetrics
    verdict: Verdict
    grade: Grade
    grade_limited_by: tuple[str, ...] = ()
    aligned_metrics: CurveMetrics | None = None
    level_of_theory: LevelOfTheoryComparison | None = None
    convention_metrics: CurveMetrics | None = None
    experiment: ExperimentComparison | None = None

    @property
    def energy_convention(self) -> str:
        """Where the zero of the potential's energies lies (``"total"``, ``"atomization"``)."""
        return self.potential.energy_convention

    @property
    def dissociation_limit_error_ev(self) -> float | None:
        """E(A) + E(B) of the potential minus their exact value in its energy convention, eV
        (None in the ``"total"`` convention)."""
        return self.metrics.dissociation_limit_error_ev

    @property
    def blind_to_this_system(self) -> bool:
        """The system is charged or open-shell and the potential cannot be told so."""
        return ((self.system.charge != 0 and not self.potential.charge_aware)
                or (self.system.multiplicity != 1 and not self.potential.spin_aware))

    def to_json(self) -> dict:
        """The record of ``curves.json`` (strict JSON: NaN written as null)."""
        system, curve = self.system, self.curve
        record = {
            "potential": self.potential.name, "potential_version": self.potential.version,
            "system": system.name, "spec": system.spec, "charge": system.charge,
            "multiplicity": system.multiplicity, "n_electrons": system.n_electrons,
            "fragments": [f.label for f in system.fragments],
            "charge_aware": self.potential.charge_aware, "spin_aware": self.potential.spin_aware,
            "energy_convention": self.potential.energy_convention,
            "blind_to_this_system": self.blind_to_this_system,
            "r_angstrom": to_json_safe(curve.r_angstrom), "energy_ev": to_json_safe(curve.energy_ev),
            "force_r_ev_angstrom": (None if curve.force_r_ev_angstrom is None
                                    else to_json_safe(curve.force_r_ev_angstrom)),
            "fragment_energy_ev": to_json_safe(curve.fragment_energy_ev),
            "reference_method": self.reference.method,
            "reference_description": self.reference.description,
            "reference_energy_ev": to_json_safe(self.reference.energy_ev),
            "metrics": self.metrics.to_dict(),
            "failures": [f.value for f in self.verdict.failures],
            "verdict": self.verdict.outcome, "error": curve.error,
            "grade": self.grade.value, "grade_limited_by": list(self.grade_limited_by),
        }
        if self.convention_metrics is not None:
            record["metrics_in_convention"] = self.convention_metrics.to_dict()
        if self.aligned_metrics is not None:
            record["metrics_aligned_at_largest_r"] = self.aligned_metrics.to_dict()
        if self.level_of_theory is not None:
            record["level_of_theory"] = self.level_of_theory.to_json()
        if self.experiment is not None:
            record["experiment"] = self.experiment.to_json()
        return record

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> CurveResult:
        """Read a record of ``curves.json`` back; raises KeyError (or ValueError) if it was
        written by a version of astray with other fields."""
        if record["energy_convention"] not in ENERGY_CONVENTIONS:
            raise ValueError(f"energy_convention {record['energy_convention']!r} is none of "
                             f"{', '.join(ENERGY_CONVENTIONS)}")
        system = get_system(record["spec"])
        if system.name != record["system"]:  # a catalogue molecule asked for by its spec
            system = replace(system, name=record["system"])
        r = _array(record["r_angstrom"])
        fragments = tuple(_array(record["fragment_energy_ev"]))
        energy = _array(record["energy_ev"])
        forces = record["force_r_ev_angstrom"]
        curve = Curve(system.name, record["potential"], "", r, energy, energy + sum(fragments),
                      fragments, force_r_ev_angstrom=None if forces is None else _array(forces),
                      error=record["error"])
        reference = Curve(system.name, record["reference_method"],
                          record["reference_description"], r,
                          _array(record["reference_energy_ev"]), None, None)
        lot = record.get("level_of_theory")
        return cls(
            potential=PotentialInfo(record["potential"], record["potential_version"],
                                    record["charge_aware"], record["spin_aware"],
                                    record["energy_convention"]),
            system=system, curve=curve, reference=reference,
            metrics=CurveMetrics.from_dict(record["metrics"]),
            verdict=Verdict.from_failures(record["failures"]),
            grade=Grade(record["grade"]), grade_limited_by=tuple(record["grade_limited_by"]),
            aligned_metrics=(CurveMetrics.from_dict(record["metrics_aligned_at_largest_r"])
                             if "metrics_aligned_at_largest_r" in record else None),
            convention_metrics=(CurveMetrics.from_dict(record["metrics_in_convention"])
                                if "metrics_in_convention" in record else None),
            experiment=(ExperimentComparison.from_json(record["experiment"])
                        if "experiment" in record else None),
            level_of_theory=None if lot is None else LevelOfTheoryComparison(
                Curve(system.name, lot["method"], "", r, _array(lot["energy_ev"]), None, None,
                      error=lot.get("error")),
                CurveMetrics.from_dict(lot["metrics_model_vs_level_of_theory"]),
                CurveMetrics.from_dict(lot["metrics_level_of_theory_vs_reference"])))


def _array(values) -> np.ndarray:
    """A JSON list (null for NaN) as a float array."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
