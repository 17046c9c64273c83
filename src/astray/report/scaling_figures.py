"""Figures of a scaling sweep: learning curves with their fitted laws, the predicted H2 curves
against the exact one, and H2++ against Coulomb's law.

Every function takes the :class:`astray.scaling.summary.SweepSummary` of a sweep (its typed
runs, and the laws fitted to them, each carrying its band on a grid, so nothing is refitted
here) and returns a
:class:`matplotlib.figure.Figure` built without pyplot, so no backend or other global state is
touched. The same encoding runs through all of them, so one legend reads them all:

* colour = model size (architecture, width x depth), from the Okabe-Ito palette, which stays
  distinguishable under the common colour-vision deficiencies;
* marker (points) and line style (curves) = architecture;
* panel columns or rows = data variant (the training subset) and physics prior on/off;
* energies in eV, distances in angstrom, test errors in kcal/mol, as in ``result.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from astray.report.figures import (
    EQUILIBRIUM_WINDOW,
    LAST_POINT_MARGIN,
    LONG_RANGE_START,
    full_curve_limits,
    plot_depth_ev,
    window_limits,
)
from astray.scaling.laws import Law
from astray.scaling.records import RunResult
from astray.scaling.summary import SweepSummary
from astray.scaling.targets import TARGETS, run_target, target_info
from astray.systems import get_system
from astray.units import COULOMB_EV_ANGSTROM

#: Okabe & Ito (2008) colours, strongest contrast on white first; yellow last (faint on white).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
             "#F0E442")
#: Marker and line style per architecture (any other model cycles through the spares).
MODEL_MARKERS = {"schnet": "o", "painn": "s"}
MODEL_LINESTYLES = {"schnet": "-", "painn": "-."}
SPARE_MARKERS, SPARE_LINESTYLES = ("^", "D", "v", "P"), (":", (0, (5, 1)), (0, (3, 1, 1, 1)))
MODEL_NAMES = {"schnet": "SchNet", "painn": "PaiNN"}
#: Subset containment, to tell in-distribution test sets from out-of-distribution ones.
SUBSET_PARTS = {"all": {"stable", "distorted", "compressed", "stretched", "normal-mode"},
                "distorted": {"compressed", "stretched", "normal-mode"}}
#: Windows of the H2 grids: name -> (lower, upper) bound as fractions of the nominal bond
#: length; None: the grid's own end.
H2_WINDOWS = {"full": (None, None), "equilibrium": EQUILIBRIUM_WINDOW,
              "long-range": (LONG_RANGE_START, None)}
#: A zoomed panel shows at most this many well depths beyond the reference's own range, so one
#: wild model (walls of +100 eV at 0.2 A) does not flatten every other curve.
ZOOM_CLIP_DEPTHS = 1.0
#: Padding of a zoomed panel around the curves, in well depths: a tenth keeps the lines off the
#: frame and scales with the well, as the clip does.
ZOOM_PAD_DEPTHS = 0.1
#: Smallest |E| the H2++ panels show (eV, 0.02 kcal/mol): smaller values, e.g. the exact zeros
#: of a model beyond its cutoff, sit on the bottom edge instead of stretching the axis over
#: decades that carry no chemistry (measured: 1e-7 eV on a tiny-set model at 5.4 A).
H2PP_FLOOR_EV = 1e-3
#: Panel (axes box) sizes and gaps in inches (at figures.PNG_DPI): 10-point labels stay legible
#: at natural width, and four columns fit a 1,500-pixel page.
PANEL_WIDTH, PANEL_HEIGHT, PANEL_GAP = 3.3, 2.3, 0.22
#: Fixed margins in inches (two-line y labels and ticks on the left; title and column titles on
#: top; ticks and x label at the bottom, above the legend). Fixed margins instead of matplotlib's
#: constrained layout, which took half the drawing time of a 28-panel figure (measured 5.7 of
#: 12 s).
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 1.05, 0.15, 0.75, 0.6
LEGEND_COLUMNS, LEGEND_ROW_HEIGHT = 3, 0.25


@dataclass(frozen=True)
class SizeStyle:
    """How one model size (architecture, width, depth) is drawn everywhere."""

    label: str
    color: str
    marker: str
    linestyle: str | tuple


def variant_key(run: RunResult) -> tuple[str, bool, str]:
    """(training subset, prior, baseline) of a run: the data variant, physics prior and
    physical baseline it was trained with ("" for no baseline, so variants sort)."""
    return run.subset, bool(run.prior), run.baseline or ""


def variant_label(variant: tuple) -> str:
    subset, prior, *rest = variant
    baseline = rest[0] if rest else ""
    return (f"trained on {subset}, prior {'on' if prior else 'off'}"
            + (f", baseline {baseline}" if baseline else ""))


def size_key(run: RunResult) -> tuple[str, int, int]:
    return run.model, int(run.hidden), int(run.interactions)


def parameter_count_text(count: float) -> str:
    """12345 -> '12.3k', 3258241 -> '3.26M'."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if count >= scale:
            return f"{count / scale:.3g}{suffix}"
    return f"{count:.0f}"


def size_styles(runs: Iterable[RunResult]) -> dict[tuple[str, int, int], SizeStyle]:
    """One style per model size, coloured in order of parameter count."""
    params: dict[tuple, list[float]] = {}
    for run in runs:
        params.setdefault(size_key(run), []).append(run.n_params or 0)
    order = sorted(params, key=lambda key: (np.median(params[key]), key))
    models = sorted({key[0] for key in order})
    spare = {model: i for i, model in enumerate(m for m in models if m not in MODEL_MARKERS)}
    styles = {}
    for index, key in enumerate(order):
        model, hidden, interactions = key
        marker = MODEL_MARKERS.get(model) or SPARE_MARKERS[spare[model] % len(SPARE_MARKERS)]
        linestyle = (MODEL_LINESTYLES.get(model)
                     or SPARE_LINESTYLES[spare[model] % len(SPARE_LINESTYLES)])
        label = (f"{MODEL_NAMES.get(model, model)} {hidden}×{interactions} "
                 f"(P = {parameter_count_text(float(np.median(params[key])))})")
        styles[key] = SizeStyle(label, OKABE_ITO[index % len(OKABE_ITO)], marker, linestyle)
    return styles


def plain_number(value: float, _position=None) -> str:
    """Tick label without exponents: 0.02, 5, 1,000."""
    return f"{value:,.0f}" if value >= 1 and value == round(value) else f"{value:g}"


def readable_log_axes(ax: Axes) -> None:
    """Plain-number ticks on both log axes of ``ax``: at 1, 2 and 5 per decade where the axis
    spans under three decades (else one per decade), and no minor ticks, whose labels overlap
    on short axes (and whose layout took most of the drawing time: 60% of 39 s, measured).
    An axis spanning less than a decade is widened to one around its centre, so equal values
    (a flat error) still get ticks."""
    for axis, get, set_limits in ((ax.xaxis, ax.get_xlim, ax.set_xlim),
                                  (ax.yaxis, ax.get_ylim, ax.set_ylim)):
        limits = get()
        decades = np.log10(max(limits) / max(min(limits), 1e-300))
        if 0 < min(limits) and decades < 1:
            centre = np.sqrt(limits[0] * limits[1])
            set_limits(centre / np.sqrt(10), centre * np.sqrt(10))
            decades = 1.0
        axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5) if decades < 3 else (1,)))
        axis.set_major_formatter(FuncFormatter(plain_number))
        axis.set_minor_locator(NullLocator())


def target_label(target: str) -> str:
    """Axis label of a fitted target, with its unit and, for H2, its energy convention."""
    info = target_info(target)
    convention = {"shape": ", own atoms", "atomization": ""}.get(info.convention, "")
    return f"{info.label} ({info.unit}{convention})"


def ordered_targets(summary: SweepSummary) -> list[str]:
    """Targets of the laws: the molecule test sets first, then the H2 and H2++ errors."""
    names = {law.target for law in summary.laws}
    tests = sorted(t for t in names if t.startswith("test_mae:"))
    others = sorted(names - set(tests) - set(TARGETS))
    return tests + [t for t in TARGETS if t in names] + others


def in_distribution(train_subset: str, test_subset: str) -> bool:
    """Whether every structure kind of the test subset is among the training subset's."""
    return test_subset == train_subset or test_subset in SUBSET_PARTS.get(train_subset, ())


def _law_of(summary: SweepSummary, target: str, variant: tuple,
            size: tuple) -> Law | None:
    subset, prior, baseline = variant
    model, hidden, interactions = size
    return next((law for law in summary.laws if law.target == target
                 and (law.group["subset"], bool(law.group["prior"]),
                      law.group.get("baseline") or "", law.group["model"],
                      law.group["hidden"], law.group["interactions"])
                 == (subset, prior, baseline, model, hidden, interactions)), None)


def law_label(law: Law) -> str | None:
    """The legend entry of a law: its exponent with the 95% interval, and what its tests say
    of the form; None where nothing was fitted."""
    assessment = law.assessment
    if assessment is None or assessment.alpha is None:
        return None
    low, high = assessment.alpha_ci95
    text = f"α = {assessment.alpha:.2f} [{low:.2f}, {high:.2f}]"
    fit = law.fit(assessment.direction_form)
    if "L_inf" in fit.params:
        text += f", L∞ = {fit.params['L_inf']:.3g}"
    return text + {"power law": "", "power law with floor": " (floor)",
                   "not a power law": " (law rejected)", "untested": " (untested)"}[
        assessment.shape]


def _learning_panel(ax: Axes, summary: SweepSummary, runs: list[RunResult], target: str,
                    variant: tuple, styles: dict) -> None:
    missing = 0
    for size, style in styles.items():
        members = [run for run in runs if size_key(run) == size]
        points = [(run.n_train, run_target(run, target)[0]) for run in members]
        missing += sum(v is None or not v > 0 for _, v in points)
        points = [(n, v) for n, v in points if v is not None and v > 0]
        if not points:
            continue
        n, v = np.array(points, float).T
        ax.scatter(n, v, s=14, color=style.color, marker=style.marker, alpha=0.35, lw=0)
        sizes = np.unique(n)
        groups = [v[n == size_n] for size_n in sizes]
        mean = np.array([g.mean() for g in groups])
        spread = np.array([[m - g.min(), g.max() - m] for m, g in zip(mean, groups)]).T
        ax.errorbar(sizes, mean, yerr=spread, color=style.color, marker=style.marker, ms=6,
                    ls="none", capsize=3, lw=1.2)
        law = _law_of(summary, target, variant, size)
        label = None if law is None else law_label(law)
        if label is None:
            continue
        band = law.fit(law.assessment.direction_form).band
        grid = np.asarray(band["n"], float)
        ax.plot(grid, np.asarray(band["center"], float), color=style.color, lw=1.5,
                ls="-" if law.assessment.shape == "power law" else "--", label=label)
        ax.fill_between(grid, np.asarray(band["low"], float), np.asarray(band["high"], float),
                        color=style.color, alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    notes = [f"{missing} run{'s' * (missing != 1)} without a value"] if missing else []
    if target.startswith("test_mae:"):
        test_subset = target.split(":", 1)[1]
        notes.insert(0, "in-distribution" if in_distribution(variant[0], test_subset)
                     else "out-of-distribution")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best", title="\n".join([*notes, "fitted law, 95%"]),
                  title_fontsize=8, alignment="left")
    elif notes:
        ax.text(0.03, 0.04, "\n".join(notes), transform=ax.transAxes, fontsize=8, color="#444")


def _panel_grid(rows: int, cols: int, title: str, styles: dict,
                extra: list[tuple[Line2D, str]], sharey) -> tuple[Figure, np.ndarray]:
    """A figure of rows x cols panels of PANEL_WIDTH x PANEL_HEIGHT inches, sharing x (and y as
    ``sharey`` says), titled, with one legend below: the model sizes, then ``extra``."""
    entries = [(Line2D([], [], color=s.color, marker=s.marker, ls=s.linestyle, lw=1.5), s.label)
               for s in styles.values()] + extra
    bottom = MARGIN_BOTTOM + LEGEND_ROW_HEIGHT * -(-len(entries) // LEGEND_COLUMNS)
    width = MARGIN_LEFT + MARGIN_RIGHT + cols * PANEL_WIDTH + (cols - 1) * PANEL_GAP
    height = MARGIN_TOP + bottom + rows * PANEL_HEIGHT + (rows - 1) * PANEL_GAP
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=MARGIN_LEFT / width, right=1 - MARGIN_RIGHT / width,
                        top=1 - MARGIN_TOP / height, bottom=bottom / height,
                        wspace=PANEL_GAP / PANEL_WIDTH, hspace=PANEL_GAP / PANEL_HEIGHT)
    axes = fig.subplots(rows, cols, sharex=True, sharey=sharey, squeeze=False)
    fig.suptitle(title, fontsize=12, y=1 - 0.12 / height, va="top")
    fig.legend([h for h, _ in entries], [label for _, label in entries], loc="lower center",
               bbox_to_anchor=(0.5, 0.05 / height), ncol=LEGEND_COLUMNS, fontsize=9,
               frameon=False)
    return fig, axes


def learning_curves_figure(summary: SweepSummary) -> Figure:
    """Log-log learning curves: rows = targets, columns = data variant x prior.

    Faint markers are single runs (seeds); bold markers their mean with the min-max range over
    seeds; lines the law each size's tests chose (solid: a power law, dashed: a floor or a law
    the data reject) with its pointwise 95% band, both as the law carries them (the fit's own
    t band on its grid: nothing is refitted here).
    Rows share the error axis, so the variants compare at a glance.
    """
    runs = summary.done_runs
    targets = ordered_targets(summary)
    variants = sorted({variant_key(run) for run in runs})
    styles = size_styles(runs)
    extra = [(Line2D([], [], color="grey", marker="o", alpha=0.35, ls="none"), "one run (seed)"),
             (Line2D([], [], color="grey", marker="o", ls="none"), "mean, bar: min–max of seeds"),
             (Line2D([], [], color="grey", lw=6, alpha=0.3), "fitted law, band: 95% (t)"),
             (Line2D([], [], color="grey", ls="--"), "dashed: floor, or pure law rejected")]
    fig, axes = _panel_grid(len(targets), len(variants),
                            "Learning curves: error against training-set size (log-log)",
                            styles, extra, sharey="row")
    for row, target in enumerate(targets):
        for col, variant in enumerate(variants):
            ax = axes[row][col]
            members = [run for run in runs if variant_key(run) == variant]
            _learning_panel(ax, summary, members, target, variant, styles)
            if row == 0:
                ax.set_title(variant_label(variant), fontsize=10)
            if col == 0:
                ax.set_ylabel(target_label(target), fontsize=9)
            if row == len(targets) - 1:
                ax.set_xlabel("training structures N")
    for ax in axes.flat:
        readable_log_axes(ax)
    return fig


def drawable(summary: SweepSummary, system: str) -> list[RunResult]:
    """Finished runs whose probe of ``system`` carries its curve arrays (others are counted
    in the summary's notes)."""
    return [run for run in summary.done_runs
            if run.probe_of(system) is not None and run.probe[system].has_curve]


def _reference_curves(runs: list[RunResult], system: str) -> tuple[
        np.ndarray, np.ndarray, str, list[tuple[str, np.ndarray]]]:
    """(r, reference energy, reference method, [(label, level-of-theory energy)]) of a system,
    from the runs' probes (one curve per distinct level of theory)."""
    first = runs[0].probe[system]
    levels = {}
    for run in runs:
        probe = run.probe[system]
        if probe.level_of_theory_energy_ev is not None:
            label = f"{probe.level_of_theory_method}: level of theory of the training data"
            levels.setdefault(label, probe.level_of_theory_energy_ev)
    return (first.r_angstrom, first.reference_energy_ev, first.reference_method or "reference",
            list(levels.items()))


def _variant_by_n_grid(summary: SweepSummary, system: str, title: str,
                       axis_labels: tuple[str, str],
                       draw: Callable[[Axes, list[RunResult], dict], None],
                       reference_handles: list[tuple[Line2D, str]]) -> Figure:
    """Rows = data variant x prior, columns = N; ``draw(ax, runs_of_the_cell, styles)``;
    ``axis_labels``: (x label, y label) with units."""
    runs = drawable(summary, system)
    variants = sorted({variant_key(run) for run in runs})
    sizes_n = sorted({run.n_train for run in runs})
    styles = size_styles(runs)
    fig, axes = _panel_grid(len(variants), len(sizes_n), title, styles, reference_handles,
                            sharey=True)
    for row, variant in enumerate(variants):
        for col, n_train in enumerate(sizes_n):
            ax = axes[row][col]
            cell = [run for run in runs if variant_key(run) == variant
                    and run.n_train == n_train]
            draw(ax, cell, styles)
            passed = sum(run.probe[system].passed for run in cell)
            ax.text(0.97, 0.95, f"{system} pass: {passed}/{len(cell)}", transform=ax.transAxes,
                    ha="right", va="top", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
            if row == 0:
                ax.set_title(f"N = {n_train:,}", fontsize=10)
            if col == 0:
                ax.set_ylabel(f"{variant_label(variant)}\n{axis_labels[1]}", fontsize=9)
            if row == len(variants) - 1:
                ax.set_xlabel(axis_labels[0])
    return fig


def shortest_h_h(runs: Iterable[RunResult]) -> float | None:
    """The shortest H-H distance (angstrom) in any of these runs' training sets; None where no
    run recorded its pair distances."""
    spans = [run.pair_distances_angstrom.get("H-H", (np.inf, np.inf)) for run in runs
             if run.pair_distances_angstrom is not None]
    return min(span[0] for span in spans) if spans else None


def h2_curves_figure(summary: SweepSummary, window: str = "full") -> Figure:
    """Predicted H2 curves of every run (seeds share their size's colour) against the exact
    reference (black) and the training data's level of theory (dashed), in one of
    :data:`H2_WINDOWS`; rows = data variant x prior, columns = N. Hatched: distances shorter
    than any H-H pair of the panel's training sets (pure extrapolation)."""
    system = get_system("H2")
    runs = drawable(summary, "H2")
    r, reference, method, levels = _reference_curves(runs, "H2")
    depth = plot_depth_ev(reference)
    low_factor, high_factor = H2_WINDOWS[window]
    r_low = r.min() if low_factor is None else low_factor * system.r_nominal
    r_high = r.max() if high_factor is None else high_factor * system.r_nominal
    if window == "full":
        y_limits = full_curve_limits(depth)
    else:
        predictions = [run.probe["H2"].energy_ev for run in runs]
        inside = (r >= r_low) & (r <= r_high)
        y_limits = window_limits(r, [reference, *predictions, *(e for _, e in levels)],
                                 r_low, r_high, ZOOM_PAD_DEPTHS * depth)
        y_limits = (max(y_limits[0], np.nanmin(reference[inside]) - ZOOM_CLIP_DEPTHS * depth),
                    min(y_limits[1], np.nanmax(reference[inside]) + ZOOM_CLIP_DEPTHS * depth))

    def draw(ax, cell, styles):
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.plot(r, reference, color="black", lw=2.5)
        for _, energy in levels:
            ax.plot(r, energy, color="#555", ls="--", lw=1.3)
        shortest = shortest_h_h(cell)
        if shortest is not None and shortest > r_low:
            ax.axvspan(r_low, min(shortest, r_high), facecolor="none", edgecolor="#bbb",
                       hatch="//", lw=0)
        for run in cell:
            style = styles[size_key(run)]
            ax.plot(r, run.probe["H2"].energy_ev, color=style.color,
                    ls=style.linestyle, lw=1.1, alpha=0.85)
        ax.set_xlim(r_low, r_high * LAST_POINT_MARGIN if high_factor is None else r_high)
        ax.set_ylim(*y_limits)
        ax.grid(True, alpha=0.3)

    handles = [(Line2D([], [], color="black", lw=2.5), f"exact reference ({method})")]
    handles += [(Line2D([], [], color="#555", ls="--", lw=1.3), label) for label, _ in levels]
    if shortest_h_h(runs) is not None:
        handles.append((Patch(facecolor="none", edgecolor="#bbb", hatch="//"),
                        "shorter than every H–H pair in training"))
    names = {"full": "full curve", "equilibrium": "near equilibrium",
             "long-range": "long range"}
    return _variant_by_n_grid(summary, "H2", f"Predicted H₂ curves, {names[window]}",
                              ("r (Å)", "E(H₂) − 2 E(H), model's own H (eV)"), draw,
                              handles)


def h2pp_coulomb_figure(summary: SweepSummary) -> Figure:
    """|E| of two bare protons against r on log-log axes, with Coulomb's law 14.3996/r eV (exact,
    slope -1). Open markers are points with E <= 0, drawn at |E| (Coulomb's law is violated
    there in sign, not only in size); |E| below H2PP_FLOOR_EV is drawn on the bottom edge;
    rows = data variant x prior, columns = N."""
    runs = drawable(summary, "H2++")
    r, _, _, _ = _reference_curves(runs, "H2++")

    def draw(ax, cell, styles):
        ax.plot(r, COULOMB_EV_ANGSTROM / r, color="black", lw=2.5)
        for run in cell:
            style = styles[size_key(run)]
            energy = run.probe["H2++"].energy_ev
            shown = np.maximum(np.abs(energy), H2PP_FLOOR_EV)
            ax.plot(r, shown, color=style.color, ls=style.linestyle, lw=1.0, alpha=0.8)
            positive, negative = energy > 0, energy <= 0
            ax.plot(r[positive], shown[positive], ls="none", marker=style.marker, ms=3,
                    color=style.color)
            ax.plot(r[negative], shown[negative], ls="none", marker=style.marker, ms=5,
                    mfc="white", color=style.color)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(bottom=H2PP_FLOOR_EV / 1.5)
        ax.grid(True, which="major", alpha=0.3)

    handles = [(Line2D([], [], color="black", lw=2.5),
                f"Coulomb {COULOMB_EV_ANGSTROM:.4f}/r eV (exact)"),
               (Line2D([], [], color="grey", marker="o", ls="none", mfc="white"),
                "open marker: E ≤ 0, drawn at |E|"),
               (Line2D([], [], ls="none"), f"bottom edge: |E| < {H2PP_FLOOR_EV:g} eV")]
    fig = _variant_by_n_grid(summary, "H2++", "H₂⁺⁺ (two bare protons) against Coulomb's law, "
                             "log-log", ("r (Å)", "|E(H₂⁺⁺) − 2 E(H⁺)| (eV)"), draw, handles)
    for ax in fig.axes:
        readable_log_axes(ax)
    return fig
