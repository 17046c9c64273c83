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

__all__ = ["SCALING_SCHEMA", "SweepSummary", "load_runs", "summarise", "sweep_json_problem",
           "write_scaling_json"]

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


#: What sweep.json must hold where it holds it: field -> (type, what it should be).
_SWEEP_FIELDS = {"command": (str, "a string"), "commands": (list, "a list of command lines"),
                 "grid": (dict, "an object"), "astray_version": (str, "a string"),
                 "created": (str, "a string")}
#: The grid's axes in sweep.json (lists) and its training options (an object).
_GRID_AXES = ("datasets", "subsets", "n_train", "models", "hidden", "interactions", "priors",
              "seeds", "data_seeds", "baselines")


def sweep_json_problem(record: Any) -> str | None:
    """What is wrong with a ``sweep.json`` as read (``record``), in a few words, or None.

    Every field is checked for its type, so that ``"commands": "hello"`` is malformed rather
    than five one-letter commands and ``"training": null`` is malformed rather than a
    traceback. Shared by :func:`summarise` and ``astray scale`` (which appends to it)."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for name, (kind, what) in _SWEEP_FIELDS.items():
        if name in record and not isinstance(record[name], kind):
            return f"{name} is {_json_type(record[name])}, not {what}"
    if not all(isinstance(command, str) for command in record.get("commands", [])):
        return "commands holds something other than command lines"
    grid = record.get("grid", {})
    if "training" in grid and not isinstance(grid["training"], dict):
        return f"grid.training is {_json_type(grid['training'])}, not an object"
    for axis in _GRID_AXES:
        if axis in grid and not isinstance(grid[axis], list):
            return f"grid.{axis} is {_json_type(grid[axis])}, not a list"
    return None


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "true/false", int: "a number", float: "a number",
             str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _sweep_record(sweep_dir: Path) -> dict[str, Any]:
    """``DIR/sweep.json`` checked (:func:`sweep_json_problem`); {} where there is none, and
    ``{"error": why}`` where it cannot be used (the report then shows no sweep command and
    says so in its notes, and the runs are still summarised)."""
    path = sweep_dir / "sweep.json"
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {"error": f"unreadable sweep.json: {' '.join(str(exc).split())[:120]}"}
    problem = sweep_json_problem(record)
    if problem is not None:
        return {"error": f"malformed sweep.json ({problem})"}
    return record


def _notes(runs: list[RunResult], sweep: dict[str, Any] | None = None,
           sweep_dir: Path | None = None) -> tuple[str, ...]:
    """What the report must say it cannot show: a sweep.json that is unreadable or malformed,
    runs the grid of sweep.json lists that have no result.json (deleted, or never finished),
    and probes written without their curve arrays."""
    notes = []
    sweep = sweep or {}
    if "error" in sweep:
        notes.append(f"{sweep['error']}: the sweep's commands and grid are not shown; the runs "
                     "below are read from their own result.json files")
    elif sweep_dir is not None and all(axis in sweep.get("grid", {})
                                       for axis in ("datasets", "subsets", "n_train")):
        notes.extend(_missing_runs_note(runs, sweep["grid"], sweep_dir))
    for system in sorted({name for run in runs if run.done for name in run.probe}):
        without = [run.run_id for run in runs if run.done and run.probe_of(system) is not None
                   and not run.probe[system].has_curve]
        if without:
            notes.append(f"{len(without)} runs have no {system} curve arrays (fitted and judged "
                         f"from their metrics; not drawn in the {system} figures)")
    return tuple(notes)


def _missing_runs_note(runs: list[RunResult], grid: dict[str, Any],
                       sweep_dir: Path) -> list[str]:
    """"12 runs in the grid: 9 finished, 2 failed, 1 without a result (id, ...)" where runs of
    the grid have no result.json; nothing where every run has one."""
    from astray.errors import AstrayError
    from astray.scaling.grid import SweepGrid

    try:
        axes = {axis: tuple(grid[axis]) for axis in _GRID_AXES if axis in grid}
        expected = [spec.run_id for spec in
                    SweepGrid(**axes, training=dict(grid.get("training") or {})).runs()]
    except (AstrayError, TypeError, ValueError, KeyError) as error:
        return [f"the grid of {sweep_dir / 'sweep.json'} cannot be read back "
                f"({' '.join(str(error).split())[:120]}): runs without a result are not counted"]
    present = {run.run_id for run in runs}
    missing = [run_id for run_id in expected if run_id not in present]
    if not missing:
        return []
    listed = set(expected)
    done = sum(1 for run in runs if run.done and run.run_id in listed)
    failed = sum(1 for run in runs if not run.done and run.run_id in listed)
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return [f"{len(expected)} runs in the grid: {done} finished, {failed} failed, "
            f"{len(missing)} without a result ({shown}): rerun the sweep's command to train "
            "them"]


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
    sweep = _sweep_record(sweep_dir)
    return SweepSummary(runs=tuple(runs), laws=tuple(laws), joint_fits=tuple(joint),
                        findings=tuple(compute_findings(runs, laws)),
                        sweep=sweep, notes=_notes(runs, sweep, sweep_dir))


def write_scaling_json(sweep_dir: str | os.PathLike,
                       summary: SweepSummary | None = None) -> Path:
    """Write ``DIR/scaling.json`` (``summary``, or :func:`summarise` of the folder) atomically,
    so a reader never sees half a file. Returns its path."""
    sweep_dir = Path(sweep_dir)
    summary = summary if summary is not None else summarise(sweep_dir)
    return write_json_atomic(sweep_dir / "scaling.json", summary.to_dict())
