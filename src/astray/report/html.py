"""``curves.html``: one self-contained page (figures inlined as base64 PNG, no external asset) with
the figures, the metrics table, the verdicts and the provenance; it opens offline."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from astray.units import EV_KCAL_MOL

#: Metric columns of the table: (JSON key, header, scale, format).
TABLE_COLUMNS = [
    ("mae_ev", "MAE (kcal/mol)", EV_KCAL_MOL, "{:.2f}"),
    ("r_e_error_angstrom", "Δr<sub>e</sub> (Å)", 1.0, "{:+.3f}"),
    ("d_e_error_ev", "ΔD<sub>e</sub> (kcal/mol)", EV_KCAL_MOL, "{:+.1f}"),
    ("omega_e_error_cm1", "Δω<sub>e</sub> (cm⁻¹)", 1.0, "{:+.0f}"),
    ("asymptote_error_ev", "asymptote error (kcal/mol)", EV_KCAL_MOL, "{:+.2f}"),
    ("n_minima", "minima", 1, "{}"),
    ("repulsive_wall_monotonic", "monotonic wall", 1, "{}"),
    ("coulomb_exponent", "Coulomb n (exact −1)", 1.0, "{:.3f}"),
    ("coulomb_prefactor_kcal_mol_angstrom", "Coulomb k (exact 332.06)", 1.0, "{:.1f}"),
]

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


def _cell(value, scale, fmt) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fmt.format(value * scale)


def metrics_table(records: list[dict]) -> str:
    """The verdicts, failures and metrics of curves.json records, one row per potential."""
    head = "".join(f"<th>{h}</th>" for _, h, _, _ in TABLE_COLUMNS)
    rows = []
    for rec in records:
        blind = " (charge/spin-blind here)" if rec["blind_to_this_system"] else ""
        cells = "".join(f"<td>{_cell(rec['metrics'].get(k), s, f)}</td>" for k, _, s, f in TABLE_COLUMNS)
        failures = ", ".join(rec["failures"]) or "–"
        rows.append(f"<tr><td class=l>{html.escape(rec['potential'])}{blind}</td>"
                    f"<td class={rec['verdict']}>{rec['verdict']}</td>"
                    f"<td class=l>{html.escape(failures)}</td>{cells}</tr>")
    return (f"<table><tr><th>potential</th><th>verdict</th><th>failures</th>{head}</tr>"
            + "".join(rows) + "</table>")


def write_html(result: dict, figures: dict[str, Path], path: Path) -> Path:
    """Write the report of a ``curves.json`` result, with one PNG per system from ``figures``."""
    potentials = "".join(
        f"<tr><td class=l>{html.escape(p['name'])}</td><td class=l>{html.escape(str(p['version']))}</td>"
        f"<td class=l>{html.escape(p.get('family', ''))}</td><td>{_cell(p['charge_aware'], 1, '{}')}</td>"
        f"<td>{_cell(p['spin_aware'], 1, '{}')}</td><td class=l>{html.escape(p.get('level_of_theory', ''))}</td></tr>"
        for p in result["potentials"])
    references = "".join(
        f"<tr><td class=l>{html.escape(r['system'])}</td><td class=l><code>{html.escape(r['method'])}</code></td>"
        f"<td class=l>{html.escape(r['description'])}</td></tr>" for r in result["references"])
    sections = []
    for system, figure in figures.items():
        records = [c for c in result["curves"] if c["system"] == system]
        sections.append(f"<h2>{html.escape(system)}</h2>"
                        f"<img alt='{html.escape(system)} curves' "
                        f"src='{png_data_uri(figure.read_bytes())}'>"
                        + metrics_table(records))
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>astray: diatomic curves</title>
<style>{PAGE_STYLE}</style></head><body>
<h1>astray: does the model get bond breaking right?</h1>
<p>Energies are E(AB) − E(A) − E(B), each potential relative to its own fragments.
Generated {html.escape(result['created'])} by astray {html.escape(result['astray_version'])}.</p>
<h2>Potentials</h2><table><tr><th>name</th><th>version</th><th>family</th><th>charge-aware</th>
<th>spin-aware</th><th>level of theory</th></tr>{potentials}</table>
<h2>References</h2><table><tr><th>system</th><th>method</th><th>description</th></tr>{references}</table>
{''.join(sections)}
<h2>Provenance</h2><pre>{html.escape(result['command'])}</pre>
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path
