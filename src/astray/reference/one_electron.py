"""Exact Born-Oppenheimer energy of one electron bound to two nuclei (H2+, HeH2+, He2 3+, ...).

System and units
----------------
Nuclei of charges Z1 and Z2 (any real Z > 0) a distance R apart (bohr), one electron (hartree)::

    H = -1/2 nabla^2 - Z1/r1 - Z2/r2,        E(R) = E_el(R) + Z1 Z2 / R

``one_electron_energy`` returns the total energy E(R) of the ground state (1s sigma; 1s sigma_g
for Z1 = Z2), nuclear repulsion included. It is exact within the clamped-nuclei (Born-Oppenheimer)
approximation, non-relativistic, to about 1e-13 relative (1e-12 hartree for Z <= 3).
This is the ``exact-one-electron`` reference family (:data:`EXACT_ONE_ELECTRON`), its stated
accuracy 1e-7 kcal/mol (1e-12 hartree, checked against a 30-digit independent solver).

Separation of the Schroedinger equation
---------------------------------------
Prolate spheroidal coordinates, the nuclei being the foci::

    xi  = (r1 + r2) / R   in [1, inf)
    eta = (r1 - r2) / R   in [-1, 1]      (eta = -1 on nucleus 1, eta = +1 on nucleus 2)

With psi = X(xi) Y(eta) exp(i m phi), m = 0 for sigma states, and

    p^2 = -E_el R^2 / 2,    a = R (Z1 + Z2),    b = R (Z1 - Z2),

the equation splits, with a separation constant A, into

    d/dxi  [(xi^2 - 1) dX/dxi ] + ( A + a xi  - p^2 xi^2 ) X = 0     X regular at 1, -> 0 at inf
    d/deta [(1 - eta^2) dY/deta] + (-A - b eta + p^2 eta^2) Y = 0     Y regular at eta = +-1

(eta -> -eta swaps the nuclei and the sign of b, so the energy depends on b only through b^2.)

For a given p each equation alone fixes A: A_xi(p) and A_eta(p), the ground (nodeless) solution
being the top of each spectrum. The energy is the p at which the two agree. By Hellmann-Feynman,
d(A_xi - A_eta)/d(p^2) = <xi^2>_X - <eta^2>_Y > 0 (as xi >= 1 >= |eta|), so the mismatch
A_xi(p) - A_eta(p) has exactly one root between the united-atom and separated-atom bounds

    -(Z1 + Z2)^2 / 2  <  E_el  <  -max(Z1, Z2)^2 / 2,  i.e.  R max(Z1, Z2)/2 < p < R (Z1 + Z2)/2,

and Brent's method finds it to machine precision in about seven steps.

Angular equation (eta): Legendre expansion, Y = sum_l c_l Pn_l(eta) with Pn_l the normalised
Legendre polynomials. Using the matrix elements of eta and eta^2,

    <l|L|l>   = -l (l + 1) + p^2 (2 l^2 + 2 l - 1) / ((2 l - 1)(2 l + 3))
    <l+1|L|l> = -b (l + 1) / sqrt((2 l + 1)(2 l + 3))
    <l+2|L|l> = p^2 (l + 1)(l + 2) / ((2 l + 3) sqrt((2 l + 1)(2 l + 5)))

of L = d/deta (1 - eta^2) d/deta - b eta + p^2 eta^2 (so L Y = A Y), A_eta is the largest
eigenvalue of this symmetric five-diagonal matrix. b = 0 (Z1 = Z2) keeps the even-l (gerade)
and odd-l (ungerade) functions apart; the top eigenvalue is the gerade one (at large R the two
meet within rounding, as the g-u splitting of the energy, ~ R exp(-R), does).

Radial equation (xi): Jaffe's expansion, which builds in the decay at infinity,

    X = (xi + 1)^sigma exp(-p xi) sum_n g_n x^n,    x = (xi - 1)/(xi + 1),    sigma = a/(2p) - 1

turns the equation into the three-term recurrence

    (n + 1)^2 g_{n+1} + [A - p^2 + (2p + 1) sigma - 2 n^2 + 2 n (sigma - 2p)] g_n
        + (n - 1 - sigma)^2 g_{n-1} = 0,

i.e. T g = -A g with T tridiagonal. The off-diagonal products (n+1)^2 (n-sigma)^2 are >= 0, so
T is similar to the symmetric tridiagonal matrix with off-diagonal (n + 1)|n - sigma|, and
-A_xi is its largest eigenvalue. Truncating after N terms is Leaver's continued fraction cut
at depth N. The diagonal grows like -2 n^2, so the eigenvalue is found by LAPACK bisection to
full relative accuracy rather than to (machine epsilon) * |T|.

Truncation: the Jaffe series converges slowly for small p (the decay length 1/p of X is long
compared with the distance 2 from xi = 1 to the singular point xi = -1), so N = 40 + 4/p terms
with p at its lower bound (at most 200); the Legendre series needs about p + 20 terms. Runs with
600 and 1.5 p + 60 terms change E_el by less than 2e-13 of itself for 0.001 <= R <= 300 bohr
and 0.3 <= Z <= 10.

Long range
----------
The series grow with R (about R (Z1 + Z2) / 2 Legendre terms: 10^6 at R = 10^6 bohr, which ran
for over 400 s) and lose digits beyond ~1000 bohr. From ``LONG_RANGE_FROM_BOHR`` = 300 bohr
(159 angstrom) on, the energy is the multipole expansion: the electron on the nucleus of the
larger charge Zb (a hydrogen-like ion, -Zb^2/2), the other nucleus Zs seeing its net charge
Zb - 1, and the ion polarised by the field Zs / R^2 (dipole polarisability 9 / (2 Zb^4))::

    E(R) = -Zb^2/2 + Zs (Zb - 1) / R - 9 Zs^2 / (4 Zb^4 R^4) + O(R^-6)

(for H2+, -1/2 - 9/(4 R^4); the g-u splitting, ~ R exp(-R), is below 1e-100 there). The next
term, -15 Zs^2 / (2 Zb^6 R^6), is below 1.1e-14 hartree at 300 bohr; measured against the
series at 300 bohr the two agree within 4e-14 hartree for (Z1, Z2) = (1, 1), (2, 1), (3, 1) and
(2, 2).

Literature
----------
G. Jaffe, Z. Phys. 87, 535 (1934): the radial expansion.
D. R. Bates, K. Ledsham and A. L. Stewart, Phil. Trans. R. Soc. A 246, 215 (1953): the
separated equations, Legendre expansion of Y, tables for H2+.
M. M. Madsen and J. M. Peek, At. Data 2, 171 (1971): H2+ eigenvalues, e.g. E_el(2 bohr) =
-1.1026342144949 hartree.
E. W. Leaver, J. Math. Phys. 27, 1238 (1986): continued-fraction solution for any Z1, Z2.
"""

import numpy as np
from ase.data import atomic_numbers
from scipy.linalg import eig_banded, eigvalsh_tridiagonal
from scipy.optimize import brentq

from astray.errors import ReferenceUnavailableError
from astray.reference.family import ReferenceFamily

#: Most terms kept in Jaffe's radial series (reached for p < 0.025: R < 0.05 bohr for H2+).
_MAX_JAFFE_TERMS = 200
#: From this separation (bohr) on, the long-range expansion replaces the series (docstring).
LONG_RANGE_FROM_BOHR = 300.0


def one_electron_energy(z1: float, z2: float, r_bohr) -> np.ndarray | float:
    """Total BO energy in hartree (electronic + Z1*Z2/R) of the ground 1s-sigma state.

    One electron and two nuclei of charges ``z1``, ``z2`` (> 0, need not be integers) at
    separations ``r_bohr`` (bohr, > 0). Symmetric in z1 and z2. A scalar separation gives a float,
    an array gives an array of the same shape. See the module docstring for the method; from
    LONG_RANGE_FROM_BOHR on, the long-range expansion (exact to 1e-14 hartree there).
    """
    z1, z2 = float(z1), float(z2)
    if not (np.isfinite(z1) and np.isfinite(z2) and z1 > 0.0 and z2 > 0.0):
        raise ValueError(f"nuclear charges must be finite and > 0, got Z1={z1}, Z2={z2}")
    r = np.asarray(r_bohr, dtype=float)
    if not np.all(np.isfinite(r) & (r > 0.0)):
        raise ValueError(f"separations must be finite and > 0 bohr, got min {np.min(r)}")
    total = np.array([_long_range_energy(z1, z2, ri) if ri >= LONG_RANGE_FROM_BOHR
                      else _electronic_energy(z1, z2, ri) + z1 * z2 / ri
                      for ri in r.ravel()]).reshape(r.shape)
    return float(total) if total.ndim == 0 else total


def _long_range_energy(z1, z2, r):
    """Total energy (hartree) at separations of LONG_RANGE_FROM_BOHR and more: the electron on
    the larger charge, its ion polarised by the other nucleus (module docstring)."""
    big, small = max(z1, z2), min(z1, z2)
    return -0.5 * big**2 + small * (big - 1.0) / r - 2.25 * small**2 / (big**4 * r**4)


def _electronic_energy(z1, z2, r):
    """E_el = -2 p^2 / R^2 at the p where the radial and angular separation constants agree."""
    a = r * (z1 + z2)
    b = r * (z1 - z2)
    p_min = 0.5 * r * max(z1, z2)  # separated atoms: E_el = -max(Z)^2 / 2
    p_max = 0.5 * a  # united atom: E_el = -(Z1 + Z2)^2 / 2
    n_xi = min(_MAX_JAFFE_TERMS, 40 + int(4.0 / p_min))
    n_eta = int(p_max) + 20

    def mismatch(p):
        return (_radial_separation_constant(p, a, n_xi)
                - _angular_separation_constant(p, b, n_eta))

    p = brentq(mismatch, p_min, p_max, xtol=1e-15 * p_min, rtol=4.0 * np.finfo(float).eps)
    return -2.0 * p * p / (r * r)


def _angular_separation_constant(p, b, n):
    """A_eta: top eigenvalue of L = d/deta (1-eta^2) d/deta - b eta + p^2 eta^2 (n terms)."""
    ell = np.arange(n, dtype=float)
    band = np.zeros((3, n))  # lower band storage: band[k, l] = <l+k|L|l>
    band[0] = (-ell * (ell + 1)
               + p * p * (2 * ell**2 + 2 * ell - 1) / ((2 * ell - 1) * (2 * ell + 3)))
    ell1 = ell[:-1]
    band[1, :-1] = -b * (ell1 + 1) / np.sqrt((2 * ell1 + 1) * (2 * ell1 + 3))
    ell2 = ell[:-2]
    band[2, :-2] = (p * p * (ell2 + 1) * (ell2 + 2)
                    / ((2 * ell2 + 3) * np.sqrt((2 * ell2 + 1) * (2 * ell2 + 5))))
    top = eig_banded(band, lower=True, eigvals_only=True, select="i", select_range=(n - 1, n - 1))
    return top[0]


def _radial_separation_constant(p, a, n):
    """A_xi: minus the top eigenvalue of the symmetrised n-term Jaffe recurrence matrix."""
    k = np.arange(n, dtype=float)
    sigma = a / (2.0 * p) - 1.0
    diagonal = -p * p + (2 * p + 1) * sigma - 2 * k * k + 2 * k * (sigma - 2 * p)
    off_diagonal = (k[:-1] + 1) * np.abs(k[:-1] - sigma)
    top = eigvalsh_tridiagonal(
        diagonal, off_diagonal, select="i", select_range=(n - 1, n - 1),
        lapack_driver="stebz", tol=np.finfo(float).tiny,
    )
    return -top[0]


def _check(label: str, electrons: int) -> None:
    if electrons != 1:
        raise ReferenceUnavailableError(
            f"method 'exact-one-electron' needs exactly one electron; {label} has {electrons}")


def _atom(symbol: str, charge: int, multiplicity: int, level) -> float:
    """The hydrogen-like ion: -Z^2 / 2 hartree."""
    electrons = atomic_numbers[symbol] - charge
    if electrons != 1:
        raise ReferenceUnavailableError(
            f"exact-one-electron needs one electron; {symbol}{charge:+d} has {electrons}")
    return -0.5 * atomic_numbers[symbol] ** 2


def _curve(symbols, r_bohr, charge, multiplicity, level, r_start):
    z1, z2 = (atomic_numbers[s] for s in symbols)
    return np.asarray(one_electron_energy(z1, z2, r_bohr), float), {}


#: The exact one-electron Born-Oppenheimer energy (H2+, HeH2+), to 1e-12 hartree.
EXACT_ONE_ELECTRON = ReferenceFamily(
    name="exact-one-electron", atom=_atom, curve=_curve, check=_check,
    accuracy_kcal_mol=1e-7, uses_pyscf=False,
    describe=lambda level: ("exact one-electron Born-Oppenheimer energy (separated spheroidal "
                            "equations), to 1e-12 hartree"))
