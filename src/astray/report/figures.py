"""One figure per system: every potential's curve next to the reference, with zoomed panels near
equilibrium and at long range (the views the study's reviewers asked for). Bare nuclei get a
log-log panel, where Coulomb's law is the straight line of slope -1.

The dashed curves are the models' training levels of theory, each labelled with the method and
the models trained at it. A point without an energy (NaN: a level of theory whose SCF did not
converge there, a model that returned NaN) is a gap in its line, marked with a cross at the
missing r so the figure alone says a point is missing, and why.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from astray.errors import ReferenceUnavailableError
from astray.jsonio import write_bytes_atomic
from astray.level_of_theory import LevelOfTheory
from astray.probes.thresholds import MINIMUM_DEPTH_EV, STRETCHED_ABOVE
from astray.systems import Diatomic

#: Left edge of the near-equilibrium panel, a fraction of the nominal bond length: a plotting
#: choice, below the compressed region (thresholds.COMPRESSED_BELOW, 0.85) to show the foot of
#: the wall. There the exact wall stands about as high above the minimum as the stretched side
#: at the right edge (STRETCHED_ABOVE): H2 0.96 vs 1.58 eV, H2+ 0.56 vs 0.86 eV, HeH+ 1.05 vs
#: 1.06 eV (shipped references), so the well sits in the middle of the panel.
EQUILIBRIUM_WINDOW_START = 0.75
#: Zoom windows as fractions of the system's nominal bond length: near equilibrium up to the
#: stretched region of the metrics, long range from there on.
EQUILIBRIUM_WINDOW = (EQUILIBRIUM_WINDOW_START, STRETCHED_ABOVE)
LONG_RANGE_START = STRETCHED_ABOVE
#: y-limits of a full-curve panel in well depths: down to 1.6 D_e (a model binding 60 % too
#: deeply is still in view) and up to 2.5 D_e of the wall, not its tens of eV at the grid's
#: start, which would flatten the well into a line.
FULL_CURVE_DEPTHS = (-1.6, 2.5)
#: Padding (eV) above and below the curves of the near-equilibrium and long-range panels.
EQUILIBRIUM_PAD_EV, LONG_RANGE_PAD_EV = 0.3, 0.2
#: A panel that runs to the grid's end stops 2 % beyond its last point, so that point's marker
#: is not cut in half by the frame.
LAST_POINT_MARGIN = 1.02


#: Marker of a missing point (NaN energy), and the height (a fraction of the panel, from its
#: bottom) of the markers of missing points with no finite neighbour on one side.
GAP_MARKER = {"marker": "x", "ms": 7, "mew": 1.8, "ls": "none"}
GAP_EDGE_HEIGHT = 0.04


def _level(method: str) -> LevelOfTheory | None:
    """The level of theory a method string names, None where it names none astray knows."""
    try:
        return LevelOfTheory.parse(method)
    except ReferenceUnavailableError:
        return None


def method_label(method: str) -> str:
    """A reference method string as chemists write it (:attr:`LevelOfTheory.label`):
    ``dft:pbe/def2-tzvp`` -> PBE/def2-TZVP, ``hf/cc-pvdz`` -> HF/cc-pVDZ; a string that names
    no level of theory astray knows is returned unchanged."""
    level = _level(method)
    return method if level is None else level.label


def gap_reason(method: str) -> str:
    """Why a level-of-theory curve has no energy at a point: the SCF of HF and DFT, the
    calculation of any other method, did not converge there (astray keeps such points NaN)."""
    level = _level(method)
    return ("SCF not converged" if level is not None and level.self_consistent_field
            else "calculation not converged")


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


def mark_gaps(ax, r, energy, color, curve: str, reason: str) -> None:
    """Mark each NaN point of ``energy`` with a cross at its r, named in the legend ("``curve``:
    ``reason`` at r = ...").

    A gap between finite points gets its cross where the line would pass (straight between the
    gap's neighbours) and ``reason`` written under its first point; points beyond the curve's
    first or last finite one have no such height, so their crosses sit on the panel's bottom
    edge. Nothing is drawn for a curve without NaN or without any finite point.
    """
    missing, finite = np.isnan(energy), np.isfinite(energy)
    if not (missing.any() and finite.any()):
        return
    where = (f"r = {', '.join(f'{x:.2f}' for x in r[missing])} Å" if missing.sum() <= 3
             else f"{missing.sum()} points")
    label = f"{curve}: {reason} at {where}"
    inside = missing & (r > r[finite].min()) & (r < r[finite].max())
    height = np.interp(r, r[finite], energy[finite])
    if inside.any():
        ax.plot(r[inside], height[inside], color=color, label=label, **GAP_MARKER)
        label = "_nolegend_"  # one legend entry for both kinds of cross
        for first in np.flatnonzero(inside & ~np.r_[False, inside[:-1]]):
            ax.annotate(reason, (r[first], height[first]), xytext=(0, -9), va="top",
                        textcoords="offset points", ha="center", fontsize=7, color=color)
    if (missing & ~inside).any():
        ax.plot(r[missing & ~inside], np.full((missing & ~inside).sum(), GAP_EDGE_HEIGHT),
                transform=ax.get_xaxis_transform(), color=color, label=label, **GAP_MARKER)


def window_limits(r, curves, lo, hi, pad_ev):
    """y-limits that show every curve's points inside r in [lo, hi], padded by pad_ev."""
    inside = (r >= lo) & (r <= hi)
    values = np.concatenate([c[inside] for c in curves])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -1.0, 1.0
    return float(values.min() - pad_ev), float(values.max() + pad_ev)


def plot_depth_ev(reference: np.ndarray) -> float:
    """The well depth (eV) that scales a panel: the reference's (of the curves given where
    there is no reference), at least MINIMUM_DEPTH_EV."""
    finite = np.asarray(reference, float)
    finite = finite[np.isfinite(finite)]
    return max(abs(finite.min()), MINIMUM_DEPTH_EV) if finite.size else MINIMUM_DEPTH_EV


def full_curve_limits(depth: float) -> tuple[float, float]:
    """y-limits (eV) of a full-curve panel for a well ``depth`` (eV): FULL_CURVE_DEPTHS."""
    low, high = FULL_CURVE_DEPTHS
    return low * depth, high * depth


def curve_figure(system: Diatomic, records: list[dict], path: Path) -> Path:
    """Draw the curves of ``records`` (curves.json entries of one system) and save a PNG
    (atomically, replacing a link at ``path`` instead of writing through it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(path, figure_png(system_curves_figure(system, records)))


def system_curves_figure(system: Diatomic, records: list[dict]) -> Figure:
    """The curves of ``records`` (curves.json entries of one system): full range (log-log for
    bare nuclei), near equilibrium and at long range; energies in eV, r in angstrom."""
    r = values_array(records[0]["r_angstrom"])
    reference = values_array(records[0]["reference_energy_ev"])
    models = [(rec["potential"], values_array(rec["energy_ev"])) for rec in records]
    trained_at: dict[str, list[str]] = {}  # level-of-theory method -> the models trained at it
    level_of_theory = {}
    for rec in records:
        if rec.get("level_of_theory"):
            method = rec["level_of_theory"]["method"]
            trained_at.setdefault(method, []).append(rec["potential"])
            level_of_theory.setdefault(method, values_array(rec["level_of_theory"]["energy_ev"]))
    fig = Figure(figsize=(15, 4.4))
    axes = fig.subplots(1, 3)

    has_reference = bool(np.isfinite(reference).any())

    def draw(ax):
        if has_reference:
            ax.plot(r, reference, "k-", lw=2.5,
                    label=f"reference ({records[0]['reference_method']})")
        for method, energy in level_of_theory.items():
            label = method_label(method)
            ax.plot(r, energy, "k--", lw=1.2, alpha=0.7,
                    label=f"{label} (level of theory of {', '.join(trained_at[method])})")
            mark_gaps(ax, r, energy, "#444", label, gap_reason(method))
        for name, energy in models:
            line, = ax.plot(r, energy, "o-", ms=3, lw=1.2, label=name)
            mark_gaps(ax, r, energy, line.get_color(), name, "no energy (NaN)")
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_xlabel("r (Å)")
        ax.set_ylabel("E(AB) − E(A) − E(B) (eV)")

    all_curves = [reference] + [e for _, e in models] + list(level_of_theory.values())
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
        # without a reference (a whole-table suite), the models' deepest well sets the scale
        scale = reference if has_reference else np.concatenate([e for _, e in models])
        axes[0].set_ylim(*full_curve_limits(plot_depth_ev(scale)))
        axes[0].set_title(f"{system.name}: full curve"
                          + ("" if has_reference else " (no reference)"))
    lo, hi = (f * system.r_nominal for f in EQUILIBRIUM_WINDOW)
    draw(axes[1])
    axes[1].set_xlim(lo, hi)
    axes[1].set_ylim(*window_limits(r, all_curves, lo, hi, EQUILIBRIUM_PAD_EV))
    axes[1].set_title("near equilibrium")
    start = LONG_RANGE_START * system.r_nominal
    draw(axes[2])
    axes[2].set_xlim(start, r.max() * LAST_POINT_MARGIN)
    axes[2].set_ylim(*window_limits(r, all_curves, start, r.max(), LONG_RANGE_PAD_EV))
    axes[2].set_title("long range")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
