"""Reliability, round three (issue 19, items 4-7 and 10): a name too long, a job SLURM refuses, a
full or read-only disk, Ctrl-C, a malformed sweep.json, a deleted result.json, silence off a
terminal, a weights file that is not one, lock files left behind. Each is one line and exit code
2 before any work, or said (a note, a heartbeat, an ``interrupted`` line) with nothing lost."""

import errno
import json
import logging
import os
import signal
import subprocess
import sys

import pytest

from astray.errors import SweepError
from astray.paths import LOCK_FILE, OutputPathError, folder_lock, writable_folder
from console import run_main

TINY_SWEEP = ["--dataset", "tiny", "--n-train", "10", "--hidden", "8", "--interactions", "1",
              "--n-val", "10", "--n-test", "20", "--max-epochs", "3", "--workers", "1",
              "--no-report"]
LONG_NAME = "a" * 300




def one_line_error(capsys, monkeypatch, *args) -> str:
    code, captured = run_main(capsys, monkeypatch, *args)
    assert code == 2, captured.err
    assert not captured.err.startswith("\n"), "an empty line before the error"
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("astray: error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def no_work(monkeypatch):
    def work_started(*args, **kwargs):
        raise AssertionError("the command started working before checking its input")

    for target in ("astray.scaling.execute.dask_client", "astray.scaling.execute.execute_run",
                   "astray.scaling.execute._probe_references",
                   "astray.train.trainer.open_dataset", "astray.probes.suite.reference_curve"):
        monkeypatch.setattr(target, work_started)


# --- item 4: a name longer than the file system allows -------------------------------------------

@pytest.mark.parametrize("command", [["train", "--dataset", "tiny"], ["scale", *TINY_SWEEP],
                                     ["curves", "-p", "exact", "-s", "H2"]])
def test_a_300_character_out_name_is_one_line_before_any_work(capsys, monkeypatch, tmp_path,
                                                               command):
    no_work(monkeypatch)
    line = one_line_error(capsys, monkeypatch, *command, "--out", tmp_path / LONG_NAME / "x")
    assert "--out" in line and "300 bytes" in line and "at most 255" in line
    assert len(line) < 300


def test_a_path_too_long_as_a_whole_is_one_line(tmp_path):
    deep = tmp_path.joinpath(*["b" * 200] * 25)  # each name fine, the whole over PATH_MAX
    with pytest.raises(OutputPathError) as refused:
        writable_folder(deep)
    assert "\n" not in str(refused.value) and "--out" in str(refused.value)


# --- item 5: SLURM that cannot start -------------------------------------------------------------

FAKE_SBATCH = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
echo "sbatch: error: Memory specification can not be satisfied" >&2
echo "sbatch: error: Batch job submission failed: Requested node configuration is not available" >&2
exit 1
"""


@pytest.fixture
def refusing_sbatch(tmp_path, monkeypatch):
    """An sbatch on PATH that refuses every job as a real one refuses too much memory."""
    pytest.importorskip("dask_jobqueue")
    from astray import cluster

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(FAKE_SBATCH)
    (bin_dir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(cluster, "_CHECKED", set())
    return bin_dir


def test_slurm_memory_no_node_offers_is_one_line_before_any_work(capsys, monkeypatch, tmp_path,
                                                                  refusing_sbatch):
    no_work(monkeypatch)
    line = one_line_error(capsys, monkeypatch, "scale", *TINY_SWEEP, "--slurm",
                          "--slurm-memory", "64GB", "--out", tmp_path / "sweep")
    assert "--slurm-memory 64GB" in line and "Memory specification can not be satisfied" in line
    calls = (refusing_sbatch / "calls").read_text()
    assert "--test-only" in calls and "--mem=" in calls  # asked, nothing queued
    assert not (tmp_path / "sweep" / "sweep.json").exists()


def test_the_sbatch_check_runs_where_the_cluster_opens_too(refusing_sbatch):
    from astray.cluster import ClusterError, SlurmOptions, dask_client

    with pytest.raises(ClusterError, match="--slurm-memory 16GB: SLURM refuses"):
        with dask_client(slurm=SlurmOptions(memory="16GB")):
            pass


def test_without_sbatch_or_with_a_bad_memory_size_slurm_is_one_line(monkeypatch, tmp_path):
    pytest.importorskip("dask_jobqueue")
    from astray.cluster import ClusterError, SlurmOptions

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClusterError, match="sbatch is not on PATH"):
        SlurmOptions().check()
    with pytest.raises(ClusterError, match="not a memory size"):
        SlurmOptions(memory="lots").check()


# --- item 6: a full disk, a read-only folder ------------------------------------------------------

class _FullFile:
    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


class _FullDiskOs:
    """``os`` as astray.jsonio sees it on a full disk: every write of a file fails."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fdopen(descriptor, *args, **kwargs):
        return _FullFile(os.fdopen(descriptor, *args, **kwargs))


def test_curves_on_a_full_disk_is_one_line_and_leaves_no_partial_file(capsys, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setattr("astray.jsonio.os", _FullDiskOs())
    out = tmp_path / "out"
    line = one_line_error(capsys, monkeypatch, "curves", "-p", "exact", "-s", "H2++",
                          "--out", out)
    assert "no space left" in line and "rerun" in line
    assert [p.name for p in out.iterdir()] == []  # no truncated PNG, no temporary file


def test_scale_on_a_full_disk_is_one_line(capsys, monkeypatch, tmp_path):
    """sweep.json is the first file a sweep writes: on a full disk, one line."""
    no_work(monkeypatch)
    monkeypatch.setattr("astray.jsonio.os", _FullDiskOs())
    line = one_line_error(capsys, monkeypatch, "scale", *TINY_SWEEP, "--out", tmp_path / "s")
    assert "no space left" in line
    assert [p.name for p in (tmp_path / "s").iterdir()] == []


def test_a_checkpoint_on_a_full_disk_leaves_no_partial_file(monkeypatch, tmp_path):
    """What ``astray train`` writes (torch.save into atomic_file) fails as an OSError naming the
    disk, which the console script says in one line (tested above), and leaves nothing."""
    import torch

    from astray.jsonio import atomic_file

    monkeypatch.setattr("astray.jsonio.os", _FullDiskOs())
    with pytest.raises(OSError) as failed, atomic_file(tmp_path / "last.pt") as handle:
        torch.save({"w": torch.zeros(3)}, handle)
    assert failed.value.errno == errno.ENOSPC or "No space" in str(failed.value)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def sweep(tmp_path):
    from scaling_fixtures import write_synthetic_sweep

    return write_synthetic_sweep(tmp_path / "sweep", n_train=(100, 300), hidden=(64,),
                                 seeds=(0,), subsets=("stable",), priors=(False,))


def test_report_in_a_read_only_folder_is_one_line_before_any_figure(capsys, monkeypatch, sweep):
    class ReadOnly:
        @staticmethod
        def TemporaryFile(*args, **kwargs):  # noqa: N802 (tempfile's name)
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("astray.paths.tempfile", ReadOnly)
    monkeypatch.setattr("astray.report.study.study_figures", lambda *a: pytest.fail("drew"))
    line = one_line_error(capsys, monkeypatch, "report", sweep)
    assert "astray report" in line and "Read-only file system" in line
    assert not (sweep / "scaling.json").exists() and not (sweep / "report.html").exists()


def test_report_on_a_full_disk_names_the_file_and_keeps_the_old_page(monkeypatch, sweep):
    from astray.report.study import write_report

    write_report(sweep)
    before = (sweep / "report.html").read_bytes()
    monkeypatch.setattr("astray.jsonio.os", _FullDiskOs())
    with pytest.raises(SweepError) as failed:
        write_report(sweep)
    assert "scaling.json" in str(failed.value) and "No space left" in str(failed.value)
    assert (sweep / "report.html").read_bytes() == before
    assert not [p for p in sweep.rglob("*.tmp")]


# --- item 6: sweep.json that is not one; a run the grid lists without a result ------------------

@pytest.mark.parametrize("change, words", [
    (lambda r: r["grid"].update(training=None), "grid.training is null"),
    (lambda r: r.update(commands="hello"), "commands is a string"),
    (lambda r: r.update(commands=[1, 2]), "commands holds"),
    (lambda r: r["grid"].update(n_train=5), "grid.n_train is a number"),
])
def test_a_malformed_sweep_json_is_a_note_not_a_traceback(sweep, change, words):
    from astray.report.study import write_report
    from astray.scaling.summary import summarise

    record = json.loads((sweep / "sweep.json").read_text())
    record["grid"].update(training={})
    change(record)
    (sweep / "sweep.json").write_text(json.dumps(record))
    summary = summarise(sweep)
    assert summary.sweep.keys() == {"error"}
    assert any(words in note and "malformed sweep.json" in note for note in summary.notes)
    page = write_report(sweep).read_text()
    assert "<pre>h</pre>" not in page and words in page


@pytest.mark.parametrize("change", [lambda r: r["grid"].update(training=None),
                                    lambda r: r.update(commands="hello")])
def test_scale_into_a_folder_with_a_malformed_sweep_json_is_one_line(capsys, monkeypatch,
                                                                     tmp_path, change):
    from astray.scaling.execute import _claim_folder
    from astray.scaling.grid import SweepGrid

    out = tmp_path / "sweep"
    out.mkdir()
    grid = SweepGrid(datasets=("tiny",), subsets=("stable",), n_train=(10,), hidden=(8,),
                     interactions=(1,), training={"n_val": 10, "n_test": 20, "max_epochs": 3})
    _claim_folder(out, grid, "astray scale (first)")
    record = json.loads((out / "sweep.json").read_text())
    change(record)
    (out / "sweep.json").write_text(json.dumps(record))
    before = (out / "sweep.json").read_bytes()
    no_work(monkeypatch)
    line = one_line_error(capsys, monkeypatch, "scale", *TINY_SWEEP, "--out", out)
    assert "not a sweep.json of astray" in line and "move it aside" in line
    assert (out / "sweep.json").read_bytes() == before


def test_a_deleted_result_of_a_run_the_grid_lists_is_reported(tmp_path, capsys, monkeypatch):
    from astray.scaling.grid import SweepGrid
    from astray.scaling.summary import summarise
    from scaling_fixtures import write_synthetic_sweep

    sweep = write_synthetic_sweep(tmp_path / "sweep", n_train=(100, 300, 1000), hidden=(64,),
                                  seeds=(0, 1), subsets=("stable",), priors=(False,))
    grid = SweepGrid(datasets=("default",), subsets=("stable",), n_train=(100, 300, 1000),
                     hidden=(64,), interactions=(3,), seeds=(0, 1))
    ids = {spec.run_id for spec in grid.runs()}
    present = {p.parent.name for p in sweep.glob("runs/*/result.json")}
    if not ids <= present:
        pytest.skip("the synthetic sweep's run ids are not those of astray scale")
    record = json.loads((sweep / "sweep.json").read_text())
    record["grid"] = grid.describe()
    (sweep / "sweep.json").write_text(json.dumps(record))
    deleted = sorted(ids)[0]
    (sweep / "runs" / deleted / "result.json").unlink()
    notes = summarise(sweep).notes
    assert f"6 runs in the grid: 5 finished, 0 failed, 1 without a result ({deleted})" in \
        " ".join(notes)
    code, captured = run_main(capsys, monkeypatch, "report", sweep)
    assert code in (0, None) and "1 without a result" in captured.err


# --- item 7: progress off a terminal; interrupted lines ----------------------------------------

@pytest.fixture
def progress_lines(monkeypatch):
    """The scale CLI module, its heartbeat giving one more line as it stops (the line its
    thread gives every HEARTBEAT_S): the tests read the lines without waiting for a clock."""
    from astray.scaling import cli as scale_cli

    close = scale_cli.Heartbeat.close

    def beat_then_close(self):
        if self.enabled and not self._stop.is_set():
            self.beat()
        close(self)

    monkeypatch.setattr(scale_cli.Heartbeat, "close", beat_then_close)
    return scale_cli


def test_scale_says_what_it_does_at_least_every_heartbeat(progress_lines, capsys):
    from rich.console import Console

    from astray.scaling.execute import SweepStatus

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger("astray.progress")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:  # each beat called as the heartbeat's thread calls it, without waiting for a clock
        with progress_lines._StatusDisplay(Console(stderr=True, force_terminal=False),
                                           "S") as display:
            assert display.heartbeat.enabled  # off a terminal the thread beats
            display.heartbeat.beat()
            display.update(SweepStatus(total=12, done=3, failed=1, running=2))
            display.heartbeat.beat()
    finally:
        log.removeHandler(handler)
    lines = [r.getMessage() for r in records]
    assert any("preparing" in line for line in lines)
    # the counts, then the clock in brackets (its value is the machine's, not checked)
    assert any("3 of 12 runs done, 2 running, 1 failed (" in line for line in lines)


def test_reference_says_which_system_and_point_and_is_interruptible(progress_lines, capsys,
                                                                   monkeypatch):
    calls = []

    def slow_reference(system, grid, method, *, store, on_progress):
        calls.append(system.name)
        on_progress(8, 40)
        raise KeyboardInterrupt

    monkeypatch.setattr("astray.reference.reference_curve", slow_reference)
    code, captured = run_main(capsys, monkeypatch, "reference", "H2")
    assert code == 130 and calls == ["H2"]
    assert "astray: reference H2: 8 of 40 points computed" in captured.err
    assert "interrupted:" in captured.err and "Traceback" not in captured.err


def test_local_workers_leave_ctrl_c_to_the_sweep():
    """Ctrl-C goes to the whole process group: a worker ignores it (no KeyboardInterrupt
    traceback of a worker); the sweep says ``interrupted`` and closes the cluster."""
    code = ("import signal; from astray.cluster import ignore_interrupts; ignore_interrupts(); "
            "print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "True", done.stderr


# --- item 10: weights that are not a torch file; lock files ---------------------------------------

def test_a_text_file_as_weights_is_not_a_torch_file(tmp_path):
    pytest.importorskip("torch")
    from astray.potentials.families.common import UntrustedWeightsError, check_weights_trusted

    text = tmp_path / "hostname"
    text.write_text("a-host-name\n")
    with pytest.raises(UntrustedWeightsError) as refused:
        check_weights_trusted("chgnet", text)
    message = str(refused.value)
    assert "not a torch file" in message and "run code" not in message
    assert "trust:" not in message
    zipped = tmp_path / "broken.pt"
    zipped.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(UntrustedWeightsError, match="not a torch file"):
        check_weights_trusted("chgnet", zipped)


def test_a_file_with_python_objects_is_still_a_code_risk(tmp_path):
    torch = pytest.importorskip("torch")
    from astray.potentials.families.common import UntrustedWeightsError, check_weights_trusted

    path = tmp_path / "objects.pt"
    torch.save({"f": OutputPathError("x")}, path)
    with pytest.raises(UntrustedWeightsError) as refused:
        check_weights_trusted("chgnet", path)
    assert "could run code" in str(refused.value) and "trust:" in str(refused.value)


def test_a_released_lock_leaves_no_lock_file(tmp_path):
    with folder_lock(tmp_path, "a run"):
        assert (tmp_path / LOCK_FILE).is_file()
    assert not (tmp_path / LOCK_FILE).exists()
    with folder_lock(tmp_path, "the next run"):
        assert "the next run" in (tmp_path / LOCK_FILE).read_text()
    assert list(tmp_path.iterdir()) == []


def test_a_lock_file_removed_under_a_waiting_process_is_not_a_second_lock(tmp_path, monkeypatch):
    """A process that opened the lock file just before its holder removed it must not hold a
    lock on a file nobody else sees: it notices and takes the lock on the new file."""
    import astray.paths as paths

    opened = []
    real_open = paths._open_lock_file

    def open_then_lose_the_race(path):
        handle = real_open(path)
        if not opened:  # the holder finishes now: the file goes away under us
            path.unlink()
        opened.append(handle)
        return handle

    monkeypatch.setattr(paths, "_open_lock_file", open_then_lose_the_race)
    with folder_lock(tmp_path, "the survivor"):
        assert len(opened) == 2 and opened[0].closed
        with pytest.raises(OutputPathError, match="in use by the survivor"):
            monkeypatch.setattr(paths, "_open_lock_file", real_open)
            with folder_lock(tmp_path, "an intruder"):
                pass
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_killed_holder_s_lock_file_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from astray.paths import folder_lock\n"
                               "with folder_lock(sys.argv[1], 'doomed'):\n"
                               "    print('locked', flush=True); time.sleep(60)", str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    assert (tmp_path / LOCK_FILE).exists()  # a kill leaves the file (not the lock)
    with folder_lock(tmp_path, "the rerun"):
        pass
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_system_or_potential_asked_for_twice_is_one_row(capsys, monkeypatch):
    """`-s H2 -s H2` (or H2 by name and by spec) and `-p exact -p exact` gave four rows."""
    code, captured = run_main(capsys, monkeypatch, "curves", "-p", "exact", "-p", "exact",
                              "-s", "H2", "-s", "H-H,charge=0,mult=1", "--json")
    assert code in (0, None)
    curves = json.loads(captured.out)["curves"]
    assert [(c["potential"], c["system"]) for c in curves] == [("exact", "H2")]
