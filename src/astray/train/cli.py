"""``astray train``: fit a SchNet or PaiNN to a data set with the study's recipe."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn

from astray.data.cli import stderr_progress

BASELINE_HELP = ("Learn the difference to this physical baseline (Delta-learning): any potential "
                 "spec (xtb, pyscf:hf/sto-3g, ase:..., checkpoint:PATH); the model learns "
                 "A_data - A_baseline, each against its own isolated atoms, and "
                 "checkpoint:OUT/best.pt evaluates baseline + model. Baseline energies are "
                 "computed once per data set and kept under $ASTRAY_HOME.")


def train_command(
    dataset: str = typer.Option("default", "--dataset", help="Data set name or folder."),
    subset: str = typer.Option("stable", "--subset", help="stable, distorted, all, or one kind "
                               "(compressed, stretched, normal-mode)."),
    model: str = typer.Option("schnet", "--model", help="schnet or painn."),
    hidden: int = typer.Option(128, "--hidden", help="Channels (SchNet: hidden = filters)."),
    interactions: int = typer.Option(3, "--interactions", help="Interaction blocks."),
    cutoff: float = typer.Option(5.0, "--cutoff", help="Neighbour cutoff, angstrom."),
    prior: bool = typer.Option(False, "--prior", help="Add the physics prior (screened nuclear "
                               "repulsion, exact atomic limit, total charge as input)."),
    baseline: str | None = typer.Option(None, "--baseline", help=BASELINE_HELP),
    n_train: int = typer.Option(1000, "--n-train"),
    n_val: int = typer.Option(1000, "--n-val"),
    n_test: int = typer.Option(1000, "--n-test"),
    split_seed: int = typer.Option(21, "--split-seed", help="Seed of the test/val/train draw "
                                   "(the study's: 21)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the initial weights and shuffling."),
    data_seed: int | None = typer.Option(None, "--data-seed", help="Draw the training and "
                                            "validation sets afresh with this seed (and N) from "
                                            "what the fixed test set leaves, as the study did "
                                            "per N (default: one nested split from "
                                            "--split-seed)."),
    test_subsets: list[str] | None = typer.Option(None, "--test-subset", help="Also score "
                                                    "the fixed test set of this subset (repeat), "
                                                    "held out of training, as astray scale does."),
    batch_size: int = typer.Option(50, "--batch-size"),
    learning_rate: float = typer.Option(5e-4, "--lr"),
    max_epochs: int = typer.Option(1000, "--max-epochs"),
    early_stopping: int = typer.Option(50, "--patience", help="Early stopping after this many epochs "
                                 "without validation improvement (the study's recipe: 50; any "
                                 "other value is recorded as a deviation from it)."),
    plateau_patience: int = typer.Option(20, "--plateau-patience", help="Epochs without "
                                         "improvement before the learning rate halves, and the "
                                         "window over which convergence is judged (the study's "
                                         "recipe: 20; another value is recorded as a deviation)."),
    convergence_tolerance: float = typer.Option(0.01, "--convergence-tolerance", help="A run "
                                                "stopped by --max-epochs or the budget counts as "
                                                "converged when its best validation loss fell by "
                                                "less than this fraction over the last "
                                                "--plateau-patience epochs."),
    budget_minutes: float | None = typer.Option(
        None, "--budget-minutes", help="Stop after this much wall-clock time (checked after "
        "each epoch)."),
    force_weight: float = typer.Option(0.0, "--force-weight", help="Weight of the force MSE "
                                       "(needs forces in the data set; 0: energies only, as the "
                                       "study)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    baseline_workers: int = typer.Option(2, "--baseline-workers", help="Local Dask workers "
                                         "for a --baseline pass not yet kept (0: in this "
                                         "process)."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads (default: 1 up "
                                          "to 128 channels, where it is fastest; else all)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (best.pt, last.pt); an "
                             "interrupted run resumes from it."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train with the study's recipe (AdamW 5e-4, batch 50, warm-up, plateau, early stopping);
    resumable, optionally under a wall-clock budget. Says on stderr whether the run converged;
    the JSON lists every departure from the study's recipe (recipe_deviations). With
    --baseline, the errors are of baseline + model against the data."""
    from astray.data.dataset import open_dataset
    from astray.paths import writable_folder
    from astray.train.trainer import TrainConfig

    config = TrainConfig(dataset=dataset, subset=subset, model=model, hidden=hidden,
                         interactions=interactions, cutoff=cutoff, prior=prior,
                         baseline=baseline, n_train=n_train,
                         n_val=n_val, n_test=n_test, split_seed=split_seed, seed=seed,
                         data_seed=data_seed, batch_size=batch_size,
                         learning_rate=learning_rate, max_epochs=max_epochs,
                         early_stopping=early_stopping, plateau_patience=plateau_patience,
                         convergence_tolerance=convergence_tolerance,
                         budget_minutes=budget_minutes,
                         force_weight=force_weight, device=device, threads=threads,
                         test_subsets=tuple(test_subsets or ()))
    writable_folder(out, create=False)  # --out first, then the data set, nothing made yet
    config.check_against(open_dataset(dataset))
    _train_with_progress(config, out, baseline_workers, as_json)


def _train_with_progress(config, out: Path, baseline_workers: int, as_json: bool) -> None:
    """Train with a progress bar on stderr; then whether it converged (stderr) and the summary
    (stdout). Ctrl-C: one line saying what is kept, exit code 130."""
    from astray.train.trainer import CHECKPOINT_EVERY_S, train

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with stderr_progress(f"training {out}", *columns, total=config.max_epochs,
                         unit="epochs") as update:

        def show(record: dict) -> None:
            update(record["epoch"], description=(f"epoch {record['epoch']}: val MAE "
                                                 f"{record['val_mae_kcal_mol']:.2f} kcal/mol"))

        try:
            result = train(config, out, on_epoch=show, baseline_workers=baseline_workers)
        except KeyboardInterrupt:
            Console(stderr=True).print(
                f"interrupted: {out / 'last.pt'} holds the epochs up to its last checkpoint "
                f"(written every {CHECKPOINT_EVERY_S:g} s); rerun the same command to resume")
            raise typer.Exit(130) from None
    summary = result.summary()
    Console(stderr=True).print(summary["convergence"], highlight=False, soft_wrap=True)
    if as_json:
        print(json.dumps(summary))
    else:
        Console().print_json(json.dumps(summary))
