"""``astray scale``: the study's scaling sweep as one resumable command."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

#: Seconds between two heartbeat lines off a terminal: the README promises a line at least
#: every 30 s, whatever the work is doing.
HEARTBEAT_S = 20.0


#: Five sizes by default: the exponent's 95% t interval gets 3 degrees of freedom (t = 3.18;
#: with four sizes 2, t = 4.30); no interval at all from fewer than four.
DEFAULT_N_TRAIN = "50,100,200,400,800"
#: Validation and test structures: 500, not the study's 1,000: with 1,000 + 1,000 the shipped
#: default set's 2,055 stable structures leave 55 for training; with 500 + 500 they leave 1,055
#: (all: 2,203), so the default --n-train up to 800 runs on the default data set.
DEFAULT_N_HELD_OUT = 500
#: The longer help texts of ``astray scale``'s options.
HELP = {
    "dataset": "Data set name or folder (repeat for several).",
    "subset": "Training subset (repeat): stable, all (stable + compressed/stretched), "
              "distorted ...",
    "n_train": "Training sizes, comma-separated (the fits need 4 distinct sizes or more).",
    "n_val": "Validation structures (the study: 1,000).",
    "n_test": "Test structures per test subset (the study: 1,000).",
    "data_seeds": "Seeds of the training and validation draw, comma-separated: each run draws "
                  "its sets afresh per N from what the fixed test set leaves, as the study did "
                  "(default: one nested split from --split-seed).",
    "baseline": "Physical baselines to learn the difference to (Delta-learning), "
                "comma-separated potential specs, none for no baseline: none,xtb. Runs with "
                "--prior on and a baseline are left out (the prior would count the baseline's "
                "nuclear repulsion and atomic limit twice).",
    "patience": "Early stopping after this many epochs without validation improvement (the "
                "study's recipe: 50; another value is recorded in sweep.json as a deviation "
                "from it).",
    "plateau_patience": "Epochs before the learning rate halves and the window convergence is "
                        "judged over (the study's recipe: 20; another value is a recorded "
                        "deviation).",
    "convergence_tolerance": "Largest relative fall of the best validation loss over that "
                             "window for which a run cut short counts as converged (default "
                             "0.01).",
}


def scale_command(
    dataset: list[str] = typer.Option(["default"], "--dataset", help=HELP["dataset"]),
    subset: list[str] = typer.Option(["stable"], "--subset", help=HELP["subset"]),
    n_train: str = typer.Option(DEFAULT_N_TRAIN, "--n-train", help=HELP["n_train"]),
    hidden: str = typer.Option("64", "--hidden", help="Widths (channels), comma-separated."),
    interactions: str = typer.Option("3", "--interactions", help="Depths, comma-separated."),
    seeds: str = typer.Option("0", "--seeds", help="Seeds of weights and shuffling, comma-separated."),
    data_seeds: str | None = typer.Option(None, "--data-seeds", help=HELP["data_seeds"]),
    model: list[str] = typer.Option(["schnet"], "--model", help="schnet or painn (repeat)."),
    prior: str = typer.Option("off", "--prior", help="off, on, or off,on (the physics prior)."),
    baseline: str | None = typer.Option(None, "--baseline", help=HELP["baseline"]),
    n_val: int = typer.Option(DEFAULT_N_HELD_OUT, "--n-val", help=HELP["n_val"]),
    n_test: int = typer.Option(DEFAULT_N_HELD_OUT, "--n-test", help=HELP["n_test"]),
    split_seed: int = typer.Option(21, "--split-seed", help="Seed of the test/val/train draw."),
    max_epochs: int = typer.Option(1000, "--max-epochs"),
    patience: int | None = typer.Option(None, "--patience", help=HELP["patience"]),
    plateau_patience: int | None = typer.Option(None, "--plateau-patience",
                                                   help=HELP["plateau_patience"]),
    convergence_tolerance: float | None = typer.Option(None, "--convergence-tolerance",
                                                          help=HELP["convergence_tolerance"]),
    budget_minutes: float | None = typer.Option(None, "--budget-minutes",
                                                   help="Wall-clock limit of each run."),
    force_weight: float = typer.Option(0.0, "--force-weight"),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads per run "
                                          "(default 1: the workers are the parallelism)."),
    workers: int | None = typer.Option(None, "--workers", help="Local worker processes "
                                          "(default: one per core, or --runs-per-gpu per GPU)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of an existing "
                                            "Dask scheduler (tcp://host:8786)."),
    slurm: bool = typer.Option(False, "--slurm", help="Run workers as SLURM jobs "
                               "(dask-jobqueue: pip install 'astray[cluster]')."),
    slurm_partition: str | None = typer.Option(None, "--slurm-partition"),
    slurm_gpus: int = typer.Option(0, "--slurm-gpus", help="GPUs per SLURM job."),
    slurm_memory: str = typer.Option("16GB", "--slurm-memory", help="Memory per SLURM job."),
    slurm_walltime: str = typer.Option("24:00:00", "--slurm-walltime"),
    slurm_account: str | None = typer.Option(None, "--slurm-account"),
    max_jobs: int = typer.Option(8, "--max-jobs", help="SLURM jobs at most at once."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    runs_per_gpu: int = typer.Option(1, "--runs-per-gpu", help="Runs sharing each GPU at once "
                                     "(workers per GPU; per SLURM job with --slurm)."),
    out: Path = typer.Option(..., "--out", "-o", help="Sweep folder (runs/<id>/result.json, "
                             "sweep.json); rerun the same command to resume."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write scaling.json and "
                                "report.html when the sweep is done."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Train SchNet/PaiNN over a grid of data variants, training sizes, widths, depths, priors,
    baselines, seeds and data seeds (the study's recipe), score each on in- and out-of-distribution test
    sets, probe each on H2, H2+ and H2++, and fit scaling laws. Resumable: rerun to finish."""
    from astray.cluster import SlurmOptions
    from astray.errors import SweepError
    from astray.scaling.grid import (
        SweepGrid,
        parse_baselines,
        parse_data_seeds,
        parse_ints,
        parse_priors,
    )

    for option, value in (("--workers", workers), ("--runs-per-gpu", runs_per_gpu),
                          ("--max-jobs", max_jobs)):
        if value is not None and value < 1:
            raise SweepError(f"{option} must be >= 1, got {value}")
    training = {"n_val": n_val, "n_test": n_test, "split_seed": split_seed,
                "max_epochs": max_epochs, "budget_minutes": budget_minutes,
                "force_weight": force_weight, "threads": threads,
                **_recipe_departures(patience, plateau_patience, convergence_tolerance)}
    grid = SweepGrid(datasets=tuple(dataset), subsets=tuple(subset),
                     n_train=parse_ints(n_train, "--n-train"), models=tuple(model),
                     hidden=parse_ints(hidden, "--hidden"),
                     interactions=parse_ints(interactions, "--interactions"),
                     priors=parse_priors(prior), seeds=parse_ints(seeds, "--seeds"),
                     data_seeds=parse_data_seeds(data_seeds), training=training,
                     baselines=parse_baselines(baseline))
    cluster = SlurmOptions(partition=slurm_partition, processes=runs_per_gpu if slurm_gpus else 1,
                           memory=slurm_memory, gpus=slurm_gpus, walltime=slurm_walltime,
                           max_jobs=max_jobs, account=slurm_account) if slurm else None
    summary = sweep_and_report(grid, out, workers=workers, scheduler=scheduler, slurm=cluster,
                               device=device, runs_per_gpu=runs_per_gpu, report=report)
    _print_summary(summary, as_json)


def _recipe_departures(patience, plateau_patience, convergence_tolerance) -> dict:
    """The recipe options that enter the grid: only where they depart from the recipe, so the
    sweep.json of a folder filled before they existed still matches a rerun's."""
    from astray.train.trainer import TrainConfig

    given = {"early_stopping": patience, "plateau_patience": plateau_patience,
             "convergence_tolerance": convergence_tolerance}
    return {name: value for name, value in given.items()
            if value is not None and value != getattr(TrainConfig, name)}


def _print_summary(summary: dict, as_json: bool) -> None:
    """The sweep's summary on stdout; failed runs: one line on stderr and exit code 1."""
    if as_json:
        print(json.dumps(summary))
    else:
        Console().print_json(json.dumps(summary))
    if summary["failed"]:
        Console(stderr=True).print(f"{len(summary['failed'])} of {summary['runs']} runs failed "
                                   "(errors in the summary and report.html): exit code 1",
                                   highlight=False)
        raise typer.Exit(1)


def sweep_and_report(grid, out: Path, *, report: bool = True, **execution) -> dict:
    """Run the sweep (``execution``: workers, scheduler, slurm, device, runs_per_gpu) with a
    live status on stderr, then write scaling.json and report.html; returns the summary.
    Shared by ``astray scale`` and ``astray demo``."""
    import logging

    import distributed  # noqa: F401  (its import configures the loggers silenced below)

    from astray.scaling.execute import run_sweep
    from astray.store import Store

    # Dask's own chatter (nanny restarts, closing workers) is not the user's business here;
    # failures reach the user as failed runs with their error. distributed sets levels on its
    # sub-loggers itself, so each is silenced, not only the parent.
    for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]:
        logging.getLogger(name).setLevel(logging.ERROR)
    stderr = Console(stderr=True)
    with Store() as store, _StatusDisplay(stderr, out) as display:
        try:
            prepare_baselines(grid, workers=execution.get("workers"),
                              scheduler=execution.get("scheduler"))
            outcome = run_sweep(grid, out, store=store, command=grid.command(out),
                                on_status=display.update, **execution)
        except KeyboardInterrupt:
            _quiet_interrupted_workers()
            display.close()
            stderr.print("interrupted: every finished run is in its folder; rerun the same "
                          "command to finish the sweep", highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
    summary = {"folder": str(out), "runs": len(outcome.skipped) + len(outcome.reused)
               + len(outcome.trained) + len(outcome.failed),
               "trained": len(outcome.trained), "skipped": len(outcome.skipped),
               "reused": len(outcome.reused), "failed": outcome.failed,
               "wall_seconds": round(outcome.seconds, 1)}
    if report:
        from astray.report.cli import print_notes
        from astray.report.study import write_report

        summary["report"] = str(write_report(out))
        print_notes(json.loads((out / "scaling.json").read_text()))
        stderr.print(f"report: {summary['report']}", highlight=False, soft_wrap=True)
    return summary


def prepare_baselines(grid, *, workers: int | None = None, scheduler: str | None = None) -> None:
    """The baseline energies of every (data set, baseline) of the grid, computed once on Dask
    before any run starts (kept under $ASTRAY_HOME; a rerun reads them), after the grid is
    checked (bad input is one line before any work)."""
    from astray.data.baselines import baseline_energies
    from astray.data.dataset import open_dataset
    from astray.scaling.grid import validate

    if all(b is None for b in grid.baselines):
        return
    validate(grid)
    force_weight = grid.training.get("force_weight") or 0
    for name in grid.datasets:
        dataset = open_dataset(name)
        for spec in (b for b in grid.baselines if b is not None):
            baseline_energies(dataset, spec, workers=workers or 2, scheduler=scheduler,
                              forces=force_weight > 0 and dataset.forces is not None)


def _quiet_interrupted_workers() -> None:
    """After Ctrl-C the local workers (same process group) got SIGINT too and die while the
    cluster closes: their KeyboardInterrupt tracebacks and Dask's closing chatter go nowhere."""
    for name in [n for n in logging.root.manager.loggerDict
                 if n.split(".")[0] in ("distributed", "tornado", "asyncio")]:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)


class Heartbeat:
    """Off a terminal, a line on the ``astray.progress`` logger every ``every`` seconds saying
    what is being done (``describe()``) and for how long, so that a log or a batch job never
    goes 30 s without a sign of life; nothing on a terminal (the live bar says it)."""

    def __init__(self, describe: Callable[[], str], *, every: float | None = None,
                 enabled: bool = True):
        self.describe = describe
        self.every = HEARTBEAT_S if every is None else every
        self.enabled = enabled
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        self.start = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._beat, name="astray-heartbeat",
                                             daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()

    def beat(self) -> None:
        """One line: what is being done, and for how long."""
        try:
            what = self.describe()
        except Exception as error:  # a heartbeat never stops the work it reports on
            what = f"working ({type(error).__name__})"
        logging.getLogger("astray.progress").info(
            "%s (%s elapsed)", what, elapsed_text(time.monotonic() - self.start))


def elapsed_text(seconds: float) -> str:
    """``75`` -> ``1 min 15 s``; ``3725`` -> ``1 h 2 min``."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class _StatusDisplay:
    """A live bar (done, running, failed, ETA) on a terminal; otherwise (logs, CI, batch jobs)
    one plain line per finished run and a heartbeat line (runs done, running, failed, elapsed)
    at least every :data:`HEARTBEAT_S` seconds."""

    def __init__(self, console: Console, out: Path | None = None):
        self.console = console
        self.out = out
        self.progress = None
        self.task = None
        self.status = None
        self.heartbeat = Heartbeat(self._describe, enabled=not console.is_terminal)

    def _describe(self) -> str:
        where = f"sweep {self.out}" if self.out is not None else "sweep"
        status = self.status
        if status is None:
            return f"{where}: preparing (checking the grid, computing the probe references)"
        return (f"{where}: {status.done} of {status.total} runs done, {status.running} running, "
                f"{status.failed} failed")

    def close(self) -> None:
        """Stop the heartbeat (and the bar) now, e.g. before the ``interrupted`` line."""
        self.heartbeat.close()

    def __enter__(self):
        self.heartbeat.__enter__()
        if self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(),
                                     TextColumn("ETA"), TimeRemainingColumn(),
                                     console=self.console, transient=True)
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.heartbeat.close()
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def update(self, status) -> None:
        self.status = status
        finished = status.done + status.failed
        if self.progress is None:
            if status.message:
                self.console.print(f"[{finished}/{status.total}] {status.message}",
                                   highlight=False, soft_wrap=True)
            return
        description = f"runs: {status.running} running, {status.failed} failed"
        if self.task is None:
            self.task = self.progress.add_task(description, total=status.total)
        self.progress.update(self.task, completed=finished, description=description)
        if status.message:
            self.progress.console.print(status.message, highlight=False)
