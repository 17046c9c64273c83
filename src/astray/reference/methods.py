"""Which reference method computes which curve: method strings, the default ("best") method of
each system, and the curves themselves as :class:`~astray.curve.Curve` (angstrom, eV).

Method strings (case-insensitive; ``:`` and ``/`` after the method name are interchangeable):

=============================  ===============================================================
``best`` / ``exact`` / None    :func:`default_method` of the system
``coulomb``                    Z1 Z2 / r, exact for bare nuclei (and only for them)
``exact-one-electron``         the exact one-electron Born-Oppenheimer energy (H2+, HeH2+)
``fci/cbs``                    two electrons: FCI extrapolated to the basis-set limit,
                               canonical ``fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)``
``fci:BASIS``                  determinant FCI in one basis (few electrons)
``nevpt2:BASIS``               full-valence CASSCF + NEVPT2 in one basis
``nevpt2/cbs``                 the same extrapolated, canonical ``nevpt2/cbs(cc-pvtz,cc-pvqz)``
``hf:BASIS``                   Hartree-Fock (restricted, or broken-symmetry UHF when lower)
``dft:FUNCTIONAL/BASIS``       Kohn-Sham DFT, same restricted / broken-symmetry rule
``ccsd(t):BASIS``              unrestricted CCSD(T) on the lowest UHF solution
=============================  ===============================================================

A method that cannot treat a system (``coulomb`` for a molecule with electrons, FCI/CBS for more
than two electrons, an unknown functional or basis) raises :class:`ReferenceUnavailableError`
with a one-line message. Bare nuclei have no electrons for any method to act on: every
electronic-structure method gives their Coulomb repulsion.

Every curve is E(AB) - E(A) - E(B) with the atoms computed by the same method and basis, so it
goes to zero at infinite separation when the method is size-consistent. For NEVPT2 the atoms'
sum is taken where the followed molecular state actually goes (the state followed to 10 r_e),
which differs from isolated-atom CASSCF for atoms with degenerate ground terms (O2: 0.07 eV);
the difference is in the provenance.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from ase.data import atomic_numbers

from astray.curve import Curve
from astray.errors import ReferenceUnavailableError, SystemSpecError
from astray.reference.coulomb import coulomb_energy
from astray.systems import Diatomic, Fragment, make_diatomic
from astray.units import BOHR_ANGSTROM, HARTREE_EV, KCAL_MOL_EV

#: Default bases of determinant FCI for three and four electrons: diffuse functions for
#: dimers bound only by dispersion (He2), plain triple zeta otherwise (LiH: 51 s a point).
FEW_ELECTRON_BASIS = "cc-pvtz"
DISPERSION_BOUND_BASIS = "aug-cc-pvtz"
#: Largest electron count for which determinant FCI is the default.
MAX_FCI_ELECTRONS = 4
_RARE_GASES = {"He", "Ne", "Ar"}
_LETTER_CARDINAL = {"d": 2, "t": 3, "q": 4, "5": 5, "6": 6}


@dataclass(frozen=True)
class Method:
    """A parsed method string."""

    family: str  # coulomb, exact-one-electron, fci/cbs, fci, nevpt2, nevpt2/cbs, hf, dft, ccsd(t)
    basis: str | None = None
    functional: str | None = None
    cardinals: tuple[int, int] | None = None
    basis_prefix: str = ""

    @property
    def canonical(self) -> str:
        if self.family in ("coulomb", "exact-one-electron"):
            return self.family
        if self.family == "fci/cbs":
            return "fci/cbs({})".format(",".join(
                f"aug-cc-pv{_letter(x)}z+tight" for x in self.cardinals))
        if self.family == "nevpt2/cbs":
            return "nevpt2/cbs({})".format(",".join(
                f"{self.basis_prefix}cc-pv{_letter(x)}z" for x in self.cardinals))
        if self.family == "dft":
            return f"dft:{self.functional}/{self.basis}"
        return f"{self.family}/{self.basis}"


def _letter(cardinal: int) -> str:
    return {v: k for k, v in _LETTER_CARDINAL.items()}[cardinal]


_CBS_PAIR = re.compile(
    r"^\((aug-)?cc-pv([dtq56])z(\+tight)?,\s*(aug-)?cc-pv([dtq56])z(\+tight)?\)$")


def _cardinals(pair: str, method: str) -> tuple[tuple[int, int], str]:
    match = _CBS_PAIR.match(pair)
    if not match or match.group(1) != match.group(4):
        raise ReferenceUnavailableError(
            f"cannot read the basis pair of {method!r}: write e.g. cbs(cc-pvtz,cc-pvqz)")
    small, large = _LETTER_CARDINAL[match.group(2)], _LETTER_CARDINAL[match.group(5)]
    if small >= large:
        raise ReferenceUnavailableError(f"the CBS pair of {method!r} must go from small to large")
    return (small, large), match.group(1) or ""


def parse_method(method: str) -> Method:
    """Parse a method string (see the module docstring); raises
    :class:`ReferenceUnavailableError` for anything unknown."""
    text = re.sub(r"\s+", "", method.strip().lower())
    text = re.sub(r"^(fci|nevpt2):cbs", r"\1/cbs", text)
    if text in ("coulomb", "exact-one-electron"):
        return Method(text)
    if text == "fci/cbs" or text.startswith("fci/cbs("):
        cardinals, prefix = _cardinals(text[len("fci/cbs"):] or "(aug-cc-pvtz,aug-cc-pvqz)",
                                       method)
        if prefix != "aug-":
            raise ReferenceUnavailableError("fci/cbs uses the aug-cc-pvXz+tight bases")
        return Method("fci/cbs", cardinals=cardinals)
    if text == "nevpt2/cbs" or text.startswith("nevpt2/cbs("):
        cardinals, prefix = _cardinals(text[len("nevpt2/cbs"):] or "(cc-pvtz,cc-pvqz)", method)
        return Method("nevpt2/cbs", cardinals=cardinals, basis_prefix=prefix)
    if text.startswith("dft:") or text.startswith("dft/"):
        functional, _, basis = text[4:].partition("/")
        if not functional or not basis:
            raise ReferenceUnavailableError(
                f"method {method!r}: write dft:FUNCTIONAL/BASIS, e.g. dft:pbe/def2-tzvp")
        from astray.reference.scf import check_functional

        return Method("dft", basis=_check_basis_name(basis, method),
                      functional=check_functional(functional))
    for family in ("fci", "nevpt2", "hf", "ccsd(t)"):
        for separator in (":", "/"):
            if text.startswith(family + separator):
                return Method(family, basis=_check_basis_name(text[len(family) + 1:], method))
    raise ReferenceUnavailableError(
        f"unknown reference method {method!r}: use best, coulomb, exact-one-electron, fci/cbs, "
        "fci:BASIS, nevpt2:BASIS, nevpt2/cbs, hf:BASIS, dft:FUNCTIONAL/BASIS or ccsd(t):BASIS")


def _check_basis_name(basis: str, method: str) -> str:
    """A basis name PySCF knows (checked on H, C and Li: one of them has every basis)."""
    from pyscf import gto
    from pyscf.lib.exceptions import BasisNotFoundError

    if not basis:
        raise ReferenceUnavailableError(f"method {method!r} names no basis set")
    for element in ("H", "C", "Li"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if gto.basis.load(basis, element):
                    return basis
        except (BasisNotFoundError, KeyError, RuntimeError, OSError):
            continue
    raise ReferenceUnavailableError(f"unknown basis set {basis!r} in method {method!r}")


# --------------------------------------------------------------------------------------------
# Default method and what each method can treat
# --------------------------------------------------------------------------------------------

def _default_for(symbols: tuple[str, ...], electrons: int) -> str:
    if electrons == 0:
        return "coulomb"
    if electrons == 1:
        return "exact-one-electron"
    if electrons == 2:
        return Method("fci/cbs", cardinals=(3, 4)).canonical
    if electrons <= MAX_FCI_ELECTRONS:
        basis = (DISPERSION_BOUND_BASIS if len(symbols) > 1 and set(symbols) <= _RARE_GASES
                 else FEW_ELECTRON_BASIS)
        return f"fci/{basis}"
    return Method("nevpt2/cbs", cardinals=(3, 4)).canonical


def default_method(system: Diatomic) -> str:
    """The most accurate method available for ``system``: ``coulomb`` without electrons,
    ``exact-one-electron`` with one, FCI/CBS with two, determinant FCI with three or four,
    full-valence NEVPT2/CBS beyond."""
    return _default_for(tuple(system.symbols), system.n_electrons)


def _resolve(method: str | None, symbols: tuple[str, ...], electrons: int) -> Method:
    if method is None or method.strip().lower() in ("", "best", "exact"):
        method = _default_for(symbols, electrons)
    return parse_method(method)


def _check_applicable(spec: Method, label: str, electrons: int) -> None:
    if spec.family == "coulomb" and electrons != 0:
        raise ReferenceUnavailableError(
            f"method 'coulomb' is exact only for bare nuclei; {label} has {electrons} "
            "electron(s): use best, fci/cbs or another method")
    if spec.family == "exact-one-electron" and electrons != 1:
        raise ReferenceUnavailableError(
            f"method 'exact-one-electron' needs exactly one electron; {label} has {electrons}")
    if spec.family == "fci/cbs" and electrons > 2:
        raise ReferenceUnavailableError(
            f"fci/cbs treats at most two electrons; {label} has {electrons}: use fci:BASIS "
            "or nevpt2/cbs")


# --------------------------------------------------------------------------------------------
# Energies of the separated fragments and of the molecule (hartree)
# --------------------------------------------------------------------------------------------

def _fragment_hartree(symbol: str, charge: int, multiplicity: int, spec: Method) -> float:
    """Energy (hartree) of one atom or atomic ion by ``spec``."""
    return _fragment_hartree_cached(symbol, int(charge), int(multiplicity), spec)


@lru_cache(maxsize=256)
def _fragment_hartree_cached(symbol: str, charge: int, multiplicity: int, spec: Method) -> float:
    from astray.reference import quantum_chemistry as qc
    from astray.reference import scf as scf_methods

    electrons = atomic_numbers[symbol] - charge
    if electrons == 0:
        return 0.0
    family = spec.family
    if family in ("coulomb",):
        raise ReferenceUnavailableError(f"coulomb has no energy for {symbol} with electrons")
    if family == "exact-one-electron":
        if electrons != 1:
            raise ReferenceUnavailableError(
                f"exact-one-electron needs one electron; {symbol}{charge:+d} has {electrons}")
        return -0.5 * atomic_numbers[symbol] ** 2
    if family == "fci/cbs":
        return qc.fci_cbs_atom(symbol, charge, multiplicity, spec.cardinals)
    if family == "fci":
        return qc.fci_atom(symbol, charge, multiplicity, spec.basis)
    if family == "nevpt2":
        return qc.nevpt2_atom(symbol, charge, multiplicity, spec.basis)[1]
    if family == "nevpt2/cbs":
        small, large = (qc.nevpt2_atom(symbol, charge, multiplicity, _cbs_basis(spec, x))
                        for x in spec.cardinals)
        return float(qc.nevpt2_cbs(np.array(large[0]), np.array(small[1]),
                                   np.array(small[0]), np.array(large[1]), spec.cardinals))
    if family == "hf":
        return scf_methods.scf_atom(symbol, charge, multiplicity, spec.basis)
    if family == "dft":
        return scf_methods.scf_atom(symbol, charge, multiplicity, spec.basis, spec.functional)
    if family == "ccsd(t)":
        return scf_methods.ccsd_t_atom(symbol, charge, multiplicity, spec.basis)
    raise ReferenceUnavailableError(f"no atom energies for method {spec.canonical}")


def _cbs_basis(spec: Method, cardinal: int) -> str:
    return f"{spec.basis_prefix}cc-pv{_letter(cardinal)}z"


def _curve_hartree(symbols: tuple[str, str], r_bohr: np.ndarray, charge: int,
                   multiplicity: int, spec: Method,
                   r_start: float | None) -> tuple[np.ndarray, dict]:
    """Total energies (hartree) of the diatomic along ``r_bohr`` and method details."""
    from astray.reference import quantum_chemistry as qc
    from astray.reference import scf as scf_methods

    z1, z2 = (atomic_numbers[s] for s in symbols)
    electrons = z1 + z2 - charge
    if electrons == 0:
        return z1 * z2 / r_bohr, {}
    family = spec.family
    if family == "exact-one-electron":
        from astray.reference.one_electron import one_electron_energy

        return np.asarray(one_electron_energy(z1, z2, r_bohr), float), {}
    if family == "fci/cbs":
        bases = [qc.two_electron_basis_name(x) for x in spec.cardinals]
        return qc.fci_cbs_curve(symbols, r_bohr, charge, multiplicity, spec.cardinals), {
            "basis": bases, "extrapolation": "HF from the larger basis, correlation X^-3",
            "tight_functions": "s uncontracted + He cc-pVXZ s,p,d,f scaled to the Z+1 "
                               "two-electron ion"}
    if family == "fci":
        return qc.fci_curve(symbols, r_bohr, charge, multiplicity, spec.basis), {
            "basis": spec.basis}
    if family in ("nevpt2", "nevpt2/cbs"):
        core, active, active_electrons = qc.valence_active_space(symbols, charge)
        details = {"active_space": {"core_orbitals": core, "active_orbitals": active,
                                    "active_electrons": active_electrons},
                   "orbitals": "followed from the bond length nearest r_e outwards"}
        if family == "nevpt2":
            _, energies = qc.nevpt2_curve(symbols, r_bohr, charge, multiplicity, spec.basis,
                                          r_start)
            return energies, {**details, "basis": spec.basis}
        small, large = (qc.nevpt2_curve(symbols, r_bohr, charge, multiplicity,
                                        _cbs_basis(spec, x), r_start) for x in spec.cardinals)
        energies = qc.nevpt2_cbs(large[0], small[1], small[0], large[1], spec.cardinals)
        return energies, {**details, "basis": [_cbs_basis(spec, x) for x in spec.cardinals],
                          "extrapolation": "CASSCF from the larger basis, NEVPT2 correlation "
                                           "X^-3"}
    if family in ("hf", "dft"):
        return scf_methods.scf_curve(symbols, r_bohr, charge, multiplicity, spec.basis,
                            spec.functional), {
            "basis": spec.basis, "functional": spec.functional,
            "reference": "lower of restricted and broken-symmetry unrestricted "
                         "(stability-checked) for singlets, unrestricted otherwise"}
    if family == "ccsd(t)":
        return scf_methods.ccsd_t_curve(symbols, r_bohr, charge, multiplicity, spec.basis), {
            "basis": spec.basis, "reference": "lowest stable UHF"}
    raise ReferenceUnavailableError(f"method {spec.canonical} cannot compute curves")


#: Measured accuracy (kcal/mol) of the exact-ish methods, for provenance and descriptions.
_ACCURACY_KCAL_MOL = {
    "coulomb": 0.0,
    "exact-one-electron": 1e-7,
    "fci/cbs": 0.1,
}


def _description(spec: Method, system: Diatomic, electrons: int) -> tuple[str, float | None]:
    """(human-readable description, expected accuracy in kcal/mol or None)."""
    if electrons == 0:
        return ("bare nuclei: Coulomb's law Z1 Z2 / r, exact (no electrons for "
                f"{spec.canonical} to act on)"), 0.0
    family = spec.family
    if family == "exact-one-electron":
        return ("exact one-electron Born-Oppenheimer energy (separated spheroidal equations), "
                "to 1e-12 hartree"), _ACCURACY_KCAL_MOL[family]
    if family == "fci/cbs":
        return ("FCI (exact for two electrons) extrapolated to the complete basis set from "
                "aug-cc-pVTZ and aug-cc-pVQZ with tight united-atom functions; within 0.1 "
                "kcal/mol of the exact Born-Oppenheimer curve (measured for H2, 0.38-11.3 "
                "bohr)"), _ACCURACY_KCAL_MOL[family]
    if family == "fci":
        return (f"determinant FCI in {spec.basis}, all electrons, no counterpoise: exact within "
                "the basis, whose error dominates (LiH in cc-pVTZ: D_e 2.471 eV against 2.515, "
                "-1.0 kcal/mol; He2 in aug-cc-pVTZ: well depth 0.87 meV against 0.95, 8% "
                "shallow)"), None
    if family == "nevpt2":
        return (f"full-valence CASSCF + SC-NEVPT2 in {spec.basis}, orbitals followed along "
                "the bond; in cc-pVTZ D_e is off by up to 8 kcal/mol (N2 -8.3, CO -4.0, F2 "
                "+2.5, LiH -1.4, O2 -1.2, HF -1.1, Li2 0.0)"), None
    if family == "nevpt2/cbs":
        return ("full-valence CASSCF + SC-NEVPT2 extrapolated to the basis-set limit from "
                f"{_cbs_basis(spec, spec.cardinals[0])} and "
                f"{_cbs_basis(spec, spec.cardinals[1])}, orbitals followed along the bond; "
                "D_e within 5 kcal/mol of experiment (measured with cc-pVTZ/cc-pVQZ: F2 +4.6, "
                "N2 -2.7, HF +2.4, Li2 +2.3, O2 +2.2, CO -0.5, LiH +0.3)"), 5.0
    if family == "hf":
        return (f"Hartree-Fock/{spec.basis}: lower of RHF and broken-symmetry UHF; a level of "
                "theory, not an exact reference"), None
    if family == "dft":
        return (f"Kohn-Sham {spec.functional}/{spec.basis}: lower of restricted and "
                "broken-symmetry unrestricted; a level of theory, not an exact reference"), None
    if family == "ccsd(t)":
        return (f"UCCSD(T)/{spec.basis} on the lowest UHF; exact for two electrons within the "
                "basis, unreliable where the bond is far stretched"), None
    return spec.canonical, None


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------

def compute_reference(system: Diatomic, r_angstrom, method: str | None = None) -> Curve:
    """The reference curve of ``system`` at bond lengths ``r_angstrom`` (angstrom).

    Args:
        system: the diatomic.
        r_angstrom: bond lengths in angstrom.
        method: a method string (module docstring) or ``None``/``"best"`` for
            :func:`default_method`.

    Returns:
        total energies E(AB), fragment energies and E(AB) - E(A) - E(B), all in eV.

    Raises:
        ReferenceUnavailableError: unknown method, or a method that cannot treat the system.
    """
    r = np.atleast_1d(np.asarray(r_angstrom, float))
    if np.any(r <= 0):
        raise SystemSpecError("bond lengths must be positive")
    electrons = system.n_electrons
    spec = _resolve(method, tuple(system.symbols), electrons)
    _check_applicable(spec, system.name, electrons)
    start = time.perf_counter()
    if electrons == 0:
        total = coulomb_energy(*system.atomic_numbers, r)
        details: dict[str, Any] = {}
    else:
        hartree, details = _curve_hartree(tuple(system.symbols), r / BOHR_ANGSTROM,
                                          system.charge, system.multiplicity, spec,
                                          system.r_nominal / BOHR_ANGSTROM)
        total = np.asarray(hartree, float) * HARTREE_EV
    curve_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fragments = tuple(_fragment_energy_ev(f, spec) for f in system.fragments)
    limit_details = {}
    if spec.family in ("nevpt2", "nevpt2/cbs") and electrons > 1:
        fragments, limit_details = _follow_to_separated_limit(system, spec, fragments)
    fragment_seconds = time.perf_counter() - start
    description, accuracy = _description(spec, system, electrons)
    failed = [float(x) for x, e in zip(r, total) if not np.isfinite(e)]
    provenance = {
        "method": spec.canonical, "description": description,
        "code": _code_versions(spec),
        "expected_accuracy_kcal_mol": accuracy,
        "timings_s": {"curve": round(curve_seconds, 3), "fragments": round(fragment_seconds, 3),
                      "points": int(len(r))},
        "fragments": [f.label + f",mult={f.multiplicity}" for f in system.fragments],
        **_jsonable(details), **limit_details,
    }
    if failed:
        provenance["failed_r_angstrom"] = failed
    return Curve(system=system.name, method=spec.canonical, description=description,
                          r_angstrom=r, energy_ev=total - sum(fragments), total_energy_ev=total,
                          fragment_energy_ev=fragments, provenance=provenance)


def _follow_to_separated_limit(system: Diatomic, spec: Method,
                               atoms_ev: tuple[float, ...]) -> tuple[tuple[float, ...], dict]:
    """Fragment energies that are the asymptote of the NEVPT2 curve itself.

    The molecular state followed to infinite separation can lie above the isolated atoms when
    an atom has a degenerate ground term (O2: the atoms' CASSCF breaks their spherical symmetry,
    the molecule's cannot). The difference is shared between the fragments that carry
    electrons, so E(AB) - E(A) - E(B) goes to zero, and reported in the provenance.
    """
    limit_ev = _separated_limit_hartree(system, spec) * HARTREE_EV
    shift = limit_ev - sum(atoms_ev)
    carriers = [i for i, f in enumerate(system.fragments) if f.n_electrons > 0]
    shifted = tuple(e + (shift / len(carriers) if i in carriers else 0.0)
                    for i, e in enumerate(atoms_ev))
    return shifted, {"separated_limit_minus_isolated_atoms_kcal_mol": round(
        shift / KCAL_MOL_EV, 4), "fragments_from": "the molecular state followed to "
        "10 r_e, shared between the atoms"}


@lru_cache(maxsize=64)
def _separated_limit_hartree(system: Diatomic, spec: Method) -> float:
    from astray.reference import quantum_chemistry as qc

    args = (tuple(system.symbols), system.charge, system.multiplicity)
    r_start = system.r_nominal / BOHR_ANGSTROM
    charges = tuple(f.charge for f in system.fragments)
    if spec.family == "nevpt2":
        return qc.nevpt2_separated_limit(*args, spec.basis, r_start, charges)[1]
    small, large = (qc.nevpt2_separated_limit(*args, _cbs_basis(spec, x), r_start, charges)
                    for x in spec.cardinals)
    return float(qc.nevpt2_cbs(np.array(large[0]), np.array(small[1]), np.array(small[0]),
                               np.array(large[1]), spec.cardinals))


def _fragment_energy_ev(fragment: Fragment, spec: Method) -> float:
    if fragment.n_electrons == 0:
        return 0.0
    return float(_fragment_hartree(fragment.symbol, fragment.charge, fragment.multiplicity,
                                   spec) * HARTREE_EV)


def total_energy(symbols, positions_angstrom, charge: int, multiplicity: int,
                 method: str | None) -> float:
    """Total energy in eV of one atom or one diatomic (positions in angstrom).

    The method strings are those of :func:`compute_reference` (``best``/None: the default for
    the electron count). Raises :class:`ReferenceUnavailableError` when the method cannot treat
    the structure (more than two atoms, ``coulomb`` with electrons, ...).
    """
    symbols = tuple(str(s) for s in symbols)
    positions = np.asarray(positions_angstrom, float).reshape(len(symbols), 3)
    if len(symbols) not in (1, 2):
        raise ReferenceUnavailableError("reference energies exist for atoms and diatomics only")
    for symbol in symbols:
        if symbol not in atomic_numbers or symbol == "X":
            raise SystemSpecError(f"unknown element {symbol!r}")
    electrons = sum(atomic_numbers[s] for s in symbols) - int(charge)
    if electrons < 0 or (electrons - (multiplicity - 1)) % 2 or multiplicity < 1:
        raise SystemSpecError(
            f"charge {charge} and multiplicity {multiplicity} are impossible for {symbols}")
    spec = _resolve(method, symbols, electrons)
    label = "".join(symbols) + (f" ({charge:+d})" if charge else "")
    _check_applicable(spec, label, electrons)
    if len(symbols) == 1:
        if electrons == 0:
            return 0.0
        return float(_fragment_hartree(symbols[0], int(charge), int(multiplicity), spec)
                     * HARTREE_EV)
    r = float(np.linalg.norm(positions[1] - positions[0]))
    if r <= 0:
        raise SystemSpecError("the two atoms are on top of each other")
    if electrons == 0:
        return float(coulomb_energy(atomic_numbers[symbols[0]], atomic_numbers[symbols[1]], r))
    try:
        r_start = make_diatomic(*symbols, int(charge), int(multiplicity)).r_nominal
    except SystemSpecError:
        r_start = r
    hartree, _ = _curve_hartree(symbols, np.array([r / BOHR_ANGSTROM]), int(charge),
                                int(multiplicity), spec, r_start / BOHR_ANGSTROM)
    return float(hartree[0] * HARTREE_EV)


def _code_versions(spec: Method) -> dict:
    from astray import __version__

    versions = {"astray": __version__, "numpy": np.__version__}
    if spec.family not in ("coulomb", "exact-one-electron"):
        from astray.reference.quantum_chemistry import pyscf_version

        versions["pyscf"] = pyscf_version()
    return versions


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = ["Method", "compute_reference", "default_method", "parse_method",
           "total_energy"]
