"""PySCF as a potential: Hartree-Fock, any Kohn-Sham functional, or CCSD(T), in any basis.

``PyscfPotential("pyscf:pbe/def2-svp")``: the spec after ``pyscf:`` is ``METHOD/BASIS`` with
METHOD ``hf``, ``ccsd(t)`` or a density functional PySCF knows (``pbe``, ``b3lyp``,
``wb97m-v`` ...). Each structure is an isolated molecule with its total charge and spin
multiplicity (``atoms.info["charge"]`` / ``["spin"]``) and is solved as the reference curves of
the same method are (:mod:`astray.reference.scf`, :mod:`astray.reference.ccsd_t`): restricted
for closed shells, plus broken-symmetry unrestricted for singlets of several atoms, keeping the
lower (stability checked); unrestricted for open shells. So a PBE potential dissociates H2 to
two atoms, and its curve is the ``dft:pbe/...`` reference curve point for point.

Energies in eV; forces in eV/A from analytic gradients for HF and DFT; CCSD(T) gives energies
only (``forces`` is None). A structure whose SCF (or coupled-cluster iteration) does not
converge gets NaN energy, NaN forces and a ``RuntimeWarning`` with the reason (the loop of
:class:`astray.potentials.base.PerStructurePotential`). Structures without electrons (bare
nuclei) get their Coulomb repulsion and its forces.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from astray.errors import AstrayError, PotentialError
from astray.potentials.base import PerStructurePotential, charge_and_multiplicity
from astray.units import BOHR_ANGSTROM, HARTREE_EV


def _coulomb_energy_and_forces(atoms: Atoms) -> tuple[float, np.ndarray]:
    """Repulsion (eV) and forces (eV/A) of bare point nuclei."""
    from astray.units import COULOMB_EV_ANGSTROM

    z = atoms.numbers.astype(float)
    xyz = atoms.positions
    energy, forces = 0.0, np.zeros((len(atoms), 3))
    for i in range(len(atoms)):
        for j in range(i):
            d = xyz[i] - xyz[j]
            r = float(np.linalg.norm(d))
            energy += COULOMB_EV_ANGSTROM * z[i] * z[j] / r
            f = COULOMB_EV_ANGSTROM * z[i] * z[j] * d / r**3
            forces[i] += f
            forces[j] -= f
    return energy, forces


class PyscfPotential(PerStructurePotential):
    """HF, DFT or CCSD(T) single points with PySCF; charge- and spin-aware."""

    family = "pyscf"
    charge_aware = True
    spin_aware = True
    is_own_level_of_theory = True  # it computes the method it names
    #: The wavefunction methods it computes; any other METHOD of METHOD/BASIS is a functional.
    wavefunction_methods = ("hf", "ccsd(t)")

    def __init__(self, name: str = "pyscf:pbe/def2-svp"):
        super().__init__(name)
        spec = name.split(":", 1)[1] if name.lower().startswith("pyscf:") else name
        method, _, basis = spec.strip().partition("/")
        method, basis = method.strip().lower(), basis.strip().lower()
        if not method or not basis:
            raise PotentialError(
                f"potential {name!r}: write pyscf:METHOD/BASIS, e.g. pyscf:pbe/def2-svp, "
                "pyscf:hf/cc-pvdz or pyscf:ccsd(t)/cc-pvdz")
        from astray.level_of_theory import LevelOfTheory

        try:
            self.level = LevelOfTheory.of_method(method, basis, self.wavefunction_methods)
        except AstrayError as error:
            raise PotentialError(f"potential {name!r}: {error}") from None
        self.method = method
        self.basis = basis
        self.functional = self.level.functional  # None for HF and CCSD(T)
        self.level_of_theory = f"{self.level.describe()} (PySCF)"
        self.level_of_theory_reference = self.level.canonical

    @property
    def version(self) -> str:
        from astray.reference.pyscf_tools import pyscf_version

        return f"pyscf {pyscf_version()}"

    @property
    def has_forces(self) -> bool:
        """Analytic gradients: HF and DFT (self-consistent fields), not CCSD(T)."""
        return self.level.self_consistent_field

    def single_point(self, atoms: Atoms) -> tuple[float, np.ndarray | None]:
        """Energy (eV) and forces (eV/A, None for CCSD(T)) of one structure. Raises
        ``RuntimeError`` when it does not converge, :class:`PotentialError` for a structure
        the basis cannot describe."""
        from astray.errors import ReferenceUnavailableError
        from astray.reference.ccsd_t import ccsd_t_energy
        from astray.reference.pyscf_tools import molecule
        from astray.reference.scf import scf_gradient, scf_solution

        charge, multiplicity = charge_and_multiplicity(atoms)
        try:
            mol = molecule(atoms.get_chemical_symbols(), atoms.positions / BOHR_ANGSTROM,
                           charge, multiplicity, self.basis)
        except ReferenceUnavailableError as error:
            raise PotentialError(f"{self.name}: {error}") from None
        if mol.nelectron == 0:
            energy, forces = _coulomb_energy_and_forces(atoms)
            return energy, forces if self.has_forces else None
        if not self.level.self_consistent_field:  # CCSD(T), the one other method it computes
            energy, _ = ccsd_t_energy(mol)
            return energy * HARTREE_EV, None
        mf = scf_solution(mol, self.functional)
        gradient = scf_gradient(mf)
        return float(mf.e_tot) * HARTREE_EV, -gradient * HARTREE_EV / BOHR_ANGSTROM

    def describe(self) -> dict:
        return {**super().describe(), "method": self.method, "basis": self.basis,
                "level_of_theory_reference": self.level_of_theory_reference,
                "reference": "restricted, or broken-symmetry unrestricted where lower"}


__all__ = ["PyscfPotential"]
