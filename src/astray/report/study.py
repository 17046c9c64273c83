"""The study report of a scaling sweep: ``DIR/scaling.json`` and ``DIR/report.html``.

Everything is rebuilt from ``DIR/runs/*/result.json`` (and ``DIR/sweep.json``,
``DIR/probe/curves.json`` where present), so a copied sweep folder is enough. The page is one
self-contained file (figures inlined as base64 PNG, no external URL) in the order a reader needs
it: the findings with their numbers, the figures, the fitted laws, every run, the failed runs,
the provenance, and for every number the command that reproduces it. Every string that comes
from a file is HTML-escaped. The figures are also written to ``DIR/figures/*.png``.
"""

from __future__ import annotations

import html
import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from astray.errors import SweepError
from astray.report.figures import figure_png, system_curves_figure
from astray.report.html import PAGE_STYLE, metrics_table, png_data_uri
from astray.report.scaling_figures import (
    done_runs,
    h2_curves_figure,
    h2pp_coulomb_figure,
    learning_curves_figure,
    ordered_targets,
    target_label,
    variant_label,
)

#: Extra style of the study page (on top of the curves page's): findings first and prominent,
#: long tables scroll inside their box instead of stretching the page.
STUDY_STYLE = """
.finding{border-left:6px solid #999;padding:0.4em 0.8em;margin:0.6em 0;background:#fafafa}
.finding.holds{border-color:#1a7f37}.finding.fails{border-color:#c62828}
.badge{font-weight:bold;margin-right:0.5em}.numbers{font-size:0.85em;color:#444}
.scroll{max-height:40em;overflow:auto;margin-bottom:1.5em}
pre{background:#f6f6f6;padding:0.5em;white-space:pre-wrap;overflow-wrap:anywhere}
td pre{margin:0;padding:0.2em;font-size:0.85em;text-align:left;max-width:60em}
figure{margin:1em 0 2em 0} figcaption{max-width:80em;color:#333}
th{text-align:left} td.id{font-family:monospace;font-size:0.8em;white-space:nowrap}
td small{font-weight:normal;color:#444} td.verdict{min-width:12em}
"""


@dataclass(frozen=True)
class ReportFigure:
    """One figure of the report: an anchor name, its title and caption, and the PNG bytes."""

    slug: str
    title: str
    caption: str
    png: bytes


def _escape(value) -> str:
    return html.escape(str(value), quote=True)


def number_text(value) -> str:
    """A number of a finding or fit as text: 3 significant digits, intervals as [low, high]."""
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
        return "; ".join(f"{k} = {number_text(v)}" for k, v in value.items())
    return str(value)


#: Configuration field -> option of ``astray train`` (:func:`astray.train.cli.train_command`;
#: a test checks that they agree). Written out because importing ``astray.train`` loads torch,
#: which would double the time of ``astray report`` for nothing. ``device`` and ``threads`` say
#: where and how fast a run trained, not what it computed, and are left out.
TRAIN_OPTIONS = {"dataset": "--dataset", "subset": "--subset", "model": "--model",
                 "hidden": "--hidden", "interactions": "--interactions", "cutoff": "--cutoff",
                 "prior": "--prior", "n_train": "--n-train", "n_val": "--n-val",
                 "n_test": "--n-test", "split_seed": "--split-seed", "seed": "--seed",
                 "batch_size": "--batch-size", "learning_rate": "--lr",
                 "max_epochs": "--max-epochs", "budget_minutes": "--budget-minutes",
                 "force_weight": "--force-weight", "test_subsets": "--test-subset"}
PLACEMENT_FIELDS = ("device", "threads")


def run_configuration(run: dict) -> dict:
    """A run's training configuration: its ``training`` dict over its top-level fields."""
    config = {key: run[key] for key in ("dataset", "subset", "model", "hidden", "interactions",
                                        "prior", "n_train", "seed") if key in run}
    config.update(run.get("training") or {})
    return config


def fields_without_option(run: dict) -> dict:
    """The configuration fields of a run that ``astray train`` has no option for (the recipe's
    fixed constants, the extra test subsets of a sweep); the sweep command reproduces them."""
    return {name: value for name, value in run_configuration(run).items()
            if name not in TRAIN_OPTIONS and name not in PLACEMENT_FIELDS}


def train_command_line(run: dict, run_dir: Path) -> str:
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


def probe_command_line(run: dict, run_dir: Path) -> str:
    """The ``astray curves`` command that probes a run's checkpoint on its systems."""
    systems = [arg for name in (run.get("probe") or {"H2": None}) for arg in ("-s", name)]
    checkpoint = run_dir / str(run.get("checkpoint", "best.pt"))
    return shlex.join(["astray", "curves", "-p", f"checkpoint:{checkpoint}", *systems])


def study_figures(summary: dict) -> list[ReportFigure]:
    """The sweep's figures, rendered (learning curves, H2 grids, H2++ against Coulomb)."""
    runs = done_runs(summary)
    figures = []
    if summary["fits"]:
        figures.append(ReportFigure(
            "learning-curves", "Learning curves",
            "Each row is one error, each column one data variant and prior; log-log axes, rows "
            "share their scale. Faint markers are single runs (seeds), bold markers their mean "
            "with the min–max range over seeds; colour is the model size. Lines are the fitted "
            "L = a·N^−α per model size, with α and its 95% interval in each panel; the band is "
            "the pointwise 95% interval of the law from a pairs bootstrap over the runs (the "
            "fit's own resampling), which, unlike the box of the parameters' intervals, keeps "
            "the strong correlation of a and α.", figure_png(learning_curves_figure(summary))))
    if any((run.get("probe") or {}).get("H2") for run in runs):
        for window, title in (("full", "full curve"), ("equilibrium", "near equilibrium"),
                              ("long-range", "long range")):
            figures.append(ReportFigure(
                f"h2-{window}", f"H₂ predicted by every run: {title}",
                "Rows: data variant and prior; columns: training-set size N; colour: model size "
                "(seeds share it). Black: the exact reference; dashed: the training data's level "
                "of theory on the same grid, where it could be computed. Each panel counts the "
                "runs whose H₂ verdict passes.", figure_png(h2_curves_figure(summary, window))))
    if any((run.get("probe") or {}).get("H2++") for run in runs):
        figures.append(ReportFigure(
            "h2pp-coulomb", "H₂⁺⁺ against Coulomb's law",
            "Two bare protons repel with exactly 14.3996/r eV (slope −1 on these log-log axes). "
            "Curves show |E|; filled markers are repulsive points, open markers points with "
            "E ≤ 0 (a bound or attractive pair, which no positive power law can fit).",
            figure_png(h2pp_coulomb_figure(summary))))
    return figures


def probe_section(sweep_dir: Path) -> tuple[str, list[ReportFigure]]:
    """The foundation-model probe of ``DIR/probe/curves.json`` (what ``make demo`` runs into
    the sweep folder): its figures and metric tables; empty where the file is absent."""
    from astray.systems import get_system

    path = sweep_dir / "probe" / "curves.json"
    if not path.is_file():
        return "", []
    try:
        result = json.loads(path.read_text())
    except ValueError as error:
        raise SweepError(f"{path} is not valid JSON ({error}); rerun the probe") from None
    figures, tables = [], []
    for system in result["systems"]:
        records = [c for c in result["curves"] if c["system"] == system["name"]]
        if not records:
            continue
        figures.append(ReportFigure(
            f"probe-{len(figures)}", f"Foundation models on {system['name']}",
            "Every potential's curve against the reference (black) and its training level of "
            "theory (dashed) where astray can compute it; full range, near equilibrium, long "
            "range.", figure_png(system_curves_figure(get_system(system["spec"]), records))))
        tables.append(metrics_table(records))
    section = (f"<h2 id='probe'>Foundation models on the diatomic suite</h2>"
               f"<p>From <code>{_escape(path)}</code>, made by "
               f"<code>{_escape(result.get('command', ''))}</code> (astray "
               f"{_escape(result.get('astray_version', ''))}, "
               f"{_escape(result.get('created', ''))})."
               "</p>")
    section += "".join(_figure_html(f) + t for f, t in zip(figures, tables))
    return section, figures


def _figure_html(figure: ReportFigure) -> str:
    return (f"<figure id='{figure.slug}'><h3>{_escape(figure.title)}</h3>"
            f"<img alt='{_escape(figure.title)}' src='{png_data_uri(figure.png)}'>"
            f"<figcaption>{_escape(figure.caption)}</figcaption></figure>")


def _numbers_html(value) -> str:
    """A finding's numbers as nested lists: one item per key, one per entry of a list of
    records (the per-size fits)."""
    if isinstance(value, dict):
        return "<ul>" + "".join(f"<li>{_escape(k)}: {_numbers_html(v)}</li>"
                                for k, v in value.items()) + "</ul>"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "<ul>" + "".join(f"<li>{_escape(number_text(v))}</li>" for v in value) + "</ul>"
    return _escape(number_text(value))


def findings_html(findings: list[dict]) -> str:
    """The findings, each with whether it holds and the numbers it rests on."""
    items = []
    for finding in findings:
        holds = finding.get("holds")
        state, badge = {True: ("holds", "holds"), False: ("fails", "does not hold")}.get(
            holds, ("", "undetermined"))
        items.append(f"<div class='finding {state}'><span class=badge>{badge}</span>"
                     f"{_escape(finding.get('text', ''))}<details class=numbers><summary>"
                     f"the numbers</summary>{_numbers_html(finding.get('numbers') or {})}"
                     "</details></div>")
    return "".join(items) or "<p>No findings: too few finished runs to compare.</p>"


def fits_table(fits: list[dict]) -> str:
    """One row per fitted law: its group, form, parameters with 95% intervals, points, status."""
    targets = ordered_targets({"fits": fits})
    rows = []
    for fit in sorted(fits, key=lambda f: (targets.index(f["target"]), str(f["subset"]),
                                           bool(f["prior"]), str(f["model"]), f["hidden"] or 0,
                                           f["interactions"] or 0, f["form"])):
        if fit.get("params"):
            ci95 = fit.get("ci95") or {}
            params = "<br>".join(f"{_escape(k)} = {number_text(v)} "
                                 f"{_escape(number_text(ci95.get(k)))}"
                                 for k, v in fit["params"].items())
        else:
            params = _escape(fit.get("reason", ""))
        size = ("all sizes" if fit.get("hidden") is None
                else f"{fit['hidden']}×{fit.get('interactions')}")
        rows.append(
            f"<tr><td class=l>{_escape(target_label(fit['target']))}</td>"
            f"<td class=l>{_escape(variant_label((fit['subset'], fit['prior'])))}</td>"
            f"<td class=l>{_escape(fit['model'])} {_escape(size)}</td>"
            f"<td class=l><code>{_escape(fit['form'])}</code></td><td class=l>{params}</td>"
            f"<td>{_escape(fit.get('n_points', ''))}</td>"
            f"<td class=l>{_escape(fit.get('status', 'ok'))}</td></tr>")
    return ("<div class=scroll><table><tr><th>target</th><th>data variant</th><th>model</th>"
            "<th>form</th><th>parameters [95% interval]</th><th>points</th><th>status</th></tr>"
            + "".join(rows) + "</table></div>")


def _verdict_cell(run: dict, system: str) -> str:
    probe = (run.get("probe") or {}).get(system)
    if not probe:
        return "<td>–</td>"
    verdict = str(probe.get("verdict", "–"))
    failures = ", ".join(map(str, probe.get("failures") or [])) or "–"
    return (f"<td class='l verdict {_escape(verdict)}'>{_escape(verdict)}<br>"
            f"<small>{_escape(failures)}</small></td>")


def _run_order(run: dict):
    return (str(run.get("subset")), bool(run.get("prior")), str(run.get("model")),
            run.get("hidden") or 0, run.get("interactions") or 0, run.get("n_train") or 0,
            run.get("seed") or 0, str(run.get("run_id")))


def runs_table(runs: list[dict], sweep_dir: Path) -> str:
    """One row per finished run, linked to the commands that reproduce its numbers (listed
    below the table, where they have the page's width)."""
    test_sets = sorted({s for run in runs for s in run.get("test_mae_kcal_mol") or {}})
    head = "".join(f"<th>test MAE {_escape(s)} (kcal/mol)</th>" for s in test_sets)
    ordered = sorted(runs, key=_run_order)
    extras = [fields_without_option(run) for run in ordered]
    shared = _shared_items(extras)
    rows, commands = [], []
    for index, (run, extra) in enumerate(zip(ordered, extras)):
        run_dir = sweep_dir / "runs" / str(run["run_id"])
        maes = run.get("test_mae_kcal_mol") or {}
        cells = "".join(f"<td>{number_text(maes.get(s))}</td>" for s in test_sets)
        lines = [train_command_line(run, run_dir)]
        lines += [f"# and {k}={v} (no astray train option)" for k, v in extra.items()
                  if k not in shared]
        lines.append(probe_command_line(run, run_dir))
        commands.append(f"<div id='run-{index}'><b>{_escape(run['run_id'])}</b>"
                        f"<pre>{_escape(chr(10).join(lines))}</pre></div>")
        rows.append(
            f"<tr><td class='l id'>{_escape(run['run_id'])}</td>"
            f"<td class=l>{_escape(run['subset'])}</td><td class=l>{_escape(run['model'])}</td>"
            f"<td>{_escape(run['hidden'])}×{_escape(run['interactions'])}</td>"
            f"<td>{'on' if run.get('prior') else 'off'}</td><td>{_escape(run['n_train'])}</td>"
            f"<td>{_escape(run['seed'])}</td><td>{number_text(run.get('n_params'))}</td>"
            f"<td>{_escape(run.get('epochs', '–'))}<br><small>{_escape(run.get('stopped_by', ''))}"
            f"</small></td>{cells}{_verdict_cell(run, 'H2')}{_verdict_cell(run, 'H2++')}"
            f"<td class=l><a href='#run-{index}'>commands</a></td></tr>")
    note = ("<p>Every run also used these settings, which <code>astray train</code> has no "
            "option for (the sweep command sets them): " + ", ".join(
                f"<code>{_escape(k)}={_escape(v)}</code>" for k, v in shared.items()) + ".</p>"
            if shared else "")
    return ("<div class=scroll><table><tr><th>run</th><th>data variant</th><th>model</th>"
            "<th>width×depth</th><th>prior</th><th>N</th><th>seed</th><th>parameters</th>"
            f"<th>epochs</th>{head}<th>H₂ verdict, failures</th><th>H₂⁺⁺ verdict, failures</th>"
            "<th>reproduce</th></tr>" + "".join(rows) + "</table></div>"
            "<h3 id='commands'>Commands that reproduce each run</h3>" + note
            + "<div class=scroll>" + "".join(commands) + "</div>")


def _shared_items(dicts: list[dict]) -> dict:
    """The items every dict has with the same value."""
    if not dicts:
        return {}
    return {k: v for k, v in dicts[0].items() if all(k in d and d[k] == v for d in dicts[1:])}


def _retry_command(run: dict, sweep_dir: Path) -> str:
    """The train command of a failed run; none for a result.json that could not be read."""
    if "training" not in run:
        return "–"
    line = train_command_line(run, sweep_dir / "runs" / str(run.get("run_id")))
    return f"<pre>{_escape(line)}</pre>"


def failed_runs_html(runs: list[dict], sweep_dir: Path) -> str:
    failed = [run for run in runs if run.get("status") == "failed"]
    if not failed:
        return "<p>No run failed.</p>"
    rows = "".join(
        f"<tr><td class=l>{_escape(run.get('run_id'))}</td>"
        f"<td class=l>{_escape(run.get('error', 'no error recorded'))}</td>"
        f"<td class=l>{_retry_command(run, sweep_dir)}</td></tr>"
        for run in sorted(failed, key=_run_order))
    return f"<table><tr><th>run</th><th>error</th><th>retry alone</th></tr>{rows}</table>"


def provenance_html(summary: dict, sweep_dir: Path) -> str:
    """Data sets and levels of theory, astray versions, dates, reference methods, commands."""
    runs = summary["runs"]
    sweep = summary.get("sweep") or {}
    datasets = sorted({(str(r.get("dataset")), str(r.get("level_of_theory") or "–"))
                       for r in runs})
    references = sorted({(system, str(p.get("reference_method")),
                          str((p.get("level_of_theory") or {}).get("method", "–")))
                         for r in done_runs(summary) for system, p in (r.get("probe") or {}).items()
                         if p})
    versions = sorted({str(r.get("astray_version")) for r in runs})
    created = sorted(str(r.get("created")) for r in runs if r.get("created")) or ["–"]
    commands = sweep.get("commands") or [sweep.get("command", "")]
    rows = "".join(f"<tr><td class=l>{_escape(d)}</td><td class=l>{_escape(lot)}</td></tr>"
                   for d, lot in datasets)
    reference_rows = "".join(
        f"<tr><td class=l>{_escape(s)}</td><td class=l><code>{_escape(m)}</code></td>"
        f"<td class=l><code>{_escape(lot)}</code></td></tr>" for s, m, lot in references)
    return (f"<table><tr><th>data set</th><th>level of theory</th></tr>{rows}</table>"
            "<table><tr><th>system</th><th>reference</th><th>training level of theory</th></tr>"
            f"{reference_rows}</table>"
            f"<p>astray version(s): {_escape(', '.join(versions))}; sweep created "
            f"{_escape(sweep.get('created', '–'))}; runs finished "
            f"{_escape(created[0])} to {_escape(created[-1])}."
            "</p><p>The sweep (rerunning it trains only what is missing):</p>"
            + "".join(f"<pre>{_escape(c)}</pre>" for c in commands if c)
            + "<p>The fits, findings, figures and this page, from the run folders alone:</p>"
            f"<pre>{_escape(shlex.join(['astray', 'report', str(sweep_dir)]))}</pre>")


def render_page(summary: dict, figures: list[ReportFigure], probe_html: str,
                sweep_dir: Path) -> str:
    """The whole HTML page (self-contained)."""
    done = done_runs(summary)
    n_failed = len(summary["runs"]) - len(done)
    figure_html = "".join(_figure_html(f) for f in figures)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>astray: scaling study {_escape(sweep_dir.name)}</title>
<style>{PAGE_STYLE}{STUDY_STYLE}</style></head><body>
<h1>Are neural scaling laws leading quantum chemistry astray? The sweep in
<code>{_escape(sweep_dir)}</code></h1>
<p>{len(done)} finished runs, {n_failed} failed. Errors on molecules are test MAEs in kcal/mol;
H₂ and H₂⁺⁺ errors are against exact references, energies in eV, distances in Å.
Every number is recomputed from <code>runs/*/result.json</code> by the last command under
Provenance.</p>
<h2 id='findings'>Findings</h2>{findings_html(summary.get('findings') or [])}
<p>Computed from the fits below, not written by hand; <code>astray report
{_escape(shlex.quote(str(sweep_dir)))}</code> recomputes them.</p>
<h2 id='figures'>Figures</h2>{figure_html}
{probe_html}
<h2 id='fits'>Fitted laws</h2>
<p>Least squares on log L; 95% intervals by a pairs bootstrap over runs (seeds and training
sizes). N: training structures, P: parameters.</p>{fits_table(summary['fits'])}
<h2 id='runs'>Runs</h2>{runs_table(done, sweep_dir)}
<h2 id='failed'>Failed runs</h2>{failed_runs_html(summary['runs'], sweep_dir)}
<h2 id='provenance'>Provenance</h2>{provenance_html(summary, sweep_dir)}
</body></html>"""


def write_report(sweep_dir: str | Path) -> Path:
    """Rebuild ``DIR/scaling.json``, ``DIR/figures/*.png`` and ``DIR/report.html`` from the
    sweep folder; returns the path of the page. A SweepError if the folder has no runs."""
    from astray.scaling.summary import write_scaling_json

    sweep_dir = Path(sweep_dir)
    # the page shows exactly what scaling.json says (its fits are computed once, there)
    summary = json.loads(write_scaling_json(sweep_dir).read_text())
    probe_html, probe_figures = probe_section(sweep_dir)
    figures = study_figures(summary)
    figure_dir = sweep_dir / "figures"
    figure_dir.mkdir(exist_ok=True)
    for figure in figures + probe_figures:
        (figure_dir / f"{figure.slug}.png").write_bytes(figure.png)
    page = render_page(summary, figures, probe_html, sweep_dir)
    path = sweep_dir / "report.html"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)  # a reader sees the old page or the new one, never half
    return path
