"""The helium pair potential of Przybytek, Cencek, Komasa, Lach, Jeziorski and Szalewicz,
Phys. Rev. Lett. 104, 183003 (2010): Born-Oppenheimer interaction energy with adiabatic,
relativistic and QED corrections and the retarded (Casimir-Polder) long-range tail; stated
uncertainty 0.06% at the minimum (about 7 mK of an 11 K well).

Form (atomic units: R in bohr, V in hartree)::

    V(R) = (P0 + P1 R + P2 R^2) exp(-a R) + (Q0 + Q1 R) exp(-b R)
           - sum_{n=3..16} f_n(eta R) C_n / R^n
           + [C3 + C4 / R + C6_BO (1 - g(alpha R)) / R^3] / R^3

with the Tang-Toennies damping f_n(x) = 1 - exp(-x) sum_{k=0..n} x^k / k!, alpha the fine
structure constant, and g(x) = (1 + sum A_k x^k) / (1 + sum B_k x^k) (k = 1..6) the retardation
function, whose A_k follow from the B_k and the relativistic long-range coefficients
W4 = C4/alpha^2 and AS3 = C3/alpha^3 and the Casimir-Polder K7 = 23/(4 pi) alpha_d^2 / alpha
(alpha_d: the static dipole polarizability of helium) so that the tail goes from -C6/R^6 to
-K7/R^7 (paper, Eqs. 2-4). C3, C4 and C5 are the small relativistic and QED terms.

Parameters: the authors' supplementary Fortran (``potentials.f90``), as transcribed in the
etomica molecular-simulation package (``P2HePCKLJS``, Shaul and Schultz), together with the
17 test energies of the authors' ``testEh.f90`` (bohr, hartree), which this module reproduces
to 1e-12 hartree relative (tests/test_published_potentials.py). The PRL itself prints only
the form; its supplementary material was not obtainable here, so the test values are the
authors' own as relayed by that transcription.
"""

from __future__ import annotations

import math

import numpy as np

#: Fine-structure constant as the authors' code uses it.
FINE_STRUCTURE = 1.0 / 137.036
#: Exponents of the short-range terms and of the damping (bohr^-1).
A_EXPONENT = 3.64890303652830
B_EXPONENT = 2.36824871743591
ETA = 4.09423805117871
#: Short-range polynomials (hartree, bohr).
P = (-25.4701669416621, 269.244425630616, -56.3879970402079)
Q = (38.7957487310071, -2.76577136772754)
#: Long-range coefficients C_n (hartree bohr^n); n absent: 0.
C = {3: 0.577235e-6, 4: -0.35322e-4, 5: 0.1377841e-5, 6: 1.461830, 8: 14.12350,
     10: 183.7497, 11: -0.7674e2, 12: 0.3372e4, 13: -0.3806e4, 14: 0.8534e5,
     15: -0.1707e6, 16: 0.286e7}
#: The Born-Oppenheimer C6 that the retardation function multiplies.
C6_BO = 1.460977837725
#: Static dipole polarizability of helium (bohr^3).
POLARIZABILITY = 1.38319217440
#: Denominator coefficients B_1..B_6 of the retardation function.
B_RETARDATION = (8.454943177941253, 16.006586066260556, 10.378373954734820,
                 3.515803817223855, 0.591502377533792, 0.059455768329599)
#: Shortest distance of the authors' test values (bohr); the fit turns spuriously negative
#: below about 0.3 bohr, so the potential is declared valid from here on.
R_MIN_BOHR = 1.0


def _retardation_numerator() -> tuple[float, ...]:
    """A_1..A_6 of g(x) from the B_k and the long-range constants (paper, Eq. 4)."""
    alpha = FINE_STRUCTURE
    w4 = -C[4] / alpha**2  # C4 = -W4 alpha^2
    as3 = C[3] / alpha**3
    k7 = 23.0 / (4.0 * math.pi) * POLARIZABILITY**2 / alpha
    ratio = alpha * k7 / C6_BO
    b1, b2, b3, _, b5, b6 = B_RETARDATION
    return (b1, b2 - w4 / C6_BO, b3 - b1 * w4 / C6_BO + as3 / C6_BO, ratio * b5, ratio * b6, 0.0)


A_RETARDATION = _retardation_numerator()


def _damping(n: int, x: np.ndarray) -> np.ndarray:
    """Tang-Toennies f_n(x) = 1 - exp(-x) sum_{k<=n} x^k / k!."""
    term = np.ones_like(x)
    total = np.ones_like(x)
    for k in range(1, n + 1):
        term = term * x / k
        total = total + term
    return 1.0 - np.exp(-x) * total


def energy_hartree(r_bohr) -> np.ndarray:
    """Interaction energy V(R) in hartree at R in bohr (no validity mask)."""
    r = np.asarray(r_bohr, float)
    short = ((P[0] + P[1] * r + P[2] * r**2) * np.exp(-A_EXPONENT * r)
             + (Q[0] + Q[1] * r) * np.exp(-B_EXPONENT * r))
    dispersion = sum(_damping(n, ETA * r) * c / r**n for n, c in C.items())
    x = FINE_STRUCTURE * r
    numerator = 1.0 + sum(a * x**k for k, a in enumerate(A_RETARDATION, start=1))
    denominator = 1.0 + sum(b * x**k for k, b in enumerate(B_RETARDATION, start=1))
    retarded = (C[3] + C[4] / r + C6_BO * (1.0 - numerator / denominator) / r**3) / r**3
    return short - dispersion + retarded


#: The authors' test values (testEh.f90): R (bohr) and V (hartree).
TEST_VALUES = (
    (1.00, 9.07505678537836e-01), (1.50, 3.30439541259472e-01), (2.00, 1.14486105544985e-01),
    (2.50, 3.78887051832271e-02), (3.00, 1.19356572795740e-02), (3.50, 3.51858623016233e-03),
    (4.00, 9.26991759357220e-04), (4.50, 1.85096029792210e-04), (5.00, -1.44666519197000e-06),
    (5.30, -2.89977763063000e-05), (5.60, -3.48209516983400e-05),
    (6.00, -3.06464226675000e-05), (6.50, -2.18216351894100e-05),
    (7.00, -1.46331763646000e-05), (8.00, -6.54141208063000e-06),
    (9.00, -3.13153787265000e-06), (12.00, -5.24252133480000e-07))
