"""The diatomic catalogue: elements, total charge, spin multiplicity, fragments and default grids.

A :class:`Diatomic` is everything astray needs to put a bond on trial: two elements, the total
charge and spin multiplicity (2S+1) of the molecule, the separated fragments it dissociates into
(each with its own charge and multiplicity), and a default grid of bond lengths in angstrom from
deep compression to dissociation, denser near equilibrium.

Wherever a system name is accepted, so is a spec ``A-B,charge=Q,mult=M`` (``He-H,charge=1,mult=1``).
The fragments of a spec are the lowest-energy separated atoms and ions: a positive charge is
removed from the atom with the lower ionisation energy, a negative charge goes to the atom with
the larger electron affinity, and each fragment takes the ground-state multiplicity of the neutral
atom with the same number of electrons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.data import (
    atomic_masses,
    atomic_numbers,
    chemical_symbols,
    covalent_radii,
    ground_state_magnetic_moments,
)

from astray.atomic_data import ELECTRON_AFFINITY_EV, IONISATION_ENERGY_EV
from astray.errors import SystemSpecError
from astray.ground_states import (
    ATOM_GROUND_TERMS,
    HETERONUCLEAR,
    HOMONUCLEAR,
    DimerState,
    atom_multiplicity,
    ground_state,
)

# Regions of a curve, as fractions of the reference length r_ref (the reference r_e when the
# reference curve has a minimum, else a nominal bond length). They live here, below the probes,
# because the grids are built on them; the metrics read them through astray.probes.thresholds.

#: compressed region: r < COMPRESSED_BELOW * r_ref. 0.85 r_e is where a typical covalent bond
#: has climbed roughly half of D_e up the repulsive wall: beyond this the curve is governed by
#: core repulsion, which is exactly what training sets near equilibrium do not sample.
COMPRESSED_BELOW: float = 0.85
#: stretched region: r > STRETCHED_ABOVE * r_ref. Past ~1.6 r_e a covalent bond has lost most of
#: its binding and the curve is in the bond-breaking / dissociation regime (static correlation).
#: The bonding region is COMPRESSED_BELOW * r_ref <= r <= STRETCHED_ABOVE * r_ref (inclusive).
STRETCHED_ABOVE: float = 1.6

#: Points in each region of a default grid: compressed, bonding, stretched.
GRID_POINTS = (10, 16, 14)
#: Grid start of a spec without catalogue limits, a fraction of r_nominal: deep in the wall
#: (the exact H2 curve stands 8.5 eV above its atoms at 0.4 r_e, HeH+ 16.3 eV, 3 and 8 D_e).
SPEC_GRID_START = 0.4
#: Grid end of such a spec: 5 r_nominal, and at least 6 angstrom, where a bond has dissociated
#: (exact H2: 4 meV below its atoms at 5 r_e, 0.3 meV at 6 angstrom; chemical accuracy 43 meV).
SPEC_GRID_END, SPEC_GRID_END_MIN_ANGSTROM = 5.0, 6.0


@dataclass(frozen=True)
class Fragment:
    """A separated atom or atomic ion: element symbol, charge (e) and spin multiplicity (2S+1)."""

    symbol: str
    charge: int
    multiplicity: int

    @property
    def atomic_number(self) -> int:
        return atomic_numbers[self.symbol]

    @property
    def n_electrons(self) -> int:
        return self.atomic_number - self.charge

    @property
    def label(self) -> str:
        """Chemical label, e.g. ``H``, ``H+``, ``He2+``, ``F-``."""
        if self.charge == 0:
            return self.symbol
        sign = "+" if self.charge > 0 else "-"
        return f"{self.symbol}{abs(self.charge) if abs(self.charge) > 1 else ''}{sign}"

    def atoms(self) -> Atoms:
        """The fragment as an ASE ``Atoms`` at the origin, charge and multiplicity in ``info``."""
        return Atoms(self.symbol, positions=[[0.0, 0.0, 0.0]],
                     info={"charge": self.charge, "spin": self.multiplicity})


@dataclass(frozen=True)
class Diatomic:
    """A diatomic molecule or ion with its dissociation channel and default grid.

    Attributes:
        name: catalogue name (``H2+``) or the normalised spec (``He-H,charge=1,mult=1``).
        symbols: the two element symbols.
        charge: total charge in elementary charges.
        multiplicity: total spin multiplicity 2S+1.
        fragments: the separated atoms/ions at infinite bond length.
        r_nominal: a typical bond length in angstrom (experimental r_e where known), used to
            place the grid and, when the reference has no minimum, the metric regions.
        r_min, r_max: default grid limits in angstrom.
    """

    name: str
    symbols: tuple[str, str]
    charge: int
    multiplicity: int
    fragments: tuple[Fragment, Fragment]
    r_nominal: float
    r_min: float
    r_max: float
    description: str = field(default="", compare=False)

    @property
    def atomic_numbers(self) -> tuple[int, int]:
        return atomic_numbers[self.symbols[0]], atomic_numbers[self.symbols[1]]

    @property
    def n_electrons(self) -> int:
        return sum(self.atomic_numbers) - self.charge

    @property
    def bare_nuclei(self) -> bool:
        """True when no electron is left: the exact energy is Coulomb's Z1 Z2 / r."""
        return self.n_electrons == 0

    @property
    def masses_amu(self) -> tuple[float, float]:
        z1, z2 = self.atomic_numbers
        return float(atomic_masses[z1]), float(atomic_masses[z2])

    @property
    def spec(self) -> str:
        """The canonical ``A-B,charge=Q,mult=M`` spec of this system."""
        return f"{self.symbols[0]}-{self.symbols[1]},charge={self.charge},mult={self.multiplicity}"

    def default_grid(self) -> np.ndarray:
        """Bond lengths in angstrom in the metrics' regions (COMPRESSED_BELOW, STRETCHED_ABOVE):
        compressed (r_min to COMPRESSED_BELOW = 0.85 r_nominal), bonding (to STRETCHED_ABOVE =
        1.6 r_nominal, densest) and stretched (geometric spacing to r_max)."""
        n_compressed, n_bonding, n_stretched = GRID_POINTS
        lo, hi = COMPRESSED_BELOW * self.r_nominal, STRETCHED_ABOVE * self.r_nominal
        compressed = np.linspace(self.r_min, lo, n_compressed, endpoint=False)
        bonding = np.linspace(lo, hi, n_bonding, endpoint=False)
        stretched = np.geomspace(hi, self.r_max, n_stretched)
        return np.round(np.concatenate([compressed, bonding, stretched]), 6)

    def atoms(self, r: float) -> Atoms:
        """The molecule at bond length ``r`` (angstrom) along z, charge and multiplicity in
        ``info`` (the ``info["charge"]`` / ``info["spin"]`` convention of fairchem and the study)."""
        return Atoms(list(self.symbols), positions=[[0.0, 0.0, 0.0], [0.0, 0.0, float(r)]],
                     info={"charge": self.charge, "spin": self.multiplicity})


def file_stem(text: str) -> str:
    """A portable file name for a system or method name (``H2++`` -> ``H2pp``,
    ``fci/cbs(aug-cc-pvtz)`` -> ``fci_cbs_aug-cc-pvtz_``)."""
    return "".join(c if c.isalnum() or c in "-." else {"+": "p"}.get(c, "_") for c in text)


def ground_multiplicity(n_electrons: int) -> int:
    """Ground-state multiplicity of the neutral atom with ``n_electrons`` electrons, taken for an
    atomic ion of the same electron count: the NIST ASD ground term
    (:data:`astray.ground_states.ATOM_GROUND_TERMS`, Z 1-94), else ASE's
    ``ground_state_magnetic_moments`` (Hund's rules)."""
    if n_electrons == 0:
        return 1
    if 0 < n_electrons < len(chemical_symbols) and chemical_symbols[n_electrons] in ATOM_GROUND_TERMS:
        return atom_multiplicity(chemical_symbols[n_electrons])
    return int(round(ground_state_magnetic_moments[n_electrons])) + 1


def _check_element(symbol: str) -> str:
    normalised = symbol.strip().capitalize()
    if normalised not in atomic_numbers or normalised == "X":
        raise SystemSpecError(f"unknown element {symbol!r}")
    return normalised


def _split_charge(sym_a: str, sym_b: str, charge: int) -> tuple[int, int]:
    """Charges of the two fragments at infinite separation (lowest-energy channel)."""
    charges = [0, 0]
    symbols = (sym_a, sym_b)
    for _ in range(abs(charge)):
        if charge > 0:
            costs = [_next_ionisation(symbols[i], charges[i]) for i in (0, 1)]
            charges[int(np.argmin(costs))] += 1
        else:
            gains = [ELECTRON_AFFINITY_EV.get(s) for s in symbols]
            if None in gains:
                raise SystemSpecError(
                    f"no electron affinity known for {symbols}; give a catalogue system instead")
            free = [i for i in (0, 1) if charges[i] == 0]
            if not free:
                raise SystemSpecError(f"charge {charge} is not supported for {sym_a}-{sym_b}")
            charges[max(free, key=lambda i: gains[i])] -= 1
    return charges[0], charges[1]


def _next_ionisation(symbol: str, current_charge: int) -> float:
    """Energy in eV to remove one more electron from ``symbol`` at ``current_charge``."""
    if current_charge >= atomic_numbers[symbol]:
        return np.inf  # a bare nucleus has nothing left to give
    stages = IONISATION_ENERGY_EV.get(symbol)
    if stages is None or current_charge >= len(stages) or stages[current_charge] is None:
        raise SystemSpecError(
            f"cannot place charge on {symbol}: no ionisation energy known for its "
            f"{current_charge + 1}. electron; use a smaller charge or a catalogue system")
    return stages[current_charge]


def make_diatomic(sym_a: str, sym_b: str, charge: int, multiplicity: int, *, name: str | None = None,
                  r_nominal: float | None = None, r_min: float | None = None,
                  r_max: float | None = None, description: str = "",
                  fragment_multiplicities: tuple[int, int] | None = None) -> Diatomic:
    """Build and validate a diatomic; raises :class:`SystemSpecError` for impossible input.

    ``fragment_multiplicities``: the atoms' multiplicities at the limit the state dissociates
    to, where that is not the ground-state atoms (Sc2 5Sigma_u-: Sc 2D + Sc 4F); default: each
    fragment in its ground state."""
    sym_a, sym_b = _check_element(sym_a), _check_element(sym_b)
    n_electrons = atomic_numbers[sym_a] + atomic_numbers[sym_b] - charge
    label = f"{sym_a}-{sym_b} with charge {charge:+d}"
    if n_electrons < 0:
        raise SystemSpecError(f"{label} would have {n_electrons} electrons")
    if multiplicity < 1 or multiplicity > n_electrons + 1:
        raise SystemSpecError(
            f"multiplicity {multiplicity} is impossible for {label} ({n_electrons} electrons)")
    if (n_electrons - (multiplicity - 1)) % 2:
        raise SystemSpecError(
            f"multiplicity {multiplicity} is impossible for {label}: {n_electrons} electrons "
            f"need an {'even' if n_electrons % 2 else 'odd'} multiplicity")
    q_a, q_b = _split_charge(sym_a, sym_b, charge)
    fragments = tuple(Fragment(s, q, ground_multiplicity(atomic_numbers[s] - q))
                      for s, q in ((sym_a, q_a), (sym_b, q_b)))
    if fragment_multiplicities is not None:
        fragments = tuple(Fragment(f.symbol, f.charge, m)
                          for f, m in zip(fragments, fragment_multiplicities))
    spin_a, spin_b = ((f.multiplicity - 1) / 2 for f in fragments)
    spin = (multiplicity - 1) / 2
    if not abs(spin_a - spin_b) <= spin <= spin_a + spin_b:
        raise SystemSpecError(
            f"multiplicity {multiplicity} of {label} cannot be reached from ground-state "
            f"fragments {fragments[0].label} + {fragments[1].label}")
    r_nominal = r_nominal or float(covalent_radii[atomic_numbers[sym_a]]
                                   + covalent_radii[atomic_numbers[sym_b]])
    spec = f"{sym_a}-{sym_b},charge={charge},mult={multiplicity}"
    return Diatomic(name=name or spec, symbols=(sym_a, sym_b), charge=charge,
                    multiplicity=multiplicity, fragments=fragments, r_nominal=r_nominal,
                    r_min=r_min or round(SPEC_GRID_START * r_nominal, 3),
                    r_max=r_max or max(SPEC_GRID_END_MIN_ANGSTROM,
                                       round(SPEC_GRID_END * r_nominal, 1)),
                    description=description)


def _catalogue() -> dict[str, Diatomic]:
    # name: (A, B, charge, multiplicity, r_nominal A (experimental r_e), r_min, r_max, description)
    entries = [
        ("H2", "H", "H", 0, 1, 0.7414, 0.2, 6.0, "hydrogen molecule, X 1Sigma_g+"),
        ("H2+", "H", "H", 1, 2, 1.0568, 0.2, 6.0, "hydrogen molecular ion, one electron"),
        ("H2++", "H", "H", 2, 1, 0.7414, 0.2, 6.0, "two bare protons: exactly Coulomb 1/r"),
        ("HeH+", "He", "H", 1, 1, 0.7743, 0.25, 6.0, "helium hydride ion, two electrons"),
        ("HeH++", "He", "H", 2, 2, 0.7743, 0.25, 6.0, "one electron, He+ + H+ asymptote"),
        ("He2", "He", "He", 0, 1, 2.97, 1.0, 8.0, "helium dimer, van der Waals"),
        ("LiH", "Li", "H", 0, 1, 1.5949, 0.7, 8.0, "lithium hydride"),
        ("Li2", "Li", "Li", 0, 1, 2.6729, 1.4, 9.0, "lithium dimer"),
        ("N2", "N", "N", 0, 1, 1.0977, 0.7, 5.0, "nitrogen, triple bond"),
        ("O2", "O", "O", 0, 3, 1.2075, 0.8, 5.0, "oxygen, X 3Sigma_g- triplet"),
        ("F2", "F", "F", 0, 1, 1.4119, 1.0, 5.0, "fluorine"),
        ("HF", "H", "F", 0, 1, 0.9168, 0.5, 5.0, "hydrogen fluoride"),
        ("CO", "C", "O", 0, 1, 1.1283, 0.75, 5.0, "carbon monoxide"),
    ]
    return {name: make_diatomic(a, b, q, m, name=name, r_nominal=r_e, r_min=lo, r_max=hi,
                                description=text)
            for name, a, b, q, m, r_e, lo, hi, text in entries}


#: Every catalogue system by name.
CATALOGUE: dict[str, Diatomic] = _catalogue()
#: The default suite: what ``astray curves`` probes when no ``--system`` is given; its reference
#: curves ship precomputed inside the package.
DEFAULT_SUITE: tuple[str, ...] = ("H2", "H2+", "H2++", "HeH+", "HeH++")

#: The suites of ``astray curves --suite`` and ``astray.probe(systems=...)``.
SUITES: tuple[str, ...] = ("default", "homonuclear", "heteronuclear")
#: Elements of a whole-table suite when neither the user nor the potential names them: H-Rn.
TABLE_ELEMENTS: tuple[str, ...] = tuple(chemical_symbols[1:87])


def _describe(state: DimerState) -> str:
    if state.status == "rule":
        return f"{state.name}: multiplicity {state.multiplicity} by rule ({state.note})"
    text = f"{state.name}, X {state.term or f'multiplicity {state.multiplicity}'}"
    return f"{text} ({state.status}; {state.source}){'; ' + state.note if state.note else ''}"


def dimer(sym_a: str, sym_b: str) -> Diatomic:
    """The neutral pair ``sym_a``-``sym_b`` in its ground state
    (:func:`astray.ground_states.ground_state`: tabulated, else the documented rule), with a
    grid from covalent radii (:func:`make_diatomic`); a catalogue system where one has that
    spec (H2, He2, Li2, N2, O2, F2, LiH, HF, CO keep their grids and shipped references).
    Raises :class:`SystemSpecError` for an unknown element or a pair astray cannot place."""
    sym_a, sym_b = _check_element(sym_a), _check_element(sym_b)
    state = ground_state(sym_a, sym_b)
    if state is None:
        raise SystemSpecError(
            f"no ground state known for {sym_a}-{sym_b}: astray's tables reach "
            f"{chemical_symbols[1]}-{chemical_symbols[len(ATOM_GROUND_TERMS)]}")
    system = make_diatomic(*state.symbols, 0, state.multiplicity, name=state.name,
                           description=_describe(state),
                           fragment_multiplicities=state.fragment_multiplicities)
    return next((c for c in CATALOGUE.values() if c.spec == system.spec), system)


def parse_elements(elements: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Element symbols from ``"H,C,N"`` or a list, checked and without repeats, in the order
    given; None stays None. An empty list or an unknown symbol is a :class:`SystemSpecError`."""
    if elements is None:
        return None
    items = elements.split(",") if isinstance(elements, str) else list(elements)
    if not any(str(item).strip() for item in items):
        raise SystemSpecError("the element list is empty: name elements, e.g. H,C,N,O")
    symbols = [_check_element(str(item)) for item in items if str(item).strip()]
    return tuple(dict.fromkeys(symbols))


def suite(name: str, elements: str | Sequence[str] | None = None) -> list[Diatomic]:
    """The systems of suite ``name``: ``default`` (:data:`DEFAULT_SUITE`), ``homonuclear``
    (X2 of every element of ``elements``, default H-Rn) or ``heteronuclear`` (every pair of
    ``elements``, which it requires; each unordered pair once)."""
    symbols = parse_elements(elements)
    if name == "default":
        if symbols is not None:
            raise SystemSpecError("elements apply to the homonuclear and heteronuclear suites, "
                                  "not to the default suite")
        return [CATALOGUE[n] for n in DEFAULT_SUITE]
    if name == "homonuclear":
        return [dimer(x, x) for x in symbols or TABLE_ELEMENTS]
    if name == "heteronuclear":
        if symbols is None or len(symbols) < 2:
            raise SystemSpecError("the heteronuclear suite needs at least two elements "
                                  "(--elements H,C,N,O)")
        return [dimer(a, b) for i, a in enumerate(symbols) for b in symbols[i + 1:]]
    raise SystemSpecError(f"unknown suite {name!r}: use one of {', '.join(SUITES)}")


_SPEC = re.compile(r"^\s*([A-Za-z]{1,2})\s*-\s*([A-Za-z]{1,2})\s*((?:,\s*\w+\s*=\s*[-+]?\w+\s*)*)$")


def get_system(name_or_spec: str) -> Diatomic:
    """A catalogue system by name (case-insensitive) or a new one from ``A-B,charge=Q,mult=M``
    (charge defaults to 0; multiplicity to 1 for an even and 2 for an odd electron count)."""
    for name, system in CATALOGUE.items():
        if name.lower() == name_or_spec.strip().lower():
            return system
    named = _TABLE_NAMES.get(name_or_spec.strip().lower())
    if named is not None:
        return dimer(*named.symbols)
    match = _SPEC.match(name_or_spec)
    if not match:
        raise SystemSpecError(
            f"unknown system {name_or_spec!r}: use one of {', '.join(CATALOGUE)} "
            "or a spec A-B,charge=Q,mult=M")
    sym_a, sym_b, options = match.groups()
    values: dict[str, int] = {}
    for item in filter(None, (o.strip() for o in options.split(","))):
        key, _, value = (part.strip() for part in item.partition("="))
        if key not in ("charge", "mult"):
            raise SystemSpecError(f"unknown option {key!r} in {name_or_spec!r}: use charge= and mult=")
        try:
            values[key] = int(value)
        except ValueError:
            raise SystemSpecError(f"{key}={value!r} in {name_or_spec!r} is not an integer") from None
    charge = values.get("charge", 0)
    if "mult" not in values:
        n_electrons = (atomic_numbers.get(_check_element(sym_a), 0)
                       + atomic_numbers.get(_check_element(sym_b), 0) - charge)
        values["mult"] = 1 if n_electrons % 2 == 0 else 2
    state = ground_state(_check_element(sym_a), _check_element(sym_b)) if charge == 0 else None
    if state is not None and state.multiplicity == values["mult"]:
        return dimer(sym_a, sym_b)  # its fragments may be excited atoms (Sc2), its name O2
    system = make_diatomic(sym_a, sym_b, charge, values["mult"])
    for catalogued in CATALOGUE.values():  # a spec of a catalogue system is that system
        if catalogued.spec == system.spec:
            return catalogued
    return system


_TABLE_NAMES: dict[str, DimerState] = {
    state.name.lower(): state for state in (*HOMONUCLEAR.values(), *HETERONUCLEAR.values())}

__all__ = ["CATALOGUE", "DEFAULT_SUITE", "SUITES", "TABLE_ELEMENTS", "Diatomic", "Fragment",
           "dimer", "file_stem", "get_system", "make_diatomic", "parse_elements", "suite"]
