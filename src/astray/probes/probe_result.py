"""The result of probing potentials on systems: typed, indexable, and written to files only when
asked (:meth:`ProbeResult.write`: ``curves.json``, one PNG per system, ``curves.html``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from astray.curve import Curve
from astray.jsonio import to_json_safe, write_json_atomic
from astray.probes.results import CurveResult, Verdict
from astray.systems import Diatomic, file_stem


@dataclass
class ProbeResult:
    """Every curve of a probe, with what produced it.

    Attributes:
        astray_version: the version of astray that computed it.
        created: when (ISO 8601, UTC).
        command: the command line that reproduces it ("" from Python).
        potentials: each potential's provenance (:meth:`Potential.describe`).
        systems: the systems, in the order asked.
        references: the reference curve of each system, by system name.
        curves: one :class:`CurveResult` per potential and system, potential by potential.
    """

    astray_version: str
    created: str
    command: str
    potentials: list[dict]
    systems: list[Diatomic]
    references: dict[str, Curve] = field(default_factory=dict)
    curves: list[CurveResult] = field(default_factory=list)

    def __getitem__(self, key: tuple[str, str]) -> CurveResult:
        """``result["chgnet", "H2"]``: the curve of one potential on one system."""
        for curve in self.curves:
            if (curve.potential.name, curve.system.name) == tuple(key):
                return curve
        raise KeyError(f"no curve of potential {key[0]!r} on system {key[1]!r}; there are "
                       + ", ".join(f"({c.potential.name!r}, {c.system.name!r})"
                                   for c in self.curves))

    @property
    def verdicts(self) -> dict[tuple[str, str], Verdict]:
        """{(potential, system): Verdict} for every curve."""
        return {(c.potential.name, c.system.name): c.verdict for c in self.curves}

    def to_json(self) -> dict:
        """The content of ``curves.json``."""
        return {"astray_version": self.astray_version, "created": self.created,
                "command": self.command, "potentials": self.potentials,
                "systems": [{"name": s.name, "spec": s.spec,
                             "fragments": [f.label for f in s.fragments],
                             "bare_nuclei": s.bare_nuclei} for s in self.systems],
                "references": [{"system": name, "method": curve.method,
                                "description": curve.description,
                                "provenance": to_json_safe(curve.provenance)}
                               for name, curve in self.references.items()],
                "curves": [c.to_json() for c in self.curves]}

    def to_frame(self):
        """A pandas DataFrame, one row per curve: potential, system, verdict, failures, grade,
        reference method, error, the potential's energy convention, every metric of the curve's
        shape (units in the column names; ``dissociation_limit_error_ev`` among them) and, from
        the metrics in the potential's own convention (None in the ``"total"`` convention),
        ``mae_in_convention_ev`` and ``mae_bonding_in_convention_ev``."""
        import pandas as pd

        def in_convention(c: CurveResult, name: str):
            return None if c.convention_metrics is None else c.convention_metrics[name]

        rows = [{"potential": c.potential.name, "system": c.system.name,
                 "verdict": c.verdict.outcome,
                 "failures": ", ".join(f.value for f in c.verdict.failures),
                 "grade": c.grade.value, "reference_method": c.reference.method,
                 "error": c.curve.error, "energy_convention": c.energy_convention,
                 **c.metrics.to_dict(),
                 "mae_in_convention_ev": in_convention(c, "mae_ev"),
                 "mae_bonding_in_convention_ev": in_convention(c, "mae_bonding_ev")}
                for c in self.curves]
        return pd.DataFrame(rows)

    def plot(self, system: str):
        """A matplotlib Figure of every curve of ``system`` with its reference (built without
        pyplot: no backend or other global state changes; show it in a notebook by leaving it
        as a cell's value, or save it with ``figure.savefig``)."""
        from astray.report.figures import system_curves_figure

        return system_curves_figure(self._system(system), self._records(system))

    def write_json(self, out_dir: str | Path) -> Path:
        """Write ``curves.json`` into ``out_dir`` atomically (a kill leaves the old file or the
        new one, never half of one)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return write_json_atomic(out / "curves.json", self.to_json())

    def write(self, out_dir: str | Path) -> Path:
        """Write ``curves.json``, one PNG per system and ``curves.html`` (self-contained) into
        ``out_dir``; returns the path of the HTML page. Each file is written atomically and
        replaces a link planted at its name instead of writing through it
        (:func:`astray.jsonio.atomic_file`)."""
        from astray.report.figures import curve_figure
        from astray.report.html import write_html

        out = Path(out_dir)
        self.write_json(out)
        figures = {s.name: curve_figure(s, self._records(s.name), out / f"{file_stem(s.name)}.png")
                   for s in self.systems}
        return write_html(self.to_json(), figures, out / "curves.html")

    def _system(self, name: str) -> Diatomic:
        for system in self.systems:
            if system.name == name:
                return system
        raise KeyError(f"no system {name!r} in this result; it has "
                       + ", ".join(s.name for s in self.systems))

    def _records(self, system: str) -> list[dict]:
        return [c.to_json() for c in self.curves if c.system.name == system]
