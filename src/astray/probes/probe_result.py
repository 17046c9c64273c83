"""The result of probing potentials on systems: typed, indexable, tabulated (:meth:`to_frame`,
:meth:`leaderboard`) and written to ``curves.json`` only when asked (:meth:`write_json`). Its
figures and HTML page are the report's (:class:`astray.report.probe_report.ProbeReport`, which
``astray.probe`` returns): the probes import nothing of the report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from astray.curve import Curve
from astray.jsonio import to_json_safe, write_json_atomic
from astray.probes import thresholds as th
from astray.probes.results import CurveMetrics, CurveResult, Verdict
from astray.systems import Diatomic

#: The spectroscopic constants of the leaderboard: (name in the columns, metric of the error,
#: the verdict's tolerance that scores it (``_score_terms``), whether the tolerance is relative
#: to the truth's value (its metric), or absolute).
_CONSTANTS = (("r_e", "r_e_error_angstrom", th.R_E_TOLERANCE_ANGSTROM, None),
              ("omega_e", "omega_e_error_cm1", th.OMEGA_RELATIVE_TOLERANCE,
               "reference_omega_e_cm1"),
              ("d_e", "d_e_error_ev", th.D_E_RELATIVE_TOLERANCE, "reference_d_e_ev"))
_UNITS = {"r_e": "angstrom", "omega_e": "cm1", "d_e": "ev"}

#: The truths the leaderboard compares with, and where a curve carries its errors against each:
#: the curve's reference (``CurveResult.metrics``), the model's training level of theory
#: (``CurveResult.level_of_theory.model_vs_level_of_theory``) and experiment (a field
#: ``CurveResult.experiment`` with ``r_e_error_angstrom``, ``omega_e_error_cm1`` and
#: ``d_e_error_ev`` as attributes or keys, once a curve carries the measured constants; its
#: columns are NaN until then).
_TRUTHS = ("reference", "experiment", "level_of_theory")


def _usable(curve: CurveResult) -> bool:
    """The curve has at least one usable energy (not a coverage gap, not all NaN)."""
    m = curve.metrics
    return m.n_points > m.n_nan + (m.n_nonphysical or 0)


def _errors_against(curve: CurveResult, truth: str):
    """The object holding the curve's errors against ``truth`` (None where it has none)."""
    if truth == "reference":
        return curve.metrics
    if truth == "level_of_theory":
        return None if curve.level_of_theory is None else (
            curve.level_of_theory.model_vs_level_of_theory)
    return getattr(curve, "experiment", None)  # the hook: see _TRUTHS


def _signed(errors, name: str) -> float | None:
    """The signed error ``name`` from a CurveMetrics, a mapping or an object with attributes
    (:func:`_errors_against`); None where missing."""
    if errors is None:
        return None
    if isinstance(errors, CurveMetrics):
        value = errors[name]
    elif isinstance(errors, dict):
        value = errors.get(name)
    else:
        value = getattr(errors, name, None)
    return None if value is None else float(value)


def _error(errors, name: str) -> float:
    """|error| of :func:`_signed`, NaN where missing."""
    value = _signed(errors, name)
    return math.nan if value is None else abs(value)


def _score_terms(curve: CurveResult | None) -> tuple[float, float]:
    """(failed, error term) of one molecule for the score, each in [0, 1]: failed is 0 for a
    pass, 1 for a fail or a molecule without a curve; the error term is the mean over r_e,
    omega_e and D_e of |error| / the verdict's tolerance (R_E_TOLERANCE_ANGSTROM,
    OMEGA_RELATIVE_TOLERANCE and D_E_RELATIVE_TOLERANCE of the reference's value), each capped
    at 1; a constant the reference has and the curve lacks (no well) counts 1, a molecule whose
    reference has no well only its verdict; 1 for a molecule without a curve."""
    if curve is None or not _usable(curve):
        return 1.0, 1.0
    m = curve.metrics
    terms = []
    if m.reference_n_minima > 0:
        for _, name, tolerance, relative_to in _CONSTANTS:
            scale = tolerance * (abs(m[relative_to] or 0.0) if relative_to else 1.0)
            value = _error(m, name)
            terms.append(1.0 if math.isnan(value) or scale == 0 else min(value / scale, 1.0))
    failed = 0.0 if curve.verdict.passed else 1.0
    return failed, (float(np.mean(terms)) if terms else failed)


@dataclass
class ProbeResult:
    """Every curve of a probe, with what produced it.

    Attributes:
        astray_version: the version of astray that computed it.
        created: when (ISO 8601, UTC).
        command: the command line that reproduces it ("" from Python).
        potentials: each potential's provenance (:meth:`Potential.describe`).
        systems: the systems, in the order asked.
        references: the reference curve of each system, by system name.
        curves: one :class:`CurveResult` per potential and system, potential by potential.
    """

    astray_version: str
    created: str
    command: str
    potentials: list[dict]
    systems: list[Diatomic]
    references: dict[str, Curve] = field(default_factory=dict)
    curves: list[CurveResult] = field(default_factory=list)

    def __getitem__(self, key: tuple[str, str]) -> CurveResult:
        """``result["chgnet", "H2"]``: the curve of one potential on one system."""
        for curve in self.curves:
            if (curve.potential.name, curve.system.name) == tuple(key):
                return curve
        raise KeyError(f"no curve of potential {key[0]!r} on system {key[1]!r}; there are "
                       + ", ".join(f"({c.potential.name!r}, {c.system.name!r})"
                                   for c in self.curves))

    @property
    def verdicts(self) -> dict[tuple[str, str], Verdict]:
        """{(potential, system): Verdict} for every curve."""
        return {(c.potential.name, c.system.name): c.verdict for c in self.curves}

    def to_json(self) -> dict:
        """The content of ``curves.json``."""
        return {"astray_version": self.astray_version, "created": self.created,
                "command": self.command, "potentials": self.potentials,
                "systems": [{"name": s.name, "spec": s.spec,
                             "fragments": [f.label for f in s.fragments],
                             "bare_nuclei": s.bare_nuclei} for s in self.systems],
                "references": [{"system": name, "method": curve.method,
                                "description": curve.description,
                                "provenance": to_json_safe(curve.provenance)}
                               for name, curve in self.references.items()],
                "curves": [c.to_json() for c in self.curves]}

    def to_frame(self):
        """A pandas DataFrame, one row per curve: potential, system, verdict, failures, grade,
        reference method, error, the potential's energy convention, every metric of the curve's
        shape (units in the column names; ``dissociation_limit_error_ev`` among them) and, from
        the metrics in the potential's own convention (None in the ``"total"`` convention),
        ``mae_in_convention_ev`` and ``mae_bonding_in_convention_ev``; the errors in r_e,
        omega_e and D_e against experiment and against the model's training level of theory
        (``r_e_error_angstrom_vs_experiment``, ``d_e_error_ev_vs_level_of_theory`` ..., None
        where the curve has no such comparison)."""
        import pandas as pd

        def in_convention(c: CurveResult, name: str):
            return None if c.convention_metrics is None else c.convention_metrics[name]

        rows = [{"potential": c.potential.name, "system": c.system.name,
                 "verdict": c.verdict.outcome,
                 "failures": ", ".join(f.value for f in c.verdict.failures),
                 "grade": c.grade.value, "reference_method": c.reference.method,
                 "error": c.curve.error, "energy_convention": c.energy_convention,
                 **c.metrics.to_dict(),
                 "mae_in_convention_ev": in_convention(c, "mae_ev"),
                 "mae_bonding_in_convention_ev": in_convention(c, "mae_bonding_ev"),
                 **{f"{metric}_vs_{truth}": _signed(_errors_against(c, truth), metric)
                    for truth in _TRUTHS[1:] for _, metric, _, _ in _CONSTANTS}}
                for c in self.curves]
        return pd.DataFrame(rows)

    def leaderboard(self):
        """A pandas DataFrame, one row per potential, best first (lowest ``score``).

        Columns: ``potential``; ``n_asked`` (molecules asked for), ``n_curves`` (molecules with
        a curve: at least one usable energy; a coverage gap, an element the potential does not
        support, has none), ``coverage`` = n_curves / n_asked; ``n_passed`` and ``pass_rate``
        (passes / molecules with a curve); the median |error| over the molecules with a curve,
        for r_e, omega_e and D_e against the curve's reference
        (``median_abs_r_e_error_angstrom``, ``median_abs_omega_e_error_cm1``,
        ``median_abs_d_e_error_ev``), against experiment (the same names ending
        ``_vs_experiment``) and against the model's training level of theory (ending
        ``_vs_level_of_theory``), NaN where no molecule has that error; ``score`` and ``rank``.

        The score, 0 for a perfect model and 1 for the worst, is the mean over the molecules
        *asked for* of (failed + error term) / 2 (:func:`_score_terms`): failed is 0 for a pass
        and 1 for a fail; the error term is the mean over r_e, omega_e and D_e of |error| / the
        verdict's tolerance, each capped at 1. A molecule without a curve counts as the worst
        value, 1, as LAMBench and Matbench Discovery count a missing prediction: a model cannot
        win by skipping the elements it is bad at, and a model that covers half the table at
        best scores 0.5. Both halves are bounded and unitless, so no single molecule's error in
        eV can dominate the mean (a median is reported beside it for the numbers).
        """
        import pandas as pd

        names = list(dict.fromkeys([p["name"] for p in self.potentials]
                                   + [c.potential.name for c in self.curves]))
        asked = [s.name for s in self.systems] or list(dict.fromkeys(
            c.system.name for c in self.curves))
        rows = []
        for name in names:
            curves = {c.system.name: c for c in self.curves if c.potential.name == name}
            usable = [c for c in curves.values() if _usable(c)]
            passed = sum(c.verdict.passed for c in usable)
            row = {"potential": name, "n_asked": len(asked), "n_curves": len(usable),
                   "coverage": len(usable) / len(asked) if asked else math.nan,
                   "n_passed": passed,
                   "pass_rate": passed / len(usable) if usable else math.nan}
            for truth in _TRUTHS:
                suffix = "" if truth == "reference" else f"_vs_{truth}"
                for constant, metric, _, _ in _CONSTANTS:
                    values = [_error(_errors_against(c, truth), metric) for c in usable]
                    values = [v for v in values if not math.isnan(v)]
                    row[f"median_abs_{constant}_error_{_UNITS[constant]}{suffix}"] = (
                        float(np.median(values)) if values else math.nan)
            terms = [_score_terms(curves.get(system)) for system in asked]
            row["score"] = (float(np.mean([(f + e) / 2.0 for f, e in terms])) if terms
                            else math.nan)
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        frame = frame.sort_values(["score", "potential"], kind="stable").reset_index(drop=True)
        frame["rank"] = np.arange(1, len(frame) + 1)
        return frame

    def write_json(self, out_dir: str | Path) -> Path:
        """Write ``curves.json`` into ``out_dir`` atomically (a kill leaves the old file or the
        new one, never half of one)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return write_json_atomic(out / "curves.json", self.to_json())

    def homonuclear_elements(self) -> list[str]:
        """The elements X of the neutral X2 among the systems asked for, in their order."""
        return list(dict.fromkeys(s.symbols[0] for s in self.systems
                                  if s.symbols[0] == s.symbols[1] and s.charge == 0))

    def system(self, name: str) -> Diatomic:
        """The system called ``name`` (KeyError naming those there are)."""
        for system in self.systems:
            if system.name == name:
                return system
        raise KeyError(f"no system {name!r} in this result; it has "
                       + ", ".join(s.name for s in self.systems))

    def records(self, system: str) -> list[dict]:
        """The JSON records (:meth:`CurveResult.to_json`) of every curve of ``system``."""
        return [c.to_json() for c in self.curves if c.system.name == system]
