"""The remedy finding of a sweep with a physical baseline (Delta-learning, issue 20): does
learning the correction to a baseline such as GFN2-xTB make H2 pass, at which N and size, and
does the correction help or hurt the baseline's own curve?

``remedy-baseline``
    With a baseline, H2 passes at every N and size; per variant (no baseline, the prior without
    a baseline, each baseline): H2 pass rates by N and size, the bonding-region MAE against the
    exact curve and against the baseline's own curve, the baseline alone, H2++, and the
    directions of the trend findings for that variant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from astray.probes.metrics import region_masks
from astray.scaling.laws import Law
from astray.scaling.records import Finding, RunResult, probed
from astray.scaling.targets import run_target

__all__ = ["remedy_finding"]


def _g(value: float) -> str:
    return f"{value:.3g}"


def remedy_finding(runs: Sequence[RunResult], laws: Sequence[Law]) -> Finding | None:
    """Per baseline ("none" included for contrast): H2 pass rates by N and size, bonding MAE
    against the exact curve and the baseline's own (did the correction help?), H2++, the laws."""
    if not any(run.baseline for run in runs):
        return None
    numbers, clauses = {}, []
    def variant(run: RunResult) -> str:  # without a baseline, the prior is its own variant
        return run.baseline or ("prior" if run.prior else "none")

    for name in sorted({variant(r) for r in runs}, key=lambda b: (b not in ("none", "prior"), b)):
        members = [r for r in runs if variant(r) == name]
        h2, h2pp = probed(members, "H2"), probed(members, "H2++")
        by = {key: [sum(r.probe["H2"].passed for r in h2 if k(r) == key),
                    sum(k(r) == key for r in h2)]
              for k in (lambda r: f"N={r.n_train}", lambda r: f"{r.hidden}x{r.interactions}")
              for key in sorted({k(r) for r in h2}, key=lambda t: (len(t), t))}
        exact = [v for v in (run_target(r, "h2_mae_bonding")[0] for r in h2) if v is not None]
        alone = [r.baseline_probe["H2"] for r in h2 if "H2" in r.baseline_probe]
        own, helped = [], 0
        for run in (r for r in h2 if "H2" in r.baseline_probe):
            probe, base = run.probe["H2"], run.baseline_probe["H2"]
            if probe.has_curve and base.energy_ev is not None and probe.metrics is not None:
                mask = region_masks(probe.r_angstrom, probe.metrics.r_ref_angstrom)["bonding"]
                own.append(float(np.nanmean(np.abs(probe.energy_ev - base.energy_ev)[mask])))
            if base.metrics and base.metrics.mae_bonding_ev is not None and probe.metrics \
                    and probe.metrics.mae_bonding_ev is not None:
                helped += probe.metrics.mae_bonding_ev < base.metrics.mae_bonding_ev
        trends = {}
        for law in laws:
            if (law.group.get("baseline") or ("prior" if law.group.get("prior") else "none")) \
                    == name and law.assessment is not None and \
                    law.target in (f"test_mae:{law.group.get('subset')}", "h2_mae_bonding"):
                key = f"{law.target.split(':')[0]}:{law.group.get('subset')}"
                trends.setdefault(key, Counter())[law.assessment.direction] += 1
        numbers[name] = {
            "runs": len(h2), "h2_passing": sum(r.probe["H2"].passed for r in h2),
            "h2_passing_by": by, "h2_mae_bonding_exact_ev_median":
                float(np.median(exact)) if exact else None,
            "baseline_alone_h2": None if not alone else {
                "passed": alone[0].passed, "mae_bonding_exact_ev": alone[0].metrics.mae_bonding_ev
                if alone[0].metrics else None},
            "h2_mae_bonding_vs_baseline_ev_median": float(np.median(own)) if own else None,
            "correction_helped": helped if alone else None,
            "h2pp_passing": [sum(r.probe["H2++"].passed for r in h2pp), len(h2pp)],
            "laws": {k: dict(v) for k, v in trends.items()}}
        n = numbers[name]
        label = {"none": "no baseline", "prior": "the prior, no baseline"}.get(name)
        text = (f"{label or 'baseline ' + name}: H2 passes in "
                f"{n['h2_passing']} of {len(h2)} runs ("
                + ", ".join(f"{k} {a}/{b}" for k, (a, b) in by.items()) + ")")
        if exact:
            text += f"; bonding-region MAE against the exact curve, median {_g(np.median(exact))} eV"
        if alone and n["baseline_alone_h2"]["mae_bonding_exact_ev"] is not None:
            text += (f" (the baseline alone {_g(n['baseline_alone_h2']['mae_bonding_exact_ev'])}"
                     f" eV, {'passes' if alone[0].passed else 'fails'}; the correction lowers "
                     f"it in {helped} of {len(alone)} runs)")
        if own:
            text += f", against the baseline's own curve {_g(np.median(own))} eV"
        text += f"; H2++ passes Coulomb's law in {n['h2pp_passing'][0]} of {len(h2pp)}"
        text += "".join(f"; trend:{k} here: " + ", ".join(f"{d} in {c}" for d, c in v.items())
                        + f" of {sum(v.values())} sizes" for k, v in sorted(trends.items()))
        clauses.append(text)
    delta = [r for r in probed(runs, "H2") if r.baseline]
    holds = all(r.probe["H2"].passed for r in delta) if delta else None
    caveats = ("runs with the physics prior and a baseline are not trained: the baseline "
               "already holds the nuclear repulsion and atomic limit the prior adds",) \
        if any(r.prior for r in runs) else ()
    verdict = {True: "passes", False: "does not pass", None: "is not probed"}[holds]
    return Finding("remedy-baseline", holds, "With a physical baseline (Delta-learning), H2 "
                   f"{verdict} at every N and size. "
                   + ". ".join(clauses) + ".", numbers, caveats=caveats)
