"""The ``astray`` command line (typer + rich).

Results go to stdout (JSON with ``--json``, a table otherwise); progress and messages go to
stderr. Any error the user can fix (unknown system or potential, impossible charge/spin, missing
weights) is one line on stderr and exit code 2; a failing verdict is a result, exit code 0.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shlex
import sys
import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from astray.data.cli import data_app
from astray.errors import AstrayError
from astray.reference.cli import reference_command
from astray.report.cli import report_command
from astray.report.terminal import curves_summary, number_cell, terminal_table
from astray.scaling.cli import scale_command
from astray.train.cli import train_command

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Does a machine-learned potential get the physics of bond breaking right?")
app.add_typer(data_app, name="data")
app.command("train")(train_command)
app.command("scale")(scale_command)
app.command("report")(report_command)
app.command("reference")(reference_command)
stderr = Console(stderr=True)
#: Piped output (CI logs, files) gets a fixed wide table instead of rich's 80 columns.
stdout = Console() if sys.stdout.isatty() else Console(width=180)


def _print_version(asked: bool) -> None:
    if asked:
        from astray import __version__

        print(f"astray {__version__}")
        raise typer.Exit()


@app.callback()
def _astray(version: bool = typer.Option(False, "--version", callback=_print_version,
                                         is_eager=True, help="Print astray's version and exit.")
            ) -> None:
    """Does a machine-learned potential get the physics of bond breaking right?"""


class _ProgressLines(logging.Handler):
    """Prints astray's progress messages (logger ``astray.progress``) on stderr, one line each:
    off a terminal they are the only sign of a long computation. It writes to the current
    ``sys.stderr``, which rich redirects above its progress bar on a terminal."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"astray: {record.getMessage()}", file=sys.stderr)

#: Potentials of ``astray demo``: the offline foundation models (PBE- and r2SCAN-trained heads of
#: one architecture; SO3LR, charge- and spin-aware), xTB and the exact baseline.
DEMO_POTENTIALS = ("chgnet", "chgnet-r2scan", "sevennet-0", "sevennet-mf-0-pbe",
                   "sevennet-mf-0-r2scan", "so3lr", "xtb", "exact")
#: Potentials of the demo's periodic table (every X2 of the 89 elements each declares, against
#: the best truth astray has without quantum chemistry): the offline foundation models of two
#: architectures, 8-11 s each on this 2-core machine.
DEMO_TABLE_POTENTIALS = ("chgnet", "chgnet-r2scan", "sevennet-0")


def _quiet_libraries() -> None:
    """Model libraries print deprecation chatter on import; results must stay readable."""
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)


def _progress() -> Progress:
    """A transient bar on a terminal; off one (logs, pipes) nothing at all: rich would leave an
    empty line before the next message, and the ``astray.progress`` lines say what happens."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=stderr, transient=True, disable=not stderr.is_terminal)


PER_POTENTIAL_OPTIONS = ("--python", "--weights")


def attach_to_preceding_potential(argv: list[str]) -> list[str]:
    """Rewrite ``--potential X --python P`` as ``--potential X --python X=P`` (same for
    ``--weights``), so each option stays with its potential after parsing."""
    rewritten, current = [], None
    for index, arg in enumerate(argv):
        previous = argv[index - 1] if index else None
        if previous in ("--potential", "-p"):
            current = arg
        elif previous in PER_POTENTIAL_OPTIONS and current and "=" not in arg:
            arg = f"{current}={arg}"
        rewritten.append(arg)
    return rewritten


def potential_requests(potentials: list[str], python: list[str] | None,
                       weights: list[str] | None) -> list[tuple[str, dict]]:
    """Each ``--potential`` with its own options, as (name, keyword arguments of
    :func:`astray.potentials.load_potential`). The options arrive as ``NAME=PATH``
    (:func:`attach_to_preceding_potential`); a bare PATH is accepted with one potential."""
    options: dict[str, dict] = {name: {} for name in potentials}
    for flag, values in (("--python", python), ("--weights", weights)):
        for value in values or []:
            name, sep, path = value.rpartition("=")
            if not sep:
                if len(potentials) != 1:
                    raise AstrayError(f"{flag} {value}: write it right after its --potential, "
                                      "or as NAME=PATH")
                name, path = potentials[0], value
            if name not in options:
                raise AstrayError(f"{flag} {value}: {name!r} is not one of the --potential names")
            options[name][flag.lstrip("-")] = path
    return [(name, options[name]) for name in potentials]


@app.command()
def curves(
    potential: list[str] = typer.Option(..., "--potential", "-p", help="Potential name (repeat): "
                                        "chgnet, sevennet-0, xtb, exact, pyscf:METHOD/BASIS, "
                                        "ase:MODULE:CLASS[:JSON]."),
    system: list[str] | None = typer.Option(None, "--system", "-s", help="System name or spec "
                                               "A-B,charge=Q,mult=M (repeat; default: the default suite)."),
    suite: str | None = typer.Option(None, "--suite", help="default | homonuclear (X2 of every "
                                     "element the potentials declare) | heteronuclear (every "
                                     "pair of --elements); whole-table suites run no quantum "
                                     "chemistry: shipped references only."),
    elements: str | None = typer.Option(None, "--elements", help="Comma-separated elements of "
                                        "the homonuclear/heteronuclear suite, e.g. H,C,N,O."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write curves.json, figures and "
                                       "curves.html here."),
    reference: str | None = typer.Option(None, help="Reference method (default: best available)."),
    level_of_theory: bool | None = typer.Option(
        None, "--level-of-theory/--no-level-of-theory", help="Also compare each model with the "
        "curve of its training level of theory (e.g. PBE for CHGNet; default: yes, no for the "
        "whole-table suites)."),
    recompute: bool = typer.Option(False, help="Ignore curves already in the store."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON result to stdout."),
    python: list[str] | None = typer.Option(None, "--python", help="Python of another "
                                               "environment to run the preceding --potential in "
                                               "(or NAME=PATH)."),
    weights: list[str] | None = typer.Option(None, "--weights", help="Weights file of the "
                                                "preceding --potential (or NAME=PATH)."),
) -> None:
    """Evaluate potentials on diatomic dissociation curves against exact references and name
    each physical failure."""
    from astray.paths import writable_folder
    from astray.probes.suite import probe_suite, suite_systems
    from astray.report.probe_report import ProbeReport
    from astray.store import Store
    from astray.systems import DEFAULT_SUITE, get_system

    _check_suite_options(suite, system, elements)
    whole_table = suite in ("homonuclear", "heteronuclear")
    out = writable_folder(out) if out is not None else None  # before any potential is loaded
    _quiet_libraries()
    if suite is None:
        # a system asked for twice (by name or by spec) is probed once: one row each
        systems = list({s.spec: s for s in (get_system(name) for name in
                                             (system or DEFAULT_SUITE))}.values())
    elif not whole_table:
        systems = suite_systems(suite, [])
    loaded = _load_requested(potential, python, weights)
    if whole_table:
        systems = suite_systems(suite, loaded, elements)
    with _progress() as progress, Store() as store:
        task = progress.add_task("starting", total=None)

        def step(done: int, total: int, what: str) -> None:
            progress.update(task, description=what, completed=done, total=total)

        def curve_done(result, curve) -> None:
            if curve.curve.error:  # one line, never wrapped, whatever the width
                progress.console.print(
                    f"astray: {curve.potential.name} on {curve.system.name}: {curve.curve.error}",
                    soft_wrap=True, markup=False, highlight=False)
            if out is not None:
                result.write_json(out)

        try:
            result = probe_suite(loaded, systems, store=store, reference_method=reference,
                                 compare_level_of_theory=(not whole_table
                                                          if level_of_theory is None
                                                          else level_of_theory),
                                 compute_references=not whole_table or reference is not None,
                                 recompute=recompute,
                                 command=shlex.join(["astray", *sys.argv[1:]]),
                                 on_progress=step, on_curve=curve_done)
            if out is not None:
                progress.update(task, description="report")
                ProbeReport.of(result).write(out)
        except KeyboardInterrupt:
            stderr.print("interrupted: every finished curve is kept in the store; rerun to resume")
            raise typer.Exit(130) from None
    _print_curves(result.to_json(), as_json, out)


def _print_curves(result: dict, as_json: bool, out: Path | None) -> None:
    """The result on stdout: the full JSON, or the summary table and what was written."""
    if as_json:
        print(json.dumps(result, indent=1))
    else:
        stdout.print(curves_summary(result))
        if out:
            stdout.print(f"wrote {out / 'curves.json'}, {out / 'curves.html'} and one PNG per system")


def _check_suite_options(suite: str | None, system: list[str] | None,
                         elements: str | None) -> None:
    """One-line errors for --suite, --system and --elements that cannot go together, before
    any model loads."""
    from astray.systems import SUITES, parse_elements

    if suite is not None and suite not in SUITES:
        raise AstrayError(f"unknown suite {suite!r}: use one of {', '.join(SUITES)}")
    if suite is not None and system:
        raise AstrayError("give --suite or --system, not both")
    if elements is not None and suite not in ("homonuclear", "heteronuclear"):
        raise AstrayError("--elements applies to --suite homonuclear and heteronuclear")
    parse_elements(elements)  # an empty or unknown element fails before any model loads


def _load_requested(potential: list[str], python: list[str] | None,
                    weights: list[str] | None) -> list:
    """The potentials of --potential (each once), with their --python and --weights; two of
    one name are an error (results are looked up by name)."""
    from astray.potentials import load_potential

    requests = list({repr(request): request for request in
                     potential_requests(potential, python, weights)}.values())
    loaded = [load_potential(name, **options) for name, options in requests]
    names = [p.name for p in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise AstrayError(f"two potentials are named {twice[0]!r}: results are looked up by "
                          "name, so give each its own")
    return loaded


@app.command()
def constants(
    system: list[str] | None = typer.Argument(None, help="Formulas (N2, HCl), catalogue names or "
                                                 "specs (default: every molecule astray has)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
) -> None:
    """Measured spectroscopic constants of diatomic ground states (r_e, omega_e, D_0, D_e),
    each with its source; a dash where it was not measured."""
    from astray.reference.constants import constants_records

    records = constants_records(system)
    if as_json:
        print(json.dumps(records, indent=1))
        return
    table = terminal_table("measured constants of the ground state")
    for header, justify in (("system", "left"), ("state", "left"), ("r_e Å", "right"),
                            ("ω_e cm⁻¹", "right"), ("D_0 eV", "right"), ("D_e eV", "right"),
                            ("source", "left")):
        table.add_column(header, justify=justify, overflow="fold")
    for record in records:
        table.add_row(record["system"], record["state"],
                      number_cell(record["r_e_angstrom"], 1.0, "{:.5f}"),
                      number_cell(record["omega_e_cm1"], 1.0, "{:.2f}"),
                      number_cell(record["d_0_ev"], 1.0, "{:.4f}"),
                      number_cell(record["d_e_ev"], 1.0, "{:.4f}"),
                      record["source"])
    stdout.print(table)


@app.command()
def potentials(as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout.")) -> None:
    """Every known potential: family, charge/spin awareness, where its weights are expected and
    whether they are found."""
    from astray.potentials import potential_catalogue

    catalogue = potential_catalogue()
    if as_json:
        print(json.dumps(catalogue, indent=1))
        return
    table = Table(title="astray potentials (also: pyscf:METHOD/BASIS, ase:MODULE:CLASS[:JSON])")
    for header in ("name", "family", "trained on", "level of theory", "charge", "spin",
                   "how charge/spin are passed", "weights"):
        table.add_column(header, overflow="fold")
    for entry in catalogue:
        found = ("[green]found[/]" if entry["weights_found"]
                 else f"[red]missing[/]: {entry['weights_hint']}")
        table.add_row(entry["name"], entry["family"], entry.get("training_data", ""),
                      entry.get("level_of_theory", ""), "yes" if entry["charge_aware"] else "no",
                      "yes" if entry["spin_aware"] else "no", entry.get("charge_spin", ""), found)
    stdout.print(table)


#: The demo's sweep: the study's comparison in miniature on the shipped DFT set, both data
#: variants, the physics prior off and on, four training sizes (the fewest from which a law's
#: exponent gets an interval: 2 degrees of freedom) and two widths, each size drawn twice from
#: the data (two data seeds: independent training and validation sets, so the lack-of-fit test
#: has replicates that sample the data), 64 runs. The recipe is the study's with a shorter
#: patience (early stopping after 30 epochs without improvement, learning-rate plateau 10, at
#: most 500 epochs; stated in every run's recipe_deviations), so that most runs converge within
#: the demo's budget on 2 cores: measured on this grid, 50 of 64 runs converged; the 14 others
#: (10 of them 16-channel) are left out of the fits or named by the findings. Narrow models are
#: not cheaper here: the 16-channel runs took as long in all as the 64-channel ones (1,706 s
#: against 1,557 s of training), running more epochs at a per-epoch cost set by overheads.
#: Validation and test sets are smaller than the study's 1,000.
DEMO_SWEEP = {"datasets": ("default",), "subsets": ("stable", "all"),
              "n_train": (50, 100, 200, 400), "hidden": (16, 64), "interactions": (3,),
              "priors": (False, True), "seeds": (0,), "data_seeds": (0, 1),
              "training": {"n_val": 200, "n_test": 300, "max_epochs": 500,
                           "early_stopping": 30, "plateau_patience": 10}}
#: The remedy beside the study (issue 20): Delta-learning on GFN2-xTB against no baseline and
#: the physics prior, 64 channels trained with distortions, one data draw per N. Its runs
#: without a baseline are runs of DEMO_SWEEP (same configuration, so copied from it, not
#: trained again): 4 new runs (with both data draws, 8 new runs took the demo to 21 min 8 s).
DEMO_REMEDY = {**DEMO_SWEEP, "subsets": ("all",), "hidden": (64,), "data_seeds": (0,),
               "baselines": (None, "xtb")}


@app.command()
def demo(out: Path = typer.Option(Path("astray-demo"), "--out", "-o", help="Output folder.")) -> None:
    """The study in miniature, offline: the foundation models, GFN2-xTB and the exact baseline
    on the default diatomic suite (OUT/probe), the periodic table of homonuclear dimers for the
    offline foundation models (OUT/table), a SchNet scaling sweep on the shipped DFT data
    (OUT/runs), the report with fitted laws and findings (OUT/report.html), and the remedy:
    Delta-learning on GFN2-xTB beside it (OUT/remedy/report.html)."""
    import typer.main

    from astray.report.cli import print_findings
    from astray.scaling.cli import sweep_and_report
    from astray.scaling.grid import SweepGrid

    probe = ["curves", *[word for name in DEMO_POTENTIALS for word in ("-p", name)],
             "--out", str(out / "probe")]
    typer.main.get_command(app).main(probe, standalone_mode=False)
    table = ["curves", *[word for name in DEMO_TABLE_POTENTIALS for word in ("-p", name)],
             "--suite", "homonuclear", "--no-level-of-theory", "--out", str(out / "table")]
    typer.main.get_command(app).main(table, standalone_mode=False)
    summary = sweep_and_report(SweepGrid(**DEMO_SWEEP), out)
    print_findings(json.loads((out / "scaling.json").read_text()))
    sweep_and_report(SweepGrid(**DEMO_REMEDY), out / "remedy")
    remedy = json.loads((out / "remedy" / "scaling.json").read_text())
    print_findings({"findings": [f for f in remedy["findings"] if f["id"] == "remedy-baseline"]})
    stdout.print(f"astray demo: {summary['runs']} runs ({len(summary['failed'])} failed) in "
                 f"{out}; open {summary['report']}")


#: Errors of the disk rather than of astray: one line (exit code 2) instead of a traceback. A
#: full disk while writing never leaves a torn file (every write is a temporary file renamed
#: into place), so freeing space and rerunning resumes where the command stopped.
DISK_ERRORS = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
               errno.EROFS: "the file system is read-only", errno.EFBIG: "file too large",
               errno.ENAMETOOLONG: "a file name is too long"}


def disk_error_line(error: OSError) -> str | None:
    """The one-line message of an OSError of the disk (see :data:`DISK_ERRORS`), else None."""
    what = DISK_ERRORS.get(error.errno)
    if what is None:
        return None
    where = f" writing {error.filename}" if error.filename else " while writing"
    return (f"{what}{where}: free some space (or choose another --out) and rerun the same "
            "command; every file astray finished is whole (writes are atomic)")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, and so does a full
    or read-only disk (:data:`DISK_ERRORS`)."""
    # idle OpenMP threads sleep instead of spinning: on a shared machine spinning threads made
    # every parallel region of training wait for the scheduler (measured 1.1-1.6x instead of ~5x
    # in benchmarks/train_throughput.py); set before torch starts its thread pool
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    progress_log = logging.getLogger("astray.progress")
    progress_log.setLevel(logging.INFO)
    progress_log.propagate = False  # the root logger's handlers would print it a second time
    if not any(isinstance(handler, _ProgressLines) for handler in progress_log.handlers):
        progress_log.addHandler(_ProgressLines())
    try:
        app(args=attach_to_preceding_potential(sys.argv[1:]))
    except AstrayError as error:
        print(f"astray: error: {error}", file=sys.stderr)
        sys.exit(2)
    except OSError as error:  # click passes these on: a full or read-only disk is one line
        line = disk_error_line(error)
        if line is None:
            raise
        print(f"astray: error: {line}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
