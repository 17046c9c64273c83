"""`astray scale`: the grid is checked before any work, runs land as result.json, a killed sweep
resumes without repeating or touching a finished run, failures are recorded, not fatal."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from astray.cluster import SlurmOptions
from astray.data.dataset import open_dataset
from astray.errors import SweepError
from astray.scaling.grid import SweepGrid, validate
from astray.train.splits import split_indices
from astray.train.trainer import TrainConfig, plan_split

ASTRAY = str(Path(sys.executable).with_name("astray"))
#: The smallest real sweep: the shipped tiny set (113 stable, 113 distorted structures).
TINY = ["--dataset", "tiny", "--n-val", "10", "--n-test", "20", "--hidden", "8",
        "--interactions", "1", "--max-epochs", "3", "--workers", "2", "--no-report"]


def scale(*args, env=None, **kwargs):
    return subprocess.run([ASTRAY, "scale", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), **kwargs)


def results(folder: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text())
            for p in sorted((folder / "runs").glob("*/result.json"))}


def test_held_out_test_sets_never_enter_training():
    dataset = open_dataset("tiny")
    config = TrainConfig(dataset="tiny", subset="all", n_train=50, n_val=10, n_test=20,
                         test_subsets=("stable", "distorted"))
    split, tests = plan_split(dataset, config)
    seen = np.concatenate([split.train, split.val])
    for subset, indices in tests.items():
        assert len(indices) == 20 and not np.isin(indices, seen).any(), subset
        # the same structures a run trained on that subset is tested on
        assert np.array_equal(indices, split_indices(dataset.indices_of(subset), 0, n_val=0,
                                                     n_test=20).test)
    # nothing held out: the split the study's recipe gives
    plain = plan_split(dataset, TrainConfig(dataset="tiny", subset="all", n_train=50, n_val=10,
                                            n_test=20))[0]
    assert np.array_equal(plain.test, split.test)


def test_training_sets_stay_nested_with_held_out_sets():
    dataset = open_dataset("tiny")
    small, large = (plan_split(dataset, TrainConfig(dataset="tiny", subset="all", n_train=n,
                                                    n_val=10, n_test=20,
                                                    test_subsets=("stable",)))[0]
                    for n in (20, 80))
    assert np.array_equal(large.train[:20], small.train)


@pytest.mark.parametrize("grid, message", [
    (dict(n_train=(10_000,)), "more than subset 'stable'"),
    (dict(n_train=()), "grid is empty"),
    (dict(n_train=(0,)), "at least 1"),
    (dict(models=("gpt",)), "unknown model"),
    (dict(datasets=("no-such-set",)), "no-such-set"),
    (dict(subsets=("wobbly",)), "unknown subset"),
    (dict(hidden=(8, 8)), "twice"),
])
def test_impossible_grids_are_refused_before_any_work(grid, message):
    axes = dict(datasets=("tiny",), subsets=("stable",), n_train=(10,), hidden=(8,),
                training={"n_val": 10, "n_test": 20})
    with pytest.raises(SweepError, match=message):
        validate(SweepGrid(**{**axes, **grid}))


def test_grid_gives_every_run_the_sweeps_test_subsets():
    grid = SweepGrid(datasets=("tiny",), subsets=("stable", "all"), n_train=(10, 20),
                     hidden=(8, 16), priors=(False, True), seeds=(0, 1),
                     training={"n_val": 10, "n_test": 20})
    runs = validate(grid)
    assert len(runs) == 2 * 2 * 2 * 2 * 2 and len({r.run_id for r in runs}) == len(runs)
    assert len({r.key for r in runs}) == len(runs)
    for run in runs:
        expected = {"stable", "distorted", "all"} - {run.config.subset}
        assert set(run.config.test_subsets) == expected


def test_cli_bad_grid_is_one_line_and_exit_2(tmp_path):
    done = scale(*TINY, "--subset", "stable", "--n-train", "5000", "--out", str(tmp_path / "s"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "--n-train 5000" in done.stderr
    assert not (tmp_path / "s" / "runs").exists()


def test_slurm_job_script_runs_single_threaded_workers_on_gpus():
    pytest.importorskip("dask_jobqueue")
    cluster = SlurmOptions(partition="gpu", processes=8, gpus=1, memory="32GB",
                           max_jobs=4).cluster(host="127.0.0.1")
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH -p gpu" in script and "#SBATCH --gres=gpu:1" in script
    assert "--nworkers 8" in script and "--nthreads 1" in script
    assert "export OMP_NUM_THREADS=1" in script


def test_killed_sweep_resumes_without_repeating_a_finished_run(tmp_path):
    """SIGKILL mid-sweep, then the same command: 6 of 6 runs, finished ones untouched."""
    out = tmp_path / "sweep"
    args = [*TINY, "--subset", "stable", "--subset", "all", "--n-train", "10,20,30",
            "--out", str(out)]
    process = subprocess.Popen([ASTRAY, "scale", *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    while not results(out) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.kill()  # SIGKILL to the sweep alone: its local workers must die with it
    process.wait()
    assert _group_ends(process.pid), "workers of the killed sweep are still running"
    before = {run: (out / "runs" / run / "result.json").stat().st_mtime_ns
              for run in results(out)}
    assert 1 <= len(before) < 6, "the kill came too late to test resuming"
    finished = scale(*args, timeout=600)
    assert finished.returncode == 0, finished.stderr
    after = results(out)
    assert len(after) == 6 and all(r["status"] == "done" for r in after.values())
    for run, mtime in before.items():
        assert (out / "runs" / run / "result.json").stat().st_mtime_ns == mtime
    summary = json.loads(finished.stdout[finished.stdout.index("{"):])
    assert summary["skipped"] == len(before) and summary["trained"] == 6 - len(before)


def _group_ends(group: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    return False


def test_result_json_has_the_contract_and_a_rerun_skips_everything(tmp_path):
    out = tmp_path / "sweep"
    args = [*TINY, "--subset", "all", "--n-train", "15", "--prior", "off,on", "--out", str(out),
            "--json"]
    first = scale(*args, timeout=600)
    assert first.returncode == 0, first.stderr
    runs = results(out)
    assert len(runs) == 2
    for result in runs.values():
        for key in ("run_id", "dataset", "level_of_theory", "subset", "model", "hidden",
                    "interactions", "prior", "n_train", "n_params", "seed", "epochs",
                    "stopped_by", "train_seconds"):
            assert result[key] is not None, key
        assert set(result["test_mae_kcal_mol"]) == {"all", "stable", "distorted"}
        assert set(result["probe"]) == {"H2", "H2+", "H2++"}
        h2pp = result["probe"]["H2++"]
        assert h2pp["reference_method"] == "coulomb" and len(h2pp["energy_ev"]) == 40
        assert result["probe"]["H2"]["level_of_theory"]["method"] == "gfn2-xtb"
        assert (out / "runs" / result["run_id"] / "best.pt").is_file()
    # the prior is exact for bare nuclei: the H2++ check passes by construction
    with_prior = next(r for r in runs.values() if r["prior"])
    assert with_prior["probe"]["H2++"]["verdict"] == "pass"
    assert "coulomb-law-violated" in next(
        r for r in runs.values() if not r["prior"])["probe"]["H2++"]["failures"]
    again = scale(*args, timeout=600)
    assert json.loads(again.stdout)["skipped"] == 2
    # another folder, same runs: copied from the store, not retrained
    elsewhere = scale(*[a if a != str(out) else str(tmp_path / "copy") for a in args],
                      timeout=600)
    assert json.loads(elsewhere.stdout)["reused"] == 2


def test_a_run_that_fails_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    from astray.scaling import execute
    from astray.store import Store

    original = execute.execute_run

    def flaky(spec, run_dir, references, **kwargs):
        if spec.config.n_train == 10:
            raise RuntimeError("worker exploded")
        return original(spec, run_dir, references, **kwargs)

    monkeypatch.setattr(execute, "execute_run", flaky)
    grid = SweepGrid(datasets=("tiny",), subsets=("stable",), n_train=(10, 20), hidden=(8,),
                     interactions=(1,), training={"n_val": 10, "n_test": 20, "max_epochs": 2})
    with Store(tmp_path / "store.sqlite") as store:
        outcome = execute.run_sweep(grid, tmp_path / "sweep", store=store, workers=1)
    assert list(outcome.failed.values()) == ["RuntimeError: worker exploded"]
    assert outcome.trained == ["tiny-stable-schnet-h8-i1-prior0-n20-s0"]
    failed = json.loads((tmp_path / "sweep/runs/tiny-stable-schnet-h8-i1-prior0-n10-s0/"
                         "result.json").read_text())
    assert failed["status"] == "failed" and failed["error"] == "RuntimeError: worker exploded"
