"""Self-consistent field references, the ``hf`` and ``dft`` families (after PySCF's ``scf``
and ``dft``): Hartree-Fock and Kohn-Sham DFT with any functional PySCF's libxc knows.

Physics
-------
Closed shells are solved restricted and, for singlets of two atoms, also unrestricted from a
broken-symmetry guess (HOMO and LUMO mixed in opposite senses for the two spins); a
broken-symmetry solution is followed by stability analysis to a minimum, and the lower of the
two is kept (:func:`scf_solution`). That is what lets stretched H2 dissociate to two atoms,
where restricted DFT goes to a spurious ionic mixture (over 1 eV too high at 6 A with PBE).
Open shells are unrestricted and stability-checked. Analytic gradients give the forces.

Stated accuracy
---------------
None: a level of theory (the one a model was trained on), not an exact reference. Bohr and
hartree throughout.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from astray.level_of_theory import LevelOfTheory
from astray.reference.family import ReferenceFamily
from astray.reference.pyscf_tools import (
    CONVERGENCE,
    atom,
    diatomic,
    small_matrix_threads,
    walk_along_bond,
)


def scf_object(mol, xc: str | None, restricted: bool):
    """An SCF object of ``mol`` with astray's settings: HF (``xc=None``) or Kohn-Sham,
    restricted for a closed shell when ``restricted``, else unrestricted."""
    from pyscf import dft, scf

    if xc is None:
        mf = (scf.RHF(mol) if mol.spin == 0 else scf.ROHF(mol)) if restricted else scf.UHF(mol)
    else:
        mf = dft.RKS(mol) if restricted and mol.spin == 0 else dft.UKS(mol)
        mf.xc = xc
        if dft.libxc.is_meta_gga(xc):
            mf.grids.level = 4  # meta-GGAs are noisy on coarse grids and then stall the SCF
    # a small level shift keeps DIIS from oscillating between near-degenerate orbitals of a
    # stretched bond; it changes the path, not the converged solution
    mf.level_shift = 0.2
    mf.conv_tol = CONVERGENCE if xc is None else 1e-9
    # grid noise keeps the orbital gradient of DFT near 1e-5..1e-4 even at a converged energy
    mf.conv_tol_grad = None if xc is None else 3e-4
    mf.max_cycle = 200
    return mf


def aufbau(mf) -> bool:
    """True when no occupied orbital lies above an empty one of the same spin (a converged
    SCF that violates this is an excited stationary point, not the ground state)."""
    energies = mf.mo_energy if mf.istype("UHF") else [mf.mo_energy]
    occupations = mf.mo_occ if mf.istype("UHF") else [mf.mo_occ]
    for energy, occupation in zip(energies, occupations):
        occupied, empty = energy[occupation > 0], energy[occupation == 0]
        if len(occupied) and len(empty) and occupied.max() > empty.min() + 1e-6:
            return False
    return True


def converge_scf(mf, dm0=None):
    """Converge an SCF: DIIS from ``dm0``, then from the atomic guess, then second order;
    a solution that breaks the aufbau principle does not count as converged."""
    from pyscf import scf

    for guess in ([dm0, None] if dm0 is not None else [None]):
        mf.kernel(dm0=guess)
        if mf.converged and aufbau(mf):
            return mf
    second_order = scf.newton(mf)
    second_order.kernel(dm0=mf.make_rdm1())
    if second_order.converged and aufbau(second_order):
        return second_order
    mf.converged = False
    return mf


def stable_solution(mf, attempts: int = 3):
    """Follow internal instabilities of an unrestricted solution to a stable minimum."""
    occupied = [np.count_nonzero(occupation > 0) for occupation in mf.mo_occ]
    if all(n in (0, len(occupation)) for n, occupation in zip(occupied, mf.mo_occ)):
        # no occupied-virtual rotation exists (an H atom in one basis function), so nothing can
        # lower the energy; PySCF's analysis would divide by the size of the empty space
        return mf
    for _ in range(attempts):
        try:
            mo, _, stable, _ = mf.stability(return_status=True)
        except NotImplementedError:  # no orbital Hessian for this functional in PySCF
            warnings.warn(f"no stability analysis for {getattr(mf, 'xc', 'HF')}", stacklevel=2)
            break
        if stable:
            break
        dm = mf.make_rdm1(mo, mf.mo_occ)
        mf.kernel(dm0=dm)
    return mf


def _spin_contamination(mf) -> float:
    """<S^2> - S(S+1) of an unrestricted solution (0 for a pure spin state)."""
    s2, _ = mf.spin_square()
    spin = mf.mol.spin / 2
    return float(s2 - spin * (spin + 1))


def broken_symmetry_guess(restricted_mf) -> tuple[np.ndarray, np.ndarray]:
    """Alpha and beta densities with the HOMO and LUMO of a closed-shell solution mixed in
    opposite senses: for a stretched bond, one electron on each atom with opposite spins."""
    mo, occ = restricted_mf.mo_coeff, restricted_mf.mo_occ
    n_occ = int(np.count_nonzero(occ > 0))
    if n_occ == 0 or n_occ >= mo.shape[1]:
        dm = restricted_mf.make_rdm1()
        return dm / 2, dm / 2
    homo, lumo = mo[:, n_occ - 1], mo[:, n_occ]
    mo_a, mo_b = mo[:, :n_occ].copy(), mo[:, :n_occ].copy()
    mo_a[:, -1] = (homo + lumo) / np.sqrt(2)
    mo_b[:, -1] = (homo - lumo) / np.sqrt(2)
    return mo_a @ mo_a.T, mo_b @ mo_b.T


def scf_solution(mol, xc: str | None = None, *, dm0=None, broken_symmetry: bool = True):
    """The lowest SCF solution of ``mol``: Hartree-Fock (``xc=None``) or Kohn-Sham DFT.

    Closed-shell singlets are solved restricted; with ``broken_symmetry`` and more than one
    atom also unrestricted from the broken-symmetry guess (and from ``dm0`` when it is an
    unrestricted density), followed to a stable solution, and the lower is returned. Open
    shells are unrestricted and stability-checked. Returns ``None`` when there are no
    electrons. Raises ``RuntimeError`` when nothing converges.
    """
    if mol.nelectron == 0:
        return None
    with small_matrix_threads():
        candidates = []
        if mol.spin == 0 and mol.nelectron % 2 == 0:
            restricted = converge_scf(scf_object(mol, xc, True),
                                   dm0 if dm0 is not None and np.ndim(dm0) == 2 else None)
            if restricted.converged:
                candidates.append(restricted)
            if broken_symmetry and mol.natm > 1:
                guesses = [broken_symmetry_guess(restricted)]
                if dm0 is not None and np.ndim(dm0) == 3:
                    guesses.insert(0, dm0)
                for guess in guesses:
                    unrestricted = converge_scf(scf_object(mol, xc, False), guess)
                    if not unrestricted.converged:
                        continue
                    # a broken-symmetry guess that relaxes back to the closed shell means the
                    # restricted solution is stable; only a broken-symmetry solution needs the
                    # stability analysis (to be a minimum, not a saddle point)
                    if _spin_contamination(unrestricted) > 1e-3:
                        candidates.append(stable_solution(unrestricted))
                    elif not candidates:  # the restricted SCF failed; this is its solution
                        candidates.append(unrestricted)
                    break
        else:
            unrestricted = converge_scf(scf_object(mol, xc, False),
                                     dm0 if dm0 is not None and np.ndim(dm0) == 3 else None)
            if unrestricted.converged:
                candidates.append(stable_solution(unrestricted))
        candidates = [mf for mf in candidates if mf.converged]
        if not candidates:
            raise RuntimeError("SCF did not converge")
        # prefer the restricted solution unless the unrestricted one is really lower
        return min(candidates, key=lambda mf: mf.e_tot + (0.0 if mf.istype("RHF") else 1e-8))


def scf_gradient(mf) -> np.ndarray:
    """Analytic nuclear gradient dE/dx (hartree/bohr, shape [n_atoms, 3]) of an SCF solution."""
    with small_matrix_threads():
        gradient = mf.nuc_grad_method()
        gradient.verbose = 0
        return np.asarray(gradient.kernel())


def scf_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int, basis: str,
              xc: str | None = None, *, broken_symmetry: bool = True) -> np.ndarray:
    """HF or DFT total energies (hartree) along the bond (lowest of restricted and
    broken-symmetry unrestricted for singlets, see :func:`scf_solution`). NaN where no SCF
    converges. Bare nuclei: their Coulomb repulsion."""
    r = np.atleast_1d(np.asarray(r_bohr, float))

    def solve(bond_bohr, neighbour):
        mol = diatomic(symbols, bond_bohr, charge, multiplicity, basis)
        if mol.nelectron == 0:
            return mol.energy_nuc(), None
        mf = scf_solution(mol, xc, dm0=None if neighbour is None else neighbour[1],
                          broken_symmetry=broken_symmetry)
        return mf.e_tot, mf.make_rdm1()

    walk = walk_along_bond(r, solve, "SCF")
    return np.array([np.nan if point is None else point[0] for point in walk])


def scf_atom(symbol: str, charge: int, multiplicity: int, basis: str,
             xc: str | None = None) -> float:
    """HF or DFT energy (hartree) of an isolated atom or ion (0 without electrons)."""
    mol = atom(symbol, charge, multiplicity, basis)
    mf = scf_solution(mol, xc)
    return 0.0 if mf is None else float(mf.e_tot)


def _scf_atom(symbol, charge, multiplicity, level: LevelOfTheory) -> float:
    return scf_atom(symbol, charge, multiplicity, level.basis, level.functional)


def _scf_curve(symbols, r_bohr, charge, multiplicity, level: LevelOfTheory, r_start):
    return scf_curve(symbols, r_bohr, charge, multiplicity, level.basis, level.functional), {
        "basis": level.basis, "functional": level.functional,
        "reference": "lower of restricted and broken-symmetry unrestricted "
                     "(stability-checked) for singlets, unrestricted otherwise"}


#: Hartree-Fock, restricted or broken-symmetry unrestricted where lower.
HF = ReferenceFamily(
    name="hf", atom=_scf_atom, curve=_scf_curve,
    describe=lambda level: (f"Hartree-Fock/{level.basis}: lower of RHF and broken-symmetry "
                            "UHF; a level of theory, not an exact reference"))
#: Kohn-Sham DFT, restricted or broken-symmetry unrestricted where lower.
DFT = ReferenceFamily(
    name="dft", atom=_scf_atom, curve=_scf_curve,
    describe=lambda level: (f"Kohn-Sham {level.functional}/{level.basis}: lower of restricted "
                            "and broken-symmetry unrestricted; a level of theory, not an exact "
                            "reference"))


__all__ = ["DFT", "HF", "aufbau", "broken_symmetry_guess", "converge_scf", "scf_atom", "scf_curve",
           "scf_gradient", "scf_object", "scf_solution", "stable_solution"]
