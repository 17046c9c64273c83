"""The study report of a scaling sweep: ``DIR/scaling.json`` and ``DIR/report.html``.

Everything is rebuilt from ``DIR/runs/*/result.json`` (and ``DIR/sweep.json``,
``DIR/probe/curves.json`` where present), so a copied sweep folder is enough. The page is one
self-contained file (figures inlined as base64 PNG, no external URL) in the order a reader needs
it: the findings with their numbers, the figures, the fitted laws, every run, the failed runs,
the provenance, and for every number the command that reproduces it. Every string that comes
from a file is HTML-escaped. The figures are also written to ``DIR/figures/*.png``.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from astray.errors import SweepError
from astray.jsonio import write_bytes_atomic, write_text_atomic
from astray.report.figures import figure_png, system_curves_figure
from astray.report.html import PAGE_STYLE, metrics_table, png_data_uri
from astray.report.scaling_figures import (
    drawable,
    h2_curves_figure,
    h2pp_coulomb_figure,
    learning_curves_figure,
)
from astray.report.study_tables import (
    escape,
    failed_runs_html,
    findings_html,
    laws_table,
    provenance_html,
    runs_table,
    timings_html,
)
from astray.scaling.summary import SweepSummary

#: Extra style of the study page (on top of the curves page's): findings first and prominent,
#: long tables scroll inside their box instead of stretching the page.
STUDY_STYLE = """
.finding{border-left:6px solid #999;padding:0.4em 0.8em;margin:0.6em 0;background:#fafafa}
.finding.holds{border-color:#1a7f37}.finding.fails{border-color:#c62828}
.finding.open{border-color:#b08800}.construction{font-style:italic;margin:0.3em 0}
.caveats{margin:0.2em 0;font-size:0.9em;color:#444}.note{color:#8a4b00}
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


_escape = escape


def study_figures(summary: SweepSummary) -> list[ReportFigure]:
    """The sweep's figures, rendered (learning curves, H2 grids, H2++ against Coulomb); runs
    whose probes were written without curve arrays are left out of the curve figures (the
    summary's notes count them)."""
    figures = []
    if summary.laws:
        figures.append(ReportFigure(
            "learning-curves", "Learning curves",
            "Each row is one error, each column one data variant and prior; log-log axes, rows "
            "share their scale. Faint markers are single runs (seeds), bold markers their mean "
            "with the min–max range over seeds; colour is the model size. Lines are the law "
            "each size's tests chose (solid: a pure power law a·N^−α that lack-of-fit and "
            "floor tests did not reject; dashed: a law with a floor, or a pure law the data "
            "reject), with α and its 95% interval in each legend; the band is the law's "
            "pointwise 95% t interval on the level means. H₂ errors are labelled with their "
            "energy convention: 'own atoms' = the curve's shape against the model's own "
            "isolated atoms; atomization energies = against the exact ones.",
            figure_png(learning_curves_figure(summary))))
    if drawable(summary, "H2"):
        for window, title in (("full", "full curve"), ("equilibrium", "near equilibrium"),
                              ("long-range", "long range")):
            figures.append(ReportFigure(
                f"h2-{window}", f"H₂ predicted by every run: {title}",
                "Rows: data variant and prior; columns: training-set size N; colour: model size "
                "(seeds share it). Black: the exact reference; dashed: the training data's level "
                "of theory on the same grid, where it could be computed. Hatched: distances "
                "shorter than every H–H pair of the panel's training sets, where any model "
                "extrapolates. Energies relative to the model's own isolated H atoms. Each "
                "panel counts the runs whose H₂ verdict passes.",
                figure_png(h2_curves_figure(summary, window))))
    if drawable(summary, "H2++"):
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


def render_page(summary: SweepSummary, figures: list[ReportFigure], probe_html: str,
                sweep_dir: Path) -> str:
    """The whole HTML page (self-contained)."""
    done = summary.done_runs
    n_failed = len(summary.runs) - len(done)
    figure_html = "".join(_figure_html(f) for f in figures)
    notes = "".join(f"<p class='note'>{_escape(note)}</p>" for note in summary.notes)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>astray: scaling study {_escape(sweep_dir.name)}</title>
<style>{PAGE_STYLE}{STUDY_STYLE}</style></head><body>
<h1>Are neural scaling laws leading quantum chemistry astray? The sweep in
<code>{_escape(sweep_dir)}</code></h1>
<p>{len(done)} finished runs, {n_failed} failed. Errors on molecules are test MAEs in kcal/mol;
H₂ and H₂⁺⁺ errors are against exact references, energies in eV, distances in Å, each H₂ error
in its stated energy convention.
Every number is recomputed from <code>runs/*/result.json</code> by the last command under
Provenance.</p>{notes}
<h2 id='findings'>Findings</h2>{findings_html(summary.findings)}
<p>Computed from the laws below, not written by hand; <code>astray report
{_escape(shlex.quote(str(sweep_dir)))}</code> recomputes them.</p>
<h2 id='figures'>Figures</h2>{figure_html}
{probe_html}
<h2 id='fits'>Fitted laws</h2>
<p>Least squares on log L over the mean of log L at each training size (seeds and data seeds
are the replicates); 95% intervals from Student's t with (sizes − parameters) degrees of
freedom, none from fewer than four sizes. The pure law is tested against the replicates
(lack-of-fit F test) and against a floor (extra-sum-of-squares F test); the decision column
names the law that survived. N: training structures, P: parameters.</p>{laws_table(summary)}
<h2 id='runs'>Runs</h2>{runs_table(done, sweep_dir)}
<h3 id='timings'>Where the runs' time went</h3>{timings_html(done)}
<h2 id='failed'>Failed runs</h2>{failed_runs_html(summary.runs, sweep_dir)}
<h2 id='provenance'>Provenance</h2>{provenance_html(summary, sweep_dir)}
</body></html>"""


def write_report(sweep_dir: str | Path) -> Path:
    """Rebuild ``DIR/scaling.json``, ``DIR/figures/*.png`` and ``DIR/report.html`` from the
    sweep folder; returns the path of the page. A SweepError if the folder has no runs or a
    malformed result.json; an OutputPathError before any work if the folder cannot be written
    (a read-only copy: copy it somewhere writable); a SweepError naming the file if a write
    fails on the way (a full disk: the files written are whole, the others unchanged)."""
    from astray.paths import writable_folder
    from astray.scaling.summary import summarise, write_scaling_json

    sweep_dir = Path(sweep_dir)
    # the page shows exactly what scaling.json says: one summary, computed once
    summary = summarise(sweep_dir)
    writable_folder(sweep_dir, option="astray report", create=False)  # before any figure
    probe_html, probe_figures = probe_section(sweep_dir)
    figures = study_figures(summary)
    figure_dir = sweep_dir / "figures"
    if figure_dir.is_symlink():
        raise SweepError(f"{figure_dir} is a symbolic link: astray writes only into the sweep's "
                         "own folders; replace it with a folder")
    page = render_page(summary, figures, probe_html, sweep_dir)
    path = sweep_dir / "scaling.json"
    try:
        write_scaling_json(sweep_dir, summary)
        path = figure_dir
        figure_dir.mkdir(exist_ok=True)
        for figure in figures + probe_figures:
            path = figure_dir / f"{figure.slug}.png"
            write_bytes_atomic(path, figure.png)
        path = sweep_dir / "report.html"
        # atomically (a reader sees the old page or the new one), replacing a planted link
        return write_text_atomic(path, page)
    except OSError as error:
        raise SweepError(f"cannot write {path} ({error.strerror or error}): free some space or "
                         "copy the sweep folder somewhere writable, then rerun astray report; "
                         "the files already there are whole") from None
