"""``curves.html``: one self-contained page (figures inlined as base64 PNG, no external asset) with
the figures, the reference's own r_e, D_e and omega_e, the metrics and verdicts, each model
against its own training level of theory, a glossary of the failure names with their thresholds,
and the provenance (versions, weights hashes, reference methods); it opens offline.

Energies in the tables are in kcal/mol with eV beside them (eV is the unit of the figures and of
``curves.json``). The glossary is written from the failure rules the verdict loops over
(:mod:`astray.probes.rules`) and their thresholds, so it cannot drift from what the verdict does.

Every value that comes from a result (a file, in ``astray report``) is written through
:func:`escape`, numbers included (:func:`_cell` writes a string where a number belongs as
escaped text), and every attribute is quoted: a ``curves.json`` or ``result.json`` cannot put
markup or script on the page. The study report (:mod:`astray.report.study`) uses the same
helper.
"""

from __future__ import annotations

import base64
import html
import json
import numbers
import re
from collections.abc import Sequence
from pathlib import Path

from astray.jsonio import write_text_atomic
from astray.probes import thresholds
from astray.probes.rules import RULES, FailureRule
from astray.report.columns import METRIC_COLUMNS
from astray.units import EV_KCAL_MOL

#: Header suffix of an energy column.
ENERGY_UNITS = " kcal/mol (eV)"

PAGE_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1500px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.3em 0.6em;text-align:right}
th{background:#f0f0f0} td.l{text-align:left}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
img{max-width:100%} code{background:#f6f6f6;padding:0 0.2em}
"""


def png_data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, so a page carries its figures and opens offline."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def escape(value) -> str:
    """Any value as HTML text, safe between tags and inside a quoted attribute (both quote
    characters are escaped). Every string that comes from a file goes through here."""
    return html.escape(str(value), quote=True)


def _cell(value, energy: bool, fmt: str) -> str:
    """A metric as HTML text: numbers in ``fmt`` (energies in kcal/mol with eV beside them),
    yes/no, a dash for none; anything else (a string where a number belongs, in a file) as
    escaped text, never formatted or passed through."""
    if value is None:
        return "–"
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's too
        return "yes" if value else "no"
    if not isinstance(value, numbers.Real):
        return escape(value)
    if energy:
        return escape(f"{fmt.format(value * EV_KCAL_MOL)} "
                      f"({value:{'+' if '+' in fmt else ''}.3g})")
    return escape(fmt.format(value))


def _header(title: str, energy: bool) -> str:
    return f"<th>{escape(title)}{ENERGY_UNITS if energy else ''}</th>"


def _verdict_cell(verdict) -> str:
    """The verdict, coloured by its class where it is one astray writes."""
    css = f" class='{verdict}'" if verdict in ("pass", "fail") else ""
    return f"<td{css}>{escape(verdict)}</td>"


def metrics_table(records: list[dict]) -> str:
    """The verdicts, failures and metrics of curves.json records, one row per potential."""
    head = "".join(_header(c.header, c.energy) for c in METRIC_COLUMNS) + "<th>grade</th>"
    rows = []
    for rec in records:
        blind = " (charge/spin-blind here)" if rec["blind_to_this_system"] else ""
        cells = "".join(f"<td>{_cell(c.value(rec['metrics']), c.energy, c.spec)}</td>"
                        for c in METRIC_COLUMNS)
        # a sweep run made before the grade existed has none: a dash, not a made-up grade
        cells += f"<td class='l'>{escape(rec.get('grade', '–'))}</td>"
        failures = ", ".join(map(str, rec["failures"] or [])) or "–"
        rows.append(f"<tr><td class='l'>{escape(rec['potential'])}{blind}</td>"
                    f"{_verdict_cell(rec['verdict'])}"
                    f"<td class='l'>{escape(failures)}</td>{cells}</tr>")
        aligned = rec.get("metrics_aligned_at_largest_r")
        if aligned:  # shape only (a model whose fragment energies mean nothing); verdict above
            cells = "".join(f"<td>{_cell(c.value(aligned), c.energy, c.spec)}</td>"
                            for c in METRIC_COLUMNS) + "<td class='l'>–</td>"
            rows.append(f"<tr><td class='l'>{escape(rec['potential'])}, aligned at the "
                        f"largest r (shape only)</td><td>–</td><td class='l'>–</td>{cells}</tr>")
    return (f"<table><tr><th>potential</th><th>verdict</th><th>failures</th>{head}</tr>"
            + "".join(rows) + "</table>")


def reference_table(records: list[dict]) -> str:
    """The reference curve's own r_e, D_e and omega_e (what the errors are measured from)."""
    metrics = records[0]["metrics"]
    return ("<table><tr><th>reference</th><th>rₑ (Å)</th>"
            f"{_header('Dₑ', True)}<th>ωₑ (cm⁻¹)</th></tr>"
            f"<tr><td class='l'><code>{escape(records[0]['reference_method'])}</code></td>"
            f"<td>{_cell(metrics['reference_r_e_angstrom'], False, '{:.4f}')}</td>"
            f"<td>{_cell(metrics['reference_d_e_ev'], True, '{:.2f}')}</td>"
            f"<td>{_cell(metrics['reference_omega_e_cm1'], False, '{:.0f}')}</td></tr></table>")


def level_of_theory_table(records: list[dict]) -> str:
    """Each model against its own training level of theory, and that level against the
    reference: whether the model or its functional is at fault ("" when none was computed)."""
    rows = []
    for rec in records:
        lot = rec.get("level_of_theory")
        if not lot:
            continue
        own, functional = (lot["metrics_model_vs_level_of_theory"],
                           lot["metrics_level_of_theory_vs_reference"])
        cells = "".join(f"<td>{_cell(m[key], True, fmt)}</td>"
                        for m in (rec["metrics"], own, functional)
                        for key, fmt in (("mae_ev", "{:.2f}"), ("d_e_error_ev", "{:+.1f}")))
        rows.append(f"<tr><td class='l'>{escape(rec['potential'])}</td>"
                    f"<td class='l'><code>{escape(lot['method'])}</code></td>{cells}</tr>")
    if not rows:
        return ""
    heads = "".join(_header(f"{what} {pair}", True) for pair in (
        "model vs reference", "model vs its level of theory", "level of theory vs reference")
        for what in ("MAE", "ΔDₑ"))
    return ("<table><tr><th>potential</th><th>level of theory (dashed)</th>"
            f"{heads}</tr>{''.join(rows)}</table>")


def curve_gaps(records: list[dict]) -> list[str]:
    """Sentences naming the bond lengths (angstrom) where the reference or a level-of-theory
    curve has no energy (its method did not converge there: a gap in the drawn curve)."""
    r = records[0]["r_angstrom"]
    curves = [(f"reference {records[0]['reference_method']}", records[0]["reference_energy_ev"])]
    curves += list({rec["level_of_theory"]["method"]: (
        f"level of theory {rec['level_of_theory']['method']} (dashed)",
        rec["level_of_theory"]["energy_ev"]) for rec in records
        if rec.get("level_of_theory")}.values())
    sentences = []
    for label, energies in curves:
        missing = [x for x, e in zip(r, energies) if e is None]
        if missing and len(missing) < len(energies):  # none at all: no curve (tier none)
            where = ", ".join(f"{x:.3f}" if isinstance(x, numbers.Real) else str(x)
                              for x in missing)
            why = ("outside the published potential's validity range: unreferenced, left out "
                   "of the errors" if "published/" in label else
                   "the method did not converge there; the gap in its curve is that point")
            sentences.append(f"{label}: no energy at r = {where} Å ({why})")
    return sentences


def failure_glossary(rules: Sequence[FailureRule] = RULES) -> dict[str, str]:
    """Each failure name with its definition, written from its rule's description
    (:mod:`astray.probes.rules`), every threshold constant of :mod:`astray.probes.thresholds`
    followed by its value; in the rules' order."""

    def value(match: re.Match) -> str:
        name = match[0]
        number = getattr(thresholds, name, None)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            return name
        if name.endswith("_EV"):
            return f"{name} ({number:g} eV, {number * EV_KCAL_MOL:.3g} kcal/mol)"
        unit = " Å" if name.endswith("_ANGSTROM") else ""
        return f"{name} ({number:g}{unit})"

    return {rule.failure.value: re.sub(r"\b[A-Z][A-Z0-9_]{3,}\b", value,
                                       " ".join(rule.description.split()).replace("``", ""))
            for rule in rules}


def _glossary_html() -> str:
    items = "".join(f"<dt><code>{escape(name)}</code></dt><dd>{escape(text)}</dd>"
                    for name, text in failure_glossary().items())
    return f"<h2>Failure names</h2><dl>{items}</dl>"


def _provenance_html(result: dict) -> str:
    """Versions, weights hashes and settings of every potential, and every reference method
    with its code versions, basis and timings, as the JSON they came from."""
    def block(title: str, data: dict) -> str:
        text = escape(json.dumps(data, indent=1, sort_keys=True, default=str))
        return f"<details><summary>{escape(title)}</summary><pre>{text}</pre></details>"

    return ("<h2>Provenance</h2><p>Command:</p>"
            f"<pre>{escape(result['command'])}</pre>"
            + "".join(block(f"potential {p['name']} ({p['version']})", p)
                      for p in result["potentials"])
            + "".join(block(f"reference {r['system']}: {r['method']}", r)
                      for r in result["references"]))


def write_html(result: dict, figures: dict[str, Path], path: Path,
               periodic_table: Path | None = None) -> Path:
    """Write the report of a ``curves.json`` result, with one PNG per system from ``figures``
    and, first, the periodic table of the X2 curves (``periodic_table``, a PNG), if given."""
    potentials = "".join(
        f"<tr><td class='l'>{escape(p['name'])}</td>"
        f"<td class='l'>{escape(p['version'])}</td>"
        f"<td class='l'>{escape(p.get('family') or '')}</td>"
        f"<td>{_cell(p['charge_aware'], False, '{}')}</td><td>{_cell(p['spin_aware'], False, '{}')}</td>"
        f"<td class='l'>{escape(p.get('level_of_theory') or '')}</td></tr>"
        for p in result["potentials"])
    references = "".join(
        f"<tr><td class='l'>{escape(r['system'])}</td>"
        f"<td class='l'><code>{escape(r['method'])}</code></td>"
        f"<td class='l'>{escape(r['description'])}</td></tr>" for r in result["references"])
    sections = []
    if periodic_table is not None:
        sections.append("<h2>Periodic table</h2><img alt='periodic table of the X2 curves' "
                        f"src='{png_data_uri(periodic_table.read_bytes())}'>")
    for system, figure in figures.items():
        records = [c for c in result["curves"] if c["system"] == system]
        gaps = "".join(f"<p class='l'>{escape(gap)}</p>" for gap in curve_gaps(records))
        sections.append(f"<h2>{escape(system)}</h2>"
                        f"<img alt='{escape(system)} curves' "
                        f"src='{png_data_uri(figure.read_bytes())}'>{gaps}"
                        + reference_table(records) + metrics_table(records)
                        + level_of_theory_table(records))
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>astray: diatomic curves</title><style>{PAGE_STYLE}</style></head><body>
<h1>astray: does the model get bond breaking right?</h1>
<p>Energies are E(AB) − E(A) − E(B), each potential relative to its own fragments: in eV in the
figures and in kcal/mol (eV in parentheses) in the tables; 1 eV = {EV_KCAL_MOL:.4f} kcal/mol.
Generated {escape(result['created'])} by astray {escape(result['astray_version'])}.</p>
<h2>Potentials</h2><table><tr><th>name</th><th>version</th><th>family</th><th>charge-aware</th>
<th>spin-aware</th><th>level of theory</th></tr>{potentials}</table>
<h2>References</h2><table><tr><th>system</th><th>method</th><th>description</th></tr>
{references}</table>
{''.join(sections)}
{_glossary_html()}
{_provenance_html(result)}
</body></html>"""
    return write_text_atomic(path, page)
