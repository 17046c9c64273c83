"""``astray reference``: reference curves on the command line, and the resumable build of the
shipped spin-ladder curves on Dask.

::

    astray reference N2 --method dft:pbe/def2-tzvp          # one curve, computed or cached
    astray reference --suite homonuclear --elements H-Ar \\
        --method dft:pbe/def2-tzvp --spin-ladder --workers 1 --ship

With ``--spin-ladder`` every dimer is one Dask task (:func:`astray.cluster.dask_client`) that
computes the lowest unrestricted energy over the spin multiplicities at each bond length
(:func:`astray.reference.cache.ladder_reference`), each point kept in the store as soon as it
is done: an interrupted build, run again, computes only the points it lacks. ``--ship`` writes
each finished dimer into the package (``reference/shipped/``) as it finishes.
"""

from __future__ import annotations

import json
import math
import sys

import typer
from ase.data import atomic_numbers, chemical_symbols
from rich.console import Console
from rich.table import Table

from astray.errors import AstrayError, ReferenceUnavailableError

stderr = Console(stderr=True)


def reference_command(
    system: list[str] | None = typer.Argument(None, help="System names or specs (default: the "
                                                 "default suite)."),
    r: str | None = typer.Option(None, "--r", help="Comma-separated bond lengths in angstrom "
                                    "(default: the system's grid)."),
    method: str | None = typer.Option(None, help="Method (default: best available): coulomb, "
                                         "exact-one-electron, fci/cbs, fci:BASIS, nevpt2:BASIS, "
                                         "dft:FUNCTIONAL/BASIS, hf:BASIS, ccsd(t):BASIS."),
    suite: str | None = typer.Option(None, help="A suite instead of systems: default, "
                                     "homonuclear or heteronuclear."),
    elements: str | None = typer.Option(None, help="Elements of the suite: H,C,N,O or ranges "
                                        "such as H-Ar."),
    spin_ladder: bool = typer.Option(False, "--spin-ladder", help="The lowest unrestricted "
                                     "energy over the spin multiplicities at each point (a "
                                     "spin-blind model's level of theory; --method an SCF "
                                     "level, default dft:pbe/def2-tzvp), one Dask task a "
                                     "system."),
    workers: int = typer.Option(1, help="Dask worker processes of --spin-ladder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
    ship: bool = typer.Option(False, help="Write the curves into the package's shipped references "
                              "(source checkout; how the shipped default suite is regenerated)."),
) -> None:
    """Compute (or read from the store) reference curves, relative to the separated fragments."""
    from astray.jsonio import to_json_safe

    grid = _grid(r)
    systems = _systems(system, suite, elements)
    try:
        if spin_ladder:
            records = _ladders_on_dask(systems, grid, method or "dft:pbe/def2-tzvp", workers,
                                       ship)
        else:
            records = _references(systems, grid, method, ship)
    except KeyboardInterrupt:
        stderr.print("interrupted: the points computed so far are kept in the store; rerun "
                     "the same command to resume", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    if as_json:
        print(json.dumps(to_json_safe(records[0] if len(records) == 1 else records), indent=1,
                         allow_nan=False))
        return
    stdout = Console() if sys.stdout.isatty() else Console(width=180)
    for record in records:
        table = Table(title=f"{record['system']}: {record['method']} ({record['description']})")
        table.add_column("r (Å)")
        table.add_column("E − E(fragments) (eV)")
        for x, e in zip(record["r_angstrom"], record["energy_ev"]):
            table.add_row(f"{x:.4f}", f"{e:.6f}")
        stdout.print(table)


def _grid(r: str | None) -> list[float] | None:
    if r is None:
        return None
    entries = [x.strip() for x in r.split(",")]  # given but empty is an error, not the default
    if not all(entries):
        raise AstrayError(f"--r {r!r} has an empty entry: give comma-separated bond lengths "
                          "in angstrom")
    try:
        grid = [float(x) for x in entries]
    except ValueError:
        raise AstrayError(f"--r must be comma-separated numbers in angstrom, got {r!r}") from None
    if not all(math.isfinite(x) and x > 0 for x in grid):
        raise AstrayError(f"--r bond lengths must be positive finite numbers, got {r!r}")
    return grid


def expand_elements(text: str) -> list[str]:
    """``H,C,N`` and ranges in the periodic table, ``H-Ar`` (H to Ar by atomic number), as
    element symbols; an unknown symbol or a backward range is an :class:`AstrayError`."""
    symbols = []
    for item in (part.strip() for part in text.split(",")):
        first, dash, last = item.partition("-")
        if not dash:
            symbols.append(item)
            continue
        ends = [atomic_numbers.get(x.strip().capitalize()) for x in (first, last)]
        if None in ends or ends[0] > ends[1]:
            raise AstrayError(f"--elements: {item!r} is not a range of elements such as H-Ar")
        symbols.extend(chemical_symbols[ends[0]:ends[1] + 1])
    return symbols


def _systems(system: list[str] | None, suite: str | None, elements: str | None):
    from astray.systems import DEFAULT_SUITE, get_system
    from astray.systems import suite as system_suite

    if suite is not None and system:
        raise AstrayError("give systems or --suite, not both")
    if elements is not None and suite is None:
        raise AstrayError("--elements applies to --suite homonuclear and heteronuclear")
    if suite is not None:
        return system_suite(suite, None if elements is None else expand_elements(elements))
    return [get_system(name) for name in (system or DEFAULT_SUITE)]


def _references(systems, grid, method: str | None, ship: bool) -> list[dict]:
    """Each system's reference curve, computed where neither shipped nor stored; off a
    terminal, a heartbeat line at least every 20 s: which system, which point."""
    from astray.data.cli import stderr_progress
    from astray.reference import reference_curve, resolve_method, write_shipped
    from astray.scaling.cli import Heartbeat
    from astray.store import Store

    records, now = [], {"what": "starting"}

    def computing(item, update, done: int, total: int) -> None:
        now["what"] = f"reference {item.name}: {done} of {total} points computed"
        update(done, total)

    with Store() as store, Heartbeat(lambda: now["what"], enabled=not stderr.is_terminal):
        for item in systems:
            now["what"] = f"reference {item.name}: starting"
            with stderr_progress(f"reference {item.name}", unit="points") as update:
                curve = reference_curve(item, grid, method, store=store,
                                        on_progress=lambda done, total, item=item,
                                        update=update: computing(item, update, done, total))
            records.append(_record(item, curve))
            if ship:
                write_shipped(curve, item, resolve_method(item, method))
    return records


def _ladder_task(system, grid, method: str):
    """One dimer's ladder on a Dask worker, in the worker's own connection to the store."""
    from astray.reference.cache import ladder_reference

    return ladder_reference(system, grid, method)


def _ladders_on_dask(systems, grid, method: str, workers: int, ship: bool) -> list[dict]:
    """Every system's spin ladder, one Dask task each, in the order given; a dimer the method
    cannot treat (no basis set for the element) is said and skipped."""
    from dask.distributed import as_completed

    from astray.cluster import dask_client
    from astray.data.cli import stderr_progress
    from astray.reference.cache import ladder_level, write_shipped_ladder
    from astray.scaling.cli import Heartbeat

    ladder_level(method)  # a method that is no SCF level fails before any worker starts
    records, done = {}, 0
    with dask_client(workers=workers) as client, \
            stderr_progress("spin ladders", total=len(systems), unit="dimers") as update, \
            Heartbeat(lambda: f"spin ladders: {done} of {len(systems)} dimers done",
                      enabled=not stderr.is_terminal):
        futures = {client.submit(_ladder_task, item, grid, method, key=f"ladder-{item.name}",
                                 pure=False, priority=-index): item
                   for index, item in enumerate(systems)}
        for future in as_completed(futures):
            item = futures.pop(future)
            try:
                curve = future.result()
            except (ReferenceUnavailableError, RuntimeError) as error:  # an atom's SCF failed
                stderr.print(f"{item.name}: skipped: {error}", highlight=False, soft_wrap=True)
            else:
                records[item.name] = _record(item, curve)
                if ship:
                    write_shipped_ladder(curve, item)
            done += 1
            update(done)
    return [records[item.name] for item in systems if item.name in records]


def _record(item, curve) -> dict:
    """One system's reference curve as ``astray reference`` prints it."""
    record = {"system": item.name, "method": curve.method, "description": curve.description,
              "r_angstrom": curve.r_angstrom.tolist(), "energy_ev": curve.energy_ev.tolist(),
              "fragments": [f.label for f in item.fragments],
              "fragment_energy_ev": list(curve.fragment_energy_ev)}
    if "multiplicity" in curve.provenance:
        record["multiplicity"] = curve.provenance["multiplicity"]
    return record
