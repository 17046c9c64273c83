"""Findings worded from their evidence (astray.scaling.findings over astray.scaling.laws), on
synthetic sweeps written as result.json files whose answers are known, and flipped."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from astray.errors import AstrayError, SweepError
from astray.scaling.findings import compute_findings
from astray.scaling.laws import fit_laws
from astray.scaling.records import RunResult
from astray.scaling.summary import SweepSummary, load_runs, summarise, write_scaling_json
from scaling_fixtures import read_run, write_run, write_synthetic_sweep

N_GRID = (100, 200, 400, 800, 1600)


def by_id(findings):
    return {finding.id: finding for finding in findings}


def rewrite(directory, change):
    """Apply ``change(record)`` to every result.json of a sweep folder (in place)."""
    for path in sorted((directory / "runs").glob("*/result.json")):
        record = json.loads(path.read_text())
        change(record)
        write_run(directory, record)


def test_mae_law(directory, law, rng_seed=1, noise=0.05):
    """Every run's own-subset test MAE replaced by law(N) with multiplicative noise, each seed
    an independent draw of the training data (``data_seed``), so lack of fit can be tested."""
    rng = np.random.default_rng(rng_seed)

    def change(record):
        record["data_seed"] = record["seed"]
        record["test_mae_kcal_mol"][record["subset"]] = float(
            law(record["n_train"]) * (1 + noise * rng.standard_normal()))
    rewrite(directory, change)


test_mae_law.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """3 seeds x 4 N x 2 widths x prior off/on x stable/all (96 runs)."""
    directory = write_synthetic_sweep(tmp_path_factory.mktemp("sweep"), seeds=(0, 1, 2),
                                      hidden=(16, 64))
    return directory, summarise(directory)


def test_the_synthetic_sweep_reproduces_the_study_with_its_evidence(sweep):
    findings = by_id(sweep[1].findings)
    study_a = findings["study-a-stable-fails-h2"]
    assert study_a.holds is True and study_a.numbers["passing"] == 0
    assert "all 48 stable-only runs fail the H2 check" in study_a.text
    assert "separate finding (trend:h2_mae_bonding:stable" in study_a.text
    # the fixture's stable training sets have no H-H pair under 1.37 A: by construction
    assert "1.37 Å" in study_a.by_construction and "pure extrapolation" in study_a.text
    study_b = findings["study-b-distortions-improve-h2"]
    assert study_b.holds is True
    shape = study_b.numbers["comparisons"]["all"]["mae_bonding_shape_ev"]
    assert shape["pairs"] == 48 and shape["ci95"][1] < 0
    prior = findings["prior-passes-h2pp"]
    assert prior.holds is True and prior.numbers["passing"] == 48
    assert prior.by_construction and "True by construction" in prior.text
    assert findings["convergence"].holds is True


def test_in_distribution_error_falls_as_a_tested_power_law(sweep):
    findings = by_id(sweep[1].findings)
    for subset in ("stable", "all"):  # the fixture's alpha = 0.4 everywhere, 3 seeds per N
        finding = findings[f"trend:test_mae:{subset}"]
        assert finding.holds is True, finding.text
        for law in finding.numbers["laws"]:
            assert law["shape"] == "power law" and law["direction"] == "falls"
            assert 0.3 < law["alpha"] < 0.5 and law["lack_of_fit_p"] is not None
    # flat stable-only H2 errors do not fall; the with-distortion ones fall as N^-0.6
    assert findings["trend:h2_mae_bonding:stable"].holds is not True
    assert findings["trend:h2_mae_bonding:all"].holds is True


def test_a_plateau_is_not_called_a_power_law(tmp_path):
    directory = write_synthetic_sweep(tmp_path, n_train=N_GRID + (3200,), hidden=(64,),
                                      subsets=("stable",), priors=(False,))
    test_mae_law(directory, lambda n: 5.0 + 40.0 * np.exp(-n / 300.0), noise=0.02)
    finding = by_id(summarise(directory).findings)["trend:test_mae:stable"]
    law = finding.numbers["laws"][0]
    assert law["shape"] != "power law" and finding.holds is False, finding.text
    assert "as a power law" not in finding.text.replace("not as a power law", "")


def test_a_floor_law_is_reported_with_its_floor(tmp_path):
    directory = write_synthetic_sweep(tmp_path, n_train=N_GRID + (3200, 6400), hidden=(64,),
                                      subsets=("stable",), priors=(False,))
    test_mae_law(directory, lambda n: 2.0 + 60.0 * n ** -0.5, noise=0.02)
    summary = summarise(directory)
    finding = by_id(summary.findings)["trend:test_mae:stable"]
    assert finding.numbers["laws"][0]["shape"] == "power law with floor", finding.text
    assert "floor" in finding.text and "not as a pure power law" in finding.text
    law = next(law for law in summary.laws if law.target == "test_mae:stable")
    floor = law.fit("L_inf+a*N^-alpha")
    # the floor is resolved above 0 and found near its true value (that its interval covers
    # the truth 95% of the time is measured by simulation in test_fit_coverage.py)
    assert floor.ci95["L_inf"][0] > 0 and abs(floor.params["L_inf"] - 2.0) < 0.3


def test_an_h2_error_that_falls_while_every_verdict_fails_is_reported_as_falling(tmp_path):
    directory = write_synthetic_sweep(tmp_path, n_train=N_GRID, hidden=(64,),
                                      subsets=("all",), priors=(False,))
    rng = np.random.default_rng(3)

    def change(record):
        probe = record["probe"]["H2"]
        probe["metrics"]["mae_bonding_ev"] = float(
            2.0 * record["n_train"] ** -0.3 * (1 + 0.03 * rng.standard_normal()))
        probe["failures"], probe["verdict"] = ["spurious-minimum"], "fail"
    rewrite(directory, change)
    finding = by_id(summarise(directory).findings)["trend:h2_mae_bonding:all"]
    assert finding.numbers["directions"] == {"falls": 1}
    assert "falls in 1" in finding.text
    assert any("H2 passes its check in 0 of 15 runs" in c for c in finding.caveats)


def test_unconverged_runs_are_left_out_or_named(tmp_path):
    directory = write_synthetic_sweep(tmp_path, n_train=N_GRID, hidden=(64,),
                                      subsets=("stable",), priors=(False,))

    def smallest_unconverged(record):
        record["converged"] = record["n_train"] > 100
        record["stopped_by"] = "early-stopping" if record["converged"] else "max-epochs"
    rewrite(directory, smallest_unconverged)
    summary = summarise(directory)
    law = next(law for law in summary.laws if law.target == "test_mae:stable")
    assert law.unconverged == 3 and not law.fitted_unconverged and len(law.run_ids) == 12
    assert by_id(summary.findings)["convergence"].holds is False

    def none_converged(record):
        record["converged"], record["stopped_by"] = False, "max-epochs"
    rewrite(directory, none_converged)
    finding = by_id(summarise(directory).findings)["trend:test_mae:stable"]
    assert any("measure the training budget" in c for c in finding.caveats)


def test_distortions_that_change_nothing_leave_finding_b_unresolved(sweep, tmp_path):
    directory = write_synthetic_sweep(tmp_path, n_train=N_GRID, hidden=(64,), priors=(False,))
    stable = {(r.n_train, r.seed): r for r in load_runs(directory) if r.subset == "stable"}
    rng = np.random.default_rng(5)

    def same_as_stable(record):
        if record["subset"] == "all":
            twin = read_run(directory, stable[record["n_train"], record["seed"]].run_id)
            record["probe"] = twin["probe"]
            mae = twin["probe"]["H2"]["metrics"]["mae_bonding_ev"]
            record["probe"]["H2"]["metrics"]["mae_bonding_ev"] = mae * (
                1 + 0.05 * rng.standard_normal())
    rewrite(directory, same_as_stable)
    finding = by_id(summarise(directory).findings)["study-b-distortions-improve-h2"]
    assert finding.holds is None and "not resolved" in finding.text
    assert "no run passes H2 either way" in finding.text


def test_findings_are_undecided_without_stable_runs(sweep):
    runs = [r for r in sweep[1].runs if r.subset == "all"]
    laws, _ = fit_laws(runs)
    findings = by_id(compute_findings(runs, laws))
    assert findings["study-a-stable-fails-h2"].holds is None
    assert findings["study-b-distortions-improve-h2"].holds is None
    assert "trend:test_mae:stable" not in findings


def test_a_curve_with_two_minima_has_no_r_e_target(tmp_path):
    directory = write_synthetic_sweep(tmp_path, n_train=N_GRID, hidden=(64,),
                                      subsets=("all",), priors=(False,))

    def two_minima(record):
        if record["n_train"] == 100 and record["seed"] == 0:
            record["probe"]["H2"]["metrics"]["n_minima"] = 2
    rewrite(directory, two_minima)
    law = next(law for law in summarise(directory).laws if law.target == "h2_r_e_error")
    assert law.missing == {"2 minima: r_e and D_e undefined": 1} and len(law.run_ids) == 14


def test_scaling_json_round_trips_and_keeps_failed_runs_out_of_the_fits(tmp_path):
    directory = write_synthetic_sweep(tmp_path, seeds=(0,), n_train=N_GRID, hidden=(16,),
                                      subsets=("stable",), priors=(False,))
    write_run(directory, {"schema": "astray-run/2", "status": "failed", "run_id": "crashed",
                          "subset": "stable", "model": "schnet", "hidden": 16,
                          "interactions": 3, "prior": False, "n_train": 100, "seed": 9,
                          "error": "worker died twice"})
    path = write_scaling_json(directory)
    record = json.loads(path.read_text())
    assert record["schema"] == "astray-scaling/2" and len(record["runs"]) == 6
    again = SweepSummary.from_dict(record)
    assert [f.to_dict() for f in again.findings] == record["findings"]
    assert {law.runs for law in again.laws} == {5}
    band = again.laws[0].fits[0].band
    assert band is not None and len(band["n"]) == len(band["low"]) == len(band["high"])


def test_a_result_with_a_wrong_field_type_is_one_line_naming_file_and_field(tmp_path):
    from astray.cli import app

    directory = write_synthetic_sweep(tmp_path, seeds=(0,), n_train=N_GRID, hidden=(16,),
                                      subsets=("stable",), priors=(False,))
    run_id = load_runs(directory)[0].run_id
    record = read_run(directory, run_id)
    record["n_train"] = "a hundred"
    write_run(directory, record)
    with pytest.raises(SweepError) as raised:
        load_runs(directory)
    message = str(raised.value)
    assert "\n" not in message and run_id in message and "'n_train'" in message
    result = CliRunner().invoke(app, ["report", str(directory)])
    assert result.exit_code == 2 or isinstance(result.exception, SweepError)


@pytest.mark.parametrize("bad, field", [
    ({"probe": {"H2": {"verdict": "maybe"}}}, "probe.H2.'verdict'"),
    ({"test_mae_kcal_mol": {"stable": "12"}}, "test_mae_kcal_mol.'stable'"),
    ({"prior": 1}, "'prior'"),
    ({"pair_distances_angstrom": {"H-H": [1.0]}}, "pair_distances_angstrom.'H-H'"),
])
def test_malformed_fields_are_named(bad, field):
    record = {"run_id": "r", "subset": "stable", "model": "schnet", "hidden": 8,
              "interactions": 1, "prior": False, "n_train": 10, "seed": 0, "n_params": 5,
              **bad}
    with pytest.raises(SweepError, match=f"x.json: field {field}"):
        RunResult.from_dict(record, "x.json")


def test_a_folder_without_runs_is_a_one_line_error(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(SweepError, match="no runs/\\*/result.json") as raised:
        summarise(tmp_path)
    assert isinstance(raised.value, AstrayError) and "\n" not in str(raised.value)
