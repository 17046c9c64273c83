"""The tables ``astray curves`` prints on a terminal (rich, 80 columns): verdicts and errors,
the references with their tier of truth and constants, and each model against its own level of
theory. Energies in kcal/mol (curves.json keeps eV)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from astray.report.columns import METRIC_COLUMNS, SHORT_GRADES
from astray.units import EV_KCAL_MOL


def number_cell(value, scale: float = 1.0, spec: str = "{:.2f}") -> str:
    return "–" if value is None else spec.format(value * scale)


def kcal_cell(value_ev, spec: str = "{:.2f}") -> str:
    """An energy (eV) in kcal/mol; 10,000 and more in exponent form, to keep columns narrow."""
    if value_ev is not None and abs(value_ev * EV_KCAL_MOL) >= 1e4:
        spec = "{:.2e}"
    return number_cell(value_ev, EV_KCAL_MOL, spec)


def terminal_table(title: str) -> Table:
    """A table for 80 columns: a rule under the header, columns two spaces apart, no frame."""
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))


def curves_summary(result: dict) -> Group:
    """What ``astray curves`` prints: verdicts and errors, the references' own constants, each
    model against its own level of theory, gaps in the drawn curves, and the meaning of every
    failure name shown. Fits 80 columns: long names wrap, failure names are never cut."""
    from astray.report.html import curve_gaps, failure_glossary

    curves = result["curves"]
    verdicts = terminal_table("verdicts; errors against the reference in kcal/mol (figures and "
                      "curves.json: eV)")
    verdicts.add_column("potential", overflow="fold", min_width=10)
    verdicts.add_column("system", overflow="fold", min_width=6)
    longest = max((len(name) for curve in curves for name in curve["failures"]), default=4)
    verdicts.add_column("verdict: failures", min_width=longest, no_wrap=True)
    columns = [c for c in METRIC_COLUMNS if c.terminal]
    for column in columns:
        verdicts.add_column(column.terminal, justify="right", no_wrap=True)
    verdicts.add_column("grade", no_wrap=True)
    for curve in curves:
        outcome = ("[green]pass[/]" if curve["verdict"] == "pass"
                   else "[red]" + "\n".join(curve["failures"] or ["fail"]) + "[/]")
        verdicts.add_row(curve["potential"], curve["system"], outcome,
                         *_metric_cells(columns, curve["metrics"]), SHORT_GRADES[curve["grade"]])
        aligned = curve.get("metrics_aligned_at_largest_r")
        if aligned:  # shape only, for a model whose fragment energies mean nothing (SO3LR)
            verdicts.add_row("", "", "aligned at largest r", *_metric_cells(columns, aligned), "")
    parts = [verdicts, _reference_table(result), _level_of_theory_table(curves)]
    notes = [gap for system in result["systems"] for gap in curve_gaps(
        [c for c in curves if c["system"] == system["name"]]) if any(
        c["system"] == system["name"] for c in curves)]
    glossary = failure_glossary()
    shown = [name for name in glossary if any(name in c["failures"] for c in curves)]
    notes += [f"{name}: {glossary[name]}" for name in shown]
    return Group(*(part for part in parts if part is not None),
                 *(Text(note, overflow="fold") for note in notes))


def _metric_cells(columns, metrics: dict) -> list[str]:
    return [kcal_cell(column.value(metrics), column.spec) if column.energy
            else number_cell(column.value(metrics), 1.0, column.spec) for column in columns]


def _reference_table(result: dict) -> Table:
    """Each system's reference method and its own r_e, D_e and omega_e."""
    table = terminal_table("references (errors above are measured from these)")
    for header, justify in (("system", "left"), ("tier of truth", "left"), ("method", "left"),
                            ("r_e Å", "right"), ("D_e kcal/mol", "right"),
                            ("ω_e cm⁻¹", "right")):
        table.add_column(header, justify=justify, overflow="fold")
    tiers = {ref["system"]: (ref.get("provenance") or {}).get("tier", "–")
             for ref in result.get("references") or []}
    for system in result["systems"]:
        curve = next((c for c in result["curves"] if c["system"] == system["name"]), None)
        if curve is None:
            continue
        m, measured = curve["metrics"], curve.get("experiment")
        if curve["reference_method"] == "none" and measured:  # no curve: the measured constants
            values = (measured["r_e_angstrom"], measured["d_e_ev"], measured["omega_e_cm1"])
        else:
            values = (m["reference_r_e_angstrom"], m["reference_d_e_ev"],
                      m["reference_omega_e_cm1"])
        table.add_row(system["name"], tiers.get(system["name"], "–"), curve["reference_method"],
                      number_cell(values[0], 1.0, "{:.4f}"), kcal_cell(values[1]),
                      number_cell(values[2], 1.0, "{:.0f}"))
    return table


def _level_of_theory_table(curves: list[dict]) -> Table | None:
    """MAE (kcal/mol) of each model against the reference and against its own training level
    of theory, and of that level against the reference: model or functional at fault?"""
    split = [c for c in curves if c.get("level_of_theory")]
    if not split:
        return None
    table = terminal_table("model against its own level of theory (MAE, kcal/mol)")
    for header in ("potential", "system", "level of theory"):
        table.add_column(header, overflow="fold")
    for header in ("model vs ref.", "model vs level", "level vs ref."):
        table.add_column(header, justify="right")
    for curve in split:
        lot = curve["level_of_theory"]
        table.add_row(curve["potential"], curve["system"], lot["method"],
                      kcal_cell(curve["metrics"]["mae_ev"]),
                      kcal_cell(lot["metrics_model_vs_level_of_theory"]["mae_ev"]),
                      kcal_cell(lot["metrics_level_of_theory_vs_reference"]["mae_ev"]))
    return table


#: Options that belong to the ``--potential`` written before them on the command line.
