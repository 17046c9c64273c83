"""Measured spectroscopic constants of diatomic ground states, the third tier of truth: no
curve, but r_e, omega_e and D_e to compare a model's curve with, each with its source.

Data
----
The table is ``constants.csv`` beside this module (its header says what each column holds):
r_e (angstrom), omega_e and omega_e x_e (cm-1) and D_0 (eV) of the measured ground state, mostly
from Huber & Herzberg, *Constants of Diatomic Molecules* (1979), as printed in the NIST
Chemistry WebBook ("Constants of diatomic molecules", Mask=1000 pages); transition-metal dimers
from the later measurements named in the row (Morse's review, Chem. Rev. 86, 1049 (1986), the
predissociation thresholds of V2 and Ni2, photoionization thresholds of Cr2 and Mo2). Where a
row was read from a stored page in writing the table,
``checked_at`` names the page and ``checked_fields`` what it shows; the other rows are the
source's values as transcribed: check them before relying on their last digit. An empty cell
is "not in the source", never a guess. The multiplicity of each entry is its ground state's in
:data:`astray.ground_states.HETERONUCLEAR` / :data:`~astray.ground_states.HOMONUCLEAR`.

Derived D_e
-----------
D_e = D_0 + G(0), with the zero-point energy of the Dunham-type term values
G(v) = omega_e (v + 1/2) - omega_e x_e (v + 1/2)^2:

    G(0) = omega_e / 2 - omega_e x_e / 4          (cm-1; Y_00 and omega_e y_e neglected)

converted with :data:`astray.units.EV_INVERSE_CM`; only where D_0, omega_e and omega_e x_e are
all measured (``d_e_derived``). The neglected terms are below 1 cm-1 (1e-4 eV) here.

Examples:
    >>> c = measured_constants("N2")
    >>> c.r_e_angstrom, c.omega_e_cm1, c.d_0_ev
    (1.09768, 2358.57, 9.759)
    >>> round(c.d_e_ev, 3)
    9.905
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib.resources import files

from astray.errors import SystemSpecError
from astray.ground_states import ground_state
from astray.units import EV_INVERSE_CM

HUBER_HERZBERG = ("K. P. Huber and G. Herzberg, Constants of Diatomic Molecules (1979), "
                  "via the NIST Chemistry WebBook")
#: What a row's ``checked_fields`` may name: the columns a stored page can confirm.
CHECKABLE = ("r_e", "omega_e", "omega_e_x_e", "d_0")
_DATA_FILE = "constants.csv"


@dataclass(frozen=True)
class MeasuredConstants:
    """Measured constants of one diatomic state (None: not measured or not in the source).

    Attributes:
        system: the formula (``N2``, ``HCl``), elements in the catalogue's order.
        symbols: the two elements.
        charge: the molecule's charge (0 for every entry here).
        multiplicity: 2S+1 of the state (its ground state in :mod:`astray.ground_states`).
        state: the term symbol (``X 1Sigma_g+``).
        r_e_angstrom: equilibrium bond length (angstrom).
        omega_e_cm1: harmonic wavenumber (cm-1).
        omega_e_x_e_cm1: first anharmonicity (cm-1).
        d_0_ev: dissociation energy from the lowest level (eV).
        d_e_ev: well depth (eV): D_0 + G(0) where ``d_e_derived``.
        d_e_derived: whether D_e was derived here from D_0 (module docstring).
        source: where the numbers come from, and whether a stored page was read.
        checked_at: the stored page the row was read from, or None.
        checked_fields: the columns (:data:`CHECKABLE`) that page shows.
    """

    system: str
    symbols: tuple[str, str]
    charge: int
    multiplicity: int
    state: str
    r_e_angstrom: float | None
    omega_e_cm1: float | None
    omega_e_x_e_cm1: float | None
    d_0_ev: float | None
    d_e_ev: float | None
    d_e_derived: bool
    source: str
    checked_at: str | None = None
    checked_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The JSON record of ``astray constants --json``."""
        return {"system": self.system, "state": self.state,
                "r_e_angstrom": self.r_e_angstrom, "omega_e_cm1": self.omega_e_cm1,
                "d_0_ev": self.d_0_ev, "d_e_ev": self.d_e_ev, "source": self.source}


def zero_point_energy_ev(omega_e_cm1: float, omega_e_x_e_cm1: float) -> float:
    """G(0) = omega_e/2 - omega_e x_e/4 in eV (wavenumbers in cm-1)."""
    return (omega_e_cm1 / 2.0 - omega_e_x_e_cm1 / 4.0) / EV_INVERSE_CM


def _number(cell: str) -> float | None:
    return float(cell) if cell.strip() else None


def _source(row: dict, derived: bool) -> str:
    """The row's source sentence: the compilation or paper, D_0's own source, the derivation
    of D_e, and the stored page it was read from (or that none was)."""
    parts = [HUBER_HERZBERG if row["source"] == "HH" else row["source"]]
    if row["d_0"].strip() and row["d_0_source"]:
        parts.append(f"D_0: {row['d_0_source']}")
    if derived:
        parts.append("D_e = D_0 + omega_e/2 - omega_e x_e/4")
    parts.append(f"checked against {row['checked_at']} ({row['checked_fields']})"
                 if row["checked_at"] else "transcribed, not checked against a stored page")
    return "; ".join(parts)


def _entry(row: dict) -> MeasuredConstants:
    """One table row as an entry; its multiplicity is the tabulated ground state's."""
    symbols = (row["a"], row["b"])
    state = ground_state(*symbols)
    if state is None or state.status == "rule":
        raise ValueError(f"{row['system']}: constants for a pair with no tabulated ground state")
    omega, omega_x, d_0 = (_number(row[k]) for k in ("omega_e", "omega_e_x_e", "d_0"))
    derived = None not in (d_0, omega, omega_x)
    d_e = round(d_0 + zero_point_energy_ev(omega, omega_x), 5) if derived else None
    fields = tuple(row["checked_fields"].split())
    if not set(fields) <= set(CHECKABLE) or bool(fields) != bool(row["checked_at"]):
        raise ValueError(f"{row['system']}: checked_fields {fields} without a page, or unknown")
    return MeasuredConstants(
        system=row["system"], symbols=symbols, charge=0, multiplicity=state.multiplicity,
        state=row["state"], r_e_angstrom=_number(row["r_e"]), omega_e_cm1=omega,
        omega_e_x_e_cm1=omega_x, d_0_ev=d_0, d_e_ev=d_e, d_e_derived=derived,
        source=_source(row, derived), checked_at=row["checked_at"] or None,
        checked_fields=fields)


def _read_table() -> dict[str, MeasuredConstants]:
    """The packaged table (``#`` lines are its documentation), by formula."""
    text = files("astray.reference").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {entry.system: entry for entry in map(_entry, rows)}


#: Every molecule with measured constants, by formula.
MEASURED: dict[str, MeasuredConstants] = _read_table()


def measured_constants(system) -> MeasuredConstants | None:
    """The measured constants of a system's state, or None where astray has none.

    Args:
        system: a :class:`~astray.systems.Diatomic`, a formula in the table (``Cu2``, ``HCl``,
            case-insensitive), or a catalogue name or spec that :func:`astray.systems.get_system`
            reads (``He-H,charge=1``).

    Returns:
        the entry whose elements (either order), charge and multiplicity are the system's; None
        for another charge or spin state (the constants belong to the ground state only).

    Raises:
        SystemSpecError: a string that is neither a formula here nor a system astray knows.
    """
    if isinstance(system, str):
        for name, entry in MEASURED.items():
            if name.lower() == system.strip().lower():
                return entry
        from astray.systems import get_system

        system = get_system(system)
    return next((entry for entry in MEASURED.values()
                 if sorted(entry.symbols) == sorted(system.symbols)
                 and entry.charge == system.charge and entry.multiplicity == system.multiplicity),
                None)


def constants_records(systems: list[str] | None = None) -> list[dict]:
    """The JSON records of ``astray constants``: every entry, or those of ``systems``
    (raises :class:`SystemSpecError`, one line, for one without measured constants)."""
    if not systems:
        return [entry.to_dict() for entry in MEASURED.values()]
    records = []
    for name in systems:
        entry = measured_constants(name)
        if entry is None:
            raise SystemSpecError(
                f"no measured constants for {name!r}: astray has them for "
                + ", ".join(MEASURED))
        records.append(entry.to_dict())
    return records


__all__ = ["CHECKABLE", "HUBER_HERZBERG", "MEASURED", "MeasuredConstants", "constants_records",
           "measured_constants", "zero_point_energy_ev"]
