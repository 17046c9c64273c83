"""``astray data``: import, build, inspect and export data sets."""
from __future__ import annotations

import json
import logging
import shlex
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from astray.data.dataset import open_dataset

data_app = typer.Typer(no_args_is_help=True, help="Import, build, inspect and export data sets.")


@data_app.command()
def info(name: str = typer.Argument(..., help="Data set name (e.g. default) or folder."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout.")) -> None:
    """Size, level of theory, elements and structure kinds of a data set, and the shortest and
    longest distance (angstrom) of every element pair over all its structures."""
    from astray.data.coverage import pair_distance_ranges

    dataset = open_dataset(name)
    summary = dataset.info()
    summary["pair_distances_angstrom"] = {pair: [low, high] for pair, (low, high)
                                          in pair_distance_ranges(dataset).items()}
    _print_summary(summary, as_json)


@data_app.command("import")
def import_(
        path: str = typer.Argument(..., help="File, folder or postgresql:// URL to read."),
        name: str = typer.Option(..., "--name", help="Name of the new data set."),
        format: str | None = typer.Option(
            None, "--format", help="paper-npy, extxyz, ase-db or ani-hdf5 (default: from the "
            "path: folder, .extxyz/.xyz, .db or URL, .h5/.hdf5)."),
        allow_pickle: bool = typer.Option(
            False, "--allow-pickle", help="paper-npy: unpickle its object arrays (unpickling can "
            "run code from the file: only for files you trust)."),
        energy_key: str | None = typer.Option(
            None, "--energy-key", help="Field of the total energy (extxyz/ase-db default: the "
            "calculator energy or info['energy']; ani-hdf5: required, e.g. wb97x_dz.energy)."),
        forces_key: str | None = typer.Option(
            None, "--forces-key", help="Field of the forces (default: 'forces' where present)."),
        atomization_key: str | None = typer.Option(
            None, "--atomization-key", help="Field of given atomization energies E - sum "
            "E_atoms (extxyz/ase-db default: atomization_energy where present)."),
        energy_unit: str | None = typer.Option(
            None, "--energy-unit", help="eV, hartree or kcal/mol (default: eV; hartree for "
            "ani-hdf5; kcal/mol for paper-npy). Forces: this unit per angstrom."),
        level: str | None = typer.Option(
            None, "--level", help="Level of theory of the energies, e.g. 'G4(MP2)' "
            "(default: unknown)."),
        kind: str | None = typer.Option(
            None, "--kind", help="Structure kind where the source does not say: stable, "
            "compressed, stretched, normal-mode, unknown (default: stable for paper-npy, "
            "which holds equilibrium geometries; unknown otherwise)."),
        atom_energies: str | None = typer.Option(
            None, "--atom-energies", help="Isolated-atom energies at the same level, JSON text or "
            "file, in --energy-unit: {\"H\": -0.5, ...}; derives atomization energies."),
        hdf5_group: str | None = typer.Option(
            None, "--hdf5-group", help="ani-hdf5: read only this group (e.g. data)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing data set."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Import a data set into $ASTRAY_HOME/datasets/NAME (units converted to eV and angstrom)."""
    from astray.data.readers import import_dataset
    from astray.data.readers.common import SkippedStructuresWarning

    with stderr_progress(f"importing {path}", unit="structures") as advance, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = import_dataset(
            path, name, format=format, level_of_theory=level, atom_energies=atom_energies,
            overwrite=overwrite, progress=advance, allow_pickle=allow_pickle or None,
            energy_key=energy_key, forces_key=forces_key, atomization_key=atomization_key,
            energy_unit=energy_unit, kind=kind, group=hdf5_group)
    for warning in caught:
        if issubclass(warning.category, SkippedStructuresWarning):
            print(f"astray: warning: {warning.message}", file=sys.stderr)
    _print_summary(dataset.info(), as_json)


@data_app.command()
def export(name: str = typer.Argument(..., help="Data set name or folder."),
           out: Path = typer.Argument(..., help="Extended XYZ file to write."),
           overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists.")
           ) -> None:
    """Write a data set as extended XYZ: energy, atomization_energy (eV), forces (eV/A),
    charge, multiplicity, kind and origin per structure."""
    from astray.data.export import export_extxyz
    from astray.paths import writable_file

    out = writable_file(out, "OUT")
    dataset = open_dataset(name)
    with stderr_progress(f"exporting {dataset.name}", total=len(dataset),
                         unit="structures") as advance:
        count = export_extxyz(dataset, out, overwrite=overwrite, progress=advance)
    print(f"wrote {count} structures to {out}", file=sys.stderr)


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    table = Table(show_header=False, title=f"data set {summary['name']}")
    pairs = summary.get("pair_distances_angstrom", {})
    for key, value in summary.items():
        if key != "pair_distances_angstrom":
            table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    Console().print(table)
    if pairs:
        distances = Table("pair", "shortest (angstrom)", "longest (angstrom)",
                          title="interatomic distances, all structures")
        for pair, (low, high) in pairs.items():
            distances.add_row(pair, f"{low:.3f}", f"{high:.3f}")
        Console().print(distances)


#: Off a terminal, seconds between two progress lines of a long command.
PROGRESS_LINE_EVERY_S = 30.0


@contextmanager
def stderr_progress(description: str, *columns, total: int | None = None, unit: str = ""):
    """Progress of a long command on stderr: a rich bar on a terminal; elsewhere (logs, batch
    jobs) a line on the ``astray.progress`` logger at most every PROGRESS_LINE_EVERY_S seconds.

    Yields ``update(done, total=None, description=None)``. ``columns``: rich columns of the bar
    (default: spinner, description, bar, count of ``unit``, time elapsed)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        said = [time.monotonic()]

        def say(done, total=total, description=description):
            if time.monotonic() - said[0] >= PROGRESS_LINE_EVERY_S:
                said[0] = time.monotonic()
                count = f"{done} of {total}" if total else f"{done}"
                logging.getLogger("astray.progress").info("%s: %s %s", description, count, unit)

        yield say
        return
    columns = columns or (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                          TextColumn(f"{{task.completed}} {unit}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)

        def update(done, total=None, description=None):
            changes = {k: v for k, v in (("total", total), ("description", description)) if v}
            progress.update(task, completed=done, **changes)

        yield update


@data_app.command()
def build(
    name: str = typer.Option(..., "--name", help="Name of the data set to build."),
    method: str = typer.Option("b3lyp/6-31g", "--method",
                               help="FUNCTIONAL/BASIS or hf/BASIS (PySCF), or gfn2-xtb."),
    max_heavy_atoms: int = typer.Option(4, "--max-heavy-atoms", help="Largest molecule size."),
    elements: str = typer.Option("C,N,O,F", "--elements", help="Heavy elements (comma-separated)."),
    distortions: str = typer.Option("stretched,compressed", "--distortions",
                                    help="Distorted kinds: stretched, compressed, normal-mode "
                                    "(comma-separated; empty for stable only)."),
    distortions_per_molecule: int = typer.Option(1, "--distortions-per-molecule"),
    max_molecules: int | None = typer.Option(None, "--max-molecules",
                                                help="Compute at most this many molecules "
                                                "(smaller ones first, seeded order)."),
    seed: int = typer.Option(0, "--seed"),
    forces: bool = typer.Option(False, "--forces", help="Compute forces too (analytic gradients; "
                                "about doubles the cost of DFT)."),
    workers: int = typer.Option(2, "--workers", help="Local Dask worker processes."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                            help="Address of an existing Dask scheduler "
                                            "(e.g. a dask-jobqueue SLURMCluster) instead."),
    out: Path | None = typer.Option(None, "--out", help="Folder to write (default: "
                                       "$ASTRAY_HOME/datasets/NAME)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output "
                                   "data set (the journal is kept: finished molecules are reused)."),
    restart: bool = typer.Option(False, "--restart", help="Discard the build journal and "
                                 "compute everything again."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate molecules with RDKit, optimise them with GFN2-xTB, compute stable and distorted
    structures at METHOD on Dask. Re-running a killed build resumes it."""
    from rich.progress import MofNCompleteColumn, TimeRemainingColumn

    from astray.data.generate import BuildConfig, build_dataset

    config = BuildConfig(method=method, max_heavy_atoms=max_heavy_atoms,
                         elements=tuple(e.strip() for e in elements.split(",") if e.strip()),
                         distortions=tuple(k.strip() for k in distortions.split(",") if k.strip()),
                         distortions_per_molecule=distortions_per_molecule,
                         max_molecules=max_molecules, seed=seed, forces=forces)
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with stderr_progress(f"building {name}", *columns, unit="molecules") as update:
        try:
            summary = build_dataset(
                config, name=name, out=out, workers=workers, scheduler=scheduler,
                overwrite=overwrite, restart=restart,
                command=shlex.join(["astray", "data", "build", *sys.argv[3:]]),
                on_progress=lambda done, total: update(done, total=total))
        except KeyboardInterrupt:
            Console(stderr=True).print("interrupted: every finished molecule is in the build "
                                       "journal; rerun the same command to resume")
            raise typer.Exit(130) from None
    report = {**summary.dataset.info(), "n_molecules": summary.n_molecules,
              "n_computed_now": summary.n_computed_now, "n_unstable": summary.n_unstable,
              "n_failed_molecules": summary.n_failed_molecules,
              "n_failed_structures": summary.n_failed_structures,
              "wall_seconds": round(summary.seconds, 1),
              "cpu_seconds": round(summary.cpu_seconds, 1)}
    if as_json:
        print(json.dumps(report))
    else:
        Console().print_json(json.dumps(report))
