"""A sweep folder's runs, laws and findings as one :class:`SweepSummary` and one
``scaling.json``, rebuilt from the folder alone.

``DIR/runs/<run_id>/result.json`` (one per finished or failed run, written by ``astray scale``)
and ``DIR/sweep.json`` are all it reads, so a copied sweep folder is enough. Every result.json
is checked field by field (:class:`astray.scaling.records.RunResult`): a file that is not a
run's result stops the summary with one line naming the file and the field, since fitting laws
around a silently dropped run would change the numbers without saying so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astray.errors import SweepError
from astray.jsonio import to_json_safe, write_json_atomic
from astray.scaling.findings import compute_findings
from astray.scaling.fits import Fit
from astray.scaling.laws import Law, fit_laws
from astray.scaling.records import Finding, RunResult

__all__ = ["SCALING_SCHEMA", "SweepSummary", "load_runs", "summarise", "write_scaling_json"]

SCALING_SCHEMA = "astray-scaling/2"


@dataclass(frozen=True, eq=False)
class SweepSummary:
    """Everything the report shows of a sweep: its runs, the per-size laws and joint fits, the
    findings, the grid (``sweep.json``) and notes on what could not be shown."""

    runs: tuple[RunResult, ...]
    laws: tuple[Law, ...]
    joint_fits: tuple[Fit, ...]
    findings: tuple[Finding, ...]
    sweep: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def done_runs(self) -> list[RunResult]:
        return [run for run in self.runs if run.done]

    @property
    def fits(self) -> list[Fit]:
        """Every fit: the per-size forms of each law, then the joint fits."""
        return [fit for law in self.laws for fit in law.fits] + list(self.joint_fits)

    def finding(self, finding_id: str) -> Finding:
        return next(f for f in self.findings if f.id == finding_id)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCALING_SCHEMA, "runs": [run.to_dict() for run in self.runs],
                "laws": [law.to_dict() for law in self.laws],
                "joint_fits": [fit.to_dict() for fit in self.joint_fits],
                "findings": [finding.to_dict() for finding in self.findings],
                "sweep": to_json_safe(self.sweep), "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, record: Any, where: str = "scaling.json") -> SweepSummary:
        if not isinstance(record, dict) or record.get("schema") != SCALING_SCHEMA:
            raise SweepError(f"{where}: not a {SCALING_SCHEMA} file; rebuild it with "
                             "astray report")
        try:
            joint = tuple(Fit.from_dict(fit) for fit in record["joint_fits"])
        except (KeyError, TypeError, ValueError) as error:
            raise SweepError(f"{where}: joint_fits: {error}") from None
        return cls(runs=tuple(RunResult.from_dict(run, f"{where} runs[{i}]")
                              for i, run in enumerate(record["runs"])),
                   laws=tuple(Law.from_dict(law, where) for law in record["laws"]),
                   joint_fits=joint,
                   findings=tuple(Finding.from_dict(f, where) for f in record["findings"]),
                   sweep=record.get("sweep") or {}, notes=tuple(record.get("notes") or ()))


def _read_run(path: Path) -> RunResult:
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SweepError(f"{path}: not readable JSON ({' '.join(str(error).split())[:120]}); "
                         "delete that run folder to retrain it, or move it out") from None
    return RunResult.from_dict(record, str(path))


def load_runs(sweep_dir: str | os.PathLike) -> list[RunResult]:
    """Every ``runs/*/result.json`` of a sweep folder, checked, sorted by run id.

    Raises:
        SweepError: a file that is not valid JSON or not a run's result (names file and field).
    """
    return sorted((_read_run(path) for path in Path(sweep_dir).glob("runs/*/result.json")),
                  key=lambda run: run.run_id)


def _sweep_record(sweep_dir: Path) -> dict[str, Any]:
    path = sweep_dir / "sweep.json"
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {"error": f"unreadable sweep.json: {exc}"}
    return record if isinstance(record, dict) else {"error": "sweep.json is not a JSON object"}


def _notes(runs: list[RunResult]) -> tuple[str, ...]:
    """What the figures will have to leave out: probes written without their curve arrays."""
    notes = []
    for system in sorted({name for run in runs if run.done for name in run.probe}):
        without = [run.run_id for run in runs if run.done and run.probe_of(system) is not None
                   and not run.probe[system].has_curve]
        if without:
            notes.append(f"{len(without)} runs have no {system} curve arrays (fitted and judged "
                         f"from their metrics; not drawn in the {system} figures)")
    return tuple(notes)


def summarise(sweep_dir: str | os.PathLike) -> SweepSummary:
    """The :class:`SweepSummary` of a sweep folder.

    Raises:
        SweepError: the folder has no ``runs/*/result.json`` at all, or a malformed one.
    """
    sweep_dir = Path(sweep_dir)
    runs = load_runs(sweep_dir)
    if not runs:
        raise SweepError(f"{sweep_dir} has no runs/*/result.json: not a sweep folder, or no run "
                         "has finished yet")
    laws, joint = fit_laws(runs)
    return SweepSummary(runs=tuple(runs), laws=tuple(laws), joint_fits=tuple(joint),
                        findings=tuple(compute_findings(runs, laws)),
                        sweep=_sweep_record(sweep_dir), notes=_notes(runs))


def write_scaling_json(sweep_dir: str | os.PathLike,
                       summary: SweepSummary | None = None) -> Path:
    """Write ``DIR/scaling.json`` (``summary``, or :func:`summarise` of the folder) atomically,
    so a reader never sees half a file. Returns its path."""
    sweep_dir = Path(sweep_dir)
    summary = summary if summary is not None else summarise(sweep_dir)
    return write_json_atomic(sweep_dir / "scaling.json", summary.to_dict())
