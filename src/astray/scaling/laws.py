"""The laws of a sweep: for every error (:mod:`astray.scaling.targets`) and every model size, the
runs that enter the fit, the fitted forms (:mod:`astray.scaling.fits`) and what their tests say.

Which runs are fitted, and why:

* a run without a value of the target (a curve with several minima has no r_e) is left out and
  counted under its reason;
* a run that did not converge is left out where the converged runs still span
  :data:`astray.scaling.fits.MIN_N_LEVELS` training sizes; otherwise every run is fitted and
  :attr:`Law.fitted_unconverged` says so (the exponent then measures the training budget: a
  40-epoch sweep gave alpha 0.73 where the same grid at convergence gives 0.65);
* a group is one dataset, training subset, architecture, width, depth, prior and baseline
  (None: no baseline); its seeds and data seeds are the replicates at each N.

The joint form L_inf + A N^-alpha + B P^-beta spans the sizes of one (dataset, subset, model,
prior, baseline) and is fitted over the same runs as the per-size laws.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from astray.errors import SweepError
from astray.scaling.fits import MIN_N_LEVELS, Fit, fit_form
from astray.scaling.law_tests import FLOOR_FORM, PURE_FORM, LawAssessment, compare_forms
from astray.scaling.records import RunResult
from astray.scaling.targets import run_target, target_info

__all__ = ["GROUP_KEYS", "Law", "fit_laws"]

#: What makes a group of runs one learning curve (everything but N and the seeds).
GROUP_KEYS = ("dataset", "subset", "model", "hidden", "interactions", "prior", "baseline")
#: Data and model size together (Hoffmann et al. 2022), over the sizes of one data variant.
JOINT_FORM = "L_inf+A*N^-alpha+B*P^-beta"
SHARED_DRAW_NOTE = (" The lack-of-fit test is not used: the seeds share one draw of the "
                    "training data, so their scatter is not the scatter between data draws "
                    "(--data-seeds draws them independently).")
#: Reasons a target is absent that mean "this target is not about this run", not a missing
#: value: such runs are not counted against the law.
NOT_APPLICABLE = ("not an atomization-energy model", "no H2 probe", "no H2++ probe",
                  "no test MAE", "no exact dissociation limit in its convention")


@dataclass(frozen=True)
class Law:
    """One error of one group of runs against N: the fits of the N-only forms and their
    assessment (None where no form could be fitted: ``reason`` says why)."""

    target: str
    group: dict[str, Any]
    runs: int
    unconverged: int
    fitted_unconverged: bool
    missing: dict[str, int]
    fits: tuple[Fit, ...]
    assessment: LawAssessment | None
    reason: str | None = None
    run_ids: tuple[str, ...] = field(default=())

    def fit(self, form: str) -> Fit | None:
        """The fit of ``form`` where it succeeded, else None."""
        return next((f for f in self.fits if f.form == form and f.ok), None)

    def summary(self) -> dict[str, Any]:
        """The numbers a finding quotes for this law."""
        pure = self.fit(PURE_FORM)
        return {**self.group, "runs": self.runs, "unconverged": self.unconverged,
                "fitted_unconverged": self.fitted_unconverged, "missing": self.missing,
                "alpha": None if pure is None else pure.params["alpha"],
                "alpha_ci95": None if pure is None else list(pure.ci95["alpha"]),
                "lack_of_fit_p": None if pure is None else pure.lack_of_fit_p,
                "shape": None if self.assessment is None else self.assessment.shape,
                "direction": None if self.assessment is None else self.assessment.direction,
                "reason": self.reason if self.assessment is None else self.assessment.reason}

    def to_dict(self) -> dict[str, Any]:
        info = target_info(self.target)
        return {"target": self.target, "unit": info.unit, "convention": info.convention,
                "group": self.group, "runs": self.runs,
                "unconverged": self.unconverged, "fitted_unconverged": self.fitted_unconverged,
                "missing": self.missing, "fits": [f.to_dict() for f in self.fits],
                "assessment": None if self.assessment is None else self.assessment.to_dict(),
                "reason": self.reason, "run_ids": list(self.run_ids)}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], where: str) -> Law:
        try:
            assessment = record["assessment"]
            return cls(target=str(record["target"]), group=dict(record["group"]),
                       runs=int(record["runs"]), unconverged=int(record["unconverged"]),
                       fitted_unconverged=bool(record["fitted_unconverged"]),
                       missing=dict(record["missing"]),
                       fits=tuple(Fit.from_dict(f) for f in record["fits"]),
                       assessment=None if assessment is None
                       else LawAssessment.from_dict(assessment),
                       reason=record.get("reason"), run_ids=tuple(record.get("run_ids", ())))
        except (KeyError, TypeError, ValueError) as error:
            raise SweepError(f"{where}: a law of {record.get('target', '?')!r} is malformed: "
                             f"{error}") from None


def _group_of(run: RunResult) -> tuple:
    return tuple(getattr(run, key) for key in GROUP_KEYS)


def _law(target: str, labels: dict, members: Sequence[RunResult]) -> tuple[Law, list]:
    """The law of one target over one group's runs, and the (run, value) pairs it fitted."""
    missing: Counter = Counter()
    valued = []
    for run in members:
        value, reason = run_target(run, target)
        if value is None:
            missing[reason] += 1
        elif not value > 0:
            missing["value <= 0 (no logarithm)"] += 1
        else:
            valued.append((run, value))
    unconverged = sum(run.converged is False for run, _ in valued)
    converged = [(run, v) for run, v in valued if run.converged is not False]
    enough = len({run.n_train for run, _ in converged}) >= MIN_N_LEVELS
    used = converged if (enough or not unconverged) else valued
    fitted_unconverged = used is valued and unconverged > 0
    fits = tuple(_shared_draw_flag(fit_form(form, [run.n_train for run, _ in used],
                                            [v for _, v in used], target=target, group=labels),
                                   used) for form in (PURE_FORM, FLOOR_FORM))
    pure, floor = fits
    assessment, reason = None, None
    if pure.ok:
        tested_pure, tested_floor = _for_assessment(pure, floor, used)
        assessment = compare_forms(tested_pure, tested_floor)
        if tested_pure is not pure and pure.lack_of_fit_p is not None:
            assessment = replace(assessment, reason=assessment.reason + SHARED_DRAW_NOTE)
    else:
        reason = pure.reason
    law = Law(target, labels, len(members), unconverged, fitted_unconverged, dict(missing),
              fits, assessment, reason, tuple(run.run_id for run, _ in used))
    return law, used


def _for_assessment(pure: Fit, floor: Fit, used) -> tuple[Fit, Fit]:
    """The fits as the law tests may read them: the lack-of-fit p-values only where the
    replicates at each N are independent draws of the training data (``--data-seeds``).
    Seeds on one shared split vary only the initial weights, so their scatter understates the
    scatter of the error between data draws and the F test rejects true power laws: measured
    on synthetic sweeps with a shared per-N draw (sd 0.1 within, 0.1 shared), it rejected a
    true law in 35-37% of sweeps instead of 5%. The p-values stay in scaling.json, flagged."""
    if all(run.data_seed is not None for run, _ in used):
        return pure, floor
    return (replace(pure, lack_of_fit_p=None),
            replace(floor, lack_of_fit_p=None) if floor.ok else floor)


def _shared_draw_flag(fit: Fit, used) -> Fit:
    if fit.lack_of_fit_p is None or all(run.data_seed is not None for run, _ in used):
        return fit
    return replace(fit, flags=fit.flags + ("replicates-share-one-data-draw",))


def _applicable(runs: Sequence[RunResult], target: str) -> bool:
    """Whether any run has this target at all (a value, or a reason other than "not about
    this run")."""
    for run in runs:
        value, reason = run_target(run, target)
        if value is not None or reason not in NOT_APPLICABLE:
            return True
    return False


def fit_laws(runs: Iterable[RunResult]) -> tuple[list[Law], list[Fit]]:
    """(per-size laws, joint fits) of every target of the finished runs, deterministic."""
    from astray.scaling.targets import run_targets

    done = [run for run in runs if run.done]
    targets = sorted({name for run in done for name in run_targets(run)})
    groups: dict[tuple, list[RunResult]] = {}
    for run in done:
        groups.setdefault(_group_of(run), []).append(run)
    laws, joint_points = [], {}
    for key, members in sorted(groups.items(), key=lambda kv: repr(kv[0])):
        labels = dict(zip(GROUP_KEYS, key))
        for target in targets:
            if not _applicable(members, target):
                continue
            law, used = _law(target, labels, members)
            laws.append(law)
            joint_key = (target, *(labels[k] for k in GROUP_KEYS
                                   if k not in ("hidden", "interactions")))
            joint_points.setdefault(joint_key, []).extend(used)
    joint = []
    for (target, *rest), used in sorted(joint_points.items(), key=lambda kv: repr(kv[0])):
        labels = dict(zip([k for k in GROUP_KEYS if k not in ("hidden", "interactions")], rest))
        joint.append(fit_form(JOINT_FORM, [run.n_train for run, _ in used],
                              [v for _, v in used], n_params=[run.n_params for run, _ in used],
                              target=target, group=labels))
    return laws, joint
