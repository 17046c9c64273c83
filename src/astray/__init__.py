"""astray: does a machine-learned potential get the physics of bond breaking right?

The public API (see the README's notebook section)::

    import astray
    result = astray.probe(calc, systems=["H2", "H2+", "He-H,charge=1,mult=1"], name="my-model")
    result.verdicts, result.to_frame(), result.plot("H2"), result.write("out/")

Names are imported on first use, so ``import astray`` stays cheap and changes no global state
(no matplotlib backend, warnings filter or logging handler is touched).
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("astray")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

#: public name -> the module that defines it
_EXPORTS = {
    "probe": "astray.api",
    "get_system": "astray.systems",
    "DEFAULT_SUITE": "astray.systems",
    "reference_curve": "astray.reference",
    "load_potential": "astray.potentials",
    "Potential": "astray.potentials",
    "Prediction": "astray.potentials",
    "Curve": "astray.curve",
    "CurveMetrics": "astray.probes.results",
    "CurveResult": "astray.probes.results",
    "Failure": "astray.probes.results",
    "Grade": "astray.probes.results",
    "Verdict": "astray.probes.results",
    "ProbeResult": "astray.probes.probe_result",
    "ProbeReport": "astray.report.probe_report",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'astray' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
