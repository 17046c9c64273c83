"""Two electrons (H2, HeH+, triplet H2; He, H-, Li+ atoms): exact diagonalisation and its
complete-basis-set limit, the ``fci/cbs`` reference family.

Physics
-------
:func:`two_electron_fci` is an exact diagonalisation in the space of two-electron functions
written as a matrix C (Psi(r1, r2) = sum_ij C_ij phi_i(r1) phi_j(r2), C symmetric for a singlet
and antisymmetric for a triplet; a triplet is the lowest over the symmetries that can hold it,
see :data:`TRIPLET_SECOND_ORBITAL`). :func:`fci_cbs_curve` extrapolates it to the complete
basis set (CBS): Hartree-Fock from the larger basis, correlation E_c(X) = E_c(CBS) + A X^-3
from cardinal numbers X = 3, 4. The bases are aug-cc-pVXZ with the s shell uncontracted plus
the tight s, p, d, f functions of the two-electron united atom (He for H, Li+ for He), see
:func:`two_electron_basis`: at R = 0.4 bohr H2 is nearly a helium atom, which the hydrogen basis
alone describes 2 mHa too high.

Stated accuracy
---------------
Measured against the exact Born-Oppenheimer curve of H2 (Wolniewicz 1993; Sims and Hagstrom
2006) the error relative to two hydrogen atoms stays below 0.1 mHa (0.06 kcal/mol) from 0.38 to
11.3 bohr: 0.1 kcal/mol stated. The 40-point default grid takes 45 s on two idle cores.
Bohr and hartree throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase.data import atomic_numbers

from astray.errors import ReferenceUnavailableError
from astray.level_of_theory import LevelOfTheory
from astray.reference.family import ReferenceFamily
from astray.reference.pyscf_tools import (
    atom,
    cbs_correlation,
    diatomic,
    n_electrons,
    one_electron_hf,
    small_matrix_threads,
    walk_along_bond,
)

_CARDINAL_LETTERS = {2: "d", 3: "t", 4: "q", 5: "5", 6: "6"}


def two_electron_basis(symbol: str, cardinal: int) -> list:
    """aug-cc-pVXZ of ``symbol`` made fit for a two-electron united atom.

    Two changes to the correlation-consistent set: its s shell is uncontracted, and the s, p,
    d, f functions of He cc-pVXZ, scaled to the two-electron ion of nuclear charge Z + 1 (the
    united atom of the element with a proton), are added where they are tighter than the
    element's own (s: by 1.5x, others: by 1.3x). Exponents scale as the square of the screened
    charge, zeta ~ (Z - 5/16)^2, so the scale factor is ((Z + 1 - 5/16) / (2 - 5/16))^2: 1 for
    hydrogen, whose tight functions are exactly helium's, and 2.54 for helium (Li+).

    Without these functions FCI/CBS(aug-cc-pVTZ, aug-cc-pVQZ) of H2 is 0.30 mHa too high at
    R = 0.5 bohr; with them the error is below 0.1 mHa at every R (see the module docstring).
    """
    from pyscf import gto

    letter = _CARDINAL_LETTERS[cardinal]
    own = gto.basis.load(f"aug-cc-pv{letter}z", symbol)
    helium = gto.basis.load(f"cc-pv{letter}z", "He")
    z = atomic_numbers[symbol]
    scale = ((z + 1 - 5 / 16) / (2 - 5 / 16)) ** 2

    def exponents(basis, angular_momentum):
        return sorted({p[0] for shell in basis if shell[0] == angular_momentum
                       for p in shell[1:]}, reverse=True)

    result = [[0, [e, 1.0]] for e in exponents(own, 0)]  # uncontracted s
    result += [shell for shell in own if shell[0] > 0]
    for angular_momentum, margin in ((0, 1.5), (1, 1.3), (2, 1.3), (3, 1.3), (4, 1.3)):
        own_l = exponents(own, angular_momentum)
        if not own_l:
            continue
        result += [[angular_momentum, [scale * e, 1.0]]
                   for e in exponents(helium, angular_momentum)
                   if scale * e > margin * own_l[0]]
    return result


def two_electron_basis_name(cardinal: int) -> str:
    """Short name of :func:`two_electron_basis` for provenance."""
    return f"aug-cc-pv{_CARDINAL_LETTERS[cardinal]}z+tight"


@dataclass
class TwoElectronSolution:
    """Hartree-Fock and exact (FCI) energies in hartree of one state of a two-electron system in
    one basis, with what the next bond length starts from: the CI matrix in the AO basis."""

    e_hf: float
    e_fci: float
    ci_ao: np.ndarray
    n_orbitals: int


#: The lowest triplet of two electrons has one electron in the lowest (totally symmetric) sigma
#: orbital and the other in the next sigma orbital: 2sigma_g (He 1s2s 3S at the united atom) or
#: 1sigma_u (H(1s) + H(1s) at the separated atoms). Which of the two is lowest changes along the
#: bond, and their curves cross (different symmetries do not mix), so each is solved with its
#: own Hartree-Fock determinant and the lowest kept. H2 in aug-cc-pVQZ+tight (hartree), a 3Sigma_g+
#: (Ag) / b 3Sigma_u+ (B1u) / c 3Pi_u (B3u): 0.3 A -0.0907 / -0.0719 / -0.0473, 0.45 A -0.5066 /
#: -0.5100 / -0.4720, 0.61 A -0.6632 / -0.6998 / -0.6362. Pi partners lie higher at every bond
#: length (the one-electron 2p pi_u is above 2p sigma_u for all R > 0) and are not solved.
#: Heteronuclear diatomics have no g/u: one symmetry holds both. Keys: the abelian group PySCF
#: works in; values: the irreducible representations of the second electron's orbital.
TRIPLET_SECOND_ORBITAL = {"D2h": ("Ag", "B1u"), "C2v": ("A1",)}


def _abelian(mol):
    """A copy of ``mol`` with orbital symmetry in D2h (atoms, homonuclear diatomics) or C2v
    (heteronuclear diatomics), the groups whose irreducible representations multiply by XOR."""
    copy = mol.copy()
    copy.symmetry = True
    copy.symmetry_subgroup = "D2h" if len(set(mol.atom_charges())) == 1 else "C2v"
    copy.build(dump_input=False, parse_arg=False)
    return copy


def _triplet_occupations(mol) -> dict[str, dict[str, tuple[int, int]]]:
    """Per candidate symmetry of :data:`TRIPLET_SECOND_ORBITAL`, the ROHF occupation (alpha,
    beta electrons per irreducible representation), for those the basis can hold."""
    orbitals = dict(zip(mol.irrep_name, (c.shape[1] for c in mol.symm_orb)))
    lowest = mol.irrep_name[0]  # the totally symmetric one
    occupations = {}
    for second in TRIPLET_SECOND_ORBITAL[mol.groupname]:
        if second == lowest and orbitals.get(lowest, 0) >= 2:
            occupations[second] = {lowest: (2, 0)}
        elif second != lowest and orbitals.get(second, 0) >= 1:
            occupations[second] = {lowest: (1, 0), second: (1, 0)}
    return occupations


def _two_electron_scf(mol, eri, irrep_nelec=None):
    """RHF (singlet) or ROHF (triplet, with ``irrep_nelec`` its electrons per irreducible
    representation) with the two-electron integrals held in memory."""
    from pyscf import scf

    mf = scf.RHF(mol) if mol.spin == 0 else scf.ROHF(mol)
    mf._eri = eri
    mf.conv_tol = 1e-9
    mf.max_cycle = 100
    if irrep_nelec is not None:
        mf.irrep_nelec = irrep_nelec
    mf.kernel()
    return mf


def two_electron_states(mol, *, guesses: dict | None = None) -> dict[str, TwoElectronSolution]:
    """The lowest state of each symmetry that can hold the lowest state of ``mol``'s spin.

    The singlet ground state of two electrons is nodeless, hence totally symmetric like the
    closed-shell Hartree-Fock determinant: one state, key ``"singlet"``. The triplet's spatial
    function changes sign under exchange and its symmetry changes along the bond: one state per
    candidate of :data:`TRIPLET_SECOND_ORBITAL`, keyed by it. The lowest state is the lowest of
    them (:func:`two_electron_fci`).

    Args:
        mol: the molecule or atom (2 electrons, spin 0 or 2).
        guesses: the states at a neighbouring geometry (same basis, same keys), to start from.
    """
    if mol.nelectron != 2 or mol.spin not in (0, 2):
        raise ValueError("two-electron FCI needs exactly two electrons, singlet or triplet")
    guesses = guesses or {}
    occupations = {"singlet": None}
    if mol.spin == 2:
        mol = _abelian(mol)
        occupations = _triplet_occupations(mol)
    eri = mol.intor("int2e", aosym="s8")
    with small_matrix_threads():
        return {key: _lowest_two_electron_state(mol, eri, occupation, guesses.get(key))
                for key, occupation in occupations.items()}


def two_electron_fci(mol) -> TwoElectronSolution:
    """Exact lowest state of two electrons of ``mol``'s spin in its basis (singlet or triplet):
    the lowest of :func:`two_electron_states`."""
    return min(two_electron_states(mol).values(), key=lambda state: state.e_fci)


def _lowest_two_electron_state(mol, eri, irrep_nelec, guess) -> TwoElectronSolution:
    """Exact lowest two-electron state of the symmetry of the SCF determinant (``irrep_nelec``
    for a triplet; the singlet needs no constraint).

    The spatial part of a two-electron state is Psi(r1, r2) = sum_ij C_ij phi_i(r1) phi_j(r2)
    over orthonormal orbitals phi (here the SCF orbitals, which also drop near-linear
    dependencies of the basis), with C = C^T for the singlet and C = -C^T for the triplet. The
    Hamiltonian h(1) + h(2) + 1/r12 acts on C as

        (H C)_ij = sum_k h_ik C_kj + sum_k C_ik h_kj + sum_kl (ik|jl) C_kl,

    and the last term is an exchange matrix: K[D]_mn = sum_ls (ml|ns) D_ls of the "density"
    D = phi C phi^T in the AO basis, contracted with the AO integrals held in memory. The lowest
    eigenvalue is found by Davidson iteration with the diagonal preconditioner
    eps_i + eps_j (orbital energies). This is full CI at a fraction of the cost of a general
    determinant code: one exchange build per iteration. With ``irrep_nelec``, C is kept to the
    pairs (i, j) whose product of irreducible representations is the determinant's, so the
    iteration cannot drift into another symmetry.
    """
    from pyscf import lib
    from pyscf.scf import _vhf, hf_symm

    # Always a fresh SCF guess: a neighbour's density from a distant geometry can converge to
    # an excited SCF solution, and E_HF enters the basis-set extrapolation directly.
    mf = _two_electron_scf(mol, eri, irrep_nelec)
    if not mf.converged:
        raise RuntimeError("SCF did not converge")
    mo = mf.mo_coeff
    n = mo.shape[1]
    h = mo.T @ mf.get_hcore() @ mo
    sign = 1.0 if mol.spin == 0 else -1.0
    e_nuc = mol.energy_nuc()
    occupied = np.flatnonzero(mf.mo_occ > 0)
    first, second = occupied[0], occupied[-1]  # the same orbital for the closed-shell singlet
    block = np.ones((n, n))
    if irrep_nelec is not None:
        orbsym = np.asarray(hf_symm.get_orbsym(mol, mo))
        block = (orbsym[:, None] ^ orbsym[None, :]) == (orbsym[first] ^ orbsym[second])

    def symmetrise(c):
        return 0.5 * (c + sign * c.T) * block

    def sigma(vector):
        c = symmetrise(vector.reshape(n, n))
        k = _vhf.incore(eri, mo @ c @ mo.T, hermi=1 if sign > 0 else 0, with_j=False)[1]
        return symmetrise(h @ c + c @ h + mo.T @ k @ mo).ravel()

    eps = mf.mo_energy
    diagonal = eps[:, None] + eps[None, :]
    diagonal = (diagonal + (mf.e_tot - e_nuc) - diagonal[first, second]).ravel()
    c0 = np.zeros((n, n))
    c0[first, second], c0[second, first] = 1.0, sign
    starts = [symmetrise(c0)]  # the Hartree-Fock determinant
    if guess is not None:  # the CI matrix of the neighbour, carried over in the AO basis
        s = mf.get_ovlp()
        projected = symmetrise(mo.T @ s @ guess.ci_ao @ s @ mo)
        if np.linalg.norm(projected) > 0.5:
            starts.insert(0, projected)

    def precondition(r, e, x):
        shift = diagonal - e
        shift[np.abs(shift) < 1e-8] = 1e-8
        return symmetrise((r / shift).reshape(n, n)).ravel()

    for start in starts:
        converged, e, c = lib.davidson1(lambda xs: [sigma(x) for x in xs],
                                        (start / np.linalg.norm(start)).ravel(), precondition,
                                        tol=1e-9, max_cycle=100, max_space=20, nroots=1,
                                        verbose=0)
        converged, e, c = converged[0], e[0], c[0]
        # the variational bound E_FCI <= E_HF rejects an excited root found from a poor start
        if converged and e + e_nuc <= mf.e_tot + 1e-8:
            break
    else:
        raise RuntimeError("two-electron FCI did not converge to the ground state")
    c = c.reshape(n, n)
    return TwoElectronSolution(e_hf=float(mf.e_tot), e_fci=float(e + e_nuc),
                               ci_ao=mo @ c @ mo.T, n_orbitals=n)


def fci_cbs_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int,
                  cardinals: tuple[int, int]) -> np.ndarray:
    """FCI/CBS total energies (hartree) of a two-electron diatomic at bond lengths ``r_bohr``.

    E = E_HF(X_large) + [X_large^3 E_c(X_large) - X_small^3 E_c(X_small)] / (X_large^3 -
    X_small^3), E_c = E_FCI - E_HF, both in :func:`two_electron_basis`, for each state of
    :func:`two_electron_states`; the lowest is kept. Points that fail to converge are NaN.
    """
    r = np.atleast_1d(np.asarray(r_bohr, float))
    electrons = n_electrons(symbols, charge)
    if electrons > 2:
        raise ReferenceUnavailableError(f"fci/cbs treats at most two electrons, not {electrons}")
    if electrons == 1:  # Hartree-Fock is exact for one electron: the larger basis alone
        basis = {s: two_electron_basis(s, cardinals[1]) for s in set(symbols)}
        with small_matrix_threads():
            return np.array([one_electron_hf(diatomic(symbols, x, charge, multiplicity, basis))
                             for x in r])
    per_basis = {}
    for cardinal in cardinals:
        basis = {s: two_electron_basis(s, cardinal) for s in set(symbols)}
        per_basis[cardinal] = _two_electron_walk(symbols, r, charge, multiplicity, basis)
    return _lowest_cbs_state(per_basis, cardinals, len(r))


def _lowest_cbs_state(per_basis: dict, cardinals: tuple[int, int], n_points: int) -> np.ndarray:
    """The extrapolated energy of each state, {cardinal: {state: (hf, fci)}}, each from its own
    HF and FCI in both bases (the extrapolation never mixes two states), the lowest kept. NaN
    where any state failed in either basis: the lowest of the others could be an excited one."""
    small, large = cardinals
    failed = (np.full(n_points, np.nan),) * 2
    states = []
    for key in set(per_basis[small]) | set(per_basis[large]):
        (hf_s, fci_s), (hf_l, fci_l) = (per_basis[x].get(key, failed) for x in cardinals)
        states.append(hf_l + cbs_correlation(fci_s - hf_s, fci_l - hf_l, small, large))
    return np.reshape(states, (-1, n_points)).min(axis=0) if states else failed[0]


def _two_electron_walk(symbols, r, charge, multiplicity, basis) -> dict:
    """HF and FCI energies along the bond of each state of :func:`two_electron_states`,
    {state: (hf, fci)}, each point starting from its neighbour."""
    walk = walk_along_bond(r, lambda r_bohr, neighbour: two_electron_states(
        diatomic(symbols, r_bohr, charge, multiplicity, basis), guesses=neighbour),
        "two-electron FCI")
    energies = {}
    for index, states in enumerate(walk):
        for key, state in (states or {}).items():
            hf, fci = energies.setdefault(key, (np.full(len(r), np.nan), np.full(len(r), np.nan)))
            hf[index], fci[index] = state.e_hf, state.e_fci
    return energies


def fci_cbs_atom(symbol: str, charge: int, multiplicity: int,
                 cardinals: tuple[int, int]) -> float:
    """FCI/CBS energy (hartree) of an atom or ion with at most two electrons, in the same bases
    and with the same extrapolation as :func:`fci_cbs_curve` (one electron: Hartree-Fock in the
    larger basis, which is exact within it; none: 0)."""
    electrons = atomic_numbers[symbol] - charge
    if electrons == 0:
        return 0.0
    if electrons > 2:
        raise ReferenceUnavailableError(
            f"fci/cbs treats at most two electrons; {symbol} with charge {charge:+d} has "
            f"{electrons}")
    per_basis = {}
    with small_matrix_threads():
        for cardinal in cardinals:
            mol = atom(symbol, charge, multiplicity, two_electron_basis(symbol, cardinal))
            if electrons == 1:
                per_basis[cardinal] = {"one electron": (one_electron_hf(mol),) * 2}
            else:
                per_basis[cardinal] = {key: (state.e_hf, state.e_fci)
                                       for key, state in two_electron_states(mol).items()}
    return float(_lowest_cbs_state(per_basis, cardinals, 1)[0])



def _check(label: str, electrons: int) -> None:
    if electrons > 2:
        raise ReferenceUnavailableError(
            f"fci/cbs treats at most two electrons; {label} has {electrons}: use fci:BASIS "
            "or nevpt2/cbs")


def _curve(symbols, r_bohr, charge, multiplicity, level: LevelOfTheory, r_start):
    bases = [two_electron_basis_name(x) for x in level.cardinals]
    return fci_cbs_curve(symbols, r_bohr, charge, multiplicity, level.cardinals), {
        "basis": bases, "extrapolation": "HF from the larger basis, correlation X^-3",
        "tight_functions": "s uncontracted + He cc-pVXZ s,p,d,f scaled to the Z+1 "
                           "two-electron ion"}


def _describe(level: LevelOfTheory) -> str:
    return ("FCI (exact for two electrons) extrapolated to the complete basis set from "
            "aug-cc-pVTZ and aug-cc-pVQZ with tight united-atom functions; within 0.1 "
            "kcal/mol of the exact Born-Oppenheimer curve (measured for H2, 0.38-11.3 bohr)")


#: FCI/CBS: two electrons, within 0.1 kcal/mol of the exact Born-Oppenheimer energy.
FCI_CBS = ReferenceFamily(
    name="fci/cbs", check=_check, describe=_describe, accuracy_kcal_mol=0.1,
    atom=lambda symbol, charge, multiplicity, level: fci_cbs_atom(
        symbol, charge, multiplicity, level.cardinals),
    curve=_curve)


__all__ = ["FCI_CBS", "TRIPLET_SECOND_ORBITAL", "TwoElectronSolution", "fci_cbs_atom",
           "fci_cbs_curve", "two_electron_basis", "two_electron_basis_name",
           "two_electron_fci", "two_electron_states"]
