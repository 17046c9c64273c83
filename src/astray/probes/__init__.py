"""Probes of a diatomic dissociation curve: metrics against a reference, and a pass/fail verdict."""

from astray.probes.metrics import curve_metrics
from astray.probes.verdict import verdict

__all__ = ["curve_metrics", "verdict"]
