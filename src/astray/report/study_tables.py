"""The HTML parts of the study report that are text and tables: the findings, the laws with their
tests, every run with the commands that reproduce it, the failed runs and the provenance.

Every string that comes from a file is HTML-escaped (quote=True) and every attribute quoted:
run ids, errors and commands are whatever a result.json holds.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from astray.report.html import escape
from astray.scaling.fits import Fit
from astray.scaling.law_tests import FLOOR_FORM, PURE_FORM
from astray.scaling.records import RUN_PHASES, Finding, RunResult
from astray.scaling.summary import SweepSummary
from astray.scaling.targets import CONVENTIONS, target_info


def number_text(value) -> str:
    """A number of a finding or fit as text: 3 significant digits, intervals as [low, high];
    anything that is not a number is escaped, never written raw."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(number_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{escape(k)} = {number_text(v)}" for k, v in value.items())
    return escape(value)


#: Configuration field -> option of ``astray train`` (:func:`astray.train.cli.train_command`;
#: a test checks that they agree). Written out because importing ``astray.train`` loads torch,
#: which would double the time of ``astray report`` for nothing. ``device`` and ``threads`` say
#: where and how fast a run trained, not what it computed, and are left out.
TRAIN_OPTIONS = {"dataset": "--dataset", "subset": "--subset", "model": "--model",
                 "hidden": "--hidden", "interactions": "--interactions", "cutoff": "--cutoff",
                 "prior": "--prior", "n_train": "--n-train", "n_val": "--n-val",
                 "n_test": "--n-test", "split_seed": "--split-seed", "seed": "--seed",
                 "data_seed": "--data-seed", "batch_size": "--batch-size",
                 "learning_rate": "--lr", "early_stopping": "--patience",
                 "plateau_patience": "--plateau-patience",
                 "convergence_tolerance": "--convergence-tolerance",
                 "max_epochs": "--max-epochs", "budget_minutes": "--budget-minutes",
                 "force_weight": "--force-weight", "test_subsets": "--test-subset",
                 "baseline": "--baseline"}
#: Options of astray train that place the work without changing its numbers.
PLACEMENT_FIELDS = ("device", "threads", "baseline_workers")


def run_configuration(run: RunResult) -> dict:
    """A run's training configuration: its ``training`` dict over its top-level fields."""
    config = {"dataset": run.dataset, "subset": run.subset, "model": run.model,
              "hidden": run.hidden, "interactions": run.interactions, "prior": run.prior,
              "n_train": run.n_train, "seed": run.seed, "data_seed": run.data_seed}
    config.update(run.training)
    return config


def fields_without_option(run: RunResult) -> dict:
    """The configuration fields of a run that ``astray train`` has no option for (the recipe's
    fixed constants, the extra test subsets of a sweep); the sweep command reproduces them."""
    return {name: value for name, value in run_configuration(run).items()
            if name not in TRAIN_OPTIONS and name not in PLACEMENT_FIELDS}


def train_command_line(run: RunResult, run_dir: Path) -> str:
    """The ``astray train`` command equivalent to a run's configuration, as far as its options
    reach (see :func:`fields_without_option` for the rest)."""
    parts = ["astray", "train"]
    for name, value in run_configuration(run).items():
        flag = TRAIN_OPTIONS.get(name)
        if flag is None or value is None or value is False:
            continue
        if isinstance(value, (list, tuple)):
            parts += [word for item in value for word in (flag, str(item))]
        else:
            parts += [flag] if value is True else [flag, str(value)]
    return shlex.join([*parts, "--out", str(run_dir)])


def probe_command_line(run: RunResult, run_dir: Path) -> str:
    """The ``astray curves`` command that probes a run's checkpoint on its systems."""
    systems = [arg for name in (run.probe or {"H2": None}) for arg in ("-s", name)]
    checkpoint = run_dir / str(run.checkpoint or "best.pt")
    return shlex.join(["astray", "curves", "-p", f"checkpoint:{checkpoint}", *systems])


def _numbers_html(value) -> str:
    """A finding's numbers as nested lists: one item per key, one per entry of a list of
    records (the per-size laws)."""
    if isinstance(value, dict):
        return "<ul>" + "".join(f"<li>{escape(k)}: {_numbers_html(v)}</li>"
                                for k, v in value.items()) + "</ul>"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "<ul>" + "".join(f"<li>{number_text(v)}</li>" for v in value) + "</ul>"
    return number_text(value)


def findings_html(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """The findings, each with whether it holds, what is true by construction, its caveats and
    the numbers it rests on."""
    items = []
    for finding in findings:
        state, badge = {True: ("holds", "holds"), False: ("fails", "does not hold")}.get(
            finding.holds, ("open", "not resolved"))
        extra = ""
        if finding.by_construction:
            extra += ("<p class='construction'>True by construction: "
                      f"{escape(finding.by_construction)}.</p>")
        if finding.caveats:
            extra += ("<ul class='caveats'>" + "".join(f"<li>{escape(c)}</li>"
                                                        for c in finding.caveats) + "</ul>")
        items.append(f"<div class='finding {state}'><span class='badge'>{badge}</span>"
                     f"{escape(finding.text)}{extra}<details class='numbers'><summary>"
                     f"the numbers</summary>{_numbers_html(finding.numbers)}"
                     "</details></div>")
    return "".join(items) or "<p>No findings: too few finished runs to compare.</p>"


def _parameters(fit: Fit | None) -> str:
    if fit is None:
        return "–"
    if not fit.ok:
        return f"<small>{escape(fit.reason)}</small>"
    ci95 = fit.ci95 or {}
    lines = [f"{escape(k)} = {number_text(v)} {number_text(ci95.get(k))}"
             for k, v in fit.params.items()]
    if fit.flags:
        lines.append(f"<small>{escape(', '.join(fit.flags))}</small>")
    return "<br>".join(lines)


def _size_text(group: dict) -> str:
    size = ("all sizes" if group.get("hidden") is None
            else f"{group['hidden']}×{group.get('interactions')}")
    return f"{group.get('model')} {size}"


def _variant_text(group: dict) -> str:
    return (f"trained on {group.get('subset')}, prior {'on' if group.get('prior') else 'off'}"
            + (f", baseline {group['baseline']}" if group.get("baseline") else ""))


def laws_table(summary: SweepSummary) -> str:
    """One row per law: its group, the runs fitted, both N-only forms with 95% intervals, the
    tests (lack of fit, floor) and what they decided."""
    rows = []
    for law in summary.laws:
        info = target_info(law.target)
        pure = next((f for f in law.fits if f.form == PURE_FORM), None)
        floor = next((f for f in law.fits if f.form == FLOOR_FORM), None)
        runs = f"{len(law.run_ids)} of {law.runs}"
        if law.unconverged:
            runs += (f"<br><small>{law.unconverged} not converged"
                     f"{', fitted' if law.fitted_unconverged else ', left out'}</small>")
        if law.missing:
            runs += "<br><small>" + escape("; ".join(f"{k}: {v}" for k, v in
                                                      law.missing.items())) + "</small>"
        tests = "–"
        if pure is not None and pure.ok:
            tests = (f"lack of fit p = {number_text(pure.lack_of_fit_p)}<br>"
                     f"residual sd (log) = {number_text(pure.residual_sd)}")
        decision = (escape(law.reason or "not fitted") if law.assessment is None else
                    f"<b>{escape(law.assessment.direction)}, {escape(law.assessment.shape)}</b>"
                    f"<br><small>{escape(law.assessment.reason)}</small>")
        rows.append(
            f"<tr><td class='l'>{escape(info.label)} ({escape(info.unit)})<br><small>"
            f"{escape(info.convention)}</small></td>"
            f"<td class='l'>{escape(_variant_text(law.group))}</td>"
            f"<td class='l'>{escape(_size_text(law.group))}</td><td>{runs}</td>"
            f"<td class='l'>{_parameters(pure)}</td><td class='l'>{_parameters(floor)}</td>"
            f"<td class='l'>{tests}</td><td class='l'>{decision}</td></tr>")
    conventions = "".join(f"<li><b>{escape(k)}</b>: {escape(v)}</li>"
                          for k, v in CONVENTIONS.items())
    return ("<ul>" + conventions + "</ul><div class='scroll'><table><tr><th>error</th>"
            "<th>data variant</th><th>model</th><th>runs fitted</th>"
            "<th>L = a·N<sup>−α</sup> [95%]</th><th>L = L∞ + a·N<sup>−α</sup> [95%]</th>"
            "<th>tests of the pure law</th><th>decision</th></tr>" + "".join(rows)
            + "</table></div>" + _joint_table(summary.joint_fits))


def _joint_table(fits) -> str:
    rows = "".join(
        f"<tr><td class='l'>{escape(target_info(f.target).label)}</td>"
        f"<td class='l'>{escape(_variant_text(f.group))}</td>"
        f"<td class='l'>{escape(f.group.get('model'))}</td><td>{escape(f.n_points)}</td>"
        f"<td class='l'>{_parameters(f)}</td></tr>" for f in fits)
    if not rows:
        return ""
    return ("<h3>Data and model size together: L = L∞ + A·N<sup>−α</sup> + B·P<sup>−β</sup>"
            "</h3><div class='scroll'><table><tr><th>error</th><th>data variant</th>"
            "<th>model</th><th>runs</th><th>parameters [95%]</th></tr>" + rows
            + "</table></div>")


def _verdict_cell(run: RunResult, system: str) -> str:
    probe = run.probe_of(system)
    if probe is None:
        return "<td>–</td>"
    outcome = probe.verdict.outcome
    failures = ", ".join(f.value for f in probe.verdict.failures) or "–"
    return (f"<td class='l verdict {escape(outcome)}'>{escape(outcome)}<br>"
            f"<small>{escape(failures)}</small></td>")


def run_order(run: RunResult):
    return (run.subset, run.prior, run.model, run.hidden, run.interactions, run.n_train,
            run.seed, run.data_seed if run.data_seed is not None else -1, run.run_id)


def _convergence_cell(run: RunResult) -> str:
    state = {True: "converged", False: "not converged", None: "not recorded"}[run.converged]
    return (f"<td>{escape(run.epochs if run.epochs is not None else '–')}<br>"
            f"<small>{escape(run.stopped_by or '')}; {state}</small></td>")


def runs_table(runs: list[RunResult], sweep_dir: Path) -> str:
    """One row per finished run, linked to the commands that reproduce its numbers (listed
    below the table, where they have the page's width)."""
    test_sets = sorted({s for run in runs for s in run.test_mae_kcal_mol})
    head = "".join(f"<th>test MAE {escape(s)} (kcal/mol)</th>" for s in test_sets)
    ordered = sorted(runs, key=run_order)
    extras = [fields_without_option(run) for run in ordered]
    shared = _shared_items(extras)
    rows, commands = [], []
    for index, (run, extra) in enumerate(zip(ordered, extras)):
        run_dir = sweep_dir / "runs" / run.run_id
        cells = "".join(f"<td>{number_text(run.test_mae_kcal_mol.get(s))}</td>"
                        for s in test_sets)
        lines = [train_command_line(run, run_dir)]
        lines += [f"# and {k}={v} (no astray train option)" for k, v in extra.items()
                  if k not in shared]
        lines.append(probe_command_line(run, run_dir))
        commands.append(f"<div id='run-{index}'><b>{escape(run.run_id)}</b>"
                        f"<pre>{escape(chr(10).join(lines))}</pre></div>")
        seeds = f"{run.seed}" + ("" if run.data_seed is None else f" / data {run.data_seed}")
        rows.append(
            f"<tr><td class='l id'>{escape(run.run_id)}</td>"
            f"<td class='l'>{escape(run.subset)}</td><td class='l'>{escape(run.model)}</td>"
            f"<td>{escape(run.hidden)}×{escape(run.interactions)}</td>"
            f"<td>{'on' if run.prior else 'off'}</td><td>{escape(run.n_train)}</td>"
            f"<td>{escape(seeds)}</td><td>{number_text(run.n_params)}</td>"
            f"{_convergence_cell(run)}{cells}{_verdict_cell(run, 'H2')}"
            f"{_verdict_cell(run, 'H2++')}"
            f"<td class='l'><a href='#run-{index}'>commands</a></td></tr>")
    note = ("<p>Every run also used these settings, which <code>astray train</code> has no "
            "option for (the sweep command sets them): " + ", ".join(
                f"<code>{escape(k)}={escape(v)}</code>" for k, v in shared.items()) + ".</p>"
            if shared else "")
    return ("<div class='scroll'><table><tr><th>run</th><th>data variant</th><th>model</th>"
            "<th>width×depth</th><th>prior</th><th>N</th><th>seed</th><th>parameters</th>"
            f"<th>epochs, convergence</th>{head}<th>H₂ verdict, failures</th>"
            "<th>H₂⁺⁺ verdict, failures</th><th>reproduce</th></tr>" + "".join(rows)
            + "</table></div><h3 id='commands'>Commands that reproduce each run</h3>" + note
            + "<div class='scroll'>" + "".join(commands) + "</div>")


def timings_html(runs: list[RunResult]) -> str:
    """Where the runs' wall-clock time went: each phase's seconds summed over the runs that
    recorded ``timings`` and its share of their summed ``total``. Everything but the epochs
    (``train_epochs``) is the per-run overhead a larger sweep multiplies."""
    timed = [run for run in runs if run.timings.get("total")]
    if not timed:
        return "<p>No run recorded its timings (written before astray measured them).</p>"
    total = sum(run.timings["total"] for run in timed)
    recorded = {phase for run in timed for phase in run.timings} - {"total"}
    phases = [p for p in RUN_PHASES if p in recorded] + sorted(recorded - set(RUN_PHASES))
    summed = {phase: sum(run.timings.get(phase, 0.0) for run in timed) for phase in phases}
    rows = "".join(f"<tr><td class='l'>{escape(phase)}</td><td>{seconds:.1f}</td>"
                   f"<td>{seconds / total:.1%}</td></tr>" for phase, seconds in summed.items())
    epochs = summed.get("train_epochs", 0.0)
    return (f"<p>Wall-clock seconds of each phase, summed over the {len(timed)} of {len(runs)} "
            f"runs that recorded them ({total:.1f} s in all); outside the epochs: "
            f"{1 - epochs / total:.1%}. The references (exact and level of theory) are computed "
            "once per sweep, before the runs, and are not in these sums.</p>"
            "<table><tr><th>phase</th><th>seconds</th><th>share</th></tr>"
            f"{rows}</table>")


def _shared_items(dicts: list[dict]) -> dict:
    """The items every dict has with the same value."""
    if not dicts:
        return {}
    return {k: v for k, v in dicts[0].items() if all(k in d and d[k] == v for d in dicts[1:])}


def failed_runs_html(runs: tuple[RunResult, ...], sweep_dir: Path) -> str:
    failed = [run for run in runs if not run.done]
    if not failed:
        return "<p>No run failed.</p>"
    rows = "".join(
        f"<tr><td class='l'>{escape(run.run_id)}</td>"
        f"<td class='l'>{escape(run.error or 'no error recorded')}</td><td class='l'><pre>"
        f"{escape(train_command_line(run, sweep_dir / 'runs' / run.run_id))}</pre></td></tr>"
        for run in sorted(failed, key=run_order))
    return f"<table><tr><th>run</th><th>error</th><th>retry alone</th></tr>{rows}</table>"


def _in_this_folder(command: str, sweep_dir: Path) -> str:
    """A recorded sweep command with its ``--out`` pointing at the folder the sweep is in now (a
    copied or downloaded sweep), saying where it was recorded when that differs."""
    try:
        words = shlex.split(command)
    except ValueError:  # not a command line astray wrote: shown as recorded
        return command
    for index, word in enumerate(words[:-1]):
        if word in ("--out", "-o") and Path(words[index + 1]).resolve() != sweep_dir.resolve():
            recorded = words[index + 1]
            words[index + 1] = str(sweep_dir)
            return f"{shlex.join(words)}  # recorded in {recorded}"
    return command


def provenance_html(summary: SweepSummary, sweep_dir: Path) -> str:
    """Data sets and levels of theory, astray versions, dates, reference methods, commands."""
    runs = summary.runs
    sweep = summary.sweep
    datasets = sorted({(str(r.dataset), str(r.level_of_theory or "–"),
                        str(r.energy_convention or "–")) for r in runs})
    references = sorted({(system, str(p.reference_method), str(p.level_of_theory_method or "–"))
                         for r in summary.done_runs for system, p in r.probe.items()})
    versions = sorted({str(r.astray_version) for r in runs})
    created = sorted(str(r.created) for r in runs if r.created) or ["–"]
    commands = [_in_this_folder(c, sweep_dir) for c in
                sweep.get("commands") or [sweep.get("command", "")] if c]
    rows = "".join(f"<tr><td class='l'>{escape(d)}</td><td class='l'>{escape(lot)}</td>"
                   f"<td class='l'>{escape(convention)}</td></tr>"
                   for d, lot, convention in datasets)
    reference_rows = "".join(
        f"<tr><td class='l'>{escape(s)}</td><td class='l'><code>{escape(m)}</code></td>"
        f"<td class='l'><code>{escape(lot)}</code></td></tr>" for s, m, lot in references)
    notes = "".join(f"<p>{escape(note)}</p>" for note in summary.notes)
    return (f"<table><tr><th>data set</th><th>level of theory</th><th>energy convention"
            f"</th></tr>{rows}</table><table><tr><th>system</th><th>reference</th>"
            f"<th>training level of theory</th></tr>{reference_rows}</table>{notes}"
            f"<p>astray version(s): {escape(', '.join(versions))}; sweep created "
            f"{escape(sweep.get('created', '–'))}; runs finished "
            f"{escape(created[0])} to {escape(created[-1])}."
            "</p><p>The sweep (rerunning it trains only what is missing):</p>"
            + "".join(f"<pre>{escape(c)}</pre>" for c in commands if c)
            + "<p>The fits, findings, figures and this page, from the run folders alone:</p>"
            f"<pre>{escape(shlex.join(['astray', 'report', str(sweep_dir)]))}</pre>")


__all__ = ["PLACEMENT_FIELDS", "TRAIN_OPTIONS", "escape", "failed_runs_html",
           "fields_without_option", "findings_html", "laws_table", "number_text",
           "probe_command_line", "provenance_html", "run_configuration", "runs_table",
           "train_command_line"]
