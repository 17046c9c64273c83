"""The findings of a scaling sweep, computed from its runs and fits (never written by hand).

Each finding is ``{"id", "holds": True | False | None, "text": one sentence with the numbers,
"numbers": {...}}``; ``holds`` is None where the sweep cannot decide (no such runs, no fit).

``power-law:test_mae:<subset>``
    Trained on ``subset``, the in-distribution test MAE falls as a power law: every model size's
    ``a*N^-alpha`` fit has alpha > 0 with a 95% interval above 0.
``power-law:<h2 target>:<subset>``
    The same for an H2 error (``h2_mae_bonding``, ``h2_d_e_error``, ``h2_r_e_error``); an
    interval reaching 0, or an H2 verdict that fails at every N and size, means it does not.
``study-a-stable-fails-h2``
    The study's finding a: every stable-only run fails the H2 check, at every N and size, while
    its in-distribution error falls as a power law.
``study-b-distortions-improve-h2``
    The study's finding b: at matched N, size and prior, runs trained with distorted structures
    have a lower H2 bonding MAE in most cells, fewer failures per run and no lower pass rate.
``prior-passes-h2pp``
    With the physics prior on, H2++ (two bare protons) passes its check at every N.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from statistics import fmean
from typing import Any

__all__ = ["STABLE_SUBSET", "compute_findings"]

#: The data variant without distorted structures; every other subset has some.
STABLE_SUBSET = "stable"
POWER_LAW = "a*N^-alpha"
H2_POWER_LAW_TARGETS = ("h2_mae_bonding", "h2_d_e_error", "h2_r_e_error")
_CELL_KEYS = ("model", "hidden", "interactions", "prior", "n_train")
_FALLS = {True: "falls", False: "does not fall", None: "cannot be tested to fall"}
_VERDICT = {True: "holds", False: "does not hold", None: "is undecided"}


def _probe(run: Mapping[str, Any], system: str) -> Mapping[str, Any]:
    return (run.get("probe") or {}).get(system) or {}


def _probed(runs: Iterable[Mapping[str, Any]], system: str) -> list[Mapping[str, Any]]:
    return [run for run in runs if _probe(run, system).get("verdict") in ("pass", "fail")]


def _span(values: Iterable[Any]) -> str:
    """'100-3000' (or the one value) over the distinct values."""
    distinct = sorted({v for v in values if v is not None})
    if not distinct:
        return "none"
    return f"{distinct[0]}" if len(distinct) == 1 else f"{distinct[0]}-{distinct[-1]}"


def _common_failures(runs: Sequence[Mapping[str, Any]], system: str, top: int = 3) -> str:
    counts = Counter(name for run in runs for name in _probe(run, system).get("failures") or [])
    return ", ".join(f"{name} {count}" for name, count in counts.most_common(top)) or "none"


def _power_law(fits: Sequence[Mapping[str, Any]], target: str, subset: str) -> dict[str, Any]:
    """Numbers of the per-size a*N^-alpha fits of ``target`` for runs trained on ``subset``."""
    entries = [f for f in fits if f["target"] == target and f["subset"] == subset
               and f["form"] == POWER_LAW]
    fitted = [f for f in entries if f.get("status") == "ok"]
    falling = [f for f in fitted if f["params"]["alpha"] > 0 and f["ci95"]["alpha"][0] > 0]
    alphas = [f["params"]["alpha"] for f in fitted]
    return {
        "target": target, "subset": subset, "groups": len(entries), "fitted": len(fitted),
        "falling": len(falling),
        "alpha_range": [min(alphas), max(alphas)] if alphas else None,
        "per_size": [{"model": f["model"], "hidden": f["hidden"],
                      "interactions": f["interactions"], "prior": f["prior"],
                      "alpha": f["params"]["alpha"], "alpha_ci95": f["ci95"]["alpha"]}
                     for f in fitted],
        "not_fitted": sorted({f.get("reason", "") for f in entries if f.get("status") != "ok"}),
    }


def _all_falling(numbers: Mapping[str, Any]) -> bool | None:
    """True when every fitted size falls, None when no size could be fitted."""
    return None if not numbers["fitted"] else numbers["falling"] == numbers["fitted"]


def _power_law_clause(numbers: Mapping[str, Any]) -> str:
    if not numbers["groups"]:
        return f"no run has {numbers['target']}"
    if not numbers["fitted"]:
        return f"no size could be fitted: {'; '.join(numbers['not_fitted'])}"
    low, high = numbers["alpha_range"]
    return (f"alpha {low:.2f} to {high:.2f}, {numbers['falling']} of {numbers['fitted']} "
            "fitted sizes with a 95% interval above 0")


def _in_distribution_finding(fits, subset: str) -> dict[str, Any]:
    numbers = _power_law(fits, f"test_mae:{subset}", subset)
    holds = _all_falling(numbers)
    return {"id": f"power-law:test_mae:{subset}", "holds": holds, "numbers": numbers,
            "text": f"Trained on {subset}, the in-distribution test MAE {_FALLS[holds]} as a "
                    f"power law of N ({_power_law_clause(numbers)})."}


def _h2_finding(runs, fits, target: str, subset: str) -> dict[str, Any]:
    numbers = _power_law(fits, target, subset)
    probed = _probed([r for r in runs if r.get("subset") == subset], "H2")
    passing = sum(_probe(r, "H2")["verdict"] == "pass" for r in probed)
    numbers.update(h2_runs=len(probed), h2_passing=passing)
    fails_everywhere = bool(probed) and passing == 0
    holds = False if fails_everywhere else _all_falling(numbers)
    return {"id": f"power-law:{target}:{subset}", "holds": holds, "numbers": numbers,
            "text": f"Trained on {subset}, the H2 error {target} {_FALLS[holds]} as a power law "
                    f"of N ({_power_law_clause(numbers)}; H2 passes in {passing} of "
                    f"{len(probed)} runs)."}


def _study_a(runs, in_distribution: Mapping[str, Any] | None) -> dict[str, Any]:
    stable = _probed([r for r in runs if r.get("subset") == STABLE_SUBSET], "H2")
    passing = [r for r in stable if _probe(r, "H2")["verdict"] == "pass"]
    power_law = in_distribution["holds"] if in_distribution else None
    numbers = {"runs": len(stable), "passing": len(passing),
               "n_train": sorted({r["n_train"] for r in stable}),
               "hidden": sorted({r["hidden"] for r in stable}),
               "failures": dict(Counter(n for r in stable for n in _probe(r, "H2")["failures"])),
               "passing_runs": [r["run_id"] for r in passing],
               "in_distribution_power_law": power_law}
    if not stable:
        return {"id": "study-a-stable-fails-h2", "holds": None, "numbers": numbers,
                "text": "No stable-only run has an H2 probe, so finding a cannot be tested."}
    law = (f"their in-distribution test MAE {_FALLS[power_law]} as a power law of N "
           f"({_power_law_clause(in_distribution['numbers'])})" if in_distribution
           else "no in-distribution fit")
    if passing:
        holds = False
        shape = (f"{len(passing)} of {len(stable)} stable-only runs pass the H2 check (at N = "
                 f"{_span(r['n_train'] for r in passing)}, hidden "
                 f"{_span(r['hidden'] for r in passing)})")
    else:
        holds = power_law
        shape = (f"all {len(stable)} stable-only runs fail the H2 check at every N "
                 f"({_span(numbers['n_train'])}) and size ({_span(numbers['hidden'])} channels;"
                 f" most common: {_common_failures(stable, 'H2')})")
    return {"id": "study-a-stable-fails-h2", "holds": holds, "numbers": numbers,
            "text": f"Finding a {_VERDICT[holds]}: {shape}; {law}."}


def _cells(runs) -> dict[tuple, list]:
    cells: dict[tuple, list] = {}
    for run in _probed(runs, "H2"):
        cells.setdefault(tuple(run.get(k) for k in _CELL_KEYS), []).append(run)
    return cells


def _h2_cell_numbers(cell_runs) -> dict[str, float | None]:
    maes = [m for r in cell_runs
            if (m := (_probe(r, "H2").get("metrics") or {}).get("mae_bonding_ev")) is not None]
    return {"mae_bonding_ev": fmean(maes) if maes else None,
            "pass_rate": fmean(_probe(r, "H2")["verdict"] == "pass" for r in cell_runs),
            "failures_per_run": fmean(len(_probe(r, "H2")["failures"]) for r in cell_runs)}


def _distortion_comparison(stable_cells, cells) -> dict[str, Any] | None:
    matched = sorted(set(stable_cells) & set(cells), key=repr)
    if not matched:
        return None
    pairs = [(_h2_cell_numbers(stable_cells[k]), _h2_cell_numbers(cells[k])) for k in matched]
    with_mae = [(s, d) for s, d in pairs
                if s["mae_bonding_ev"] is not None and d["mae_bonding_ev"] is not None]
    lower_mae = sum(d["mae_bonding_ev"] < s["mae_bonding_ev"] for s, d in with_mae)
    mean = {side: {key: fmean(p[side][key] for p in pairs if p[side][key] is not None)
                   if any(p[side][key] is not None for p in pairs) else None
                   for key in ("mae_bonding_ev", "pass_rate", "failures_per_run")}
            for side in (0, 1)}
    improves = (2 * lower_mae > len(with_mae)
                and mean[1]["failures_per_run"] < mean[0]["failures_per_run"]
                and mean[1]["pass_rate"] >= mean[0]["pass_rate"])
    return {"matched_cells": len(matched), "cells_with_lower_mae": lower_mae,
            "cells_with_mae": len(with_mae), "stable": mean[0], "with_distortions": mean[1],
            "improves": improves}


def _ev(side: Mapping[str, Any]) -> str:
    value = side["mae_bonding_ev"]
    return "no value" if value is None else f"{value:.3g} eV"


def _study_b(runs) -> dict[str, Any]:
    stable_cells = _cells(r for r in runs if r.get("subset") == STABLE_SUBSET)
    subsets = sorted({r.get("subset") for r in runs} - {STABLE_SUBSET, None})
    comparisons = {s: c for s in subsets if (c := _distortion_comparison(
        stable_cells, _cells(r for r in runs if r.get("subset") == s))) is not None}
    if not comparisons:
        return {"id": "study-b-distortions-improve-h2", "holds": None,
                "numbers": {"comparisons": {}},
                "text": "No subset with distortions matches stable-only runs at the same N, "
                        "size and prior, so finding b cannot be tested."}
    holds = all(c["improves"] for c in comparisons.values())
    clauses = [
        f"with {subset}, the H2 bonding MAE is lower in {c['cells_with_lower_mae']} of "
        f"{c['cells_with_mae']} matched cells (mean {_ev(c['with_distortions'])} against "
        f"{_ev(c['stable'])}), failures per run "
        f"{c['with_distortions']['failures_per_run']:.2f} against "
        f"{c['stable']['failures_per_run']:.2f} and pass rate "
        f"{c['with_distortions']['pass_rate']:.0%} against {c['stable']['pass_rate']:.0%}"
        for subset, c in comparisons.items()]
    return {"id": "study-b-distortions-improve-h2", "holds": holds,
            "numbers": {"comparisons": comparisons},
            "text": f"Finding b {_VERDICT[holds]}: "
                    f"{'; '.join(clauses)} (stable-only runs at the same N, size and prior)."}


def _prior_h2pp(runs) -> dict[str, Any]:
    probed = _probed(runs, "H2++")
    with_prior = [r for r in probed if r.get("prior")]
    without = [r for r in probed if not r.get("prior")]
    per_n = [{"n_train": n, "runs": len(at_n),
              "passing": sum(_probe(r, "H2++")["verdict"] == "pass" for r in at_n)}
             for n in sorted({r["n_train"] for r in with_prior})
             for at_n in [[r for r in with_prior if r["n_train"] == n]]]
    passing = sum(entry["passing"] for entry in per_n)
    passing_without = sum(_probe(r, "H2++")["verdict"] == "pass" for r in without)
    numbers = {"runs": len(with_prior), "passing": passing, "passing_per_n": per_n,
               "runs_without_prior": len(without), "passing_without_prior": passing_without}
    if not with_prior:
        return {"id": "prior-passes-h2pp", "holds": None, "numbers": numbers,
                "text": "No run with the physics prior has an H2++ probe."}
    holds = passing == len(with_prior)
    failing = [r for r in with_prior if _probe(r, "H2++")["verdict"] != "pass"]
    where = ("at every N" if holds else
             f"fails at N = {_span(r['n_train'] for r in failing)} "
             f"({_common_failures(failing, 'H2++')})")
    contrast = (f"; without it {passing_without} of {len(without)} pass "
                f"({_common_failures(without, 'H2++')})" if without else "")
    return {"id": "prior-passes-h2pp", "holds": holds, "numbers": numbers,
            "text": f"With the physics prior, H2++ passes Coulomb's law in {passing} of "
                    f"{len(with_prior)} runs ({where}; N {_span(r['n_train'] for r in with_prior)})"
                    f"{contrast}."}


def compute_findings(runs: Iterable[Mapping[str, Any]],
                     fits: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every finding of the module docstring for these runs (only ``status`` "done" ones
    count) and their fits (:func:`astray.scaling.fits.fit_runs`)."""
    done = [run for run in runs if run.get("status", "done") == "done"]
    subsets = sorted({run.get("subset") for run in done if run.get("subset") is not None})
    findings = []
    in_distribution = {}
    for subset in subsets:
        in_distribution[subset] = _in_distribution_finding(fits, subset)
        findings.append(in_distribution[subset])
        findings += [_h2_finding(done, fits, target, subset) for target in H2_POWER_LAW_TARGETS]
    findings.append(_study_a(done, in_distribution.get(STABLE_SUBSET)))
    findings.append(_study_b(done))
    findings.append(_prior_h2pp(done))
    return findings
