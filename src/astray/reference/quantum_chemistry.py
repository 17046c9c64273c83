"""Ab initio energies of diatomics and of their atoms with PySCF, in atomic units.

Everything here works in bohr and hartree (the dispatcher in :mod:`astray.reference.methods`
converts to angstrom and eV). Each family of methods has a curve function, which walks along the
bond and carries the converged density (and CI vector or active orbitals) from one bond length
to the next, and an atom function for the separated fragments *at the same level*, so that
E(AB) - E(A) - E(B) goes to zero at infinite separation. An atom or molecule without electrons
has the energy of its bare nuclei, Z1 Z2 / R (0 for one nucleus).

Methods
-------
* Two electrons (H2, HeH+, He, H-, Li+): :func:`two_electron_fci`, an exact diagonalisation in
  the space of two-electron functions written as a matrix C (Psi(r1, r2) = sum_ij C_ij
  phi_i(r1) phi_j(r2), C symmetric for a singlet and antisymmetric for a triplet; a triplet is
  the lowest over the symmetries that can hold it, see :data:`TRIPLET_SECOND_ORBITAL`), and
  :func:`fci_cbs_curve`, which extrapolates it to the complete basis set (CBS): Hartree-Fock from
  the larger basis, correlation E_c(X) = E_c(CBS) + A X^-3 from cardinal numbers X = 3, 4.
  The bases are aug-cc-pVXZ with the s shell uncontracted plus the tight s, p, d, f functions
  of the two-electron united atom (He for H, Li+ for He), see :func:`two_electron_basis`: at
  R = 0.4 bohr H2 is nearly a helium atom, which the hydrogen basis alone describes 2 mHa too
  high. Measured against the exact Born-Oppenheimer curve of H2 (Wolniewicz 1993; Sims and
  Hagstrom 2006) the error relative to two hydrogen atoms stays below 0.1 mHa (0.06 kcal/mol)
  from 0.38 to 11.3 bohr; the 40-point default grid takes 45 s on two idle cores.
* Few electrons (LiH, He2): :func:`fci_curve`, PySCF's determinant FCI with point-group
  symmetry in one basis set (no counterpoise correction).
* Many electrons: :func:`nevpt2_curve`, CASSCF with the full valence active space followed by
  strongly contracted NEVPT2, the active orbitals followed from bond length to bond length;
  atoms with their own valence space (:func:`valence_active_space`), so the supermolecule at
  infinite separation and the atoms have the same active space. Optionally extrapolated to the
  basis-set limit like FCI/CBS (CASSCF from the larger basis, NEVPT2 correlation as X^-3).
* Hartree-Fock and DFT (any functional PySCF's libxc or xcfun knows): in
  :mod:`astray.reference.scf` (:func:`~astray.reference.scf.scf_solution`),
  restricted for closed shells and, for singlets of two atoms, also unrestricted from a
  broken-symmetry guess (HOMO and LUMO mixed); a broken-symmetry solution is followed by
  stability analysis to a minimum, and the lower of the two is kept, which is what lets the
  curve dissociate to two atoms where the restricted one does not. Analytic gradients for the
  forces.
* CCSD(T): unrestricted, on the lowest (stability-checked) UHF solution.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import comb

import numpy as np
from ase.data import atomic_numbers

from astray.errors import ReferenceUnavailableError

#: Cardinal numbers of the default two-point complete-basis-set extrapolation.
DEFAULT_CARDINALS = (3, 4)
#: Determinant count (before point-group symmetry) above which determinant FCI is refused as
#: too expensive: LiH in cc-pVTZ (9e5 determinants) takes 30 s a bond length with symmetry,
#: He2 in aug-cc-pVTZ (1.1e6) 10 s, and the cost grows faster than the count.
MAX_FCI_DETERMINANTS = 3_000_000
#: Energy convergence (hartree) of every SCF, CASSCF and CI in this module.
CONVERGENCE = 1e-10

_CARDINAL_LETTERS = {2: "d", 3: "t", 4: "q", 5: "5", 6: "6"}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

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


def _walk(r_bohr: np.ndarray, r_start: float | None = None) -> list[tuple[int, bool]]:
    """The order in which a curve is computed, as (index, restart) pairs: from the bond length
    nearest ``r_start`` (default: the shortest) outwards, first to longer and then to shorter
    bonds, each point starting from the solution of the one before; ``restart`` marks the first
    point of the second branch, which starts from the first point's solution instead."""
    order = [int(i) for i in np.argsort(r_bohr)]
    first = 0 if r_start is None else int(np.argmin(np.abs(r_bohr[order] - r_start)))
    longer, shorter = order[first:], order[:first][::-1]
    return [(i, False) for i in longer] + [(i, k == 0) for k, i in enumerate(shorter)]


# --------------------------------------------------------------------------------------------
# Two electrons: exact diagonalisation and the complete-basis-set limit
# --------------------------------------------------------------------------------------------

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

    def exponents(basis, l):
        return sorted({p[0] for shell in basis if shell[0] == l for p in shell[1:]}, reverse=True)

    result = [[0, [e, 1.0]] for e in exponents(own, 0)]  # uncontracted s
    result += [shell for shell in own if shell[0] > 0]
    for l, margin in ((0, 1.5), (1, 1.3), (2, 1.3), (3, 1.3), (4, 1.3)):
        own_l = exponents(own, l)
        if not own_l:
            continue
        result += [[l, [scale * e, 1.0]] for e in exponents(helium, l)
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


def cbs_correlation(e_corr_small: float, e_corr_large: float, cardinal_small: int,
                    cardinal_large: int) -> float:
    """Two-point X^-3 extrapolation of a correlation energy (Helgaker et al., J. Chem. Phys.
    106, 9639 (1997)): E_c(X) = E_c(CBS) + A X^-3 solved for E_c(CBS)."""
    x, y = cardinal_small ** 3, cardinal_large ** 3
    return (y * e_corr_large - x * e_corr_small) / (y - x)


def fci_cbs_curve(symbols: Sequence[str], r_bohr, charge: int = 0, multiplicity: int = 1,
                  cardinals: tuple[int, int] = DEFAULT_CARDINALS) -> np.ndarray:
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
            return np.array([_one_electron_hf(diatomic(symbols, x, charge, multiplicity, basis))
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
    energies = {}
    previous = None
    for index, _ in _walk(r):
        mol = diatomic(symbols, r[index], charge, multiplicity, basis)
        try:
            states = two_electron_states(mol, guesses=previous)
        except (RuntimeError, np.linalg.LinAlgError) as error:
            warnings.warn(f"two-electron FCI failed at R = {r[index]:.4f} bohr: {error}")
            previous = None
            continue
        for key, state in states.items():
            hf, fci = energies.setdefault(key, (np.full(len(r), np.nan), np.full(len(r), np.nan)))
            hf[index], fci[index] = state.e_hf, state.e_fci
        previous = states
    return energies


def fci_cbs_atom(symbol: str, charge: int, multiplicity: int,
                 cardinals: tuple[int, int] = DEFAULT_CARDINALS) -> float:
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
                per_basis[cardinal] = {"one electron": (_one_electron_hf(mol),) * 2}
            else:
                per_basis[cardinal] = {key: (state.e_hf, state.e_fci)
                                       for key, state in two_electron_states(mol).items()}
    return float(_lowest_cbs_state(per_basis, cardinals, 1)[0])


def _one_electron_hf(mol) -> float:
    """Energy of one electron in the basis of ``mol`` (UHF is exact for one electron)."""
    from pyscf import scf

    mf = scf.UHF(mol)
    mf.conv_tol = CONVERGENCE
    return float(mf.kernel())


# --------------------------------------------------------------------------------------------
# Few electrons: determinant FCI in one basis
# --------------------------------------------------------------------------------------------

def fci_determinants(n_orbitals: int, n_alpha: int, n_beta: int) -> int:
    """Number of determinants of a full CI (no symmetry)."""
    return comb(n_orbitals, n_alpha) * comb(n_orbitals, n_beta)


def _check_fci_size(mol) -> None:
    n_alpha, n_beta = mol.nelec
    count = fci_determinants(mol.nao, n_alpha, n_beta)
    if count > MAX_FCI_DETERMINANTS:
        raise ReferenceUnavailableError(
            f"FCI with {mol.nelectron} electrons in {mol.nao} orbitals ({count:.2e} "
            "determinants) is too expensive; use a smaller basis or nevpt2")


def fci_energy(mol, *, guess=None) -> tuple[float, object]:
    """Determinant FCI energy (hartree) of ``mol`` and what the next geometry starts from
    (the SCF density). Two electrons go to :func:`two_electron_states` (the lowest state is
    kept); one electron is its SCF."""
    if mol.nelectron == 0:
        return float(mol.energy_nuc()), None
    if mol.nelectron == 1:
        return _one_electron_hf(mol), None
    if mol.nelectron == 2 and mol.spin in (0, 2):
        states = two_electron_states(mol, guesses=guess if isinstance(guess, dict) else None)
        return min(state.e_fci for state in states.values()), states
    from pyscf import fci, scf

    _check_fci_size(mol)
    mf = scf.RHF(mol) if mol.spin == 0 else scf.ROHF(mol)
    mf.conv_tol = CONVERGENCE
    mf.kernel(dm0=guess if isinstance(guess, np.ndarray) else None)
    solver = fci.FCI(mf)
    solver.conv_tol = CONVERGENCE
    solver = fci.addons.fix_spin_(solver, ss=(mol.spin / 2) * (mol.spin / 2 + 1))
    energy, _ = solver.kernel()
    return float(energy), mf.make_rdm1()


def fci_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int,
              basis: str) -> np.ndarray:
    """Determinant FCI total energies (hartree) along the bond in one basis set, with the
    molecular point group (C∞v/D∞h as C2v/D2h) to cut the cost. NaN where it fails."""
    r = np.atleast_1d(np.asarray(r_bohr, float))
    energies = np.full(len(r), np.nan)
    guess = None
    for index, _ in _walk(r):
        mol = diatomic(symbols, r[index], charge, multiplicity, basis, symmetry=True)
        try:
            energies[index], guess = fci_energy(mol, guess=guess)
        except (RuntimeError, np.linalg.LinAlgError) as error:
            warnings.warn(f"FCI failed at R = {r[index]:.4f} bohr: {error}")
            guess = None
    return energies


def fci_atom(symbol: str, charge: int, multiplicity: int, basis: str) -> float:
    """Determinant FCI energy (hartree) of an isolated atom or ion in ``basis``."""
    return fci_energy(atom(symbol, charge, multiplicity, basis, symmetry=True))[0]


# --------------------------------------------------------------------------------------------
# Many electrons: full-valence CASSCF + NEVPT2
# --------------------------------------------------------------------------------------------

def valence_orbitals(symbol: str) -> tuple[int, list[str]]:
    """(core orbitals, valence AO labels) of an element: H, He: 1s; Li-Ne: 2s 2p on a 1s core;
    Na-Ar: 3s 3p on a neon core."""
    z = atomic_numbers[symbol]
    if z <= 2:
        return 0, [f"{symbol} 1s"]
    if z <= 10:
        return 1, [f"{symbol} 2s", f"{symbol} 2p"]
    if z <= 18:
        return 5, [f"{symbol} 3s", f"{symbol} 3p"]
    raise ReferenceUnavailableError(f"no valence active space defined for {symbol} (Z > 18)")


def valence_active_space(symbols: Sequence[str], charge: int) -> tuple[int, int, int]:
    """(core orbitals, active orbitals, active electrons) of the full-valence active space:
    every valence orbital of every atom (1s for H and He, ns np otherwise), with all electrons
    outside the cores. The same rule for a molecule and for its atoms keeps them consistent:
    at infinite separation the molecule's space is the union of the atoms' spaces."""
    core = sum(valence_orbitals(s)[0] for s in symbols)
    active = sum(1 if atomic_numbers[s] <= 2 else 4 for s in symbols)
    electrons = n_electrons(symbols, charge) - 2 * core
    if electrons < 0:
        raise ReferenceUnavailableError("the ion has fewer electrons than its atomic cores")
    electrons = min(electrons, 2 * active)
    return core, active, electrons


@dataclass
class CasSolution:
    """CASSCF and NEVPT2 energies (hartree), with the orbitals and CI vector to follow."""

    e_casscf: float
    e_nevpt2: float
    mo_coeff: np.ndarray
    ci: object
    mol: object = field(repr=False)


def _scf_for_cas(mol, dm0=None):
    from pyscf import scf

    mf = scf.RHF(mol) if mol.spin == 0 else scf.ROHF(mol)
    mf.conv_tol = 1e-9
    mf.max_cycle = 200
    mf.kernel(dm0=dm0)
    if not mf.converged:
        mf = scf.newton(mf)
        mf.kernel(dm0=dm0)
    return mf


def _valence_guess(mf, symbols: Sequence[str], n_active: int,
                   n_active_electrons: int) -> np.ndarray:
    """Start orbitals whose active block is the valence shell: AVAS projection onto the minimal
    (MINAO) valence AOs, falling back to the canonical SCF order if the projection does not
    give the full valence space."""
    from pyscf.mcscf import avas

    labels = [label for s in dict.fromkeys(symbols) for label in valence_orbitals(s)[1]]
    try:
        ncas, nelecas, mo = avas.kernel(mf, labels, minao="minao", threshold=0.1, verbose=0)
        if ncas == n_active and int(np.sum(nelecas)) == n_active_electrons:
            return mo
    except Exception:  # noqa: BLE001 - AVAS is only a better start; the SCF order is the fallback
        pass
    return mf.mo_coeff


def casscf_nevpt2(mol, symbols: Sequence[str], *,
                  previous: CasSolution | None = None) -> CasSolution:
    """Full-valence CASSCF (spin fixed to the multiplicity of ``mol``) and strongly contracted
    NEVPT2 energy of one structure, starting from ``previous`` (a neighbouring bond length)
    when given."""
    from pyscf import mcscf, mrpt

    _, n_active, n_active_electrons = valence_active_space(symbols, mol.charge)
    n_beta = (n_active_electrons - mol.spin) // 2
    nelecas = (n_active_electrons - n_beta, n_beta)
    mf = _scf_for_cas(mol)
    mc = mcscf.CASSCF(mf, n_active, nelecas)
    mc.conv_tol = 1e-9
    mc.max_cycle_macro = 100
    spin = mol.spin / 2
    mc.fix_spin_(ss=spin * (spin + 1))
    if previous is not None:
        mo0 = mcscf.project_init_guess(mc, previous.mo_coeff, previous.mol)
        ci0 = previous.ci
    else:
        mo0, ci0 = _valence_guess(mf, symbols, n_active, n_active_electrons), None
    mc.kernel(mo0, ci0)
    if not mc.converged:
        mc.kernel(mc.mo_coeff, mc.ci)
    if not mc.converged:
        raise RuntimeError("CASSCF did not converge")
    e2 = mrpt.NEVPT(mc).kernel()
    return CasSolution(e_casscf=float(mc.e_tot), e_nevpt2=float(mc.e_tot + e2),
                       mo_coeff=mc.mo_coeff, ci=mc.ci, mol=mol)


def nevpt2_curve(symbols: Sequence[str], r_bohr, charge: int, multiplicity: int, basis: str,
                 r_start: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CASSCF and NEVPT2 total energies (hartree) along the bond in one basis.

    The walk starts at the bond length nearest ``r_start`` (bohr; a typical bond length, where
    the SCF orbitals are a good start) and goes outwards, each point starting from the active
    orbitals and CI vector of its neighbour, so the same state is followed to dissociation.
    NaN where CASSCF fails.
    """
    r = np.atleast_1d(np.asarray(r_bohr, float))
    casscf, nevpt2 = np.full(len(r), np.nan), np.full(len(r), np.nan)
    first, previous = None, None
    for index, restart in _walk(r, r_start):
        if restart:
            previous = first
        mol = diatomic(symbols, r[index], charge, multiplicity, basis)
        try:
            solution = casscf_nevpt2(mol, symbols, previous=previous)
        except (RuntimeError, np.linalg.LinAlgError) as error:
            warnings.warn(f"CASSCF/NEVPT2 failed at R = {r[index]:.4f} bohr: {error}")
            continue
        casscf[index], nevpt2[index] = solution.e_casscf, solution.e_nevpt2
        previous = solution
        if first is None:
            first = solution
    return casscf, nevpt2


def nevpt2_atom(symbol: str, charge: int, multiplicity: int, basis: str) -> tuple[float, float]:
    """CASSCF and NEVPT2 energies (hartree) of an atom or ion in its own valence space (one
    or no electron: the SCF energy, which is exact within the basis)."""
    mol = atom(symbol, charge, multiplicity, basis)
    if mol.nelectron == 0:
        return 0.0, 0.0
    if mol.nelectron == 1:
        energy = _one_electron_hf(mol)
        return energy, energy
    solution = casscf_nevpt2(mol, [symbol])
    return solution.e_casscf, solution.e_nevpt2


#: Bond lengths, in units of the start (typical) bond length, of the walk to the separated
#: atoms in :func:`nevpt2_separated_limit`; the last one is the "infinite" separation.
SEPARATION_LADDER = (1.0, 1.3, 1.7, 2.2, 3.0, 4.0, 5.5, 7.5, 10.0)


def nevpt2_separated_limit(symbols: Sequence[str], charge: int, multiplicity: int, basis: str,
                           r_start: float, fragment_charges: tuple[int, int] = (0, 0)
                           ) -> tuple[float, float]:
    """CASSCF and NEVPT2 energies (hartree) of the molecular state at infinite separation: the
    state is followed from ``r_start`` (bohr) out to 10 ``r_start`` and the point-charge
    repulsion of charged fragments is removed.

    This is the asymptote the curve actually goes to. It differs from the sum of isolated-atom
    energies when an atom has a degenerate ground term (O, C, F: 3P, 2P): the isolated-atom
    CASSCF breaks the atom's spherical symmetry and gains energy that the molecular state, whose
    orbitals keep the bond axis symmetry, cannot (O2 in cc-pVTZ: 0.07 eV).
    """
    r_ladder = r_start * np.array(SEPARATION_LADDER)
    casscf, nevpt2 = nevpt2_curve(symbols, r_ladder, charge, multiplicity, basis, r_start)
    repulsion = fragment_charges[0] * fragment_charges[1] / r_ladder[-1]
    return float(casscf[-1] - repulsion), float(nevpt2[-1] - repulsion)


def nevpt2_cbs(casscf_large: np.ndarray, nevpt2_small: np.ndarray, casscf_small: np.ndarray,
               nevpt2_large: np.ndarray, cardinals: tuple[int, int]) -> np.ndarray:
    """CASSCF from the larger basis plus the NEVPT2 correlation extrapolated as X^-3."""
    small, large = cardinals
    return casscf_large + cbs_correlation(nevpt2_small - casscf_small,
                                          nevpt2_large - casscf_large, small, large)


# --------------------------------------------------------------------------------------------
# Hartree-Fock and DFT (restricted, and broken-symmetry unrestricted), CCSD(T)
# --------------------------------------------------------------------------------------------

__all__ = ["CONVERGENCE", "DEFAULT_CARDINALS", "MAX_FCI_DETERMINANTS", "CasSolution",
           "TwoElectronSolution", "casscf_nevpt2", "cbs_correlation", "diatomic", "fci_atom",
           "fci_cbs_atom", "fci_cbs_curve", "fci_curve", "fci_determinants", "fci_energy",
           "molecule", "n_electrons", "nevpt2_atom", "nevpt2_cbs", "nevpt2_curve",
           "nevpt2_separated_limit", "pyscf_version", "small_matrix_threads", "two_electron_basis",
           "two_electron_basis_name", "two_electron_fci", "valence_active_space"]
