"""``astray report DIR``: rebuild a sweep's fits, findings, figures and HTML report from its
run folders alone."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def report_command(
    sweep_dir: Path = typer.Argument(..., help="Sweep folder (the --out of astray scale)."),
    as_json: bool = typer.Option(False, "--json", help="Print scaling.json (runs, fits, "
                                 "findings) to stdout."),
) -> None:
    """(Re)build DIR/scaling.json (laws with 95% intervals and their tests, findings) and
    DIR/report.html (one self-contained page with the figures) from DIR/runs/*/result.json."""
    from astray.report.study import write_report

    path = write_report(sweep_dir)
    scaling = json.loads((sweep_dir / "scaling.json").read_text())
    if as_json:
        print(json.dumps(scaling))
        return
    print_findings(scaling)
    print_notes(scaling)
    print(f"report: {path}")


def print_notes(scaling: dict) -> None:
    """The summary's notes on stderr (runs of the grid without a result, a malformed
    sweep.json, ...): what the report leaves out is said on the terminal too."""
    import sys

    for note in scaling.get("notes") or []:
        print(f"note: {note}", file=sys.stderr)


def print_findings(scaling: dict) -> None:
    """One line per finding of a ``scaling.json``: whether it holds, and its sentence; its
    caveats indented below it."""
    for finding in scaling.get("findings") or []:
        state = {True: "holds", False: "does not hold"}.get(finding.get("holds"), "not resolved")
        print(f"[{state}] {finding.get('text', '')}")
        for caveat in finding.get("caveats") or []:
            print(f"    caveat: {caveat}")
