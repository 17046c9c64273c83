"""The failure rules as a table (:mod:`astray.probes.rules`): one rule per Failure, the verdict a
loop over them, the glossary written from them, a new failure one entry; and the metrics of a
curve measured by one function per concern (:mod:`astray.probes.measure`)."""

from __future__ import annotations

import ast
import dataclasses
from enum import Enum
from pathlib import Path

import numpy as np
import pytest

from astray.probes import measure, rules, thresholds
from astray.probes import verdict as verdict_module
from astray.probes.measure import curve_metrics
from astray.probes.results import CurveMetrics, Failure
from astray.probes.rules import RULES, FailureRule
from astray.probes.verdict import verdict
from astray.report.html import failure_glossary

PROBES = Path(measure.__file__).parent
R = np.linspace(0.4, 6.0, 60)
H2 = dict(masses_amu=(1.008, 1.008), r_ref=0.74)


def _morse(r, d_e=4.75, a=1.94, r_e=0.741):
    return d_e * (1.0 - np.exp(-a * (r - r_e))) ** 2 - d_e


class _New(str, Enum):
    """A failure that is not (yet) in the vocabulary: a rule under test."""

    SHORT_BOND = "short-bond"


SHORT_BOND = FailureRule(
    _New.SHORT_BOND,
    lambda m, c: (m.r_e_angstrom is not None
                  and m.r_e_angstrom < 1.0 - thresholds.R_E_TOLERANCE_ANGSTROM),
    ("R_E_TOLERANCE_ANGSTROM",),
    "``r_e_angstrom`` below 1 A by more than R_E_TOLERANCE_ANGSTROM.")


def test_every_failure_has_exactly_one_rule_in_reporting_order():
    assert [rule.failure for rule in RULES] == list(Failure)


def test_every_rule_names_its_thresholds_and_they_exist():
    for rule in RULES:
        assert rule.description and "\n" not in rule.description
        for name in rule.thresholds:
            assert isinstance(getattr(thresholds, name), (int, float)), (rule.failure, name)
            assert name in rule.description, (rule.failure, name)


def test_every_threshold_a_rule_reads_is_declared():
    """The thresholds a rule's test reads (``th.NAME`` in its source) are those it declares."""
    tree = ast.parse(Path(rules.__file__).read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    def read(node) -> set[str]:
        names = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == "th"}
        called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name) and n.func.id in functions}
        return names.union(*(read(functions[name]) for name in called))

    table = next(node.value for node in tree.body
                 if isinstance(node, ast.AnnAssign) and node.target.id == "RULES")
    for call, rule in zip(table.elts, RULES, strict=True):
        test = call.args[1]
        source = functions[test.id] if isinstance(test, ast.Name) else test
        assert read(source) == set(rule.thresholds), rule.failure


def test_a_new_failure_is_one_entry_in_the_verdict_and_the_glossary():
    m = curve_metrics(R, _morse(R), _morse(R), **H2)  # the exact curve: r_e 0.741 A
    assert verdict(m, bare_nuclei=False).passed
    extended = (*RULES, SHORT_BOND)
    judged = verdict(m, bare_nuclei=False, rules=extended)
    assert not judged.passed and judged.failures == (_New.SHORT_BOND,)
    assert judged.outcome == "fail"
    glossary = failure_glossary(extended)
    assert list(glossary) == [f.value for f in Failure] + ["short-bond"]
    assert glossary["short-bond"] == (
        "r_e_angstrom below 1 A by more than R_E_TOLERANCE_ANGSTROM (0.05 Å).")
    assert failure_glossary() == {k: v for k, v in glossary.items() if k != "short-bond"}


def test_a_rule_list_is_judged_in_its_own_order_and_a_removed_rule_is_not_judged():
    m = curve_metrics(R, _morse(R) + 2.0, _morse(R), **H2)  # shifted up 2 eV everywhere
    full = verdict(m, bare_nuclei=False)  # D_e is measured from E = 0: 2.75 eV, not 4.75
    assert full.failures == (Failure.WRONG_ASYMPTOTE, Failure.WRONG_WELL_DEPTH,
                             Failure.LARGE_ERROR)
    assert verdict(m, bare_nuclei=False, rules=RULES[::-1]).failures == full.failures[::-1]
    without = tuple(rule for rule in RULES if rule.failure is not Failure.LARGE_ERROR)
    assert verdict(m, bare_nuclei=False, rules=without).failures == full.failures[:2]


def test_a_curve_with_no_usable_energy_is_judged_by_the_usability_rules_alone():
    nan = np.full_like(R, np.nan)
    m = curve_metrics(R, nan, _morse(R), **H2)
    assert verdict(m, bare_nuclei=True, rules=(*RULES, SHORT_BOND)).failures == (
        Failure.NAN_ENERGY,)
    assert [rule.failure for rule in RULES if not rule.judged_on_usable_points] == [
        Failure.NAN_ENERGY, Failure.NONPHYSICAL_ENERGY]


def test_the_verdicts_documentation_is_written_from_the_rules():
    text = verdict_module.__doc__
    for rule in RULES:
        assert f"``{rule.failure.value}``\n    {rule.description}" in text


# --------------------------------------------------------------------------------------------
# curve_metrics, one function per concern
# --------------------------------------------------------------------------------------------


def _parts(bare: bool):
    r, e, ref = R, _morse(R) * 1.1, _morse(R)
    counts, e = measure.point_counts(r, e, ref)
    well = measure.well_metrics(r, e, ref, **H2)
    return [counts, well,
            measure.error_metrics(r, e, ref, region_length=well["r_ref_angstrom"]),
            measure.asymptote_metrics(r, e, ref, fragment_energy_ev=None,
                                      exact_dissociation_limit_ev=None),
            measure.coulomb_metrics(r, e, (1, 1) if bare else None),
            measure.smoothness_metrics(r, e, ref, -np.gradient(e, r), r_e=well["r_e_angstrom"])]


@pytest.mark.parametrize("bare", [False, True])
def test_each_field_of_the_metrics_comes_from_exactly_one_concern(bare):
    names = [name for part in _parts(bare) for name in part]
    assert len(names) == len(set(names))
    assert set(names) == {f.name for f in dataclasses.fields(CurveMetrics)}


def test_the_concerns_together_are_curve_metrics():
    e, ref = _morse(R) * 1.1, _morse(R)
    joined = {k: v for part in _parts(False) for k, v in part.items()}
    m = curve_metrics(R, e, ref, force_r=-np.gradient(e, R), **H2)
    assert m == CurveMetrics(**{k: measure.json_number(v) for k, v in joined.items()})


def test_no_function_in_probes_is_over_80_lines():
    long = [f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in sorted(PROBES.glob("*.py"))
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > 80]
    assert not long, long
