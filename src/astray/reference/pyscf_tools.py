"""What the PySCF reference families share: molecules in bohr, BLAS threads, the walk along the
bond that carries each point's solution to the next, the one-electron energy and the two-point
basis-set extrapolation.

Everything here works in bohr and hartree. An atom or molecule without electrons has the energy
of its bare nuclei, Z1 Z2 / R (0 for one nucleus).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
from ase.data import atomic_numbers

from astray.errors import ReferenceUnavailableError

#: Energy convergence (hartree) of every SCF, CASSCF and CI of the references.
CONVERGENCE = 1e-10

Solution = TypeVar("Solution")


@contextmanager
def small_matrix_threads() -> Iterator[None]:
    """Run BLAS on one thread. The matrices of a diatomic are small (a few hundred rows); a
    multi-threaded BLAS on a busy machine spends its time waiting for cores (measured 5x slower
    on two shared cores). PySCF's own OpenMP integral and J/K code keeps its threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl is optional: then BLAS keeps its threads
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def pyscf_version() -> str:
    import pyscf

    return pyscf.__version__


def n_electrons(symbols: Sequence[str], charge: int) -> int:
    """Number of electrons of atoms ``symbols`` with total charge ``charge``."""
    return sum(atomic_numbers[s] for s in symbols) - int(charge)


def molecule(symbols: Sequence[str], positions_bohr, charge: int, multiplicity: int,
             basis, *, symmetry: bool = False):
    """A PySCF ``Mole`` (positions in bohr); raises :class:`ReferenceUnavailableError` when the
    basis set does not exist for an element or the charge/multiplicity is impossible."""
    from pyscf import gto
    from pyscf.lib.exceptions import BasisNotFoundError

    xyz = np.asarray(positions_bohr, float).reshape(len(symbols), 3)
    mol = gto.Mole()
    mol.atom = [(s, tuple(p)) for s, p in zip(symbols, xyz)]
    mol.unit = "Bohr"
    mol.basis = basis
    mol.charge = int(charge)
    mol.spin = int(multiplicity) - 1
    mol.symmetry = symmetry
    mol.verbose = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "install basis-set-exchange" hints
            mol.build()
    except (BasisNotFoundError, KeyError) as error:
        raise ReferenceUnavailableError(
            f"basis set {basis if isinstance(basis, str) else 'custom'!s} is not available for "
            f"{'/'.join(sorted(set(symbols)))} in PySCF ({_first_line(error)})") from None
    except RuntimeError as error:
        raise ReferenceUnavailableError(
            f"impossible charge/multiplicity: {_first_line(error)}") from None
    return mol


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def diatomic(symbols: Sequence[str], r_bohr: float, charge: int, multiplicity: int, basis,
             *, symmetry: bool = False):
    """The diatomic along z, first atom at the origin, bond length ``r_bohr`` (bohr)."""
    return molecule(symbols, [[0.0, 0.0, 0.0], [0.0, 0.0, float(r_bohr)]], charge,
                    multiplicity, basis, symmetry=symmetry)


def atom(symbol: str, charge: int, multiplicity: int, basis, *, symmetry: bool = False):
    """An isolated atom or atomic ion at the origin."""
    return molecule([symbol], [[0.0, 0.0, 0.0]], charge, multiplicity, basis, symmetry=symmetry)


def one_electron_hf(mol) -> float:
    """Energy (hartree) of one electron in the basis of ``mol`` (UHF is exact for one
    electron)."""
    from pyscf import scf

    mf = scf.UHF(mol)
    mf.conv_tol = CONVERGENCE
    return float(mf.kernel())


def cbs_correlation(e_corr_small: float, e_corr_large: float, cardinal_small: int,
                    cardinal_large: int) -> float:
    """Two-point X^-3 extrapolation of a correlation energy (Helgaker et al., J. Chem. Phys.
    106, 9639 (1997)): E_c(X) = E_c(CBS) + A X^-3 solved for E_c(CBS)."""
    x, y = cardinal_small ** 3, cardinal_large ** 3
    return (y * e_corr_large - x * e_corr_small) / (y - x)


def walk_along_bond(r_bohr: np.ndarray, solve: Callable[[float, Solution | None], Solution],
                    what: str, *, start_near: float | None = None,
                    keep_guess_after_failure: bool = False) -> list[Solution | None]:
    """Solve at every bond length, each point starting from the solution of its neighbour.

    The walk starts at the bond length nearest ``start_near`` (bohr; default: the shortest) and
    goes to longer bonds, then from the first point's solution to shorter ones. Following one
    solution step by step keeps the curve on one electronic state (and converges in fewer
    iterations) where a fresh start at every point can land on another.

    Args:
        r_bohr: bond lengths in bohr, any order.
        solve: ``solve(r_bohr, neighbour)`` returns the solution at one bond length;
            ``neighbour`` is the solution it starts from (None for the first point). It raises
            ``RuntimeError`` or ``LinAlgError`` where it fails.
        what: the method's name for the warning where a point fails.
        start_near: bohr; where to start.
        keep_guess_after_failure: after a failed point, start the next one from the last
            solution found (the state must be followed: CASSCF) instead of from nothing.

    Returns:
        the solutions in the order of ``r_bohr``; None where ``solve`` failed (with a warning).
    """
    order = [int(i) for i in np.argsort(r_bohr)]
    first = 0 if start_near is None else int(np.argmin(np.abs(r_bohr[order] - start_near)))
    longer, shorter = order[first:], order[:first][::-1]
    solutions: list[Solution | None] = [None] * len(r_bohr)
    start_of_walk = neighbour = None
    for index in longer + shorter:
        if shorter and index == shorter[0]:
            neighbour = start_of_walk
        try:
            solution = solve(float(r_bohr[index]), neighbour)
        except (RuntimeError, np.linalg.LinAlgError) as error:
            warnings.warn(f"{what} failed at R = {r_bohr[index]:.4f} bohr: {error}", stacklevel=2)
            if not keep_guess_after_failure:
                neighbour = None
            continue
        solutions[index] = neighbour = solution
        if start_of_walk is None:
            start_of_walk = solution
    return solutions


__all__ = ["CONVERGENCE", "atom", "cbs_correlation", "diatomic",
           "molecule", "n_electrons", "one_electron_hf", "pyscf_version",
           "small_matrix_threads", "walk_along_bond"]
