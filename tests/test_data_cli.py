"""``astray data import`` and ``astray data export`` end to end, as a user runs them."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from astray.cli import app
from astray.data.dataset import open_dataset
from astray.units import KCAL_MOL_EV
from console import run_main
from test_dataset import assert_identical
from test_readers import write_ani1x, write_paper_folder
from toy_dataset import ATOM_ENERGIES_EV, write_toy_extxyz

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)




def test_import_export_import_gives_identical_arrays(tmp_path, isolated_home):
    source = tmp_path / "mols.extxyz"
    write_toy_extxyz(source)
    first = run("data", "import", source, "--name", "mine", "--level", "toy Morse bonds",
                "--atom-energies", json.dumps(ATOM_ENERGIES_EV), "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["n_structures"] == 50 and summary["n_stable"] == 10
    assert summary["path"] == str(isolated_home / "datasets" / "mine")
    exported = run("data", "export", "mine", tmp_path / "out.extxyz")
    assert exported.exit_code == 0 and "wrote 50 structures" in exported.output
    again = run("data", "import", tmp_path / "out.extxyz", "--name", "again", "--json")
    assert again.exit_code == 0, again.output
    assert_identical(open_dataset("mine"), open_dataset("again"))


def test_paper_npy_needs_allow_pickle(tmp_path, capsys, monkeypatch):
    folder = write_paper_folder(tmp_path / "qm9")
    code, output = run_main(capsys, monkeypatch, "data", "import", folder, "--name", "qm9")
    assert code == 2 and output.err.count("\n") == 1
    assert "all_nuclear_charges.npy holds Python objects" in output.err
    assert "--allow-pickle" in output.err
    result = run("data", "import", folder, "--name", "qm9", "--allow-pickle",
                 "--level", "G4(MP2)", "--json")
    summary = json.loads(result.stdout)
    assert summary["level_of_theory"] == "G4(MP2)" and summary["n_stable"] == 3
    assert open_dataset("qm9").atomization_energy[0] == pytest.approx(-219.5 * KCAL_MOL_EV)


def test_existing_name_needs_overwrite_and_shipped_names_are_refused(tmp_path, capsys,
                                                                      monkeypatch):
    folder = write_paper_folder(tmp_path / "qm9")
    assert run("data", "import", folder, "--name", "qm9", "--allow-pickle").exit_code == 0
    code, output = run_main(capsys, monkeypatch, "data", "import", folder, "--name", "qm9",
                            "--allow-pickle")
    assert code == 2 and "already exists (use --overwrite)" in output.err
    result = run("data", "import", folder, "--name", "qm9", "--allow-pickle", "--overwrite",
                 "--kind", "unknown", "--json")
    assert json.loads(result.stdout)["n_stable"] == 0
    code, output = run_main(capsys, monkeypatch, "data", "import", folder, "--name", "tiny",
                            "--allow-pickle")
    assert code == 2 and "shipped with astray" in output.err


def test_ani_import_reports_skipped_conformers(tmp_path):
    write_ani1x(tmp_path / "ani.h5")
    result = run("data", "import", tmp_path / "ani.h5", "--name", "ani",
                 "--energy-key", "ccsd(t)_cbs.energy", "--atom-energies", '{"H": -0.5, "O": -75}',
                 "--json")
    assert result.exit_code == 0
    assert "skipped 2 conformers without a finite ccsd(t)_cbs.energy" in result.stderr
    assert json.loads(result.stdout)["n_structures"] == 4
    dataset = open_dataset("ani")
    # H2 conformer 0: -2.4 hartree total, atoms 2 x -0.5 hartree
    assert dataset.atomization_energy[0] == pytest.approx(-1.4 * 27.211386245988, rel=1e-9)
    assert np.isnan(dataset.atomization_energy).sum() == 0


def test_an_option_the_format_does_not_take_is_one_line(tmp_path, capsys, monkeypatch):
    write_toy_extxyz(tmp_path / "m.extxyz")
    code, output = run_main(capsys, monkeypatch, "data", "import", tmp_path / "m.extxyz",
                            "--name", "m", "--hdf5-group", "data")
    assert code == 2 and output.err.strip() == "astray: error: format extxyz does not take --group"


def test_info_gives_the_pair_distances_of_the_whole_data_set():
    from astray.data.coverage import pair_distance_ranges

    result = run("data", "info", "tiny", "--json")
    assert result.exit_code == 0
    distances = json.loads(result.stdout)["pair_distances_angstrom"]
    expected = pair_distance_ranges(open_dataset("tiny"))
    assert distances == {pair: list(values) for pair, values in expected.items()}
    assert distances["H-H"][0] == pytest.approx(1.5444, abs=1e-4)
    plain = run("data", "info", "tiny")
    assert "interatomic distances" in plain.stdout and "H-H" in plain.stdout
