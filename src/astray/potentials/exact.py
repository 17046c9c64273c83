"""The reference itself as a potential: a sanity baseline that must pass every check.

Diatomics get the total energy of the best reference method for their system (Coulomb for bare
nuclei, the exact one-electron solution, FCI/CBS for two electrons, ...), read from the shipped
references or the store and computed only when missing. A lone atom or ion gets the fragment
energy of the same method as the diatomic it belongs to in the batch, so that
E(AB) - E(A) - E(B) is exactly the reference curve.

Its energies are total energies (``energy_convention = "total"``): a lone H is about -13.6 eV,
not 0, so it is judged on its curves alone, like every total-energy method.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from ase import Atoms

from astray import __version__
from astray.errors import PotentialError
from astray.potentials.base import Potential, Prediction, charge_and_multiplicity
from astray.reference import reference_curve
from astray.reference.methods import total_energy
from astray.systems import make_diatomic


class ExactPotential(Potential):
    """Exact or best-available reference energies (no forces)."""

    family = "reference"
    is_the_reference = True
    charge_aware = True
    spin_aware = True
    level_of_theory = "exact / best available reference (astray.reference)"
    energy_convention = "total"
    # a lone atom's energy is that of the method of the molecule it comes with in the call
    independent_structures = False

    @property
    def version(self) -> str:
        return f"astray {__version__}"

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        energies = np.full(len(structures), np.nan)
        by_system, atoms_at = defaultdict(list), {}
        for index, atoms in enumerate(structures):
            charge, multiplicity = charge_and_multiplicity(atoms)
            if len(atoms) == 2:
                system = make_diatomic(*atoms.get_chemical_symbols(), charge, multiplicity)
                by_system[system].append((index, float(atoms.get_distance(0, 1))))
            elif len(atoms) == 1:
                atoms_at[index] = (atoms.get_chemical_symbols()[0], charge, multiplicity)
            else:
                raise PotentialError("the exact potential treats diatomics and atoms only")
        fragment_energy = {}
        for system, items in by_system.items():
            curve = reference_curve(system, [r for _, r in items])
            energies[[i for i, _ in items]] = curve.total_energy_ev
            for fragment, energy in zip(system.fragments, curve.fragment_energy_ev):
                fragment_energy[(fragment.symbol, fragment.charge, fragment.multiplicity)] = energy
        for index, key in atoms_at.items():
            if key not in fragment_energy:
                symbol, charge, multiplicity = key
                fragment_energy[key] = total_energy([symbol], [[0.0, 0.0, 0.0]], charge,
                                                    multiplicity, "best")
            energies[index] = fragment_energy[key]
        return Prediction(energy=energies, forces=None)
