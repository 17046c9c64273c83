"""Typed records of a scaling sweep: one :class:`RunResult` per ``runs/<id>/result.json``, the
probe of each system as a :class:`RunProbe`, and :class:`Finding` sentences with their numbers.

JSON exists only at the edges: ``to_dict`` writes, ``from_dict`` reads and checks every field,
so a hand-edited or foreign file is one line naming the file and the field
(:class:`astray.errors.SweepError`, exit code 2 on the command line), never a traceback deep in
a figure. Curve arrays are optional: a record written without them (to keep a sweep folder
small) still enters the fits and findings; the report says which figures it had to skip.

Schemas: ``astray-run/2`` adds convergence (``converged``, ``convergence``), the data seed, the
training set's pair-distance ranges and the energies in the model's own convention;
``astray-run/1`` files are read with those fields absent (None), never half-understood.
``baseline`` (the spec of a Delta-model's physical baseline) and ``baseline_probe`` (the
baseline's own probe, on the run's grid and references) were added to ``astray-run/2`` later:
files without them read as no baseline (None, {}). ``timings`` (wall-clock seconds of each
phase of the run, :data:`RUN_PHASES` and ``total``) was added later too:
files without it read as {} (not measured).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from astray.errors import SweepError
from astray.jsonio import are_numbers, to_json_safe
from astray.probes.results import METRIC_NAMES, CurveMetrics, Failure, Verdict

RUN_SCHEMA = "astray-run/2"
READABLE_RUN_SCHEMAS = ("astray-run/1", RUN_SCHEMA)
#: The phases of a run in ``result.json``'s ``timings`` (wall-clock seconds), in the order they
#: happen: imports (of the checkpoint potential), the trainer's
#: (:attr:`astray.train.trainer.TrainResult.timings`: load_data, build_model, train_epochs,
#: checkpoints, test), the probe of every system (and of a Delta-model's baseline) and write
#: (building the record). A worker's first run also pays for importing the code (in imports,
#: build_model and probe). ``total`` is the whole run. The references (exact and level of
#: theory) are computed once per sweep before any run: in no run's timings.
RUN_PHASES = ("imports", "load_data", "build_model", "train_epochs", "checkpoints", "test",
              "probe", "write")

_KINDS: dict[str, tuple[type, ...]] = {
    "int": (int,), "number": (int, float), "str": (str,), "bool": (bool,), "dict": (dict,),
    "list": (list,),
}


class _Reader:
    """Typed access to one JSON object of one file: every error names the file and field."""

    def __init__(self, record: Any, where: str, prefix: str = ""):
        if not isinstance(record, dict):
            raise SweepError(f"{where}: {prefix.rstrip('.') or 'the file'} is not a JSON object")
        self.record, self.where, self.prefix = record, where, prefix

    def fail(self, name: str, expected: str, value: Any) -> SweepError:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return SweepError(f"{self.where}: field {self.prefix}{name!r}: expected {expected}, "
                          f"got {shown}")

    def get(self, name: str, kind: str, *, required: bool = False, default: Any = None) -> Any:
        """The field, checked against ``kind`` (None allowed unless ``required``)."""
        if name not in self.record:
            if required:
                raise SweepError(f"{self.where}: field {self.prefix}{name!r} is missing")
            return default
        value = self.record[name]
        if value is None:
            if required:
                raise self.fail(name, kind, value)
            return None
        types = _KINDS[kind]
        # bool is an int in Python; a true/false where a number belongs is still an error
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise self.fail(name, "a number" if kind == "number" else f"a {kind}", value)
        if kind == "number" and not math.isfinite(value):
            raise self.fail(name, "a finite number", value)
        return value

    def sub(self, name: str) -> _Reader | None:
        value = self.get(name, "dict")
        return None if value is None else _Reader(value, self.where, f"{self.prefix}{name}.")

    def array(self, name: str) -> np.ndarray | None:
        """A list of numbers (null for NaN) as a float array, or None where absent."""
        values = self.get(name, "list")
        if values is None:
            return None
        if not are_numbers(values, nullable=True):
            raise self.fail(name, "a list of numbers", values)
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    def metrics(self, name: str) -> CurveMetrics | None:
        """A ``metrics`` object; names of an older astray that are missing read as None (the
        metric did not exist then), unknown names and wrong types are errors."""
        reader = self.sub(name)
        if reader is None:
            return None
        unknown = sorted(set(reader.record) - set(METRIC_NAMES))
        if unknown:
            raise SweepError(f"{self.where}: field {self.prefix}{name}.{unknown[0]!r} is not a "
                             "metric of this version of astray")
        values = {}
        for metric in METRIC_NAMES:
            value = reader.record.get(metric)
            if value is not None and (not isinstance(value, (int, float))
                                      or (isinstance(value, float) and not math.isfinite(value))):
                raise reader.fail(metric, "a number, true/false or null", value)
            values[metric] = value
        return CurveMetrics(**values)


@dataclass(frozen=True, eq=False)
class RunProbe:
    """A run's probe of one system: the verdict, the metrics of the curve's shape (energies
    relative to the model's own fragments) and, for a model with an atomization-energy
    convention, its energies against the exact ones (``metrics_in_convention``). Arrays (eV,
    angstrom) are None where the record was written without them."""

    verdict: Verdict
    metrics: CurveMetrics | None
    metrics_in_convention: CurveMetrics | None = None
    grade: str | None = None
    grade_limited_by: tuple[str, ...] = ()
    error: str | None = None
    blind_to_this_system: bool | None = None
    reference_method: str | None = None
    level_of_theory_method: str | None = None
    r_angstrom: np.ndarray | None = None
    energy_ev: np.ndarray | None = None
    reference_energy_ev: np.ndarray | None = None
    level_of_theory_energy_ev: np.ndarray | None = None

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def has_curve(self) -> bool:
        return self.r_angstrom is not None and self.energy_ev is not None \
            and self.reference_energy_ev is not None

    def to_dict(self) -> dict[str, Any]:
        lot = None
        if self.level_of_theory_method is not None:
            lot = {"method": self.level_of_theory_method,
                   "energy_ev": to_json_safe(self.level_of_theory_energy_ev)}
        return {"verdict": self.verdict.outcome,
                "failures": [f.value for f in self.verdict.failures],
                "metrics": None if self.metrics is None else self.metrics.to_dict(),
                "metrics_in_convention": (None if self.metrics_in_convention is None
                                          else self.metrics_in_convention.to_dict()),
                "grade": self.grade, "grade_limited_by": list(self.grade_limited_by),
                "error": self.error, "blind_to_this_system": self.blind_to_this_system,
                "reference_method": self.reference_method,
                "r_angstrom": to_json_safe(self.r_angstrom),
                "energy_ev": to_json_safe(self.energy_ev),
                "reference_energy_ev": to_json_safe(self.reference_energy_ev),
                "level_of_theory": lot}

    @classmethod
    def from_dict(cls, record: Any, where: str, prefix: str) -> RunProbe:
        reader = _Reader(record, where, prefix)
        outcome = reader.get("verdict", "str", required=True)
        if outcome not in ("pass", "fail"):
            raise reader.fail("verdict", "'pass' or 'fail'", outcome)
        names = reader.get("failures", "list", default=[])
        known = {f.value for f in Failure}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise reader.fail("failures", f"failure names ({', '.join(sorted(known))})",
                              unknown[0])
        verdict = Verdict.from_failures(names)
        if verdict.passed != (outcome == "pass"):
            raise reader.fail("verdict", "'pass' exactly when there is no failure", outcome)
        lot = reader.sub("level_of_theory")
        return cls(
            verdict=verdict, metrics=reader.metrics("metrics"),
            metrics_in_convention=reader.metrics("metrics_in_convention"),
            grade=reader.get("grade", "str"),
            grade_limited_by=tuple(reader.get("grade_limited_by", "list", default=[])),
            error=reader.get("error", "str"),
            blind_to_this_system=reader.get("blind_to_this_system", "bool"),
            reference_method=reader.get("reference_method", "str"),
            level_of_theory_method=None if lot is None else lot.get("method", "str"),
            r_angstrom=reader.array("r_angstrom"), energy_ev=reader.array("energy_ev"),
            reference_energy_ev=reader.array("reference_energy_ev"),
            level_of_theory_energy_ev=None if lot is None else lot.array("energy_ev"))


#: Fields every run has, finished or failed, and the JSON kind of each.
_IDENTITY = {"run_id": "str", "subset": "str", "model": "str", "hidden": "int",
             "interactions": "int", "prior": "bool", "n_train": "int", "seed": "int"}


@dataclass(frozen=True, eq=False)
class RunResult:
    """One run of a sweep, as ``result.json`` holds it (units: kcal/mol for test errors, eV and
    angstrom in probes, seconds).

    ``n_train`` is the run's N as the grid asked for it (its level in every fit and pairing);
    ``n_train_used`` the structures it was trained on, fewer where a Delta-model's baseline
    failed on some (left out: 15 of the 4,085 of ``default`` for GFN2-xTB), None in records
    written before it was recorded. ``converged`` is None for records written before
    convergence was recorded;
    ``pair_distances_angstrom`` maps an element pair ("H-H") to the shortest and longest
    distance in the run's training set. ``training`` is the full training configuration as
    written (the report turns it into the ``astray train`` command).
    """

    run_id: str
    status: str
    subset: str
    model: str
    hidden: int
    interactions: int
    prior: bool
    n_train: int
    seed: int
    data_seed: int | None = None
    #: The physical baseline of a Delta-model (a potential spec), None without one.
    baseline: str | None = None
    key: str | None = None
    schema: str = RUN_SCHEMA
    dataset: str | None = None
    level_of_theory: str | None = None
    n_params: int | None = None
    n_train_used: int | None = None
    epochs: int | None = None
    stopped_by: str | None = None
    converged: bool | None = None
    convergence: str | None = None
    energy_convention: str | None = None
    recipe_deviations: tuple[str, ...] = ()
    train_seconds: float | None = None
    train_molecules_per_s: float | None = None
    val_mae_kcal_mol: float | None = None
    test_mae_kcal_mol: dict[str, float | None] = field(default_factory=dict)
    probe: dict[str, RunProbe] = field(default_factory=dict)
    #: The baseline alone, probed like the run (its own curve against the same references).
    baseline_probe: dict[str, RunProbe] = field(default_factory=dict)
    pair_distances_angstrom: dict[str, tuple[float, float]] | None = None
    training: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    device: str | None = None
    command: str | None = None
    astray_version: str | None = None
    created: str | None = None
    error: str | None = None
    reused_from: str | None = None
    #: Wall-clock seconds of each phase of the run and their ``total``; {} where not measured.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status == "done"

    def probe_of(self, system: str) -> RunProbe | None:
        return self.probe.get(system)

    def to_dict(self) -> dict[str, Any]:
        """The ``result.json`` object (strict JSON)."""
        record = {f.name: getattr(self, f.name) for f in fields(self)
                  if f.name not in ("probe", "baseline_probe", "pair_distances_angstrom")}
        record["recipe_deviations"] = list(self.recipe_deviations)
        record["probe"] = {name: p.to_dict() for name, p in self.probe.items()}
        if self.baseline is not None:  # "baseline" is always written (null: none)
            record["baseline_probe"] = {name: p.to_dict()
                                        for name, p in self.baseline_probe.items()}
        record["pair_distances_angstrom"] = (
            None if self.pair_distances_angstrom is None
            else {pair: list(span) for pair, span in self.pair_distances_angstrom.items()})
        return to_json_safe(record)

    @classmethod
    def from_dict(cls, record: Any, where: str) -> RunResult:
        """Read and check a ``result.json`` object; ``where`` names it in errors."""
        reader = _Reader(record, where)
        schema = reader.get("schema", "str", default="astray-run/1")
        if schema not in READABLE_RUN_SCHEMAS:
            raise reader.fail("schema", " or ".join(READABLE_RUN_SCHEMAS), schema)
        status = reader.get("status", "str", default="done")
        if status not in ("done", "failed"):
            raise reader.fail("status", "'done' or 'failed'", status)
        identity = {name: reader.get(name, kind, required=True)
                    for name, kind in _IDENTITY.items()}
        numbers = {name: reader.get(name, kind) for name, kind in (
            ("data_seed", "int"), ("n_params", "int"), ("n_train_used", "int"), ("epochs", "int"),
            ("train_seconds", "number"), ("train_molecules_per_s", "number"),
            ("val_mae_kcal_mol", "number"))}
        if status == "done" and numbers["n_params"] is None:
            raise SweepError(f"{where}: field 'n_params' is missing (a finished run has it)")
        texts = {name: reader.get(name, "str") for name in (
            "key", "dataset", "level_of_theory", "stopped_by", "convergence",
            "energy_convention", "checkpoint", "device", "command", "astray_version", "created",
            "error", "reused_from", "baseline")}
        timings = reader.sub("timings")
        maes = reader.sub("test_mae_kcal_mol")
        test_mae = {} if maes is None else {name: maes.get(name, "number")
                                            for name in maes.record}
        probes = reader.get("probe", "dict", default={})
        baseline_probes = reader.get("baseline_probe", "dict", default={})
        return cls(
            **identity, status=status, schema=schema, **numbers, **texts,
            converged=reader.get("converged", "bool"), test_mae_kcal_mol=test_mae,
            recipe_deviations=tuple(reader.get("recipe_deviations", "list", default=[])),
            probe={name: RunProbe.from_dict(value, where, f"probe.{name}.")
                   for name, value in probes.items()},
            baseline_probe={name: RunProbe.from_dict(value, where, f"baseline_probe.{name}.")
                            for name, value in baseline_probes.items()},
            pair_distances_angstrom=_pair_ranges(reader),
            training=reader.get("training", "dict", default={}),
            timings={} if timings is None else {name: _seconds(timings, name)
                                                for name in timings.record})


def _seconds(reader: _Reader, name: str) -> float:
    """A duration in seconds: a finite number, 0 or more."""
    value = reader.get(name, "number", required=True)
    if value < 0:
        raise reader.fail(name, "seconds (0 or more)", value)
    return float(value)


def _pair_ranges(reader: _Reader) -> dict[str, tuple[float, float]] | None:
    pairs = reader.sub("pair_distances_angstrom")
    if pairs is None:
        return None
    ranges = {}
    for pair in pairs.record:
        span = pairs.get(pair, "list", required=True)
        if len(span) != 2 or not are_numbers(span):
            raise pairs.fail(pair, "[shortest, longest] in angstrom", span)
        ranges[pair] = (float(span[0]), float(span[1]))
    return ranges


@dataclass(frozen=True)
class Finding:
    """One sentence of the study report with the numbers it rests on.

    ``holds``: True or False where the evidence decides, None where it does not (too few runs,
    an interval that spans 0, a law that could not be tested). ``by_construction``: why the
    result follows from how the model or the data were made, not from what was learned (None
    for a measured result). ``caveats``: what a reader must know to use the numbers (runs that
    did not converge, the energy convention, values that could not be defined).
    """

    id: str
    holds: bool | None
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)
    by_construction: str | None = None
    caveats: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "holds": self.holds, "text": self.text,
                "numbers": to_json_safe(self.numbers), "by_construction": self.by_construction,
                "caveats": list(self.caveats)}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], where: str = "scaling.json") -> Finding:
        reader = _Reader(record, where, "findings.")
        return cls(id=reader.get("id", "str", required=True), holds=reader.get("holds", "bool"),
                   text=reader.get("text", "str", required=True),
                   numbers=reader.get("numbers", "dict", default={}),
                   by_construction=reader.get("by_construction", "str"),
                   caveats=tuple(reader.get("caveats", "list", default=[])))


def probed(runs: Iterable[RunResult], system: str) -> list[RunResult]:
    """The runs among ``runs`` with a probe of ``system``."""
    return [run for run in runs if run.probe_of(system) is not None]
