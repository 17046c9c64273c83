"""GFN2-xTB through tblite: a semiempirical tight-binding method that knows charge and spin.

Each structure is an isolated (non-periodic) molecule or ion with the total charge and
``uhf = multiplicity - 1`` unpaired electrons (plain GFN2-xTB: the spin only fixes the orbital
occupations, there is no spin-polarisation term; tblite's default electronic temperature,
300 K, is kept). Structures are evaluated one after the other in-process (tblite has no batch
call, and a GFN2 single point on a diatomic takes well under a millisecond on one thread).

Two bare protons (no electrons) are evaluated as tblite evaluates them: the SCF is trivial and
the energy is GFN2's classical part (repulsion, damped electrostatics, dispersion, self-energy
shifts), which is finite but not Coulomb's 1/r at short range. That is the method's answer, so
it is reported, not replaced by NaN. A structure whose SCF does not converge, or that tblite
rejects (an impossible charge/spin, an element it lacks), gets NaN and a warning. With tblite's
defaults this happens for stretched polar bonds (measured on the default grids: LiH beyond 5 A,
HF beyond 2.8 A, CO beyond 3.4 A, F2 at 3.1-3.5 A, Li2 at 8.5 A); a slower mixer or more
iterations did not help, so the points stay NaN rather than get a changed method.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from ase import Atoms

from astray.potentials.base import PerStructurePotential, Prediction, charge_and_multiplicity
from astray.units import BOHR_ANGSTROM, HARTREE_EV

METHOD = "GFN2-xTB"


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Run tblite on one OpenMP thread. A diatomic is far too small to share out, and OpenMP
    threads that spin-wait on a busy machine made a 42-structure batch take seconds instead of
    ~10 ms. A no-op where the OpenMP runtime is not GNU's."""
    try:
        openmp = ctypes.CDLL("libgomp.so.1")  # the runtime already loaded (tblite's or torch's)
        previous = openmp.omp_get_max_threads()
    except (OSError, AttributeError):
        yield
        return
    openmp.omp_set_num_threads(1)
    try:
        yield
    finally:
        openmp.omp_set_num_threads(previous)


class XtbPotential(PerStructurePotential):
    """GFN2-xTB single points; energies in eV, forces in eV/A."""

    family = "xtb"
    charge_aware = True
    spin_aware = True
    level_of_theory = METHOD
    level_of_theory_reference = None

    def __init__(self, name: str = "xtb"):
        super().__init__(name)
        from tblite.interface import Calculator  # fail at load time if tblite is missing

        self._calculator_class = Calculator

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return f"{METHOD} (tblite {version('tblite')})"

    def single_point(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Energy (eV) and forces (eV/A) of one isolated structure; raises on tblite errors."""
        charge, multiplicity = charge_and_multiplicity(atoms)
        calculator = self._calculator_class(
            METHOD, atoms.numbers, atoms.positions / BOHR_ANGSTROM, charge=charge,
            uhf=multiplicity - 1, logger=lambda message: None)  # tblite prints by default
        calculator.set("verbosity", 0)
        result = calculator.singlepoint()
        energy = float(result.get("energy")) * HARTREE_EV
        forces = -np.asarray(result.get("gradient")) * HARTREE_EV / BOHR_ANGSTROM
        return energy, forces

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        with one_openmp_thread():
            return super().evaluate(structures)
