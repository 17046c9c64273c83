"""Pass / fail verdict of a curve from its metrics (:func:`astray.probes.measure.curve_metrics`).

A curve passes when it has no failure. Failures come from a fixed vocabulary, reported in this
order; each is one :class:`~astray.probes.rules.FailureRule` of :data:`astray.probes.rules.RULES`
(its test, the thresholds of :mod:`astray.probes.thresholds` it reads, its description), and
the verdict is a loop over them. A check whose metric is None (not computable) is skipped --
except that a curve with no usable energy at all fails with ``nan-energy`` and/or
``nonphysical-energy`` alone.

The failures, written from the rules' descriptions:

"""

from __future__ import annotations

from collections.abc import Sequence

from astray.probes.results import CurveMetrics, Verdict
from astray.probes.rules import RULES, Context, FailureRule, describe

__all__ = ["verdict"]

__doc__ = (__doc__ or "") + describe(RULES) + "\n"  # None under python -OO


def verdict(m: CurveMetrics, *, bare_nuclei: bool, reference_has_minimum: bool | None = None,
            rules: Sequence[FailureRule] = RULES) -> Verdict:
    """The verdict on a curve's metrics: the failures of ``rules`` (default: every
    :class:`~astray.probes.results.Failure`, see the module docstring) that the curve has, in
    the rules' order.

    ``reference_has_minimum`` defaults to the metrics' own count of the reference's minima
    (``reference_n_minima``), the measure applied to the model: a reference whose only dip is
    shallower than MINIMUM_PROMINENCE_EV is judged as repulsive, so the reference itself passes."""
    context = Context.of(m, bare_nuclei=bare_nuclei, reference_has_minimum=reference_has_minimum)
    failed = []
    for rule in rules:
        if rule.failure not in failed and rule.applies(m, context):
            failed.append(rule.failure)
    return Verdict(not failed, tuple(failed))
