"""One figure per system: every potential's curve next to the reference, with zoomed panels near
equilibrium and at long range (the views the study's reviewers asked for). Bare nuclei get a
log-log panel, where Coulomb's law is the straight line of slope -1."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from astray.systems import Diatomic

#: Zoom windows as fractions of the system's nominal bond length.
EQUILIBRIUM_WINDOW = (0.75, 1.6)
LONG_RANGE_START = 1.6


#: Resolution of every PNG: at 100 dots per inch a 10-point label is 14 pixels high, legible in
#: a browser without zooming when the image is shown at its natural width.
PNG_DPI = 100


def values_array(values) -> np.ndarray:
    """A JSON list of numbers (None for NaN) as a float array with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def figure_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure rendered as PNG bytes (through Agg, picked by ``savefig`` for this call only,
    so no global backend is set)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def window_limits(r, curves, lo, hi, pad_ev):
    """y-limits that show every curve's points inside r in [lo, hi], padded by pad_ev."""
    inside = (r >= lo) & (r <= hi)
    values = np.concatenate([c[inside] for c in curves])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -1.0, 1.0
    return float(values.min() - pad_ev), float(values.max() + pad_ev)


def curve_figure(system: Diatomic, records: list[dict], path: Path) -> Path:
    """Draw the curves of ``records`` (curves.json entries of one system) and save a PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(system_curves_figure(system, records), dpi=110))
    return path


def system_curves_figure(system: Diatomic, records: list[dict]) -> Figure:
    """The curves of ``records`` (curves.json entries of one system): full range (log-log for
    bare nuclei), near equilibrium and at long range; energies in eV, r in angstrom."""
    r = values_array(records[0]["r_angstrom"])
    reference = values_array(records[0]["reference_energy_ev"])
    models = [(rec["potential"], values_array(rec["energy_ev"])) for rec in records]
    level_of_theory = [(rec["level_of_theory"]["method"],
                        values_array(rec["level_of_theory"]["energy_ev"]))
                       for rec in records if rec.get("level_of_theory")]
    level_of_theory = list(dict(level_of_theory).items())
    fig = Figure(figsize=(15, 4.4))
    axes = fig.subplots(1, 3)

    def draw(ax):
        ax.plot(r, reference, "k-", lw=2.5, label=f"reference ({records[0]['reference_method']})")
        for name, energy in level_of_theory:
            ax.plot(r, energy, "k--", lw=1.2, alpha=0.7, label=f"level of theory ({name})")
        for name, energy in models:
            ax.plot(r, energy, "o-", ms=3, lw=1.2, label=name)
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_xlabel("r (Å)")
        ax.set_ylabel("E(AB) − E(A) − E(B) (eV)")

    all_curves = [reference] + [e for _, e in models] + [e for _, e in level_of_theory]
    if system.bare_nuclei:
        ax = axes[0]
        ax.loglog(r, reference, "k-", lw=2.5, label="Coulomb Z₁Z₂/r (exact)")
        for name, energy in models:
            positive = energy > 0
            ax.loglog(r[positive], energy[positive], "o-", ms=3, lw=1.2, label=name)
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on a short decade
        ax.set_xlabel("r (Å)")
        ax.set_ylabel("E (eV), positive points, log-log")
        ax.set_title(f"{system.name}: full range (log-log)")
    else:
        draw(axes[0])
        depth = max(abs(np.nanmin(reference)), 0.5)
        axes[0].set_ylim(-1.6 * depth, 2.5 * depth)
        axes[0].set_title(f"{system.name}: full curve")
    lo, hi = (f * system.r_nominal for f in EQUILIBRIUM_WINDOW)
    draw(axes[1])
    axes[1].set_xlim(lo, hi)
    axes[1].set_ylim(*window_limits(r, all_curves, lo, hi, 0.3))
    axes[1].set_title("near equilibrium")
    start = LONG_RANGE_START * system.r_nominal
    draw(axes[2])
    axes[2].set_xlim(start, r.max() * 1.02)
    axes[2].set_ylim(*window_limits(r, all_curves, start, r.max(), 0.2))
    axes[2].set_title("long range")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
