"""The Python API as a notebook user writes it (issue 12), and the typed core under it."""

import doctest
import json
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest
from ase.calculators.lj import LennardJones
from matplotlib.figure import Figure
from typer.testing import CliRunner

import astray
import astray.errors
from astray.cli import app

GOLDEN = Path(__file__).parent / "data" / "curves_exact_xtb_before_typed_core.json"
#: What the typed core added to each curve record (the grade), and the energy convention added
#: to potentials, records and metrics (None and "total" for these two potentials); everything
#: else is as before.
NEW_CURVE_KEYS = {"grade", "grade_limited_by", "energy_convention", "dissociation_limit_error_ev",
                  # the tier of truth of each reference (issue 18), the experiment beside H2
                  "tier", "experiment",
                  # wall radii, the early asymptote and non-physical energies (issues 18, 19)
                  "n_nonphysical", "reference_n_points", "asymptote_reached_r_angstrom",
                  "early_asymptote_depth_ev",
                  *(f"{kind}wall_r_{height}ev{suffix}" for height in (1, 10, 100)
                    for kind, suffix in (("", "_angstrom"), ("reference_", "_angstrom"),
                                         ("", "_error_angstrom")))}


def assert_same_json(before, after, path=""):
    """``after`` equals ``before`` key by key (floats to 1e-12 relative: platform rounding),
    except the run's time and command and the keys the grade added."""
    if isinstance(before, dict):
        assert set(after) - set(before) <= NEW_CURVE_KEYS and set(before) <= set(after), path
        for key in before:
            if path or key not in ("created", "command"):
                assert_same_json(before[key], after[key], f"{path}/{key}")
    elif isinstance(before, list):
        assert isinstance(after, list) and len(after) == len(before), path
        for index, (old, new) in enumerate(zip(before, after)):
            assert_same_json(old, new, f"{path}[{index}]")
    elif isinstance(before, float) and not isinstance(after, bool):
        assert after == pytest.approx(before, rel=1e-12, abs=1e-14), path
    else:
        assert after == before, path


def test_curves_json_is_what_it_was_before_the_typed_core(tmp_path):
    """exact and GFN2-xTB on the default suite, written by the CLI: the same curves.json as
    the dict-based probe wrote (tests/data, made before the refactor)."""
    result = CliRunner().invoke(app, ["curves", "-p", "exact", "-p", "xtb", "--out",
                                      str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    after = json.loads((tmp_path / "curves.json").read_text())
    assert_same_json(json.loads(GOLDEN.read_text()), after)
    grades = {(c["potential"], c["system"]): c["grade"] for c in after["curves"]}
    assert grades["exact", "H2"] == "chemical accuracy"
    assert grades["xtb", "H2"] == "worse"  # right shape (passes), well 13 kcal/mol too deep
    # both are total-energy methods: no exact energy for their lone atoms, nothing new judged
    for curve in after["curves"]:
        assert curve["energy_convention"] == "total" and "metrics_in_convention" not in curve
        assert curve["metrics"]["dissociation_limit_error_ev"] is None


def lennard_jones():
    return LennardJones(sigma=0.66, epsilon=4.75, rc=10.0)


def chgnet_calculator():
    pytest.importorskip("chgnet")
    from chgnet.model.dynamics import CHGNetCalculator

    return CHGNetCalculator(use_device="cpu")


@pytest.mark.parametrize("make_calculator", [lennard_jones, chgnet_calculator])
def test_the_notebook_example_with_an_ase_calculator(tmp_path, make_calculator):
    """The README's notebook example as written, with Lennard-Jones and with CHGNet's own ASE
    calculator (a crystal model: it gets a cell of vacuum, pbc stays False)."""
    calc = make_calculator()  # the model's own imports may add warning filters: not astray's
    backend, filters = matplotlib.get_backend(), list(warnings.filters)
    result = astray.probe(calc, systems=["H2", "H2+", "He-H,charge=1,mult=1"], name="my-model")
    verdict = result.verdicts["my-model", "H2"]
    assert isinstance(verdict, astray.Verdict) and not verdict.passed
    assert astray.Failure.NAN_ENERGY not in verdict.failures
    assert isinstance(result["my-model", "H2"].metrics.d_e_error_ev, float)
    frame = result.to_frame()
    assert len(frame) == 3 and {"potential", "system", "verdict", "grade", "mae_ev"} <= set(frame)
    assert isinstance(result.plot("H2"), Figure)
    page = result.write(tmp_path / "out")
    assert page.name == "curves.html" and (tmp_path / "out" / "curves.json").exists()
    assert (tmp_path / "out" / "H2.png").stat().st_size > 10_000
    assert matplotlib.get_backend() == backend and list(warnings.filters) == filters
    with pytest.raises(KeyError, match="no curve of potential 'my-model' on system 'N2'"):
        result["my-model", "N2"]


def test_chgnets_calculator_gives_the_curve_of_astrays_chgnet():
    calc = chgnet_calculator()
    result = astray.probe([calc, "chgnet"], systems=["H2"], name="calculator",
                          level_of_theory=False)
    mine, theirs = result["calculator", "H2"].curve, result["chgnet", "H2"].curve
    assert mine.error is None
    assert mine.energy_ev == pytest.approx(theirs.energy_ev, abs=1e-3)  # float32 model


def test_names_still_work_and_chgnet_fails_two_protons():
    pytest.importorskip("chgnet")
    suite = astray.probe(["chgnet", "so3lr"], systems=astray.DEFAULT_SUITE)
    assert len(suite.curves) == 2 * len(astray.DEFAULT_SUITE)
    result = astray.probe(["chgnet", "exact"], systems=["H2++", "H2"])
    assert not result.verdicts["chgnet", "H2++"].passed
    assert astray.Failure.COULOMB_LAW_VIOLATED in result["chgnet", "H2++"].verdict.failures
    assert result.verdicts["exact", "H2"].passed
    assert result["exact", "H2"].grade is astray.Grade.CHEMICAL_ACCURACY
    assert result["chgnet", "H2"].level_of_theory.curve.method == "dft:pbe/def2-tzvp"


ASTRAY_IMPORTS = """
import astray, astray.api, astray.cli, astray.report.figures
astray.probe, astray.ProbeResult, astray.reference_curve, astray.load_potential
"""


def test_importing_astray_changes_no_global_state():
    """Whatever astray's dependencies do when imported (scipy and torch add warning filters of
    their own), importing astray itself sets no backend, warnings filter or logging handler:
    the modules astray imports are imported first, then astray."""
    libraries = subprocess.run(
        [sys.executable, "-c", ASTRAY_IMPORTS + "import sys; print(' '.join(name for name in "
         "sys.modules if not name.startswith('astray')))"],
        check=True, capture_output=True, text=True).stdout.split()
    code = f"""
import importlib, logging, warnings
for name in {libraries!r}:
    try:
        importlib.import_module(name)
    except Exception:
        pass
import matplotlib
backend, filters = matplotlib.rcParams._get("backend"), list(warnings.filters)
handlers = list(logging.getLogger().handlers)
{ASTRAY_IMPORTS}
assert matplotlib.rcParams._get("backend") == backend, "backend"
assert list(warnings.filters) == filters, [f for f in warnings.filters if f not in filters]
assert logging.getLogger().handlers == handlers, "logging"
assert "matplotlib.pyplot" not in __import__("sys").modules, "pyplot"
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_probe_docstring_example_runs():
    import astray.api

    failed, attempted = doctest.testmod(astray.api, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


def test_a_declaration_without_its_one_calculator_is_refused():
    with pytest.raises(astray.errors.PotentialError, match="describe one ASE calculator; 0"):
        astray.probe("exact", systems="H2++", name="renamed")
    with pytest.raises(astray.errors.PotentialError, match="2 are given"):
        astray.probe([lennard_jones(), lennard_jones()], systems="H2++", charge_aware=True)


def test_a_curve_result_reads_back_from_its_json():
    result = astray.probe("exact", systems=["H2+"])
    curve = result["exact", "H2+"]
    again = astray.CurveResult.from_json(curve.to_json())
    assert again.to_json() == curve.to_json()
    assert again.metrics == curve.metrics and again.verdict == curve.verdict
