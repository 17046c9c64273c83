"""Self-consistent field references: Hartree-Fock and Kohn-Sham DFT with the broken-symmetry
guess (the lower of the restricted and the stable unrestricted solution, so stretched bonds
dissociate to radicals), and CCSD(T) on the lowest unrestricted solution. Split from
:mod:`astray.reference.quantum_chemistry` (the correlated wave-function methods), as PySCF
keeps ``scf`` and ``cc`` apart from ``fci`` and ``mcscf``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from astray.errors import ReferenceUnavailableError
from astray.reference.quantum_chemistry import (CONVERGENCE, _walk, atom, diatomic,
                                                small_matrix_threads)


def check_functional(xc: str) -> str:
    """The functional name as PySCF takes it; raises :class:`ReferenceUnavailableError` when
    PySCF's libxc does not know it."""
    from pyscf.dft import libxc

    name = xc.strip().lower()
    try:
        libxc.parse_xc(name)
    except (KeyError, ValueError, NotImplementedError):
        alternative = name.replace("-", "_")
        try:
            libxc.parse_xc(alternative)
        except (KeyError, ValueError, NotImplementedError):
            raise ReferenceUnavailableError(
                f"unknown density functional {xc!r} (PySCF/libxc names, e.g. pbe, b3lyp, "
                "wb97m-v)") from None
        name = alternative
    return name


def _scf_object(mol, xc: str | None, restricted: bool):
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


def _aufbau(mf) -> bool:
    """True when no occupied orbital lies above an empty one of the same spin (a converged
    SCF that violates this is an excited stationary point, not the ground state)."""
    energies = mf.mo_energy if mf.istype("UHF") else [mf.mo_energy]
    occupations = mf.mo_occ if mf.istype("UHF") else [mf.mo_occ]
    for energy, occupation in zip(energies, occupations):
        occupied, empty = energy[occupation > 0], energy[occupation == 0]
        if len(occupied) and len(empty) and occupied.max() > empty.min() + 1e-6:
            return False
    return True


def _converge(mf, dm0=None):
    """Converge an SCF: DIIS from ``dm0``, then from the atomic guess, then second order;
    a solution that breaks the aufbau principle does not count as converged."""
    from pyscf import scf

    for guess in ([dm0, None] if dm0 is not None else [None]):
        mf.kernel(dm0=guess)
        if mf.converged and _aufbau(mf):
            return mf
    second_order = scf.newton(mf)
    second_order.kernel(dm0=mf.make_rdm1())
    if second_order.converged and _aufbau(second_order):
        return second_order
    mf.converged = False
    return mf


def _stable(mf, attempts: int = 3):
    """Follow internal instabilities of an unrestricted solution to a stable minimum."""
    for _ in range(attempts):
        try:
            mo, _, stable, _ = mf.stability(return_status=True)
        except NotImplementedError:  # no orbital Hessian for this functional in PySCF
            warnings.warn(f"no stability analysis for {getattr(mf, 'xc', 'HF')}")
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
            restricted = _converge(_scf_object(mol, xc, True),
                                   dm0 if dm0 is not None and np.ndim(dm0) == 2 else None)
            if restricted.converged:
                candidates.append(restricted)
            if broken_symmetry and mol.natm > 1:
                guesses = [broken_symmetry_guess(restricted)]
                if dm0 is not None and np.ndim(dm0) == 3:
                    guesses.insert(0, dm0)
                for guess in guesses:
                    unrestricted = _converge(_scf_object(mol, xc, False), guess)
                    if not unrestricted.converged:
                        continue
                    # a broken-symmetry guess that relaxes back to the closed shell means the
                    # restricted solution is stable; only a broken-symmetry solution needs the
                    # stability analysis (to be a minimum, not a saddle point)
                    if _spin_contamination(unrestricted) > 1e-3:
                        candidates.append(_stable(unrestricted))
                    elif not candidates:  # the restricted SCF failed; this is its solution
                        candidates.append(unrestricted)
                    break
        else:
            unrestricted = _converge(_scf_object(mol, xc, False),
                                     dm0 if dm0 is not None and np.ndim(dm0) == 3 else None)
            if unrestricted.converged:
                candidates.append(_stable(unrestricted))
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
    energies = np.full(len(r), np.nan)
    dm = None
    for index, _ in _walk(r):
        mol = diatomic(symbols, r[index], charge, multiplicity, basis)
        if mol.nelectron == 0:
            energies[index] = mol.energy_nuc()
            continue
        try:
            mf = scf_solution(mol, xc, dm0=dm, broken_symmetry=broken_symmetry)
        except (RuntimeError, np.linalg.LinAlgError) as error:
            warnings.warn(f"SCF failed at R = {r[index]:.4f} bohr: {error}")
            dm = None
            continue
        energies[index], dm = mf.e_tot, mf.make_rdm1()
    return energies


def scf_atom(symbol: str, charge: int, multiplicity: int, basis: str,
             xc: str | None = None) -> float:
    """HF or DFT energy (hartree) of an isolated atom or ion (0 without electrons)."""
    mol = atom(symbol, charge, multiplicity, basis)
    mf = scf_solution(mol, xc)
    return 0.0 if mf is None else float(mf.e_tot)


def ccsd_t_energy(mol, dm0=None) -> tuple[float, np.ndarray | None]:
    """UCCSD(T) total energy (hartree) on the lowest stable UHF solution, and the UHF density
    for the next geometry. One electron: UHF (exact in the basis); none: nuclear repulsion."""
    from pyscf import cc, scf

    if mol.nelectron == 0:
        return float(mol.energy_nuc()), None
    mf = scf_solution(mol, None, dm0=dm0)
    if mol.nelectron == 1:
        return float(mf.e_tot), None
    with small_matrix_threads():
        if not mf.istype("UHF"):
            mf = scf.addons.convert_to_uhf(mf)
        solver = cc.UCCSD(mf)
        solver.conv_tol = 1e-9
        solver.verbose = 0
        solver.kernel()
        if not solver.converged:
            raise RuntimeError("UCCSD did not converge")
        triples = solver.ccsd_t() if mol.nelectron > 2 else 0.0
    return float(solver.e_tot + triples), mf.make_rdm1()


def ccsd_t_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int,
                 basis: str) -> np.ndarray:
    """UCCSD(T) total energies (hartree) along the bond; NaN where it fails."""
    r = np.atleast_1d(np.asarray(r_bohr, float))
    energies = np.full(len(r), np.nan)
    dm = None
    for index, _ in _walk(r):
        mol = diatomic(symbols, r[index], charge, multiplicity, basis)
        try:
            energies[index], dm = ccsd_t_energy(mol, dm)
        except (RuntimeError, np.linalg.LinAlgError) as error:
            warnings.warn(f"UCCSD(T) failed at R = {r[index]:.4f} bohr: {error}")
            dm = None
    return energies


def ccsd_t_atom(symbol: str, charge: int, multiplicity: int, basis: str) -> float:
    """UCCSD(T) energy (hartree) of an isolated atom or ion."""
    return ccsd_t_energy(atom(symbol, charge, multiplicity, basis))[0]
