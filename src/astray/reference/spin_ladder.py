"""The spin ladder: a diatomic's lowest unrestricted SCF energy over its spin multiplicities at
every bond length, the level-of-theory curve of a model that does not read the spin (CHGNet,
SevenNet-0), as Matbench Discovery computes its homonuclear PBE and r2SCAN curves.

Physics
-------
A model trained on periodic PBE data gives one energy per geometry: that of whichever spin state
its training data happened to be in, mostly the lowest. Its fair level-of-theory curve is
therefore the lowest Kohn-Sham energy over the spin multiplicities M = 2S+1 at each bond length,
relative to the separated atoms in their ground states (NIST term, :func:`ladder_atoms`) at the
same level; the multiplicity that wins is recorded at every point.

The rungs (:func:`ladder_multiplicities`) go from the lowest multiplicity the electron count
allows up to the high-spin coupling of the two ground-state atoms, M_A + M_B - 1 (N2: 1, 3, 5,
7), and at least one rung above the lowest (He2, Be2, Mg2: 1 and 3, where an sp-promoted atom
can bind more strongly). A higher rung correlates with a promoted atom at every distance and
lies above by its promotion energy (C 5S 4.2 eV, N 2D 2.4 eV); the highest rung is what the
stretched curve goes to, as UKS gives the high-spin and the broken-symmetry coupling of two
distant atoms the same energy.

Each rung is solved unrestricted (UKS, or UHF without a functional), walking the bond inward
from the longest distance, every point from its outer neighbour's density of the same rung. The
walk starts from the atoms' own densities (:func:`fragment_guess`), the second atom's spin
turned so that the pair has the rung's M_S: for a low-spin rung that is the broken-symmetry
guess, one atom's unpaired electrons up and the other's down, which is what takes the UKS
singlet of a stretched bond (N2, H2) to its atoms instead of to the restricted solution's
spurious ionic mixture (PBE H2 at 6 A: over 1 eV too high). Walking inward, the broken-symmetry
solution turns into the closed shell by itself at the Coulson-Fischer point. A point where no
rung converges is NaN, with the reason; it is never filled in.

Elements beyond Kr get def2's relativistic effective core potentials (``mol.ecp``) when the
basis is a def2 basis, as the def2 bases were made for them.

Bohr and hartree inside; the curve (:func:`ladder_reference`) in angstrom and eV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from astray.level_of_theory import LevelOfTheory
from astray.reference.pyscf_tools import atom as pyscf_atom
from astray.reference.pyscf_tools import diatomic, small_matrix_threads
from astray.reference.scf import aufbau, converge_scf, scf_object, stable_solution
from astray.systems import Diatomic, Fragment, ground_multiplicity

#: Elements beyond this atomic number carry a def2 effective core potential (Rb onwards: the
#: def2 bases of Weigend & Ahlrichs 2005 replace 28, 46 or 60 core electrons).
ECP_FROM_Z = 37
#: DIIS cycles of a rung before second-order SCF takes over: DIIS either converges a rung from
#: its neighbour's density in 5-15 cycles or wanders for hundreds (O2 at 2.5 A, PBE/def2-SVP,
#: from the atoms: 66 to 142 cycles, 12-18 s a rung; second order: 4-15 s, and it converged
#: every rung, where DIIS without a level shift failed two of nine).
DIIS_CYCLES = 30
#: The reason recorded at a point where no rung of the ladder converged.
NOT_CONVERGED = "no multiplicity of the spin ladder converged"


def ladder_atoms(system: Diatomic) -> tuple[Fragment, Fragment]:
    """The system's atoms (with their charges) in their ground states (NIST ASD term of the
    neutral atom of the same electron count), the zero of the ladder curve: not the possibly
    excited fragments of a tabulated state (Sc2 5Sigma_u- dissociates to 2D + 4F)."""
    return tuple(Fragment(f.symbol, f.charge, ground_multiplicity(f.n_electrons))
                 for f in system.fragments)


def ladder_multiplicities(system: Diatomic) -> tuple[int, ...]:
    """The rungs: lowest multiplicity (1 or 2) up to M_A + M_B - 1 of the ground-state atoms,
    at least lowest + 2, at most electrons + 1 (module docstring)."""
    electrons = system.n_electrons
    lowest = 1 if electrons % 2 == 0 else 2
    high_spin = sum(f.multiplicity - 1 for f in ladder_atoms(system)) + 1
    top = min(max(high_spin, lowest + 2), electrons + 1)
    return tuple(range(lowest, top + 1, 2))


@contextmanager
def one_thread():
    """BLAS and PySCF's OpenMP on one thread while a ladder is solved, restored afterwards: the
    grids and matrices of a diatomic are small, and threads only wait for each other (H2,
    PBE/STO-3G, six points: 16.5 s of CPU with PySCF's threads on a loaded 2-core machine, 1.4 s
    on one). A Dask worker of the build is single-threaded anyway."""
    from pyscf import lib

    with small_matrix_threads(), lib.with_omp_threads(1):
        yield


def with_ecp(mol, basis: str):
    """``mol`` with def2's effective core potentials on its atoms beyond Kr (rebuilt), when the
    basis is a def2 basis; unchanged otherwise."""
    heavy = sorted({mol.atom_symbol(i) for i in range(mol.natm)
                    if mol.atom_charge(i) >= ECP_FROM_Z})
    if heavy and basis.lower().startswith("def2"):
        mol.ecp = {symbol: basis for symbol in heavy}
        mol.build()
    return mol


@lru_cache(maxsize=64)
def atom_solution(symbol: str, charge: int, multiplicity: int,
                  level: LevelOfTheory) -> tuple[float, np.ndarray]:
    """Energy (hartree) and alpha/beta density (2, nao, nao) of an atom by unrestricted SCF,
    stability-checked (an open-shell atom's p or d hole can point several ways). Raises
    ``RuntimeError`` when it does not converge."""
    mol = with_ecp(pyscf_atom(symbol, charge, multiplicity, level.basis), level.basis)
    if mol.nelectron == 0:
        return 0.0, np.zeros((2, mol.nao, mol.nao))
    with one_thread():
        mf = converge_scf(scf_object(mol, level.functional, False))
        if not mf.converged:
            raise RuntimeError(f"the {symbol} atom's SCF did not converge")
        mf = stable_solution(mf)
        return float(mf.e_tot), np.asarray(mf.make_rdm1())


def fragment_guess(atom_densities: Sequence[np.ndarray], atom_spins: Sequence[float],
                   spin: float) -> np.ndarray | None:
    """Alpha/beta density of two distant atoms with total M_S = ``spin``: each atom's own
    density with its spin turned, the first atom kept as high as it goes.

    An atom of spin S (``atom_spins``) given M_S = t S keeps its total density and takes t
    times its spin density (t = -1 swaps its alpha and beta: the broken-symmetry partner).
    None where the two atoms' spins cannot add up to ``spin`` (two closed-shell atoms in a
    triplet): then PySCF's own guess for that spin.
    """
    s_a, s_b = atom_spins
    ms_b = float(np.clip(spin - s_a, -s_b, s_b))
    ms_a = float(np.clip(spin - ms_b, -s_a, s_a))
    if abs(ms_a + ms_b - spin) > 1e-9:
        return None
    blocks = []
    for density, s, ms in zip(atom_densities, atom_spins, (ms_a, ms_b)):
        total, polarised = density[0] + density[1], density[0] - density[1]
        t = ms / s if s else 0.0
        blocks.append(((total + t * polarised) / 2, (total - t * polarised) / 2))
    n_a, n_b = (b[0].shape[0] for b in blocks)
    guess = np.zeros((2, n_a + n_b, n_a + n_b))
    for k in range(2):
        guess[k, :n_a, :n_a], guess[k, n_a:, n_a:] = blocks[0][k], blocks[1][k]
    return guess


def solve_rung(mol, xc: str | None, guess: np.ndarray | None):
    """The converged unrestricted solution of one rung, or None: DIIS from ``guess`` for
    :data:`DIIS_CYCLES`, then second order from where DIIS stopped. A solution that breaks the
    aufbau principle is an excited state of that multiplicity and does not count."""
    from pyscf import scf

    mf = scf_object(mol, xc, False)
    mf.max_cycle = DIIS_CYCLES
    mf.kernel(dm0=guess)
    if mf.converged and aufbau(mf):
        return mf
    second_order = scf.newton(mf)
    second_order.kernel(dm0=mf.make_rdm1())
    return second_order if second_order.converged and aufbau(second_order) else None


@dataclass
class LadderPoint:
    """One bond length of a ladder: the lowest energy (hartree, NaN where no rung converged),
    the multiplicity that gave it (None then), every rung's energy, and why it failed."""

    r_bohr: float
    energy_hartree: float
    multiplicity: int | None
    rungs: dict[int, float] = field(default_factory=dict)
    reason: str | None = None


def solve_point(system: Diatomic, r_bohr: float, level: LevelOfTheory,
                multiplicities: Sequence[int], guesses: dict[int, np.ndarray | None],
                atoms: Sequence[tuple[float, np.ndarray]]) -> tuple[LadderPoint, dict]:
    """Every rung at one bond length, each from ``guesses[M]`` (the outer neighbour's
    density) or else from :func:`fragment_guess`; returns the point and the densities to start
    the next point from (a rung that failed starts again from the atoms)."""
    spins = [(f.multiplicity - 1) / 2 for f in ladder_atoms(system)]
    rungs, densities = {}, {}
    with one_thread():
        for multiplicity in multiplicities:
            mol = with_ecp(diatomic(system.symbols, r_bohr, system.charge, multiplicity,
                                    level.basis), level.basis)
            guess = guesses.get(multiplicity)
            if guess is None:
                guess = fragment_guess([a[1] for a in atoms], spins, (multiplicity - 1) / 2)
            try:
                mf = solve_rung(mol, level.functional, guess)
            except (RuntimeError, np.linalg.LinAlgError):  # e.g. more alpha electrons than
                mf = None  # orbitals (He2 triplet in STO-3G): this rung does not exist here
            rungs[multiplicity] = float("nan") if mf is None else float(mf.e_tot)
            densities[multiplicity] = None if mf is None else np.asarray(mf.make_rdm1())
    finite = {m: e for m, e in rungs.items() if np.isfinite(e)}
    if not finite:
        return LadderPoint(r_bohr, float("nan"), None, rungs, NOT_CONVERGED), densities
    best = min(finite, key=finite.get)
    return LadderPoint(r_bohr, finite[best], best, rungs), densities


def walk_ladder(system: Diatomic, r_bohr: Sequence[float], level: LevelOfTheory,
                on_point: Callable[[LadderPoint], None] | None = None) -> list[LadderPoint]:
    """The ladder at every bond length (bohr), walked inward from the longest; ``on_point`` is
    called as each point is done (what makes a build resumable: the caller keeps it)."""
    multiplicities = ladder_multiplicities(system)
    atoms = [atom_solution(f.symbol, f.charge, f.multiplicity, level)
             for f in ladder_atoms(system)]
    guesses: dict[int, np.ndarray | None] = {}
    points = {}
    for r in sorted((float(x) for x in r_bohr), reverse=True):
        point, guesses = solve_point(system, r, level, multiplicities, guesses, atoms)
        points[r] = point
        if on_point is not None:
            on_point(point)
    return [points[float(x)] for x in r_bohr]


__all__ = ["ECP_FROM_Z", "NOT_CONVERGED", "DIIS_CYCLES", "LadderPoint", "atom_solution", "fragment_guess",
           "ladder_atoms", "ladder_multiplicities", "solve_point", "solve_rung", "walk_ladder", "with_ecp"]
