"""Bad inputs and faults, as a user meets them (issue 10, items 6-13): each is one line on
stderr, exit code 2, no traceback, and nothing is computed before the error where the input
could be checked first. The work a command would start is replaced by a tripwire that fails the
test, so "before any work" is checked, not assumed."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from importlib.metadata import version

import numpy as np
import pytest

from astray.cli import main
from astray.paths import OutputPathError, folder_lock
from astray.store import Store
from console import run_main

A_FILE = "a-regular-file"




def assert_one_line_error(capsys, monkeypatch, args, *words):
    code, captured = run_main(capsys, monkeypatch, *args)
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("astray: error: "), captured.err
    assert "Traceback" not in captured.err
    for word in words:
        assert word in lines[0]
    return lines[0]


def tripwire(monkeypatch, *targets):
    """Make each target (``module.attribute``) fail the test if the command reaches it."""
    def work_started(*args, **kwargs):
        raise AssertionError("the command started working before checking its input")

    for target in targets:
        monkeypatch.setattr(target, work_started)


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / A_FILE
    path.write_text("not a folder\n")
    return path


def out_variants(tmp_path, a_file):
    """--out values that cannot be a folder to write, with a word of the expected message."""
    return [(str(a_file), "is a file, not a folder"),
            (str(a_file / "inside"), "is a file, not a folder"),
            ("/proc/astray-out", "cannot"),
            ("/sys/astray-out", "cannot")]


# --- item 6: --out that is a file or cannot be written, before any work -----------------------

@pytest.mark.parametrize("variant", range(4))
def test_train_out_is_checked_before_the_data_set_is_read(capsys, monkeypatch, tmp_path, a_file,
                                                          variant):
    out, words = out_variants(tmp_path, a_file)[variant]
    tripwire(monkeypatch, "astray.train.trainer.open_dataset", "astray.data.dataset.open_dataset")
    assert_one_line_error(capsys, monkeypatch, ["train", "--out", out], "--out", words)


@pytest.mark.parametrize("variant", range(4))
def test_data_build_out_is_checked_before_any_atom_is_computed(capsys, monkeypatch, tmp_path,
                                                               a_file, isolated_home, variant):
    out, words = out_variants(tmp_path, a_file)[variant]
    tripwire(monkeypatch, "astray.data.single_points.isolated_atom_energies",
             "astray.data.generate._run_on_dask")
    assert_one_line_error(capsys, monkeypatch, ["data", "build", "--name", "small", "--method",
                                                "gfn2-xtb", "--out", out], "--out", words)
    assert not (isolated_home / "builds").exists()  # no journal was started


@pytest.mark.parametrize("out, words", [
    ("{tmp}", "is a folder: give a file name"),
    ("{tmp}/a-regular-file/x.extxyz", "is a file, not a folder"),
    ("/proc/astray.extxyz", "cannot write"),
    ("/sys/astray.extxyz", "cannot write"),
])
def test_data_export_out_is_checked_before_writing(capsys, monkeypatch, tmp_path, a_file, out,
                                                   words):
    tripwire(monkeypatch, "astray.data.export.export_extxyz")
    assert_one_line_error(capsys, monkeypatch, ["data", "export", "default",
                                                out.format(tmp=tmp_path)], "OUT", words)


# --- item 7: a store that cannot be read, an ASTRAY_HOME that cannot be created ----------------

def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(8192))


def _malformed_pages(path):
    Store(path).close()  # a real store, then every page after the header page overwritten
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * (size - 4096))


@pytest.mark.parametrize("damage, words", [
    (_random_bytes, "file is not a database"),
    (_malformed_pages, "malformed"),
    (lambda path: path.mkdir(), "is a folder"),
])
def test_a_damaged_store_names_the_file_and_how_to_set_it_aside(capsys, monkeypatch,
                                                                isolated_home, damage, words):
    isolated_home.mkdir()
    store = isolated_home / "store.sqlite"
    damage(store)
    tripwire(monkeypatch, "astray.reference.cache.compute_reference")
    line = assert_one_line_error(capsys, monkeypatch, ["reference", "H2++", "--r", "1.0"],
                                 str(store), words, "move it aside")
    assert f"mv {store} {store}.broken" in line and store.exists()  # the advice deletes nothing


def test_a_damaged_build_journal_is_one_line(capsys, monkeypatch, isolated_home):
    journal = isolated_home / "builds" / "small" / "journal.sqlite"
    journal.parent.mkdir(parents=True)
    _random_bytes(journal)
    tripwire(monkeypatch, "astray.data.single_points.isolated_atom_energies",
             "astray.data.generate._run_on_dask")
    assert_one_line_error(capsys, monkeypatch, ["data", "build", "--name", "small", "--method",
                                                "gfn2-xtb", "--max-heavy-atoms", "1"],
                          f"the build journal {journal}", "move it aside")
    assert journal.exists()


@pytest.mark.parametrize("home", ["/proc/astray-home", "{tmp}/a-regular-file/home"])
def test_an_astray_home_that_cannot_be_created_is_one_line(capsys, monkeypatch, tmp_path, a_file,
                                                           home):
    monkeypatch.setenv("ASTRAY_HOME", home.format(tmp=tmp_path))
    tripwire(monkeypatch, "astray.reference.cache.compute_reference")
    assert_one_line_error(capsys, monkeypatch, ["reference", "H2++", "--r", "1.0"],
                          "ASTRAY_HOME", home.format(tmp=tmp_path))


# --- item 8: a separation the exact series cannot reach ----------------------------------------

def test_h2_plus_at_a_million_angstrom_is_its_asymptote_at_once():
    from astray.reference import reference_curve
    from astray.reference.one_electron import LONG_RANGE_FROM_BOHR, one_electron_energy
    from astray.systems import get_system

    found = {}
    worker = threading.Thread(target=lambda: found.update(
        curve=reference_curve(get_system("H2+"), [1e6, 10.0])), daemon=True)
    worker.start()
    worker.join(timeout=30)  # the series alone ran for over 400 s at 1e6 A
    assert not worker.is_alive(), "H2+ at 1e6 A is still being computed after 30 s"
    # H + H+ far apart: the exact -1/2 hartree of the atom, minus its polarisation 9/(4 R^4)
    assert found["curve"].energy_ev[0] == pytest.approx(0.0, abs=1e-12)
    # the long-range expansion continues the exact series where it takes over (Coulson's
    # -1/2 - 9/(4 R^4) - 15/(2 R^6): the omitted term is 1e-14 hartree at 300 bohr)
    below, above = one_electron_energy(1, 1, [LONG_RANGE_FROM_BOHR * (1 - 1e-9),
                                              LONG_RANGE_FROM_BOHR])
    assert above == pytest.approx(below, abs=5e-14)
    assert one_electron_energy(2, 1, 1e5) == pytest.approx(-2.0 + 1e-5, abs=1e-15)


# --- item 9: training arguments, two runs in one folder, checkpoints that are not ---------------

@pytest.mark.parametrize("args, words", [
    (["--n-val", "0"], "--n-val must be >= 1"),
    (["--device", "tpu"], "--device 'tpu'"),
    (["--device", "banana:3"], "use cpu, cuda"),
])
def test_train_arguments_are_checked_before_the_data_set_is_read(capsys, monkeypatch, tmp_path,
                                                                 args, words):
    tripwire(monkeypatch, "astray.train.trainer.open_dataset")
    assert_one_line_error(capsys, monkeypatch, ["train", "--out", str(tmp_path / "run"), *args],
                          words)


def test_a_second_train_into_a_folder_in_use_says_so(capsys, monkeypatch, tmp_path):
    tripwire(monkeypatch, "astray.train.trainer.open_dataset")
    run = tmp_path / "run"
    run.mkdir()
    with folder_lock(run, "astray train"):
        assert_one_line_error(capsys, monkeypatch, ["train", "--out", str(run)],
                              str(run), "is in use by astray train, process")


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from astray.paths import folder_lock
    with folder_lock(sys.argv[1], "the first run"):
        print("locked", flush=True)
        time.sleep(120)
""")


def test_a_killed_run_leaves_no_stale_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputPathError, match=f"in use by the first run, process "
                                                  f"{holder.pid}"):
            with folder_lock(tmp_path, "a second run"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    with folder_lock(tmp_path, "a run after the kill"):
        assert "a run after the kill" in (tmp_path / ".astray.lock").read_text()


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_text("hello\nthis is text, not weights\n"), "refused or corrupt"),
    (lambda p: p.mkdir(), "is a folder, not a checkpoint file"),
    (lambda p: (p.mkdir(), (p / "best.pt").write_bytes(b"")), "did you mean"),
])
def test_a_checkpoint_that_is_not_one_is_one_line(capsys, monkeypatch, tmp_path, make, words):
    path = tmp_path / "model.pt"
    make(path)
    tripwire(monkeypatch, "astray.probes.suite.reference_curve")
    assert_one_line_error(capsys, monkeypatch, ["curves", "-p", f"checkpoint:{path}", "-s",
                                                "H2++"], str(path), words)


# --- item 10: data build names and elements ----------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--name", "../../escape"], "data set name"),
    (["--name", "a/b"], "data set name"),
    (["--name", ".hidden"], "data set name"),
    (["--name", "default"], "shipped with astray"),
    (["--name", "fine", "--elements", "C,Xx"], "unknown elements"),
])
def test_data_build_name_and_elements_are_checked_before_any_file(capsys, monkeypatch, tmp_path,
                                                                  isolated_home, args, words):
    monkeypatch.chdir(tmp_path)
    tripwire(monkeypatch, "astray.data.single_points.isolated_atom_energies",
             "astray.data.generate._run_on_dask")
    assert_one_line_error(capsys, monkeypatch, ["data", "build", "--method", "gfn2-xtb", *args],
                          words)
    assert not list(tmp_path.rglob("journal.sqlite"))  # nothing written, inside or outside


# --- items 11-13: what users notice ------------------------------------------------------------

def test_bare_nuclei_get_coulombs_law_for_any_level_of_theory(capsys, monkeypatch):
    import astray.reference.cache

    compute = astray.reference.compute_reference

    def coulomb_only(system, r, method):
        assert method == "coulomb", f"{method} computed for bare nuclei"
        return compute(system, r, method)

    monkeypatch.setattr(astray.reference.cache, "compute_reference", coulomb_only)
    code, captured = run_main(capsys, monkeypatch, "reference", "H2++", "--method",
                              "dft:b3lyp/6-31g", "--r", "0.5,2.0", "--json")
    assert code == 0 and '"method": "coulomb"' in captured.out


def test_a_computed_reference_says_what_it_computes(capsys, monkeypatch):
    code, captured = run_main(capsys, monkeypatch, "reference", "H2+", "--r", "1.0")
    assert code == 0
    assert "astray: computing the exact-one-electron curve of H2+ at 1 bond lengths" in (
        captured.err)


CHILD_OF_A_BAD_WORKER = textwrap.dedent("""
    import subprocess, sys
    child = subprocess.Popen(["sleep", "120"])
    open(sys.argv[0] + ".child", "w").write(str(child.pid))
    print("Welcome to a Python that is not the worker", flush=True)
    import time; time.sleep(120)
""")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_rejected_worker_is_killed_with_its_children(tmp_path):
    from astray.errors import PotentialError
    from astray.potentials.remote import WorkerChannel

    script = tmp_path / "bad_worker.py"
    script.write_text(CHILD_OF_A_BAD_WORKER)
    channel = WorkerChannel("fake-model", sys.executable, script)
    with pytest.raises(PotentialError, match="not the astray-worker/1 protocol"):
        channel.expect("hello", 30)
    child = int((tmp_path / "bad_worker.py.child").read_text())
    try:
        deadline = time.monotonic() + 5
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), "the worker's child outlived it"
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)


def test_version(capsys, monkeypatch):
    code, captured = run_main(capsys, monkeypatch, "--version")
    assert code == 0 and captured.out == f"astray {version('astray')}\n"


# --- item 14: what the terminal table and the HTML report show ---------------------------------

@pytest.fixture(scope="module")
def h2_plus_result(tmp_path_factory):
    """A curves.json result of the exact potential on H2+, with the shipped PBE curve (which
    has no energy at 4.938 A) as its level of theory, and every failure name on it."""
    from astray.potentials import load_potential
    from astray.probes.curves import probe_curve
    from astray.probes.results import Failure
    from astray.reference import reference_curve
    from astray.store import Store
    from astray.systems import get_system

    system = get_system("H2+")
    potential = load_potential("exact")
    with Store(tmp_path_factory.mktemp("home") / "store.sqlite") as store:
        reference = reference_curve(system, store=store)
        pbe = reference_curve(system, reference.r_angstrom, "dft:pbe/def2-tzvp", store=store)
    record = probe_curve(potential, system, reference, pbe).to_json()
    record["failures"], record["verdict"] = [f.value for f in Failure], "fail"
    return {"astray_version": version("astray"), "created": "2026-01-01T00:00:00+00:00",
            "command": "astray curves -p exact -s H2+", "potentials": [potential.describe()],
            "systems": [{"name": "H2+", "spec": system.spec}],
            "references": [{"system": "H2+", "method": reference.method,
                            "description": reference.description,
                            "provenance": reference.provenance}],
            "curves": [record]}


def test_the_terminal_table_fits_80_columns_with_every_failure_name_whole(h2_plus_result):
    from rich.console import Console

    from astray.probes.results import Failure
    from astray.report.terminal import curves_summary

    console = Console(width=80, record=True)
    console.print(curves_summary(h2_plus_result))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    words = {word for line in lines for word in line.split()}
    assert {f.value for f in Failure} <= words  # whole names, none cut to "wrong-…"
    text = "\n".join(lines)
    assert "asymp." in text  # no column pushed out
    # the reference's own constants: exact H2+ r_e 1.0569 A (2.00 bohr), D_e 2.79 eV
    assert "1.0569" in text and "64.40" in text
    assert "model vs level" in text and "dft:pbe/def2-" in text
    assert "no energy at r = 4.938" in text
    assert "wrong-bond-length: |r_e_error_angstrom| > R_E_TOLERANCE_ANGSTROM (0.05 Å)" in text


def test_the_glossary_names_every_failure_with_its_thresholds():
    import importlib

    from astray.probes.results import Failure
    from astray.report.html import failure_glossary

    thresholds = importlib.import_module("astray.probes.thresholds")
    glossary = failure_glossary()
    assert list(glossary) == [f.value for f in Failure]
    assert all(glossary.values())
    assert f"({thresholds.LARGE_MAE_EV:g} eV" in glossary["large-error"]
    assert f"({thresholds.OMEGA_RELATIVE_TOLERANCE:g})" in glossary["wrong-frequency"]


def test_the_html_report_shows_the_split_constants_glossary_gap_and_provenance(h2_plus_result,
                                                                             tmp_path):
    from astray.report.html import write_html

    png = tmp_path / "H2p.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = write_html(h2_plus_result, {"H2+": png}, tmp_path / "curves.html").read_text()
    assert "model vs its level of theory" in page and "level of theory vs reference" in page
    assert "<td>1.0569</td>" in page and "64.40 (2.79)" in page  # r_e, D_e kcal/mol (eV)
    assert "MAE kcal/mol (eV)" in page and "in eV in the\nfigures" in page
    assert "no energy at r = 4.938 Å" in page
    assert "<code>coulomb-law-violated</code>" in page and "0.05 Å" in page
    assert "potential exact (" in page and "reference H2+: exact-one-electron" in page
    assert "&quot;code&quot;" in page  # the reference's code versions, from its provenance


def test_curves_refuses_an_unwritable_out_before_loading_any_potential(capsys, monkeypatch,
                                                                      tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr("astray.potentials.load_potential",
                        lambda *a, **k: pytest.fail("computed before checking --out"))
    monkeypatch.setattr("sys.argv", ["astray", "curves", "-p", "exact", "-s", "H2",
                                     "--out", str(blocker)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "is a file" in error


def test_reference_json_is_strict_where_a_point_did_not_converge(capsys, monkeypatch):
    """The shipped PBE H2+ curve has no energy at 4.938 A: JSON says null, never NaN."""
    import json

    monkeypatch.setattr("sys.argv", ["astray", "reference", "H2+", "--method",
                                     "dft:pbe/def2-tzvp", "--json"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "NaN" not in text and None in json.loads(text)["energy_ev"]
