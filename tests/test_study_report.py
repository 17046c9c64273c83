"""``astray report DIR``: scaling.json, the figures and report.html of a synthetic sweep whose
laws are known (tests/scaling_fixtures.py), plus a failed run with hostile strings and a
foundation-model probe in ``DIR/probe/curves.json``."""

from __future__ import annotations

import html
import inspect
import json
import os
import re
import shlex
import stat
import subprocess
import sys

import numpy as np
import pytest
import typer
from matplotlib.image import imread
from typer.testing import CliRunner

from astray.errors import SweepError
from astray.report.cli import report_command
from astray.report.scaling_figures import (
    h2_curves_figure,
    h2pp_coulomb_figure,
    learning_curves_figure,
)
from astray.report.study_tables import (
    PLACEMENT_FIELDS,
    TRAIN_OPTIONS,
    probe_command_line,
    train_command_line,
)
from astray.scaling.records import RunResult
from astray.scaling.summary import SweepSummary, write_scaling_json
from astray.systems import get_system
from astray.units import COULOMB_EV_ANGSTROM
from scaling_fixtures import write_synthetic_sweep

HOSTILE_ID = "<script>alert('run id')</script>"
HOSTILE_ERROR = "worker died <img src=x onerror=alert(1)> & did not come back"
#: Figures of a sweep with probes: learning curves, H2 full / equilibrium / long range, H2++.
STUDY_FIGURES = 5
PROBE_SYSTEMS = ("H2", "H2++")


def _cli():
    app = typer.Typer()
    app.command()(report_command)
    return app


def _write_probe(directory, run: dict) -> None:
    """A foundation-model probe (curves.json) whose curves are one run's probe records."""
    curves = [{"potential": "fake-foundation-model", "system": name,
               "blind_to_this_system": name != "H2", **run["probe"][name],
               "level_of_theory": None} for name in PROBE_SYSTEMS]
    result = {"astray_version": "0.1.0", "created": "2026-11-28T09:00:00+00:00",
              "command": "astray curves -p fake-foundation-model", "potentials": [],
              "systems": [{"name": n, "spec": get_system(n).spec} for n in PROBE_SYSTEMS],
              "references": [], "curves": curves}
    (directory / "probe").mkdir()
    (directory / "probe" / "curves.json").write_text(json.dumps(result))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A 32-run sweep (stable and all, prior off and on, N = 100, 300, 1000, 3000, two seeds),
    one failed run with hostile strings, a probe, and the output of ``astray report`` on it."""
    directory = write_synthetic_sweep(tmp_path_factory.mktemp("sweep"), seeds=(0, 1),
                                      n_train=(100, 300, 1000, 3000), hidden=(16,))
    runs = [json.loads(p.read_text()) for p in sorted(directory.glob("runs/*/result.json"))]
    failed = {key: runs[0][key] for key in ("schema", "dataset", "subset", "model", "hidden",
                                            "interactions", "prior", "training")}
    failed["training"] = {**failed["training"], "data_seed": None}
    failed.update(status="failed", run_id=HOSTILE_ID, error=HOSTILE_ERROR, n_train=5000, seed=7)
    (directory / "runs" / "hostile").mkdir()
    (directory / "runs" / "hostile" / "result.json").write_text(json.dumps(failed))
    _write_probe(directory, runs[0])
    result = CliRunner().invoke(_cli(), [str(directory)])
    assert result.exit_code == 0, result.output
    return directory, result.output


@pytest.fixture(scope="module")
def page(sweep) -> str:
    return (sweep[0] / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scaling(sweep) -> dict:
    return json.loads((sweep[0] / "scaling.json").read_text())


@pytest.fixture(scope="module")
def summary(scaling) -> SweepSummary:
    return SweepSummary.from_dict(scaling)


def test_cli_prints_the_findings_and_where_the_report_is(sweep, scaling):
    directory, output = sweep
    lines = output.strip().splitlines()
    assert lines[-1] == f"report: {directory / 'report.html'}"
    findings = [line for line in lines if not line.startswith("    caveat: ")]
    assert len(findings) == len(scaling["findings"]) + 1
    for finding, line in zip(scaling["findings"], findings):
        assert finding["text"] in line


def test_report_is_one_self_contained_page(page):
    targets = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)""", page)
    assert targets and all(t.startswith(("data:image/png;base64,", "#")) for t in targets)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()


def test_findings_come_first_with_their_numbers(page, scaling):
    assert scaling["findings"]
    for finding in scaling["findings"]:
        assert html.escape(finding["text"]) in page
        for name in finding.get("numbers") or {}:
            assert html.escape(str(name)) in page
    order = [page.index(f"id='{section}'")
             for section in ("findings", "figures", "probe", "fits", "runs", "failed",
                             "provenance")]
    assert order == sorted(order)


def test_one_image_per_figure(sweep, page):
    directory, _ = sweep
    assert page.count("<img ") == STUDY_FIGURES + len(PROBE_SYSTEMS)
    pngs = sorted((directory / "figures").glob("*.png"))
    assert len(pngs) == STUDY_FIGURES + len(PROBE_SYSTEMS)
    assert all(imread(png).shape[1] > 1000 for png in pngs)


def test_strings_from_files_are_escaped(page):
    assert HOSTILE_ID not in page and HOSTILE_ERROR not in page
    assert html.escape(HOSTILE_ID) in page and html.escape(HOSTILE_ERROR) in page


def test_every_run_carries_commands_that_reproduce_it(sweep, summary, page):
    from astray.train.cli import train_command

    directory, _ = sweep
    options = {name: parameter.default.param_decls[0]
               for name, parameter in inspect.signature(train_command).parameters.items()
               if name not in ("out", "as_json", *PLACEMENT_FIELDS)}
    assert options == TRAIN_OPTIONS  # the report's copy of astray train's options
    app = typer.Typer()
    app.command()(train_command)
    command = typer.main.get_command(app)
    done = summary.done_runs
    assert len(done) == 32
    for run in done:
        run_dir = directory / "runs" / run.run_id
        line = train_command_line(run, run_dir)
        assert html.escape(line) in page
        arguments = shlex.split(line.split("  # ")[0])
        assert arguments[:2] == ["astray", "train"]
        params = command.make_context("train", arguments[2:]).params  # unknown flags raise
        for key in ("dataset", "subset", "model", "hidden", "interactions", "prior",
                    "n_train", "seed"):
            assert params[key] == getattr(run, key), key
        assert params["max_epochs"] == run.training["max_epochs"]
        assert str(params["out"]) == str(run_dir)
        probe = probe_command_line(run, run_dir)
        assert f"checkpoint:{run_dir / 'best.pt'}" in probe and html.escape(probe) in page
    sweep_command = json.loads((directory / "sweep.json").read_text())["command"]
    assert html.escape(sweep_command) in page
    assert html.escape(f"astray report {directory}") in page


def test_learning_curves_have_one_log_log_panel_per_target_and_variant(summary):
    figure = learning_curves_figure(summary)
    targets = sorted({law.target for law in summary.laws})
    variants = {(run.subset, run.prior) for run in summary.done_runs}
    assert len(figure.axes) == len(targets) * len(variants) == 7 * 4
    assert all(ax.get_xscale() == ax.get_yscale() == "log" for ax in figure.axes)
    left = [ax.get_ylabel() for ax in figure.axes[::len(variants)]]
    assert sum("(kcal/mol)" in label for label in left) == 3
    assert {"(eV, own atoms)", "(Å, own atoms)"} <= {label[label.rindex("("):] for label in left}
    assert all(ax.get_xlabel() == "training structures N" for ax in figure.axes[-4:])
    fitted = [ax for ax in figure.axes if ax.get_legend() is not None]
    assert len(fitted) == 28
    for ax in fitted:  # one law with its band per model size (one size here)
        assert [t.get_text()[:3] for t in ax.get_legend().get_texts()] == ["α ="]
        assert len(ax.collections) >= 2  # the runs' markers and the band


@pytest.mark.parametrize("window, r_range", [("full", (0.2, 6.2)),
                                             ("equilibrium", (0.55, 1.19)),
                                             ("long-range", (1.18, 6.2))])
def test_h2_grid_has_variant_rows_and_n_columns(summary, window, r_range):
    figure = h2_curves_figure(summary, window)
    assert len(figure.axes) == 4 * 4
    assert [ax.get_title() for ax in figure.axes[:4]] == ["N = 100", "N = 300", "N = 1,000",
                                                          "N = 3,000"]
    low, high = figure.axes[0].get_xlim()
    assert r_range[0] - 0.01 <= low and high <= r_range[1] + 0.01
    for ax in figure.axes:
        reference = [line for line in ax.get_lines() if line.get_color() == "black"]
        assert len(reference) == 1 and reference[0].get_linewidth() == 2.5
        assert len(ax.get_lines()) == 1 + 1 + 2  # zero line, reference, two seeds
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any(label.startswith("exact reference") for label in labels)
    # the training sets' shortest H-H distance (1.37 A stable-only, 1.25 A with distortions)
    # is drawn: everything left of it is extrapolation
    assert "shorter than every H–H pair in training" in labels
    if window != "long-range":
        spans = [p for p in figure.axes[0].patches if p.get_hatch() == "//"]
        assert len(spans) == 1 and spans[0].get_x() + spans[0].get_width() == pytest.approx(
            min(1.25, high) if window == "full" else min(1.25, 1.6 * 0.7414), abs=0.01)


def test_h2pp_against_coulomb_on_log_log_axes_shows_non_positive_points(scaling):
    record = json.loads(json.dumps(scaling))
    run = next(r for r in record["runs"] if r["status"] == "done" and r["subset"] == "all"
               and not r["prior"] and r["n_train"] == 100)  # drawn in the first panel
    energy = run["probe"]["H2++"]["energy_ev"]
    energy[-5:] = [-0.25] * 5  # an attractive tail, as charge-blind models predict
    figure = h2pp_coulomb_figure(SweepSummary.from_dict(record))
    ax = figure.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    exact = next(line for line in ax.get_lines() if line.get_color() == "black")
    r, e = exact.get_data()
    np.testing.assert_allclose(e * r, COULOMB_EV_ANGSTROM, rtol=1e-12)
    open_markers = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"
                    and len(line.get_xdata())]
    assert len(open_markers) == 1
    np.testing.assert_allclose(open_markers[0].get_ydata(), 0.25)


def test_drawn_band_is_the_band_of_the_law_in_scaling_json(summary, scaling):
    figure = learning_curves_figure(summary)
    ax = figure.axes[0]  # first target (test_mae:all), first variant (all, prior off)
    law = next(law for law in scaling["laws"] if law["target"] == "test_mae:all"
               and law["group"]["subset"] == "all" and not law["group"]["prior"])
    fit = next(f for f in law["fits"] if f["form"] == law["assessment"]["direction_form"])
    assert fit["n_points"] == 8  # the finished runs only (not the failed one of the group)
    (band,) = [c for c in ax.collections if c.get_alpha() == 0.15]
    vertices = band.get_paths()[0].vertices
    grid = np.unique(vertices[:, 0])
    np.testing.assert_allclose(grid, fit["band"]["n"], rtol=1e-12)
    for x, lo, hi in zip(grid, fit["band"]["low"], fit["band"]["high"]):
        drawn = vertices[vertices[:, 0] == x, 1]
        np.testing.assert_allclose([drawn.min(), drawn.max()], [lo, hi], rtol=1e-12)
    alpha_low, alpha_high = law["assessment"]["alpha_ci95"]
    assert f"[{alpha_low:.2f}, {alpha_high:.2f}]" in ax.get_legend().get_texts()[0].get_text()


def test_a_report_without_curve_arrays_draws_what_it_has_and_says_so(tmp_path):
    directory = write_synthetic_sweep(tmp_path, seeds=(0,), n_train=(100, 300, 1000, 3000),
                                      hidden=(16,), subsets=("stable",), priors=(False,))
    for path in directory.glob("runs/*/result.json"):
        record = json.loads(path.read_text())
        for probe in record["probe"].values():
            for key in ("r_angstrom", "energy_ev", "reference_energy_ev"):
                del probe[key]
        path.write_text(json.dumps(record))
    result = CliRunner().invoke(_cli(), [str(directory)])
    assert result.exit_code == 0, result.output
    page = (directory / "report.html").read_text()
    assert "4 runs have no H2 curve arrays" in page and "4 runs have no H2++ curve arrays" in page
    assert sorted(p.name for p in (directory / "figures").glob("*.png")) == [
        "learning-curves.png"]
    assert all(isinstance(r, RunResult) for r in SweepSummary.from_dict(
        json.loads((directory / "scaling.json").read_text())).runs)


def test_a_missing_or_empty_folder_is_a_sweep_error(tmp_path, monkeypatch, capsys):
    for folder in (tmp_path / "nowhere", tmp_path):
        result = CliRunner().invoke(_cli(), [str(folder)])
        assert isinstance(result.exception, SweepError), result.output
    from astray.cli import main

    monkeypatch.setattr(sys, "argv", ["astray", "report", str(tmp_path / "nowhere")])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nowhere" in error


def test_json_prints_scaling_json(tmp_path):
    directory = write_synthetic_sweep(tmp_path, seeds=(0,), n_train=(100, 300, 1000, 3000),
                                      hidden=(16,), subsets=("stable",), priors=(False,))
    result = CliRunner().invoke(_cli(), [str(directory), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == json.loads((directory / "scaling.json").read_text())
    assert len(printed["runs"]) == 4 and printed["laws"]


def test_scaling_json_is_written_whole_and_world_readable(tmp_path):
    directory = write_synthetic_sweep(tmp_path, seeds=(0,), n_train=(100, 300, 1000),
                                      hidden=(16,), subsets=("stable",), priors=(False,))
    previous = os.umask(0o022)  # the usual umask, whatever this test runner's is
    try:
        path = write_scaling_json(directory)
    finally:
        os.umask(previous)
    assert path == directory / "scaling.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # like curves.json, report.html
    assert sorted(p.name for p in directory.iterdir()) == ["runs", "scaling.json", "sweep.json"]
    fit = json.loads(path.read_text())["laws"][0]["fits"][0]
    assert fit["status"] == "insufficient-data" and fit["ci95"] is None  # three N: no interval


def test_importing_the_report_changes_no_global_state():
    # the libraries astray builds on set their own filters at import (numpy, scipy.optimize):
    # they are imported first, so only astray's own import is checked
    code = """
import sys, warnings, matplotlib, numpy, scipy.optimize, scipy.stats, ase, typer
backend, filters = matplotlib.rcParams._get("backend"), list(warnings.filters)
import astray.report.study, astray.report.cli
from matplotlib.figure import Figure
from astray.report.figures import figure_png
figure_png(Figure())
assert "matplotlib.pyplot" not in sys.modules
assert matplotlib.rcParams._get("backend") == backend
assert list(warnings.filters) == filters
print(matplotlib.get_backend())
"""
    with_astray = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert with_astray.returncode == 0, with_astray.stderr
    plain = subprocess.run([sys.executable, "-c", "import matplotlib; "
                            "print(matplotlib.get_backend())"], capture_output=True, text=True)
    assert with_astray.stdout == plain.stdout


def test_a_copied_sweep_folder_names_the_folder_it_is_in(tmp_path):
    from astray.report.study_tables import provenance_html
    from astray.scaling.summary import summarise

    directory = write_synthetic_sweep(tmp_path / "copy", seeds=(0,), n_train=(100, 300, 1000, 3000),
                                      hidden=(16,), subsets=("stable",), priors=(False,))
    record = json.loads((directory / "sweep.json").read_text())
    record["commands"] = ["astray scale --dataset default --out /home/someone/sweeps/original"]
    (directory / "sweep.json").write_text(json.dumps(record))
    text = html.unescape(provenance_html(summarise(directory), directory))
    assert f"astray scale --dataset default --out {directory}" in text
    assert "recorded in /home/someone/sweeps/original" in text
