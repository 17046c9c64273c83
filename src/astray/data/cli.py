"""``astray data``: import, build, inspect and export data sets."""
from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from astray.data.dataset import open_dataset

data_app = typer.Typer(no_args_is_help=True, help="Import, build, inspect and export data sets.")


@data_app.command()
def info(name: str = typer.Argument(..., help="Data set name (e.g. default) or folder."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout.")) -> None:
    """Size, level of theory, elements and structure kinds of a data set."""
    summary = open_dataset(name).info()
    if as_json:
        print(json.dumps(summary))
        return
    table = Table(show_header=False, title=f"data set {summary['name']}")
    for key, value in summary.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    Console().print(table)
