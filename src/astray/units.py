"""Physical constants and conversion factors (CODATA, through ``scipy.constants``).

Nothing else in astray defines a physical constant. Units at every boundary are ASE's:
angstrom for lengths, eV for energies, eV/angstrom for forces. Quantum-chemistry code works in
atomic units (hartree, bohr) internally and converts with these factors
(``energy_hartree * HARTREE_EV``).
"""

from scipy import constants as _c

#: 1 hartree in eV.
HARTREE_EV: float = _c.physical_constants["Hartree energy in eV"][0]
#: 1 bohr in angstrom.
BOHR_ANGSTROM: float = _c.physical_constants["Bohr radius"][0] * 1e10
#: 1 kcal/mol in eV (thermochemical calorie).
KCAL_MOL_EV: float = _c.calorie * 1e3 / _c.N_A / _c.e
#: 1 eV in kcal/mol.
EV_KCAL_MOL: float = 1.0 / KCAL_MOL_EV
#: 1 hartree in kcal/mol.
HARTREE_KCAL_MOL: float = HARTREE_EV * EV_KCAL_MOL
#: Coulomb constant e^2 / (4 pi eps0) in eV * angstrom: two unit charges at r angstrom repel
#: with COULOMB_EV_ANGSTROM / r eV (14.3996 eV A = 332.0637 kcal/mol A = 1 hartree bohr).
COULOMB_EV_ANGSTROM: float = HARTREE_EV * BOHR_ANGSTROM
#: 1 hartree in cm^-1 (for vibrational frequencies).
HARTREE_INVERSE_CM: float = _c.physical_constants["hartree-inverse meter relationship"][0] / 100.0
#: 1 eV in cm^-1.
EV_INVERSE_CM: float = HARTREE_INVERSE_CM / HARTREE_EV
#: Atomic mass unit in electron masses (for harmonic frequencies from curvature).
AMU_ELECTRON_MASS: float = _c.physical_constants["atomic mass constant"][0] / _c.m_e

