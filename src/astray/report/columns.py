"""The metric columns of the curve tables, declared once for the terminal table
(``astray curves``) and the HTML report (``curves.html``).

Energies are eV in ``curves.json`` and kcal/mol in tables (the HTML page adds eV beside them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetricColumn:
    """One column: the metric's name in ``curves.json``, its header, whether it is an energy
    (shown in kcal/mol), its format, and its header in the 80-column terminal table (empty:
    not shown there)."""

    metric: str
    header: str
    energy: bool
    spec: str
    terminal: str = ""

    def value(self, metrics: Mapping[str, Any]):
        """The metric's value in a ``metrics`` object; a misspelt name is a KeyError, never a
        column of dashes."""
        return metrics[self.metric]


METRIC_COLUMNS: tuple[MetricColumn, ...] = (
    MetricColumn("mae_ev", "MAE", True, "{:.2f}", terminal="MAE"),
    MetricColumn("r_e_error_angstrom", "Δrₑ (Å)", False, "{:+.3f}", terminal="Δrₑ Å"),
    MetricColumn("d_e_error_ev", "ΔDₑ", True, "{:+.1f}", terminal="ΔDₑ"),
    MetricColumn("omega_e_error_cm1", "Δωₑ (cm⁻¹)", False, "{:+.0f}"),
    MetricColumn("asymptote_error_ev", "asymptote error", True, "{:+.2f}", terminal="asymp."),
    MetricColumn("dissociation_limit_error_ev", "dissociation-limit error (own atoms vs exact)",
                 True, "{:+.2f}", terminal="E∞ err."),
    MetricColumn("early_asymptote_depth_ev", "reference depth where the curve is flat", True,
                 "{:.2f}"),
    MetricColumn("n_minima", "minima", False, "{}"),
    MetricColumn("repulsive_wall_monotonic", "monotonic wall", False, "{}"),
    MetricColumn("wall_r_1ev_error_angstrom", "Δr wall at 1 eV (Å)", False, "{:+.3f}"),
    MetricColumn("wall_r_10ev_error_angstrom", "Δr wall at 10 eV (Å)", False, "{:+.3f}"),
    MetricColumn("coulomb_exponent", "Coulomb n (exact −1)", False, "{:.3f}"),
    MetricColumn("coulomb_prefactor_kcal_mol_angstrom", "Coulomb k (exact 332.06)", False,
                 "{:.1f}"),
)

#: The grade as the narrow terminal table shows it.
SHORT_GRADES = {"chemical accuracy": "≤1 kcal", "within 5 kcal/mol": "≤5 kcal",
                "worse": "worse", "ungraded": "–"}
