"""A sweep folder's runs, fits and findings in one ``scaling.json``, rebuilt from the folder alone.

``DIR/runs/<run_id>/result.json`` (one per finished run, written by ``astray scale``) and
``DIR/sweep.json`` are all it reads, so a copied sweep folder is enough.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from astray.errors import SweepError
from astray.jsonio import write_json_atomic
from astray.scaling.findings import compute_findings
from astray.scaling.fits import N_RESAMPLES, fit_runs

__all__ = ["REQUIRED_KEYS", "load_runs", "summarise", "write_scaling_json"]

#: Keys a finished run needs to enter the fits; a result.json without them is reported as failed.
REQUIRED_KEYS = ("run_id", "subset", "model", "hidden", "interactions", "prior", "n_train",
                 "n_params", "seed")


def _failed_entry(path: Path, error: str) -> dict[str, Any]:
    return {"run_id": path.parent.name, "status": "failed", "error": error,
            "path": str(path)}


def _read_run(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _failed_entry(path, f"unreadable result.json: {exc}")
    if not isinstance(record, dict):
        return _failed_entry(path, "result.json is not a JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if record.get("status", "done") == "done" and missing:
        return _failed_entry(path, f"result.json lacks {', '.join(missing)}")
    return record


def load_runs(sweep_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Every ``runs/*/result.json`` of a sweep folder, sorted by run id.

    A file that cannot be read or parsed, or a finished run without the keys the fits need,
    becomes ``{"run_id", "status": "failed", "error", "path"}``: one bad file never stops the
    others from being read.
    """
    return sorted((_read_run(path) for path in Path(sweep_dir).glob("runs/*/result.json")),
                  key=lambda run: str(run.get("run_id")))


def _sweep_record(sweep_dir: Path) -> dict[str, Any]:
    path = sweep_dir / "sweep.json"
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {"error": f"unreadable sweep.json: {exc}"}
    return record if isinstance(record, dict) else {"error": "sweep.json is not a JSON object"}


def summarise(sweep_dir: str | os.PathLike, *, n_resamples: int = N_RESAMPLES,
              seed: int = 0) -> dict[str, Any]:
    """``{"runs", "fits", "findings", "sweep"}`` of a sweep folder (see
    :func:`astray.scaling.fits.fit_runs` and :func:`astray.scaling.findings.compute_findings`).

    Raises:
        SweepError: the folder has no ``runs/*/result.json`` at all.
    """
    sweep_dir = Path(sweep_dir)
    runs = load_runs(sweep_dir)
    if not runs:
        raise SweepError(f"{sweep_dir} has no runs/*/result.json: not a sweep folder, or no run "
                         "has finished yet")
    fits = fit_runs(runs, n_resamples=n_resamples, seed=seed)
    return {"runs": runs, "fits": fits, "findings": compute_findings(runs, fits),
            "sweep": _sweep_record(sweep_dir)}


def write_scaling_json(sweep_dir: str | os.PathLike, *, n_resamples: int = N_RESAMPLES,
                       seed: int = 0) -> Path:
    """Write ``DIR/scaling.json`` (:func:`summarise`) atomically
    (:func:`astray.jsonio.write_json_atomic`), so a reader never sees half a file. Returns its
    path."""
    sweep_dir = Path(sweep_dir)
    return write_json_atomic(sweep_dir / "scaling.json",
                             summarise(sweep_dir, n_resamples=n_resamples, seed=seed))
