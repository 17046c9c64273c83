"""Run the diatomic probe for several potentials on several systems and write the results.

Every curve is stored in the results store as soon as it is computed (keyed by its full
configuration, so it is never computed twice) and ``curves.json`` is rewritten after each curve,
so an interrupted run keeps everything it finished and a rerun resumes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from astray import __version__
from astray.potentials import Potential, load_potential
from astray.probes.curves import probe
from astray.curve import Curve
from astray.reference import reference_curve
from astray.report.figures import curve_figure
from astray.report.html import write_html
from astray.store import Store, config_key
from astray.systems import DEFAULT_SUITE, Diatomic, file_stem, get_system

Progress = Callable[[str], None]


def _write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temporary file, then rename), so a kill never leaves half a file."""
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)


def _reference_entry(system: Diatomic, reference: Curve) -> dict:
    return {"system": system.name, "method": reference.method,
            "description": reference.description, "provenance": reference.provenance}


def run_curves(potential_specs: Sequence[str], system_names: Sequence[str] | None = None,
               out_dir: Path | None = None, *, reference_method: str | None = None,
               compare_level_of_theory: bool = True, recompute: bool = False,
               store: Store | None = None, on_step: Progress | None = None,
               on_error: Progress | None = None,
               load_options: dict[str, dict[str, str]] | None = None,
               command: str = "") -> dict:
    """Probe every potential on every system; return (and write to ``out_dir``) the result.

    Args:
        potential_specs: potential names as :func:`astray.potentials.load_potential` takes them.
        system_names: catalogue names or ``A-B,charge=Q,mult=M`` specs (default: the default
            suite).
        out_dir: where ``curves.json``, one PNG per system and ``curves.html`` go (None: nowhere).
        reference_method: reference method (default: the best available for each system).
        compare_level_of_theory: also compute each model's training level of theory on the curve
            (e.g. PBE for CHGNet), to separate the model's error from its functional's.
        recompute: ignore stored curves.
        on_step: called with a short description before each step (for progress display).
        on_error: called with one line for each curve that has an ``error`` (why energies are
            missing), computed now or read from the store.
        command: the command line that produced the result, recorded in it (the CLI passes
            its own; a notebook's process arguments are not a command).
        load_options: per option name (``python``, ``weights``), {potential spec: path}, passed
            to :func:`astray.potentials.load_potential`.
    """
    systems = [get_system(name) for name in (system_names or DEFAULT_SUITE)]
    options = load_options or {}
    potentials: list[Potential] = [
        load_potential(spec, **{key: paths[spec] for key, paths in options.items() if spec in paths})
        for spec in potential_specs]
    store = store or Store()
    step = on_step or (lambda _message: None)
    result = {"astray_version": __version__,
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": command,
              "potentials": [p.describe() for p in potentials], "systems": [], "references": [],
              "curves": []}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    references = {}
    for system in systems:
        step(f"reference {system.name}")
        references[system.name] = reference_curve(system, method=reference_method, store=store)
        result["systems"].append({"name": system.name, "spec": system.spec,
                                  "fragments": [f.label for f in system.fragments],
                                  "bare_nuclei": system.bare_nuclei})
        result["references"].append(_reference_entry(system, references[system.name]))
    for potential in potentials:
        for system in systems:
            step(f"{potential.name} on {system.name}")
            reference = references[system.name]
            # a quantum-chemistry potential is its own level of theory: its curve against the
            # reference already is that comparison (computing it again cost 7 minutes of PBE)
            lot_method = (potential.level_of_theory_reference
                          if compare_level_of_theory and potential.family != "pyscf" else None)
            key = config_key({"potential": potential.describe(), "system": system.spec,
                              "r": reference.r_angstrom.round(6).tolist(),
                              "reference": reference.method, "level_of_theory": lot_method,
                              "astray": __version__})
            record = None if recompute else store.curve(key)
            if record is None:
                lot = (reference_curve(system, reference.r_angstrom, lot_method, store=store)
                       if lot_method else None)
                record = probe(potential, system, reference, lot)
                store.put_curve(key, potential.name, system.name, record)
            result["curves"].append(record)
            if record.get("error") and on_error is not None:
                on_error(f"{potential.name} on {system.name}: {record['error']}")
            if out_dir is not None:
                _write_json(out_dir / "curves.json", result)
    if out_dir is not None:
        step("report")
        figures = {s.name: curve_figure(s, [c for c in result["curves"] if c["system"] == s.name],
                                        out_dir / f"{file_stem(s.name)}.png") for s in systems}
        write_html(result, figures, out_dir / "curves.html")
        _write_json(out_dir / "curves.json", result)
    return result

