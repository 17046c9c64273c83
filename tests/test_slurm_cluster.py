"""`astray scale --slurm` on a real one-node SLURM (Debian's slurm-wlm, started on this machine
by scripts/slurm-local.sh): a sweep runs to the end; a job cancelled with scancel mid-sweep loses
nothing finished and the same command finishes the sweep; bad input is one line, exit code 2,
before any job is queued.

As root the script installs slurm-wlm and munge when missing (CI); without root and without
SLURM, or when apt-get cannot reach the package mirror, the tests are skipped with the reason.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console import run_main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "slurm-local.sh"
ASTRAY = str(Path(sys.executable).with_name("astray"))
#: The smallest real sweep (the shipped tiny set) on single-core 1 GB SLURM jobs, two at once.
TINY = ["--dataset", "tiny", "--n-val", "10", "--n-test", "20", "--hidden", "8",
        "--interactions", "1", "--max-epochs", "3", "--no-report", "--json", "--slurm",
        "--slurm-memory", "1GB", "--max-jobs", "2"]
#: Exit code of slurm-local.sh when apt-get fails (no network to the package mirror).
APT_FAILED = 4

# one cluster per xdist worker: the module's tests share it (with --dist loadgroup, one worker)
pytestmark = pytest.mark.xdist_group("slurm")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def slurm_conf(tmp_path_factory) -> Path:
    """A one-node SLURM of its own (folder, munge socket and free ports): its slurm.conf."""
    if os.geteuid() != 0 and shutil.which("slurmctld", path="/usr/sbin:/sbin:"
                                          + os.environ.get("PATH", "")) is None:
        pytest.skip("SLURM is not installed and installing it needs root "
                    "(apt-get install slurm-wlm munge)")
    folder = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "ASTRAY_SLURM_DIR": str(folder / "cluster"),
           "ASTRAY_SLURMCTLD_PORT": str(_free_port()), "ASTRAY_SLURMD_PORT": str(_free_port()),
           "TMPDIR": str(folder)}
    started = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True,
                             text=True, timeout=600)
    if started.returncode == APT_FAILED:
        pytest.skip(f"cannot install SLURM: {started.stderr.strip()} "
                    f"({(folder / 'slurm-local-apt.log').read_text().strip()[-200:]})")
    assert started.returncode == 0, started.stderr
    yield folder / "cluster" / "slurm.conf"
    stopped = subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stderr


def _env(conf: Path) -> dict:
    return {**os.environ, "SLURM_CONF": str(conf)}


def scale(conf: Path, cwd: Path, *args) -> subprocess.CompletedProcess:
    """``astray scale`` run from ``cwd`` (where SLURM writes the jobs' slurm-<id>.out)."""
    return subprocess.run([ASTRAY, "scale", *TINY, *args], capture_output=True, text=True,
                          env=_env(conf), cwd=cwd, timeout=600)


def squeue(conf: Path, *options) -> list[str]:
    done = subprocess.run(["squeue", "-h", *options], capture_output=True, text=True,
                          env=_env(conf), check=True)
    return done.stdout.split()


def results(folder: Path) -> dict[str, bytes]:
    """Every run's result.json, as bytes."""
    return {p.parent.name: p.read_bytes() for p in sorted((folder / "runs").glob("*/result.json"))}


def summary(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout[done.stdout.index("{"):])


def test_sweep_runs_to_the_end_and_a_cancelled_job_loses_nothing(slurm_conf, tmp_path):
    out = tmp_path / "sweep"
    first = scale(slurm_conf, tmp_path, "--n-train", "10,20", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert summary(first)["trained"] == 2
    assert all(json.loads(r)["status"] == "done" for r in results(out).values())

    # three more runs on two jobs: when the first of them is finished, work is still in flight
    args = ["--n-train", "10,20,30,40,50", "--out", str(out)]
    sweep = subprocess.Popen([ASTRAY, "scale", *TINY, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=_env(slurm_conf),
                             cwd=tmp_path)
    deadline = time.monotonic() + 300
    running: list[str] = []
    while sweep.poll() is None and time.monotonic() < deadline:
        running = squeue(slurm_conf, "-t", "R", "-o", "%i")
        if len(results(out)) > 2 and running:
            break
        time.sleep(0.1)
    before = results(out)
    assert running and sweep.poll() is None, "the sweep ended before a job could be cancelled"
    subprocess.run(["scancel", running[0]], env=_env(slurm_conf), check=True)
    _, stderr = sweep.communicate(timeout=600)
    # the cancelled job's run was retried on another job (exit 0) or recorded failed (1)
    assert sweep.returncode in (0, 1), stderr
    job = subprocess.run(["scontrol", "show", "job", running[0]], capture_output=True,
                         text=True, env=_env(slurm_conf)).stdout
    assert "JobState=CANCELLED" in job

    resumed = scale(slurm_conf, tmp_path, *args)
    assert resumed.returncode == 0, resumed.stderr
    after = results(out)
    assert len(after) == 5 and all(json.loads(r)["status"] == "done" for r in after.values())
    assert summary(resumed)["skipped"] >= len(before)
    for run, content in before.items():
        assert after[run] == content, f"{run}: a finished result.json changed: " + ", ".join(
            key for key, value in json.loads(content).items()
            if json.loads(after[run]).get(key) != value)


def _unreachable(conf: Path, folder: Path) -> Path:
    """The cluster's slurm.conf with its controller on a closed port; MessageTimeout 2 s, with
    which sbatch gives up on a refused connection after 2 s (measured; 18 s with the default
    10 s)."""
    lines = [f"SlurmctldPort={_free_port()}" if line.startswith("SlurmctldPort=") else line
             for line in conf.read_text().splitlines()]
    unreachable = folder / "unreachable.conf"
    unreachable.write_text("\n".join([*lines, "MessageTimeout=2"]) + "\n")
    return unreachable


def _missing(conf: Path, folder: Path) -> Path:
    """A slurm.conf that is not there (sbatch would retry reading it for 59 s)."""
    return folder / "stopped" / "slurm.conf"


@pytest.mark.parametrize("options, conf, says", [
    ([], _unreachable, "--slurm: no SLURM controller answers"),
    ([], _missing, "--slurm: SLURM_CONF is "),
    (["--slurm-partition", "nope"], None, "--slurm-partition nope: SLURM refuses"),
    (["--slurm-gpus", "1"], None, "--slurm-gpus 1: SLURM refuses"),
    # slurm-wlm 22.05 says only "Requested node configuration is not available"
    (["--slurm-memory", "100TB"], None, "--slurm-memory 100TB: SLURM refuses"),
    (["--slurm-walltime", "forever"], None, "--slurm-walltime forever: SLURM refuses"),
], ids=["no-controller", "no-slurm-conf", "partition", "gpus", "memory", "walltime"])
def test_bad_slurm_input_is_one_line_before_any_job(slurm_conf, tmp_path, capsys, monkeypatch,
                                                    options, conf, says):
    from astray import cluster

    monkeypatch.setattr(cluster, "_CHECKED", set())  # asked afresh, not remembered
    monkeypatch.setenv("SLURM_CONF", str(conf(slurm_conf, tmp_path) if conf else slurm_conf))
    code, captured = run_main(capsys, monkeypatch, "scale", *TINY, "--n-train", "10", *options,
                              "--out", tmp_path / "sweep")
    assert code == 2, captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"astray: error: {says}")
    assert not (tmp_path / "sweep").exists()
    assert squeue(slurm_conf, "-o", "%i") == []  # nothing was queued
