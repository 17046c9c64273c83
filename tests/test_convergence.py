"""Every run says whether it converged, with the reason, and keeps saying it when resumed."""

import json

import pytest
import torch
from typer.testing import CliRunner

from astray.cli import app
from astray.errors import ModelError
from astray.models.checkpoint import load_model
from astray.train.trainer import TrainConfig, judge_convergence, train

SMALL = dict(dataset="tiny", subset="all", hidden=8, interactions=1, n_train=40, n_val=20,
             n_test=20, batch_size=20)


def losses_falling_by(fall: float, epochs: int = 60, window: int = 20) -> list[float]:
    """Validation losses flat at 1.0 until the last ``window`` epochs, then one epoch at
    1 - ``fall``: the best loss fell by ``fall`` over the window."""
    return [1.0] * (epochs - window) + [1.0 - fall] + [2.0] * (window - 1)


def test_early_stopping_is_convergence():
    config = TrainConfig(early_stopping=30)
    assert judge_convergence([1.0] * 40, "early-stopping", config) == (
        True, "early stopping: no validation improvement in 30 epochs")


def test_a_run_cut_short_is_judged_by_the_tolerance():
    config = TrainConfig(max_epochs=100)
    converged, why = judge_convergence(losses_falling_by(0.073, epochs=100), "max-epochs", config)
    assert not converged
    assert why == ("not converged: stopped at max-epochs 100 while the best validation loss "
                   "still fell 7.3% over the last 20 epochs (tolerance 1%)")
    converged, why = judge_convergence(losses_falling_by(0.004, epochs=100), "max-epochs", config)
    assert converged and why.startswith("converged: stopped at max-epochs 100; the best "
                                        "validation loss fell 0.4% over the last 20 epochs")
    # the tolerance is the config's: 0.4% is too much for a 0.1% tolerance
    strict = TrainConfig(max_epochs=100, convergence_tolerance=0.001)
    assert not judge_convergence(losses_falling_by(0.004, epochs=100), "max-epochs", strict)[0]
    # and the window is plateau_patience: the fall 15 epochs ago is outside a 10-epoch window
    short = TrainConfig(max_epochs=100, plateau_patience=10)
    assert judge_convergence(losses_falling_by(0.5, epochs=100, window=15), "max-epochs",
                             short)[0]


def test_the_budget_and_too_few_epochs():
    config = TrainConfig(budget_minutes=30)
    converged, why = judge_convergence(losses_falling_by(0.2, epochs=57), "budget", config)
    assert not converged and why.startswith("not converged: stopped by the 30-minute budget "
                                            "at epoch 57 while the best validation loss still "
                                            "fell 20.0%")
    converged, why = judge_convergence([3.0, 2.0, 1.0], "max-epochs", TrainConfig(max_epochs=3))
    assert not converged and "too few epochs (3) to judge" in why
    # non-finite losses are no improvement; from none finite to a finite one is a fall
    assert judge_convergence([float("nan")] * 30 + [1.0], "max-epochs", config)[0] is False
    assert judge_convergence([1.0] * 25 + [float("nan"), None] * 3, "max-epochs", config)[0]


def test_bad_recipe_values_are_one_line_errors():
    for options, option in ((dict(early_stopping=0), "--patience"),
                            (dict(plateau_patience=0), "--plateau-patience"),
                            (dict(max_epochs=0), "--max-epochs"), (dict(n_val=0), "--n-val"),
                            (dict(split_seed=-1), "--split-seed"),
                            (dict(data_seed=-2), "--data-seed"),
                            (dict(budget_minutes=0.0), "--budget-minutes"),
                            (dict(convergence_tolerance=float("nan")),
                             "--convergence-tolerance")):
        with pytest.raises(ModelError, match=option):
            TrainConfig(**options)


def test_a_run_records_its_convergence_in_the_summary_and_the_checkpoint(tmp_path):
    # a learning rate too small to change any weight: no epoch after the first improves, so
    # early stopping after 3 epochs without improvement ends the run at epoch 4
    config = TrainConfig(**SMALL, learning_rate=1e-30, early_stopping=3, max_epochs=50)
    result = train(config, tmp_path / "run")
    assert (result.stopped_by, result.epochs, result.converged) == ("early-stopping", 4, True)
    summary = result.summary()
    assert summary["converged"] is True
    assert summary["convergence"] == "early stopping: no validation improvement in 3 epochs"
    assert "--patience 3 (the study: 50)" in summary["recipe_deviations"]
    _, metadata = load_model(result.checkpoint)
    assert metadata["metrics"]["converged"] is True
    assert metadata["metrics"]["convergence"] == summary["convergence"]
    # cut by max-epochs before the window is full: not converged, and it says why
    short = train(TrainConfig(**SMALL, max_epochs=2), tmp_path / "short")
    assert short.stopped_by == "max-epochs" and not short.converged
    assert "too few epochs (2) to judge" in short.convergence


def test_a_resumed_run_is_judged_on_all_its_epochs(tmp_path):
    config = TrainConfig(**SMALL, max_epochs=6, plateau_patience=2, learning_rate=5e-3,
                         warmup_epochs=1)
    whole = train(config, tmp_path / "whole")

    def kill_after_four(record):
        if record["epoch"] == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "killed", on_epoch=kill_after_four)
    resumed = train(config, tmp_path / "killed")
    assert [r["val_loss"] for r in resumed.history] == [r["val_loss"] for r in whole.history]
    assert (resumed.converged, resumed.convergence) == (whole.converged, whole.convergence)
    # another tolerance judges the same epochs again: allowed on resume (no epoch changes)
    again = train(TrainConfig(**{**SMALL, "max_epochs": 6, "plateau_patience": 2,
                                 "learning_rate": 5e-3, "warmup_epochs": 1},
                              convergence_tolerance=10.0), tmp_path / "killed")
    assert again.epochs == 6 and again.converged


def test_a_last_pt_from_before_the_new_fields_resumes(tmp_path):
    config = TrainConfig(**SMALL, max_epochs=2)
    train(config, tmp_path / "run")
    saved = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    # identities at the defaults of the new fields are those earlier versions wrote
    assert "data_seed" not in saved["identity"]
    assert "convergence_tolerance" not in saved["identity"]
    # a file that spelled them out at their defaults resumes as well
    saved["identity"].update(data_seed=None, convergence_tolerance=0.01)
    torch.save(saved, tmp_path / "run" / "last.pt")
    resumed = train(TrainConfig(**SMALL, max_epochs=3), tmp_path / "run")
    assert resumed.epochs == 3 and len(resumed.history) == 3


def test_cli_patience_and_the_convergence_line(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, [
        "train", "--dataset", "tiny", "--subset", "all", "--hidden", "8", "--interactions", "1",
        "--n-train", "40", "--n-val", "20", "--n-test", "20", "--lr", "1e-30", "--patience", "2",
        "--plateau-patience", "3", "--max-epochs", "30", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["stopped_by"] == "early-stopping" and summary["epochs"] == 3
    assert summary["converged"] is True
    assert "early stopping: no validation improvement in 2 epochs" in result.stderr
    assert {"--patience 2 (the study: 50)", "--plateau-patience 3 (the study: 20)",
            "--lr 1e-30 (the study: 0.0005)"} <= set(summary["recipe_deviations"])


def test_a_last_pt_without_a_history_resumes_and_is_judged_on_what_it_has(tmp_path):
    train(TrainConfig(**SMALL, max_epochs=2), tmp_path / "run")
    saved = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    del saved["state"]["history"]
    torch.save(saved, tmp_path / "run" / "last.pt")
    resumed = train(TrainConfig(**SMALL, max_epochs=3), tmp_path / "run")
    assert resumed.epochs == 3 and len(resumed.history) == 1
    assert not resumed.converged and "too few epochs (1) to judge" in resumed.convergence
