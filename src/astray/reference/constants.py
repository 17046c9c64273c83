"""Measured spectroscopic constants of diatomic ground states, the third tier of truth: no
curve, but r_e, omega_e and D_e to compare a model's curve with, each with its source.

Data
----
Huber & Herzberg, *Constants of Diatomic Molecules* (1979), as printed in the NIST Chemistry
WebBook ("Constants of diatomic molecules", https://webbook.nist.gov, Mask=1000 pages):
r_e (angstrom), omega_e and omega_e x_e (cm-1) of the ground state; D_0 (eV) from the same
compilation's D_0^0 where given. Where a row was read from a stored WebBook page in writing
this table, ``checked_at`` names the page; the other rows are Huber & Herzberg's values as
transcribed (``checked_at`` None): check them against the WebBook before relying on their
last digit. None is "not in the table", never a guess.

Derived D_e
-----------
Huber & Herzberg give D_0 (from the lowest level). D_e = D_0 + G(0), with the zero-point
energy of the Dunham-type term values G(v) = omega_e (v + 1/2) - omega_e x_e (v + 1/2)^2:

    G(0) = omega_e / 2 - omega_e x_e / 4          (cm-1; Y_00 and omega_e y_e neglected)

converted with :data:`astray.units.EV_INVERSE_CM`. ``d_e_derived`` says so on each entry;
the neglected terms are below 1 cm-1 (1e-4 eV) for every molecule here.

Examples:
    >>> c = measured_constants("N2")
    >>> c.r_e_angstrom, c.omega_e_cm1, c.d_0_ev
    (1.09768, 2358.57, 9.759)
    >>> round(c.d_e_ev, 3)
    9.905
"""

from __future__ import annotations

from dataclasses import dataclass

from astray.errors import SystemSpecError
from astray.units import EV_INVERSE_CM

HUBER_HERZBERG = ("K. P. Huber and G. Herzberg, Constants of Diatomic Molecules (1979), "
                  "via the NIST Chemistry WebBook")


@dataclass(frozen=True)
class MeasuredConstants:
    """Measured constants of one diatomic state (None: not measured or not in the source).

    Attributes:
        system: the formula (``N2``, ``HCl``), elements in the catalogue's order.
        symbols: the two elements.
        charge: the molecule's charge (0 for every entry here).
        multiplicity: 2S+1 of the state (from its term symbol).
        state: the term symbol (``X 1Sigma_g+``).
        r_e_angstrom: equilibrium bond length (angstrom).
        omega_e_cm1: harmonic wavenumber (cm-1).
        omega_e_x_e_cm1: first anharmonicity (cm-1).
        d_0_ev: dissociation energy from the lowest level (eV).
        d_e_ev: well depth (eV): D_0 + G(0) where ``d_e_derived``.
        d_e_derived: whether D_e was derived here from D_0 (module docstring).
        source: where the numbers come from.
        checked_at: the stored page the row was read from, or None.
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

    def to_dict(self) -> dict:
        """The JSON record of ``astray constants --json``."""
        return {"system": self.system, "state": self.state,
                "r_e_angstrom": self.r_e_angstrom, "omega_e_cm1": self.omega_e_cm1,
                "d_0_ev": self.d_0_ev, "d_e_ev": self.d_e_ev, "source": self.source}


def zero_point_energy_ev(omega_e_cm1: float, omega_e_x_e_cm1: float) -> float:
    """G(0) = omega_e/2 - omega_e x_e/4 in eV (wavenumbers in cm-1)."""
    return (omega_e_cm1 / 2.0 - omega_e_x_e_cm1 / 4.0) / EV_INVERSE_CM


_WEBBOOK = "https://webbook.nist.gov/cgi/cbook.cgi?"
# system, (A, B), multiplicity, state, r_e (A), omega_e, omega_e x_e (cm-1), D_0 (eV),
# page the row was read from (None: transcribed from Huber & Herzberg, see the docstring)
_TABLE = (
    ("H2", ("H", "H"), 1, "X 1Sigma_g+", 0.74144, 4401.21, 121.33, 4.4781, None),
    ("Li2", ("Li", "Li"), 1, "X 1Sigma_g+", 2.6729, 351.43, 2.610, 1.046, None),
    ("N2", ("N", "N"), 1, "X 1Sigma_g+", 1.09768, 2358.57, 14.324, 9.759, None),
    ("O2", ("O", "O"), 3, "X 3Sigma_g-", 1.20752, 1580.19, 11.98, 5.1156, None),
    ("F2", ("F", "F"), 1, "X 1Sigma_g+", 1.41193, 916.64, 11.236, 1.602, None),
    ("Na2", ("Na", "Na"), 1, "X 1Sigma_g+", None, 159.1245, 0.72547, None,
     "https://webbook.nist.gov/cgi/inchi?ID=C25681792&Mask=1000"),
    ("Cl2", ("Cl", "Cl"), 1, "X 1Sigma_g+", 1.9879, 559.72, 2.675, 2.4794, None),
    ("LiH", ("Li", "H"), 1, "X 1Sigma+", 1.5949, 1405.65, 23.20, 2.429, None),
    ("HF", ("H", "F"), 1, "X 1Sigma+", 0.916808, 4138.32, 89.88, 5.869, None),
    ("HCl", ("H", "Cl"), 1, "X 1Sigma+", 1.27455, 2990.946, 52.8186, 4.4336, None),
    ("OH", ("O", "H"), 2, "X 2Pi_i", 0.96966, 3737.76, 84.881, 4.392, None),
    ("CO", ("C", "O"), 1, "X 1Sigma+", 1.128323, 2169.81358, 13.28831, 11.092, None),
    ("NO", ("N", "O"), 2, "X 2Pi_r", 1.15077, 1904.20, 14.075, 6.4968, None),
    ("PN", ("P", "N"), 1, "X 1Sigma+", 1.490866, 1337.24, 6.983, None,
     _WEBBOOK + "ID=C17739478&Units=CAL&Mask=1000"),
    ("LiCl", ("Li", "Cl"), 1, "X 1Sigma+", 2.020673, 643.31, 4.501, None,
     _WEBBOOK + "ID=C7447418&Units=SI&Mask=1000"),
    ("GaCl", ("Ga", "Cl"), 1, "X 1Sigma+", 2.201690, 365.3, 1.2, None,
     _WEBBOOK + "ID=C17108859&Units=CAL&Mask=1000"),
    ("CsH", ("Cs", "H"), 1, "X 1Sigma+", 2.4938, 891.0, 12.93, None,
     _WEBBOOK + "ID=C13772479&Mask=1000"),
    ("BiI", ("Bi", "I"), 1, "X 0+", 2.800501, 163.88, 0.280, None,
     _WEBBOOK + "Source=1968SIN445&Units=CAL&Mask=FFFF"),
)


def _entry(row) -> MeasuredConstants:
    name, symbols, multiplicity, state, r_e, omega, omega_x, d_0, page = row
    derived = d_0 is not None and omega is not None and omega_x is not None
    d_e = round(d_0 + zero_point_energy_ev(omega, omega_x), 5) if derived else None
    source = HUBER_HERZBERG + ("; D_e = D_0 + omega_e/2 - omega_e x_e/4" if derived else "")
    return MeasuredConstants(system=name, symbols=symbols, charge=0, multiplicity=multiplicity,
                             state=state, r_e_angstrom=r_e, omega_e_cm1=omega,
                             omega_e_x_e_cm1=omega_x, d_0_ev=d_0, d_e_ev=d_e,
                             d_e_derived=derived, source=source, checked_at=page)


#: Every molecule with measured constants, by formula.
MEASURED: dict[str, MeasuredConstants] = {row[0]: _entry(row) for row in _TABLE}


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


__all__ = ["HUBER_HERZBERG", "MEASURED", "MeasuredConstants", "constants_records",
           "measured_constants", "zero_point_energy_ev"]
