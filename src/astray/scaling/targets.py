"""The errors a sweep fits against N, read from its runs, each with its unit and energy
convention, and defined only where the curve defines it.

Two conventions for H2 (a referee's point: on the same 20 runs the sign of the stable-only H2
learning curve flipped with the convention, alpha -0.08 against +0.51):

* **shape** (``h2_mae_bonding``, ``h2_d_e_error``, ``h2_r_e_error``): E(H-H, r) - 2 E(H) with the
  model's *own* isolated atoms, as every peer benchmark reports it; an error of the lone atom
  cancels, so these measure the curve's shape only.
* **atomization** (``..._atomization``, ``h2_dissociation_limit_error``): the model's energies in
  its own convention (atomization energies: an isolated neutral atom is 0 by definition) against
  the exact atomization energies. An untrained lone H of -2 eV is a 4 eV error of the
  dissociation limit here, hidden in the shape convention.

A target is undefined (None, with the reason counted in the report, never fitted) where the
curve does not define it: r_e and D_e of a curve with no or several minima (r_e would jump
between them: 1.0 -> 0.49 A seen in one sweep), the Coulomb exponent of an H2++ curve with fewer
than ``MIN_POSITIVE_SHARE`` of its points repulsive (a power law cannot pass through E <= 0:
one run had 3 of 40 points left to fit).
"""

from __future__ import annotations

from dataclasses import dataclass

from astray.probes.results import CurveMetrics
from astray.scaling.records import RunResult

#: Share of an H2++ curve's points that must be repulsive (E > 0) for its power-law exponent to
#: describe the curve rather than a few points of it.
MIN_POSITIVE_SHARE = 0.9


@dataclass(frozen=True)
class Target:
    """One fitted error: its unit and the convention its energies are in."""

    name: str
    label: str
    unit: str
    convention: str


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("h2_mae_bonding", "H₂ MAE, bonding region", "eV", "shape"),
    Target("h2_d_e_error", "H₂ |ΔDₑ|", "eV", "shape"),
    Target("h2_r_e_error", "H₂ |Δrₑ|", "Å", "shape"),
    Target("h2_mae_bonding_atomization", "H₂ MAE, bonding region, atomization energies", "eV",
           "atomization"),
    Target("h2_d_e_error_atomization", "H₂ |ΔDₑ|, atomization energies", "eV", "atomization"),
    Target("h2_dissociation_limit_error", "H₂ |2 E(H) − exact|", "eV", "atomization"),
    Target("h2pp_coulomb_exponent_error", "H₂⁺⁺ |n + 1| (E ∝ rⁿ; exact n = −1)", "1",
           "shape"),
)}
#: The H2 targets of the findings, in the order they are stated.
H2_TARGETS = tuple(name for name in TARGETS if name.startswith("h2_"))
CONVENTIONS = {
    "shape": "curve shape: E(AB) − E(A) − E(B) with the model's own isolated atoms",
    "atomization": "energies: the model's atomization energies against the exact ones "
                   "(an isolated neutral atom is 0 by definition)",
    "test": "test MAE of atomization energies in kcal/mol",
}


def target_info(name: str) -> Target:
    """The :class:`Target` of a name, ``test_mae:<subset>`` included."""
    if name.startswith("test_mae:"):
        return Target(name, f"test MAE, {name.split(':', 1)[1]} set", "kcal/mol", "test")
    return TARGETS[name]


def _well(metrics: CurveMetrics | None, key: str) -> tuple[float | None, str | None]:
    """|metrics[key]| of a curve with exactly one minimum, or (None, why not)."""
    if metrics is None:
        return None, "no probe metrics"
    if metrics.n_minima != 1:
        return None, ("no minimum" if metrics.n_minima == 0
                      else f"{metrics.n_minima} minima: r_e and D_e undefined")
    value = metrics[key]
    return (None, f"no {key}") if value is None else (abs(value), None)


def run_target(run: RunResult, name: str) -> tuple[float | None, str | None]:
    """(value, None) of one target of one finished run, or (None, the reason it is undefined)."""
    if name.startswith("test_mae:"):
        value = run.test_mae_kcal_mol.get(name.split(":", 1)[1])
        return (value, None) if value is not None else (None, "no test MAE")
    system = "H2++" if name.startswith("h2pp") else "H2"
    probe = run.probe_of(system)
    if probe is None:
        return None, f"no {system} probe"
    shape, own = probe.metrics, probe.metrics_in_convention
    if name == "h2_mae_bonding":
        value = None if shape is None else shape.mae_bonding_ev
        return (value, None) if value is not None else (None, "no bonding-region MAE")
    if name == "h2_d_e_error":
        return _well(shape, "d_e_error_ev")
    if name == "h2_r_e_error":
        return _well(shape, "r_e_error_angstrom")
    if name == "h2_mae_bonding_atomization":
        if own is None:
            return None, "not an atomization-energy model"
        return (own.mae_bonding_ev, None) if own.mae_bonding_ev is not None \
            else (None, "no bonding-region MAE")
    if name == "h2_d_e_error_atomization":
        return (None, "not an atomization-energy model") if own is None \
            else _well(own, "d_e_error_ev")
    if name == "h2_dissociation_limit_error":
        value = None if shape is None else shape.dissociation_limit_error_ev
        return (abs(value), None) if value is not None else (None, "no exact dissociation "
                                                                   "limit in its convention")
    if name == "h2pp_coulomb_exponent_error":
        if shape is None or shape.coulomb_exponent is None:
            return None, "no Coulomb fit"
        finite = shape.n_points - shape.n_nan
        nonpositive = shape.coulomb_nonpositive_points or 0
        if finite <= 0 or (finite - nonpositive) / finite < MIN_POSITIVE_SHARE:
            return None, (f"{nonpositive} of {finite} points not repulsive: no power law "
                          "describes the curve")
        return abs(shape.coulomb_exponent + 1.0), None
    raise KeyError(f"unknown target {name!r}")


def run_targets(run: RunResult) -> dict[str, tuple[float | None, str | None]]:
    """Every target of a finished run: name -> (value or None, reason or None)."""
    names = [f"test_mae:{subset}" for subset in run.test_mae_kcal_mol] + list(TARGETS)
    return {name: run_target(run, name) for name in names}
