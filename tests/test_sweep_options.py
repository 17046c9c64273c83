"""`astray scale` options: defaults that run on the default data set, values checked before any
work, data seeds as a grid axis, recipe options passed through, and ``grid.command()`` giving
back the same grid."""

import inspect
import shlex

import pytest
from typer.testing import CliRunner

from astray.cli import app
from astray.errors import SweepError
from astray.scaling import cli as scale_cli
from astray.scaling.grid import SweepGrid, parse_data_seeds, validate
from console import run_main

TINY = dict(datasets=("tiny",), subsets=("stable",), n_train=(10, 20), hidden=(8,),
            interactions=(1,), training={"n_val": 10, "n_test": 20, "max_epochs": 2})


@pytest.fixture
def captured(monkeypatch):
    """The grid ``astray scale`` builds, with the sweep itself replaced by a no-op."""
    grids = []

    def no_sweep(grid, out, **execution):
        grids.append(grid)
        return {"folder": str(out), "runs": 0, "failed": {}}

    monkeypatch.setattr(scale_cli, "sweep_and_report", no_sweep)
    return grids




def test_the_defaults_give_five_sizes_that_fit_the_default_data_set(captured, tmp_path):
    result = CliRunner().invoke(app, ["scale", "--out", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.output
    grid = captured[0]
    # five sizes: the exponent's t interval gets 3 degrees of freedom (t = 3.18; 4.30 with 2)
    assert grid.n_train == (50, 100, 200, 400, 800) and grid.datasets == ("default",)
    assert grid.data_seeds == (None,)
    # the whole grid is checked against the data: 2,055 stable structures - 500 - 500 >= 800
    assert len(validate(grid)) == 5
    defaults = {name: p.default.default for name, p in
                inspect.signature(scale_cli.scale_command).parameters.items()}
    assert (defaults["n_val"], defaults["n_test"]) == (500, 500)


@pytest.mark.parametrize("option, value, message", [
    ("--max-epochs", "0", "--max-epochs must be >= 1"),
    ("--n-val", "0", "--n-val must be >= 1"),
    ("--n-test", "0", "--n-test must be >= 1"),
    ("--budget-minutes", "0", "--budget-minutes must be a positive number"),
    ("--workers", "0", "--workers must be >= 1"),
    ("--patience", "0", "--patience must be >= 1"),
    ("--plateau-patience", "0", "--plateau-patience must be >= 1"),
    ("--split-seed", "-1", "--split-seed must be >= 0"),
    ("--data-seeds", "0,-1", "--data-seeds must be 0 or more"),
    ("--data-seeds", "zero", "--data-seeds must be comma-separated"),
    ("--convergence-tolerance", "-0.1", "--convergence-tolerance must be 0 or more"),
])
def test_bad_options_are_one_line_before_any_work(capsys, monkeypatch, tmp_path, captured,
                                                  option, value, message):
    code, output = run_main(capsys, monkeypatch, "scale", "--dataset", "tiny", option, value,
                            "--out", tmp_path / "s")
    assert code == 2 and output.err.count("\n") == 1, output.err
    assert message in output.err
    assert not captured and not (tmp_path / "s").exists()


def test_data_seeds_are_an_axis_and_only_they_change_run_ids():
    plain = {r.run_id: r for r in validate(SweepGrid(**TINY))}
    assert set(plain) == {"tiny-stable-schnet-h8-i1-prior0-n10-s0",
                          "tiny-stable-schnet-h8-i1-prior0-n20-s0"}
    seeded = validate(SweepGrid(**TINY, data_seeds=(None, 0, 1)))
    assert len(seeded) == 6
    ids = {r.run_id for r in seeded}
    assert set(plain) <= ids and "tiny-stable-schnet-h8-i1-prior0-n20-s0-d1" in ids
    # the nested runs keep their keys; every data seed is another run
    keys = {r.run_id: r.key for r in seeded}
    assert all(keys[run_id] == spec.key for run_id, spec in plain.items())
    assert len(set(keys.values())) == 6
    assert parse_data_seeds("none,0,2") == (None, 0, 2) and parse_data_seeds(None) == (None,)
    with pytest.raises(SweepError, match="twice"):
        SweepGrid(**TINY, data_seeds=(0, 0))


def test_recipe_options_pass_through_and_are_recorded_as_deviations(captured, tmp_path):
    result = CliRunner().invoke(app, [
        "scale", "--dataset", "tiny", "--n-train", "10,20", "--n-val", "10", "--n-test", "20",
        "--patience", "30", "--plateau-patience", "20", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    grid = captured[0]
    # 20 is the recipe's: left out, so a folder filled before these options existed matches
    assert grid.training["early_stopping"] == 30 and "plateau_patience" not in grid.training
    assert all(r.config.early_stopping == 30 for r in grid.runs())
    assert "--patience 30 (the study: 50)" in grid.describe()["recipe_deviations"]
    assert "--patience 30" in grid.command("s")


def test_command_gives_back_the_same_grid(captured, tmp_path):
    grid = SweepGrid(datasets=("tiny",), subsets=("stable", "all"), n_train=(10, 20, 40, 80),
                     hidden=(8, 16), interactions=(1,), priors=(False, True), seeds=(0, 3),
                     data_seeds=(0, 1, 2),
                     training={"n_val": 10, "n_test": 20, "split_seed": 5, "max_epochs": 3,
                               "budget_minutes": 1.5, "force_weight": 0.0, "threads": None,
                               "early_stopping": 7, "plateau_patience": 4,
                               "convergence_tolerance": 0.02})
    words = shlex.split(grid.command(tmp_path / "s"))
    assert words[:2] == ["astray", "scale"] and "--data-seeds" in words
    result = CliRunner().invoke(app, words[1:])
    assert result.exit_code == 0, result.output
    assert captured[0] == grid
    assert [r.key for r in captured[0].runs()] == [r.key for r in grid.runs()]
