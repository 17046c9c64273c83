"""The registry of reference method families: which family computes which level of theory, the
default ("best") method of each system, and the curves themselves as
:class:`~astray.curve.Curve` (angstrom, eV).

Method strings (case and whitespace do not matter; parsed by
:meth:`astray.level_of_theory.LevelOfTheory.parse`, stored under the canonical spelling):

====================================  ==========================================================
``best`` / ``exact`` / None           :func:`default_method` of the system
``coulomb``                           Z1 Z2 / r, exact for bare nuclei (and only for them)
``exact-one-electron``                the exact one-electron Born-Oppenheimer energy (H2+,
                                      HeH2+)
``fci/cbs``, ``fci:cbs``              two electrons: FCI extrapolated to the basis-set limit,
                                      canonical ``fci/cbs(aug-cc-pvtz+tight,aug-cc-pvqz+tight)``
``fci:BASIS``, ``fci/BASIS``          determinant FCI in one basis (few electrons)
``nevpt2:BASIS``, ``nevpt2/BASIS``    full-valence CASSCF + NEVPT2 in one basis
``nevpt2/cbs``, ``nevpt2/cbs(A,B)``   the same extrapolated, canonical
                                      ``nevpt2/cbs(cc-pvtz,cc-pvqz)``
``hf:BASIS``, ``hf/BASIS``,           Hartree-Fock (restricted, or broken-symmetry UHF when
``HF/6-31G*``                         lower), canonical ``hf/BASIS``
``dft:FUNCTIONAL/BASIS``,             Kohn-Sham DFT, same restricted / broken-symmetry rule,
``dft/FUNCTIONAL/BASIS``,             canonical ``dft:FUNCTIONAL/BASIS``
``FUNCTIONAL/BASIS`` (``B3LYP/6-31G``)
``ccsd(t):BASIS``, ``ccsd(t)/BASIS``  unrestricted CCSD(T) on the lowest UHF solution
``gfn2-xtb``                          a level of theory (semi-empirical) no family here
                                      computes: evaluate it with the ``xtb`` potential
``published:KEY``, ``published/KEY``  a published whole-curve potential
                                      (:mod:`~astray.reference.published`), canonical
                                      ``published/KEY``: ``published/przybytek-2010`` (He2)
====================================  ==========================================================

Each family (:class:`~astray.reference.family.ReferenceFamily`) lives in its own module with its
physics and stated accuracy: :mod:`~astray.reference.coulomb`,
:mod:`~astray.reference.one_electron`, :mod:`~astray.reference.two_electron`,
:mod:`~astray.reference.fci`, :mod:`~astray.reference.nevpt2`, :mod:`~astray.reference.scf`,
:mod:`~astray.reference.ccsd_t`.

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

import time
from functools import lru_cache

import numpy as np
from ase.data import atomic_numbers

from astray.curve import Curve
from astray.errors import ReferenceUnavailableError, SystemSpecError
from astray.level_of_theory import LevelOfTheory
from astray.reference.ccsd_t import CCSD_T
from astray.reference.coulomb import COULOMB
from astray.reference.family import (
    TIER_EXACT,
    TIER_LEVEL_OF_THEORY,
    TIER_PUBLISHED,
    ReferenceFamily,
)
from astray.reference.fci import FCI
from astray.reference.nevpt2 import NEVPT2, NEVPT2_CBS
from astray.reference.one_electron import EXACT_ONE_ELECTRON
from astray.reference.published import PUBLISHED, published_for
from astray.reference.scf import DFT, HF
from astray.reference.two_electron import FCI_CBS
from astray.systems import Diatomic, Fragment, make_diatomic
from astray.units import BOHR_ANGSTROM, HARTREE_EV, KCAL_MOL_EV


def _published_curve(symbols, r_bohr, charge, multiplicity, level, r_start):
    """A published potential's E(r) - E(atoms) in hartree (NaN outside its validity range):
    its atoms are the zero of energy (:func:`_published_atom`)."""
    potential = PUBLISHED[level.potential]
    if not potential.describes(symbols, charge, multiplicity):
        raise ReferenceUnavailableError(
            f"published:{potential.key} is the {potential.state} potential of "
            f"{'-'.join(potential.symbols)} (charge {potential.charge}, multiplicity "
            f"{potential.multiplicity}), not of {'-'.join(symbols)} with charge {charge} and "
            f"multiplicity {multiplicity}")
    energy = potential.curve_ev(np.asarray(r_bohr, float) * BOHR_ANGSTROM) / HARTREE_EV
    return energy, {"citation": potential.citation, "state": potential.state,
                    "form": potential.form,
                    "valid_r_angstrom": [potential.r_min_angstrom,
                                         None if np.isinf(potential.r_max_angstrom)
                                         else potential.r_max_angstrom],
                    "expected_accuracy_kcal_mol": potential.accuracy_kcal_mol,
                    "energies": "relative to the separated atoms (which are 0)"}


def _published_atom(symbol, charge, multiplicity, level) -> float:
    return 0.0


def _describe_published(level: LevelOfTheory) -> str:
    potential = PUBLISHED[level.potential]
    return (f"published potential of {'-'.join(potential.symbols)} {potential.state}: "
            f"{potential.citation}; referenced from {potential.r_min_angstrom:.3f} A")


#: Published whole-curve potentials (tier b): no quantum chemistry, energies relative to the
#: separated atoms, NaN outside each potential's validity range.
PUBLISHED_POTENTIAL = ReferenceFamily(
    name="published", atom=_published_atom, curve=_published_curve,
    describe=_describe_published, uses_pyscf=False)

#: Every reference family by the name of the level-of-theory family it computes.
FAMILIES: dict[str, ReferenceFamily] = {family.name: family for family in (
    COULOMB, EXACT_ONE_ELECTRON, FCI_CBS, FCI, NEVPT2, NEVPT2_CBS, HF, DFT, CCSD_T,
    PUBLISHED_POTENTIAL)}
#: The tier of truth of each family's curves (every other family: a level of theory). FCI/CBS
#: of two electrons is within 0.1 kcal/mol of the exact Born-Oppenheimer curve.
FAMILY_TIERS = {"coulomb": TIER_EXACT, "exact-one-electron": TIER_EXACT,
                "fci/cbs": TIER_EXACT, "published": TIER_PUBLISHED}

#: Default bases of determinant FCI for three and four electrons: diffuse functions for
#: dimers bound only by dispersion (He2), plain triple zeta otherwise (LiH: 51 s a point).
FEW_ELECTRON_BASIS = "cc-pvtz"
DISPERSION_BOUND_BASIS = "aug-cc-pvtz"
#: Largest electron count for which determinant FCI is the default.
MAX_FCI_ELECTRONS = 4
_RARE_GASES = {"He", "Ne", "Ar"}
#: What users write for the default method.
BEST = ("", "best", "exact")


def family_of(level: LevelOfTheory) -> ReferenceFamily:
    """The family that computes ``level``; raises :class:`ReferenceUnavailableError` for a
    level of theory no reference family computes (GFN2-xTB)."""
    try:
        return FAMILIES[level.family]
    except KeyError:
        raise ReferenceUnavailableError(
            f"{level.canonical} is a level of theory no reference method computes: evaluate "
            "it as a potential (e.g. -p xtb)") from None


def reference_tier(method: str | LevelOfTheory) -> str:
    """The tier of truth of a reference method: ``exact``, ``published potential`` or
    ``level of theory`` (:data:`astray.reference.family.TIERS`)."""
    level = method if isinstance(method, LevelOfTheory) else _parse(method)
    return FAMILY_TIERS.get(level.family, TIER_LEVEL_OF_THEORY)


def costs_nothing(method: str | LevelOfTheory) -> bool:
    """True for a reference no quantum chemistry computes: Coulomb's law, the exact one-electron
    energy and the published potentials, formulas evaluated, never solved for."""
    level = method if isinstance(method, LevelOfTheory) else _parse(method)
    return level.family in FAMILIES and not family_of(level).uses_pyscf


def mean_field(method: str | LevelOfTheory) -> bool:
    """True for a self-consistent-field level of theory (Hartree-Fock, Kohn-Sham DFT): what a
    model is trained on, never the best reference of a molecule."""
    level = method if isinstance(method, LevelOfTheory) else _parse(method)
    return level.family in FAMILIES and family_of(level) in (HF, DFT)


def _parse(method: str) -> LevelOfTheory:
    """:meth:`LevelOfTheory.parse`, and for ``published/KEY`` a check that astray has it."""
    level = LevelOfTheory.parse(method)
    if level.family == "published" and level.potential not in PUBLISHED:
        raise ReferenceUnavailableError(
            f"unknown published potential {method!r}: use one of "
            + ", ".join(f"published/{k}" for k in PUBLISHED))
    return level


def _default_for(symbols: tuple[str, ...], electrons: int) -> str:
    if electrons == 0:
        return "coulomb"
    if electrons == 1:
        return "exact-one-electron"
    if electrons == 2:
        return LevelOfTheory.parse("fci/cbs").canonical
    if electrons <= MAX_FCI_ELECTRONS:
        basis = (DISPERSION_BOUND_BASIS if len(symbols) > 1 and set(symbols) <= _RARE_GASES
                 else FEW_ELECTRON_BASIS)
        return f"fci/{basis}"
    return LevelOfTheory.parse("nevpt2/cbs").canonical


def default_method(system: Diatomic) -> str:
    """The most accurate method available for ``system``: ``coulomb`` without electrons,
    ``exact-one-electron`` with one, FCI/CBS with two, then a published potential of that
    state where astray has one (He2: Przybytek et al. 2010, far better than FCI in a finite
    basis), else determinant FCI with three or four electrons, full-valence NEVPT2/CBS
    beyond."""
    if system.n_electrons > 2:
        potential = published_for(system.symbols, system.charge, system.multiplicity)
        if potential is not None:
            return _parse(f"published:{potential.key}").canonical
    return _default_for(tuple(system.symbols), system.n_electrons)


def resolve(method: str | None, symbols: tuple[str, ...], electrons: int) -> LevelOfTheory:
    """The level of theory ``method`` names (``best``/None: the default for the electron
    count), checked to be one a reference family computes."""
    if method is None or method.strip().lower() in BEST:
        method = _default_for(symbols, electrons)
    level = _parse(method)
    family_of(level)
    return level


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
    if method is None or method.strip().lower() in BEST:
        method = default_method(system)
    level = resolve(method, tuple(system.symbols), electrons)
    family = family_of(level)
    if family.check:
        family.check(system.name, electrons)
    solver = _solver(family, electrons)
    start = time.perf_counter()
    hartree, details = solver.curve(tuple(system.symbols), r / BOHR_ANGSTROM, system.charge,
                                    system.multiplicity, level,
                                    system.r_nominal / BOHR_ANGSTROM)
    total = np.asarray(hartree, float) * HARTREE_EV
    curve_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fragments = tuple(_fragment_energy_ev(f, level) for f in system.fragments)
    limit_details = {}
    if solver.separated_limit and electrons > 1:
        fragments, limit_details = _follow_to_separated_limit(system, level, solver, fragments)
    fragment_seconds = time.perf_counter() - start
    description = solver.describe(level)
    failed = [float(x) for x, e in zip(r, total) if not np.isfinite(e)]
    provenance = {
        "method": level.canonical, "description": description,
        "tier": reference_tier(level if electrons else "coulomb"),
        "code": code_versions(family),
        "expected_accuracy_kcal_mol": solver.accuracy_kcal_mol,
        "timings_s": {"curve": round(curve_seconds, 3), "fragments": round(fragment_seconds, 3),
                      "points": int(len(r))},
        "fragments": [f.label + f",mult={f.multiplicity}" for f in system.fragments],
        **_jsonable(details), **limit_details,
    }
    if failed:
        provenance["failed_r_angstrom"] = failed
    return Curve(system=system.name, method=level.canonical, description=description,
                 r_angstrom=r, energy_ev=total - sum(fragments), total_energy_ev=total,
                 fragment_energy_ev=fragments, provenance=provenance)


def _solver(family: ReferenceFamily, electrons: int) -> ReferenceFamily:
    """The family that computes a molecule of ``electrons``: Coulomb's law for bare nuclei,
    whatever the method (no electrons for it to act on)."""
    return COULOMB if electrons == 0 else family


def _follow_to_separated_limit(system: Diatomic, level: LevelOfTheory, family: ReferenceFamily,
                               atoms_ev: tuple[float, ...]) -> tuple[tuple[float, ...], dict]:
    """Fragment energies that are the asymptote of the curve itself.

    The molecular state followed to infinite separation can lie above the isolated atoms when
    an atom has a degenerate ground term (O2: the atoms' CASSCF breaks their spherical symmetry,
    the molecule's cannot). The difference is shared between the fragments that carry
    electrons, so E(AB) - E(A) - E(B) goes to zero, and reported in the provenance.
    """
    limit_ev = family.separated_limit(system, level) * HARTREE_EV
    shift = limit_ev - sum(atoms_ev)
    carriers = [i for i, f in enumerate(system.fragments) if f.n_electrons > 0]
    shifted = tuple(e + (shift / len(carriers) if i in carriers else 0.0)
                    for i, e in enumerate(atoms_ev))
    return shifted, {"separated_limit_minus_isolated_atoms_kcal_mol": round(
        shift / KCAL_MOL_EV, 4), "fragments_from": "the molecular state followed to "
        "10 r_e, shared between the atoms"}


def _fragment_energy_ev(fragment: Fragment, level: LevelOfTheory) -> float:
    return float(_atom_hartree(fragment.symbol, fragment.charge, fragment.multiplicity, level)
                 * HARTREE_EV)


def _atom_hartree(symbol: str, charge: int, multiplicity: int, level: LevelOfTheory) -> float:
    """Energy (hartree) of one atom or atomic ion by ``level`` (0 without electrons)."""
    return _atom_hartree_cached(symbol, int(charge), int(multiplicity), level)


@lru_cache(maxsize=256)
def _atom_hartree_cached(symbol: str, charge: int, multiplicity: int,
                         level: LevelOfTheory) -> float:
    if atomic_numbers[symbol] - charge == 0:
        return 0.0
    return family_of(level).atom(symbol, charge, multiplicity, level)


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
    level = resolve(method, symbols, electrons)
    family = family_of(level)
    if family.check:
        family.check("".join(symbols) + (f" ({charge:+d})" if charge else ""), electrons)
    if len(symbols) == 1:
        return float(_atom_hartree(symbols[0], int(charge), int(multiplicity), level)
                     * HARTREE_EV)
    r = float(np.linalg.norm(positions[1] - positions[0]))
    if r <= 0:
        raise SystemSpecError("the two atoms are on top of each other")
    try:
        r_start = make_diatomic(*symbols, int(charge), int(multiplicity)).r_nominal
    except SystemSpecError:
        r_start = r
    hartree, _ = _solver(family, electrons).curve(
        symbols, np.array([r / BOHR_ANGSTROM]), int(charge), int(multiplicity), level,
        r_start / BOHR_ANGSTROM)
    return float(hartree[0] * HARTREE_EV)


def code_versions(family: ReferenceFamily) -> dict:
    """The versions of astray, numpy and (where the family uses it) PySCF, for provenance."""
    from astray import __version__

    versions = {"astray": __version__, "numpy": np.__version__}
    if family.uses_pyscf:
        from astray.reference.pyscf_tools import pyscf_version

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


__all__ = ["FAMILIES", "FAMILY_TIERS", "PUBLISHED_POTENTIAL", "code_versions",
           "compute_reference", "costs_nothing", "default_method", "family_of",
           "mean_field", "reference_tier", "resolve", "total_energy"]
