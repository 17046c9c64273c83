"""Total energies of data-set structures at one level of theory: PySCF (HF or any Kohn-Sham
functional, density fitting) or GFN2-xTB (tblite).

Method strings: ``FUNCTIONAL/BASIS`` (``b3lyp/6-31g``, ``pbe/def2-svp``), ``hf/BASIS`` or
``gfn2-xtb``. Stable closed-shell structures are solved restricted. Distorted ones are solved
restricted and then unrestricted from a broken-symmetry guess (HOMO and LUMO mixed in opposite
senses for the two spins); the lower energy is kept, so a stretched bond dissociates to two
radicals as it should instead of to an ionic closed shell. Open shells (isolated atoms) are
unrestricted. This is the bulk-data path: density fitting and a coarse integration grid
(level 1, within 1e-5 hartree of level 3 for B3LYP/6-31G atomisation energies in our checks),
no orbital-stability analysis; the reference curves use the careful path in
:mod:`astray.reference.scf`.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from astray.errors import DatasetError, ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.units import BOHR_ANGSTROM, HARTREE_EV

GRID_LEVEL = 1
CONVERGENCE_HARTREE = 1e-8
MAX_CYCLES = 100


def data_level_of_theory(text: str) -> LevelOfTheory:
    """The level of theory of a data set to compute: ``FUNCTIONAL/BASIS``, ``hf/BASIS`` or
    ``gfn2-xtb`` (the one :class:`~astray.level_of_theory.LevelOfTheory` of references,
    potentials and training; raises :class:`DatasetError` for anything else)."""
    method, _, basis = text.strip().lower().partition("/")
    if method and not basis:  # gfn2-xtb (or xtb), the one level of theory without a basis
        level = LevelOfTheory.from_data_set(method)
        if level is not None and level.semi_empirical:
            return level
    if not method or not basis:
        raise DatasetError(f"method {text!r}: write FUNCTIONAL/BASIS (b3lyp/6-31g), "
                           "hf/BASIS or gfn2-xtb")
    try:  # anything but HF names a functional ("unknown density functional" otherwise)
        return LevelOfTheory.of_method(method, basis)
    except ReferenceUnavailableError as error:
        raise DatasetError(str(error)) from None


def metadata_text(level: LevelOfTheory) -> str:
    """The level of theory as data-set metadata states it (read back by
    :meth:`LevelOfTheory.from_data_set`)."""
    if level.semi_empirical:
        return "GFN2-xTB (tblite)"
    return (f"{level.describe()} (PySCF, density fitting, grid level {GRID_LEVEL}; "
            "broken-symmetry UKS for distorted structures)")


def total_energy(atoms: Atoms, level: LevelOfTheory, *, charge: int = 0, multiplicity: int = 1,
                 broken_symmetry: bool = False) -> float:
    """Total energy (eV) of ``atoms`` (angstrom); NaN when the SCF does not converge."""
    return single_point(atoms, level, charge=charge, multiplicity=multiplicity,
                        broken_symmetry=broken_symmetry)[0]


def single_point(atoms: Atoms, level: LevelOfTheory, *, charge: int = 0, multiplicity: int = 1,
                 broken_symmetry: bool = False,
                 forces: bool = False) -> tuple[float, np.ndarray | None]:
    """Total energy (eV) and, with ``forces``, forces (eV/angstrom, [n_atoms, 3]) of ``atoms``.
    NaN energy (and forces) when the SCF does not converge."""
    if level.semi_empirical:
        from ase.calculators.calculator import CalculationFailed

        from astray.data.geometry import xtb_calculator

        probe = atoms.copy()
        probe.calc = xtb_calculator(charge, multiplicity)
        try:
            energy = float(probe.get_potential_energy())
        except CalculationFailed:  # the xTB SCF did not converge
            return np.nan, np.full((len(atoms), 3), np.nan) if forces else None
        return energy, probe.get_forces() if forces else None
    from pyscf import lib

    from astray.reference.pyscf_tools import molecule

    with lib.with_omp_threads(1):
        mol = molecule(atoms.get_chemical_symbols(), atoms.positions / BOHR_ANGSTROM, charge,
                       multiplicity, level.basis)
        solution = _lowest_scf(mol, level.functional, broken_symmetry)
        if solution is None:
            return np.nan, np.full((len(atoms), 3), np.nan) if forces else None
        energy = float(solution.e_tot) * HARTREE_EV
        if not forces:
            return energy, None
        gradient = solution.nuc_grad_method()
        gradient.verbose = 0
        return energy, -np.asarray(gradient.kernel()) * HARTREE_EV / BOHR_ANGSTROM


def _scf(mol, functional: str | None, restricted: bool, shared=None):
    """An unconverged density-fitted SCF: HF for ``functional`` None, else DFT."""
    from pyscf import dft, scf

    if functional is None:
        mf = scf.RHF(mol) if restricted else scf.UHF(mol)
    else:
        mf = dft.RKS(mol) if restricted else dft.UKS(mol)
        mf.xc = functional
        mf.grids.level = GRID_LEVEL
    mf = mf.density_fit()
    if shared is not None:  # reuse the restricted run's integration grid and fitted integrals
        mf.with_df = shared.with_df
        if functional is not None:
            mf.grids = shared.grids
    mf.conv_tol = CONVERGENCE_HARTREE
    mf.max_cycle = MAX_CYCLES
    mf.verbose = 0
    return mf


def _lowest_scf(mol, functional: str | None, broken_symmetry: bool):
    """The converged SCF solution of lowest energy (restricted, or broken-symmetry unrestricted
    when asked and lower); None when nothing converges."""
    from astray.reference.scf import broken_symmetry_guess

    if mol.spin != 0:
        unrestricted = _scf(mol, functional, restricted=False)
        unrestricted.kernel()
        return unrestricted if unrestricted.converged else None
    restricted = _scf(mol, functional, restricted=True)
    restricted.kernel()
    solutions = [restricted] if restricted.converged else []
    if broken_symmetry and mol.natm > 1:
        unrestricted = _scf(mol, functional, restricted=False, shared=restricted)
        unrestricted.kernel(dm0=np.array(broken_symmetry_guess(restricted)))
        if unrestricted.converged:
            solutions.append(unrestricted)
    return min(solutions, key=lambda mf: mf.e_tot) if solutions else None


def isolated_atom_energies(elements, level: LevelOfTheory) -> dict[str, float]:
    """Energy (eV) of each neutral atom in its Hund ground state at ``level``."""
    from ase.data import atomic_numbers

    from astray.systems import ground_multiplicity

    return {symbol: total_energy(Atoms(symbol), level,
                                 multiplicity=ground_multiplicity(atomic_numbers[symbol]))
            for symbol in elements}
