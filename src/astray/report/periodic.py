"""The periodic table of diatomics: one cell per element, its X2 curve drawn small against the
reference, the cell coloured by the verdict and the grade (issue 18, item 4).

Built without pyplot (a :class:`matplotlib.figure.Figure`, no backend or other global state), as
:mod:`astray.report.figures` builds its figures. The table has 18 columns, the lanthanides and
actinides in two rows below it. A cell is

* coloured by verdict and grade (:data:`CELL_COLOURS`): a pass in green (dark at chemical
  accuracy, light within 5 kcal/mol), yellow for a pass whose numbers are worse, pale blue for a
  pass without a grade (no reference to grade against), red for a fail;
* grey with "gap" for an element the model was asked for and does not cover (a coverage gap: no
  usable energy, e.g. an element it does not declare);
* marked "no ref" (and drawn without the black reference line) where the molecule has no
  reference curve;
* left white, its symbol faint, for an element not asked for.

The curve of a cell is E(X2) - 2 E(X) in eV against r in angstrom, the reference black, the model
dark blue; its window runs from the grid's start to three times the reference's (else the
model's) lowest point, its height from -1.6 to +2.5 well depths (as the full-curve panels of
:mod:`astray.report.figures`), so every cell shows its well and the foot of its wall.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from ase.data import atomic_numbers, chemical_symbols
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import Patch, Rectangle

from astray.report.figures import full_curve_limits, plot_depth_ev, values_array

#: Cell colours by (verdict, grade); a fail is red whatever its grade.
CELL_COLOURS = {
    ("pass", "chemical accuracy"): "#1a9850",
    ("pass", "within 5 kcal/mol"): "#a6d96a",
    ("pass", "worse"): "#fee08b",
    ("pass", "ungraded"): "#d1e5f0",
    "fail": "#f46d43",
}
#: A coverage gap, and a cell not asked for.
GAP_COLOUR, NOT_ASKED_COLOUR = "#bdbdbd", "#ffffff"
MODEL_COLOUR, REFERENCE_COLOUR = "#08306b", "#000000"
#: Size of one cell in inches; the table is 18 cells wide and 9.5 high (7 periods, half a cell
#: of gap, the lanthanides and actinides), with one cell of title and legend above.
CELL_INCHES = 0.95
N_COLUMNS, N_ROWS = 18, 10.5
#: The window of a cell's curve: from the grid's start to this many times the r of the lowest
#: point of the reference (else of the model).
WINDOW_R_MINIMA = 3.0
#: The legend's place: the empty top of the d block, periods 1 to 3, groups 3 to 12.
LEGEND_CELLS = (2, 12)


def table_position(z: int) -> tuple[float, int]:
    """(row, column) of element ``z`` in the 18-column table, 0-based from the top left; the
    lanthanides (La-Lu) and actinides (Ac-Lr) in rows 7.5 and 8.5 below the seven periods."""
    if not 1 <= z <= 118:
        raise ValueError(f"no element with atomic number {z}")
    if z <= 2:
        return 0, 0 if z == 1 else 17
    for period, (start, end) in enumerate(((3, 10), (11, 18)), start=1):
        if start <= z <= end:
            k = z - start
            return period, k if k < 2 else k + 10
    for period, start in ((3, 19), (4, 37)):
        if start <= z < start + 18:
            return period, z - start
    for period, start, f_row in ((5, 55, 7.5), (6, 87, 8.5)):
        if start <= z < start + 32:
            k = z - start
            if k < 2:
                return period, k
            if k < 17:  # La-Lu, Ac-Lr: the f rows, from the third column on
                return f_row, k
            return period, k - 14
    raise AssertionError(z)  # pragma: no cover


def homonuclear_element(record: dict[str, Any]) -> str | None:
    """The element X of a record of the neutral molecule X2 (``spec`` ``"X-X,..."``), else None."""
    first, _, second = record["spec"].split(",")[0].partition("-")
    return first if first == second and record.get("charge", 0) == 0 else None


def _records(curves: Iterable[Any]) -> list[dict[str, Any]]:
    """curves.json records, from records or :class:`~astray.probes.results.CurveResult`\\ s."""
    return [c if isinstance(c, dict) else c.to_json() for c in curves]


def periodic_table_figure(curves: Iterable[Any], *, elements: Sequence[str] | None = None,
                          potentials: Sequence[str] | None = None) -> Figure:
    """The periodic table of the homonuclear X2 curves in ``curves`` (records of
    ``curves.json`` or CurveResults; other molecules are ignored), one table per potential,
    stacked, in ``potentials``' order (default: the order of the records).

    ``elements``: the elements asked for (default: every element with a record); one asked for
    and without a usable curve of a potential is that potential's coverage gap.
    """
    records = [r for r in _records(curves) if homonuclear_element(r) is not None]
    names = list(potentials or dict.fromkeys(r["potential"] for r in records))
    if not names:
        raise ValueError("no homonuclear X2 curve to draw a periodic table of")
    asked = list(dict.fromkeys(elements or (homonuclear_element(r) for r in records)))
    unknown = [e for e in asked if e not in atomic_numbers or atomic_numbers[e] == 0]
    if unknown:
        raise ValueError(f"not elements: {', '.join(unknown)}")
    fig = Figure(figsize=(N_COLUMNS * CELL_INCHES, N_ROWS * CELL_INCHES * len(names)))
    panels = [fig] if len(names) == 1 else list(fig.subfigures(len(names), 1))
    for panel, name in zip(panels, names):
        mine = {homonuclear_element(r): r for r in records if r["potential"] == name}
        _draw_table(panel, name, mine, asked)
    return fig


def _usable(energy: np.ndarray) -> bool:
    return bool(np.isfinite(energy).any())


def _cell_colour(record: dict[str, Any] | None) -> str:
    if record is None or not _usable(values_array(record["energy_ev"])):
        return GAP_COLOUR
    if record["verdict"] != "pass":
        return CELL_COLOURS["fail"]
    return CELL_COLOURS.get(("pass", record["grade"]), CELL_COLOURS[("pass", "ungraded")])


def _draw_table(panel: FigureBase, name: str, records: dict[str, dict[str, Any]],
                asked: list[str]) -> None:
    """One potential's table on ``panel`` (a Figure or SubFigure), in panel coordinates."""
    width, height = 1.0 / N_COLUMNS, 1.0 / N_ROWS

    def rect(row: float, col: int) -> tuple[float, float, float, float]:
        """(left, bottom, width, height) of a cell, one row of title above the table."""
        return col * width, 1.0 - (row + 2.0) * height, width, height

    background = panel.add_axes((0, 0, 1, 1))
    background.set_axis_off()
    background.set_xlim(0, 1)
    background.set_ylim(0, 1)
    counts = {"pass": 0, "fail": 0, "gap": 0}
    for z in range(1, 119):
        symbol = chemical_symbols[z]
        row, col = table_position(z)
        left, bottom, w, h = rect(row, col)
        record = records.get(symbol)
        if symbol not in asked and record is None:
            background.add_patch(Rectangle((left, bottom), w, h, facecolor=NOT_ASKED_COLOUR,
                                           edgecolor="#e0e0e0", lw=0.5))
            background.text(left + 0.08 * w, bottom + 0.9 * h, symbol, fontsize=7,
                            color="#c0c0c0", va="top")
            continue
        colour = _cell_colour(record)
        counts["gap" if colour == GAP_COLOUR else
               ("pass" if record["verdict"] == "pass" else "fail")] += 1
        if colour == GAP_COLOUR:
            background.add_patch(Rectangle((left, bottom), w, h, facecolor=GAP_COLOUR,
                                           edgecolor="white", lw=1.0))
            background.text(left + 0.08 * w, bottom + 0.9 * h, symbol, fontsize=8,
                            fontweight="bold", color="#555555", va="top")
            background.text(left + 0.5 * w, bottom + 0.35 * h, "gap", fontsize=7,
                            color="#555555", ha="center", va="center")
            continue
        _draw_cell(panel.add_axes((left + 0.04 * w, bottom + 0.04 * h, 0.92 * w, 0.92 * h)),
                   symbol, record, colour)
    for z, label in ((57, "La–Lu"), (89, "Ac–Lr")):  # where the f rows belong
        left, bottom, w, h = rect(5 if z == 57 else 6, 2)
        background.text(left + 0.5 * w, bottom + 0.5 * h, label, fontsize=7, ha="center",
                        va="center", color="#888888")
    total = sum(counts.values())
    panel.suptitle(f"{name}: X₂ curves, E(X₂) − 2E(X) (eV) against r (Å); "
                   f"{counts['pass']} pass, {counts['fail']} fail, {counts['gap']} not covered "
                   f"of {total} asked", fontsize=13, y=1.0 - 0.35 * height)
    legend = [Patch(facecolor=CELL_COLOURS[("pass", "chemical accuracy")],
                    label="pass, chemical accuracy"),
              Patch(facecolor=CELL_COLOURS[("pass", "within 5 kcal/mol")],
                    label="pass, within 5 kcal/mol"),
              Patch(facecolor=CELL_COLOURS[("pass", "worse")], label="pass, numbers worse"),
              Patch(facecolor=CELL_COLOURS[("pass", "ungraded")], label="pass, ungraded"),
              Patch(facecolor=CELL_COLOURS["fail"], label="fail (a named failure)"),
              Patch(facecolor=GAP_COLOUR, label="gap: not covered by the model"),
              Patch(facecolor="white", edgecolor="#999999", hatch="///",
                    label="no ref: no reference curve")]
    first, last = LEGEND_CELLS  # centred in the empty block of periods 1-3 there
    background.legend(handles=legend + [
        background.plot([], [], color=REFERENCE_COLOUR, lw=1.2, label="reference")[0],
        background.plot([], [], color=MODEL_COLOUR, lw=1.2, label=name)[0]],
        loc="center", bbox_to_anchor=((first + last) / 2 * width, 1.0 - 2.5 * height),
        ncol=3, fontsize=9, frameon=False, borderaxespad=0.0)


def _draw_cell(ax, symbol: str, record: dict[str, Any], colour: str) -> None:
    """The small curve of one element on its coloured cell."""
    r = values_array(record["r_angstrom"])
    energy = values_array(record["energy_ev"])
    reference = values_array(record["reference_energy_ev"])
    has_reference = _usable(reference) and record.get("reference_method") != "none"
    ax.set_facecolor(colour)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("white")
    shape = reference if has_reference else energy
    ax.axhline(0.0, color="#666666", lw=0.4)
    if has_reference:
        ax.plot(r, reference, color=REFERENCE_COLOUR, lw=1.0)
    ax.plot(r, energy, color=MODEL_COLOUR, lw=1.0)
    finite = np.isfinite(shape)
    lowest = float(r[finite][np.argmin(shape[finite])])
    ax.set_xlim(float(np.nanmin(r)), min(float(np.nanmax(r)), WINDOW_R_MINIMA * lowest))
    ax.set_ylim(*full_curve_limits(plot_depth_ev(shape)))
    ax.text(0.06, 0.94, symbol, transform=ax.transAxes, fontsize=9, fontweight="bold",
            va="top")
    if not has_reference:
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False,
                               hatch="///", edgecolor="#999999", lw=0))
        ax.text(0.94, 0.94, "no ref", transform=ax.transAxes, fontsize=6, ha="right",
                va="top", color="#444444")
