"""The command line end to end, as a user runs it."""

import json

import pytest
from typer.testing import CliRunner

from astray.cli import app
from console import run_main

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)




def test_reference_json_for_two_protons_is_coulomb():
    result = run("reference", "H2++", "--r", "0.5,1.0,2.0", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["system"] == "H2++" and data["method"] == "coulomb"
    assert data["r_angstrom"] == [0.5, 1.0, 2.0]
    assert data["energy_ev"] == pytest.approx([14.399645 / r for r in (0.5, 1.0, 2.0)], rel=1e-6)


def test_reference_json_for_h2_plus_is_exact(isolated_home):
    data = json.loads(run("reference", "H2+", "--r", "1.0583544", "--json").stdout)
    # R = 2 bohr: E = -0.6026342 hartree; relative to H + H+ (-0.5 hartree): -0.1026342 hartree
    assert data["energy_ev"][0] == pytest.approx(-0.1026342144949 * 27.211386245981, abs=1e-5)


def test_curves_end_to_end_with_exact_potential(tmp_path):
    out = tmp_path / "out"
    result = run("curves", "--potential", "exact", "--system", "H2++", "--system", "H2+",
                 "--out", str(out))
    assert result.exit_code == 0, result.stdout
    data = json.loads((out / "curves.json").read_text())
    assert {c["system"] for c in data["curves"]} == {"H2++", "H2+"}
    for curve in data["curves"]:
        assert curve["verdict"] == "pass", curve["failures"]
        assert curve["energy_ev"] == pytest.approx(curve["reference_energy_ev"], abs=1e-9)
    assert data["potentials"][0]["name"] == "exact"
    assert (out / "H2pp.png").stat().st_size > 10_000
    page = (out / "curves.html").read_text()
    assert "data:image/png;base64," in page and "H2++" in page and "http" not in page.split("<body>")[1]


def test_curves_twice_reuses_the_store(monkeypatch):
    """The second run reads the curve from the store: the potential is not evaluated again
    (and --recompute does evaluate it)."""
    from astray.potentials.exact import ExactPotential

    first = run("curves", "-p", "exact", "-s", "H2++", "--json")
    calls = []

    def evaluate_once_more(self, structures):
        calls.append(len(structures))
        raise RuntimeError("evaluated although the curve is in the store")

    monkeypatch.setattr(ExactPotential, "evaluate", evaluate_once_more)
    second = run("curves", "-p", "exact", "-s", "H2++", "--json")
    assert calls == []
    assert json.loads(first.stdout)["curves"] == json.loads(second.stdout)["curves"]
    recomputed = json.loads(run("curves", "-p", "exact", "-s", "H2++", "--recompute",
                                "--json").stdout)
    assert calls and recomputed["curves"][0]["error"].startswith("RuntimeError: evaluated")


@pytest.mark.parametrize("args, words", [
    (["curves", "-p", "exact", "-s", "H2O"], "unknown system"),
    (["curves", "-p", "no-such-model", "-s", "H2"], "unknown potential"),
    (["curves", "-p", "exact", "-s", "H-H,charge=0,mult=2"], "impossible"),
    (["reference", "H2", "--r", "1.0,abc"], "comma-separated"),
    (["reference", "H2", "--method", "magic:xyz"], "method"),
])
def test_bad_input_is_one_line_and_exit_code_2(capsys, monkeypatch, args, words):
    code, captured = run_main(capsys, monkeypatch, *args)
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in captured.err


def test_missing_foundation_model_weights_exit_2_naming_the_file(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no family cache can hold the file
    code, captured = run_main(capsys, monkeypatch, "curves", "--potential", "uma-s-1p1",
                              "--system", "H2")
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "uma-s-1p1.pt" in lines[0]


def test_python_and_weights_stay_with_their_potential():
    from astray.cli import attach_to_preceding_potential

    argv = ["curves", "--potential", "uma-s-1p1", "--python", "/envs/fc/bin/python",
            "-p", "orb-v3-conservative-omol", "--weights", "/w/orb.ckpt", "-p", "xtb",
            "--python", "chgnet=/envs/c/bin/python"]
    assert attach_to_preceding_potential(argv) == [
        "curves", "--potential", "uma-s-1p1", "--python", "uma-s-1p1=/envs/fc/bin/python",
        "-p", "orb-v3-conservative-omol", "--weights", "orb-v3-conservative-omol=/w/orb.ckpt",
        "-p", "xtb", "--python", "chgnet=/envs/c/bin/python"]


def test_python_for_an_unknown_potential_is_refused(capsys, monkeypatch):
    code, captured = run_main(capsys, monkeypatch, "curves", "-p", "xtb", "-p", "exact",
                              "--python", "chgnet=/usr/bin/python3", "-s", "H2++")
    assert code == 2 and "not one of the --potential names" in captured.err


def test_chgnet_finding_holds_through_a_worker(capsys, monkeypatch):
    """CHGNet in a worker process (this interpreter) gives the in-process curves and verdicts."""
    import sys

    pytest.importorskip("chgnet")
    in_process = json.loads(run("curves", "-p", "chgnet", "-s", "H2++", "-s", "H2+",
                                "--no-level-of-theory", "--json").stdout)
    code, captured = run_main(capsys, monkeypatch, "curves", "-p", "chgnet", "--python",
                              sys.executable, "-s", "H2++", "-s", "H2+", "--no-level-of-theory",
                              "--json")
    assert code in (0, None)
    remote = json.loads(captured.out)
    for mine, theirs in zip(in_process["curves"], remote["curves"]):
        assert theirs["energy_ev"] == pytest.approx(mine["energy_ev"], abs=1e-6)
        assert theirs["failures"] == mine["failures"]
    h2pp = in_process["curves"][0]
    assert h2pp["verdict"] == "fail" and "coulomb-law-violated" in h2pp["failures"]


def test_a_model_returning_nan_is_a_named_failure_not_a_crash(tmp_path):
    out = tmp_path / "nan"
    result = run("curves", "-p", "ase:fake_calculators:NaNBelowHalfAngstrom", "-s", "H2",
                 "--out", str(out))
    assert result.exit_code == 0
    curve = json.loads((out / "curves.json").read_text(), parse_constant=pytest.fail)["curves"][0]
    assert curve["verdict"] == "fail" and "nan-energy" in curve["failures"]
    energies = curve["energy_ev"]
    assert energies[0] is None and all(e is not None for e in energies[-20:])
    assert curve["metrics"]["r_e_angstrom"] == pytest.approx(0.74, abs=0.01)


def test_the_command_is_the_clis_not_the_process_arguments(monkeypatch, tmp_path):
    import astray

    monkeypatch.setattr("sys.argv", ["ipykernel_launcher.py", "-f", "kernel.json"])
    assert astray.probe("exact", ["H2++"]).command == ""
    args = ["curves", "-p", "exact", "-s", "H2++", "--out", str(tmp_path)]
    monkeypatch.setattr("sys.argv", ["/venv/bin/astray", *args])
    run(*args)
    command = json.loads((tmp_path / "curves.json").read_text())["command"]
    assert command == "astray curves -p exact -s H2++ --out " + str(tmp_path)
