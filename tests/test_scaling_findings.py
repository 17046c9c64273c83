"""Findings computed from a sweep's numbers (astray.scaling.findings) and scaling.json
(astray.scaling.summary), on synthetic sweeps whose answers are known, and flipped."""

import copy
import json

import pytest

from astray.errors import AstrayError, SweepError
from astray.scaling.findings import compute_findings
from astray.scaling.fits import fit_runs
from astray.scaling.summary import load_runs, summarise, write_scaling_json
from scaling_fixtures import write_synthetic_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """32 stable-only and 32 with-distortion runs: N 100-3000, 16 and 64 channels, prior off/on."""
    directory = write_synthetic_sweep(tmp_path_factory.mktemp("sweep"), seeds=(0, 1),
                                      hidden=(16, 64))
    return directory, summarise(directory, n_resamples=100)


def by_id(findings):
    return {finding["id"]: finding for finding in findings}


def find_run(runs, **config):
    return next(r for r in runs if all(r.get(k) == v for k, v in config.items()))


def test_the_synthetic_sweep_reproduces_the_study_and_the_prior(sweep):
    findings = by_id(sweep[1]["findings"])
    assert all(set(f) == {"id", "holds", "text", "numbers"} for f in findings.values())
    study_a = findings["study-a-stable-fails-h2"]
    assert study_a["holds"] is True
    assert study_a["numbers"]["runs"] == 32 and study_a["numbers"]["passing"] == 0
    assert "all 32 stable-only runs fail the H2 check" in study_a["text"]
    assert findings["study-b-distortions-improve-h2"]["holds"] is True
    prior = findings["prior-passes-h2pp"]
    assert prior["holds"] is True and prior["numbers"]["passing"] == 32
    assert prior["numbers"]["passing_without_prior"] == 0


def test_power_law_findings_per_data_variant(sweep):
    findings = by_id(sweep[1]["findings"])
    for subset in ("stable", "all"):  # in distribution: the fixture's alpha = 0.4 everywhere
        in_distribution = findings[f"power-law:test_mae:{subset}"]
        assert in_distribution["holds"] is True
        low, high = in_distribution["numbers"]["alpha_range"]
        assert 0.3 < low <= high < 0.5
    for target in ("h2_mae_bonding", "h2_d_e_error", "h2_r_e_error"):
        assert findings[f"power-law:{target}:stable"]["holds"] is False  # flat, and H2 fails
        assert findings[f"power-law:{target}:all"]["holds"] is True  # falls as N^-0.6


def test_one_stable_run_passing_h2_breaks_finding_a(sweep):
    runs = copy.deepcopy(sweep[1]["runs"])
    cell = dict(hidden=64, prior=False, n_train=3000, seed=1)
    stable = find_run(runs, subset="stable", **cell)
    distorted = find_run(runs, subset="all", **cell)
    assert distorted["probe"]["H2"]["verdict"] == "pass"
    stable["probe"]["H2"] = distorted["probe"]["H2"]
    study_a = by_id(compute_findings(runs, sweep[1]["fits"]))["study-a-stable-fails-h2"]
    assert study_a["holds"] is False
    assert study_a["numbers"]["passing_runs"] == [stable["run_id"]]
    assert "1 of 32 stable-only runs pass the H2 check (at N = 3000" in study_a["text"]


def test_one_prior_run_failing_h2pp_breaks_the_prior_finding(sweep):
    runs = copy.deepcopy(sweep[1]["runs"])
    cell = dict(subset="all", hidden=16, n_train=300, seed=0)
    find_run(runs, prior=True, **cell)["probe"]["H2++"] = find_run(
        runs, prior=False, **cell)["probe"]["H2++"]
    prior = by_id(compute_findings(runs, sweep[1]["fits"]))["prior-passes-h2pp"]
    assert prior["holds"] is False and prior["numbers"]["passing"] == 31
    assert {"n_train": 300, "runs": 8, "passing": 7} in prior["numbers"]["passing_per_n"]
    assert "31 of 32 runs (fails at N = 300 (" in prior["text"]
    assert "coulomb-law-violated 1" in prior["text"]


def test_distortions_that_change_nothing_break_finding_b(sweep):
    runs = copy.deepcopy(sweep[1]["runs"])
    for run in runs:
        if run["subset"] == "all":  # the with-distortion model predicts the stable-only curve
            twin = find_run(runs, subset="stable", hidden=run["hidden"], prior=run["prior"],
                            n_train=run["n_train"], seed=run["seed"])
            run["probe"] = twin["probe"]
    study_b = by_id(compute_findings(runs, sweep[1]["fits"]))["study-b-distortions-improve-h2"]
    assert study_b["holds"] is False
    comparison = study_b["numbers"]["comparisons"]["all"]
    assert comparison["matched_cells"] == 16 and comparison["cells_with_lower_mae"] == 0


def test_without_stable_runs_findings_a_and_b_are_undecided(sweep):
    runs = [r for r in sweep[1]["runs"] if r["subset"] == "all"]
    findings = by_id(compute_findings(runs, [f for f in sweep[1]["fits"]
                                             if f["subset"] == "all"]))
    assert findings["study-a-stable-fails-h2"]["holds"] is None
    assert findings["study-b-distortions-improve-h2"]["holds"] is None
    assert "power-law:test_mae:stable" not in findings


def test_a_run_without_r_e_gives_a_reasoned_non_fit(sweep):
    runs = copy.deepcopy(sweep[1]["runs"])
    run = find_run(runs, subset="all", hidden=16, prior=False, n_train=100, seed=0)
    run["probe"]["H2"]["metrics"]["r_e_error_angstrom"] = None  # a model with no minimum
    fits = fit_runs([r for r in runs if r["subset"] == "all"], n_resamples=50)
    entry = next(f for f in fits if f["target"] == "h2_r_e_error" and f["hidden"] == 16
                 and f["prior"] is False and f["form"] == "a*N^-alpha")
    assert entry["status"] == "insufficient-data" and "1 of 8 runs have no value" in entry["reason"]
    finding = by_id(compute_findings(runs, fits))["power-law:h2_r_e_error:all"]
    assert finding["numbers"]["fitted"] == 3 and finding["numbers"]["groups"] == 4


@pytest.fixture
def small_sweep(tmp_path):
    return write_synthetic_sweep(tmp_path / "small", seeds=(0,), n_train=(100, 300, 1000),
                                 hidden=(16,), subsets=("stable",), priors=(False,))


def test_load_runs_reports_bad_files_and_reads_the_others(small_sweep):
    bad = small_sweep / "runs" / "torn" / "result.json"
    bad.parent.mkdir()
    bad.write_text('{"schema": "astray-run/1", "status": "do')
    incomplete = small_sweep / "runs" / "old" / "result.json"
    incomplete.parent.mkdir()
    incomplete.write_text(json.dumps({"status": "done", "run_id": "old"}))
    runs = {run["run_id"]: run for run in load_runs(small_sweep)}
    assert len(runs) == 5
    assert runs["torn"]["status"] == "failed" and "unreadable" in runs["torn"]["error"]
    assert runs["old"]["status"] == "failed" and "lacks subset" in runs["old"]["error"]
    assert sum(run["status"] == "done" for run in runs.values()) == 3


def test_scaling_json_is_written_whole_and_keeps_failed_runs_out_of_the_fits(small_sweep):
    failed = small_sweep / "runs" / "crashed" / "result.json"
    failed.parent.mkdir()
    failed.write_text(json.dumps({"schema": "astray-run/1", "status": "failed",
                                  "run_id": "crashed", "error": "worker died twice"}))
    path = write_scaling_json(small_sweep, n_resamples=50)
    assert path == small_sweep / "scaling.json"
    assert [p.name for p in small_sweep.iterdir() if p.name.startswith(".scaling-")] == []
    summary = json.loads(path.read_text())
    assert set(summary) == {"runs", "fits", "findings", "sweep"}
    assert len(summary["runs"]) == 4 and summary["sweep"]["grid"]["n_train"] == [100, 300, 1000]
    assert {f["n_points"] for f in summary["fits"]} == {3}


def test_a_folder_without_runs_is_a_one_line_error(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(SweepError, match="no runs/\\*/result.json") as raised:
        summarise(tmp_path)
    assert isinstance(raised.value, AstrayError) and "\n" not in str(raised.value)
