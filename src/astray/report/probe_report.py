"""A probe's results with their report: :class:`ProbeReport` is the
:class:`~astray.probes.probe_result.ProbeResult` that ``astray.probe`` and ``astray curves``
give, and it also draws (:meth:`ProbeReport.plot`) and writes its files
(:meth:`ProbeReport.write`: ``curves.json``, one PNG per system, ``curves.html``). The drawing
lives here, in the report, so that the probes import nothing of it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from matplotlib.figure import Figure

from astray.jsonio import write_bytes_atomic
from astray.probes.probe_result import ProbeResult
from astray.report.figures import curve_figure, figure_png, system_curves_figure
from astray.report.html import write_html
from astray.report.periodic import periodic_table_figure
from astray.systems import file_stem

#: ``write`` draws the periodic table when the systems hold the neutral X2 of at least this
#: many elements (the default suite's H2 alone is no table).
PERIODIC_TABLE_MIN_ELEMENTS = 2


@dataclass
class ProbeReport(ProbeResult):
    """Every curve of a probe, with what produced it (:class:`ProbeResult`), and its figures."""

    @classmethod
    def of(cls, result: ProbeResult) -> ProbeReport:
        """The report of ``result`` (the same lists and values, not copies)."""
        return cls(**{item.name: getattr(result, item.name) for item in fields(ProbeResult)})

    def plot(self, system: str) -> Figure:
        """A matplotlib Figure of every curve of ``system`` with its reference (built without
        pyplot: no backend or other global state changes; show it in a notebook by leaving it
        as a cell's value, or save it with ``figure.savefig``)."""
        return system_curves_figure(self.system(system), self.records(system))

    def write(self, out_dir: str | Path) -> Path:
        """Write ``curves.json``, one PNG per system and ``curves.html`` (self-contained) into
        ``out_dir``; returns the path of the HTML page. With the neutral X2 of at least
        PERIODIC_TABLE_MIN_ELEMENTS elements among the systems, also ``periodic_table.png``
        (:func:`astray.report.periodic.periodic_table_figure`, one table per potential), shown
        first in the page. Each file is written atomically and replaces a link planted at its
        name instead of writing through it (:func:`astray.jsonio.atomic_file`)."""
        out = Path(out_dir)
        self.write_json(out)
        figures = {s.name: curve_figure(s, self.records(s.name), out / f"{file_stem(s.name)}.png")
                   for s in self.systems}
        elements = self.homonuclear_elements()
        periodic = None
        if len(elements) >= PERIODIC_TABLE_MIN_ELEMENTS:
            figure = periodic_table_figure(self.curves, elements=elements,
                                           potentials=[p["name"] for p in self.potentials])
            periodic = write_bytes_atomic(out / "periodic_table.png", figure_png(figure))
        return write_html(self.to_json(), figures, out / "curves.html", periodic)
