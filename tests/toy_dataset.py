"""A toy data set for tests: ten small molecules, each compressed, stable and stretched.

Energies are a toy model, not quantum chemistry: the total energy is the sum of the isolated-atom
energies below plus one Morse term per bond, E_b = D [(1 - exp(-a (r - r0)))^2 - 1] with D = 4 eV,
a = 2 / A and r0 the bond's length in ASE's G2 equilibrium geometry, with the matching forces.
So the "stable" structures (the G2 geometries) are minima with atomization energy -D per bond,
the "compressed" (all coordinates scaled by 0.8, 0.9) and "stretched" (1.25, 1.6) ones lie above,
and energies, forces and atomization energies are mutually consistent.

Tests import :func:`toy_atoms` / :func:`write_toy_extxyz`; ``python tests/toy_dataset.py OUT``
writes the extxyz file.
"""

import sys

import ase.io
import numpy as np
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator
from ase.neighborlist import natural_cutoffs, neighbor_list

MOLECULES = ("H2", "HF", "H2O", "NH3", "CH4", "CO", "N2", "HCN", "C2H4", "CH3OH")
SCALES = {"compressed": (0.8, 0.9), "stable": (1.0,), "stretched": (1.25, 1.6)}
#: Toy isolated-atom energies (eV); H is the exact -0.5 hartree, the others are round numbers.
ATOM_ENERGIES_EV = {"H": -13.605693, "C": -1027.0, "N": -1484.0, "O": -2041.0, "F": -2712.0}
WELL_DEPTH_EV = 4.0
STIFFNESS_PER_ANGSTROM = 2.0


def bond_energy_and_forces(positions, bonds, lengths):
    """Sum of the Morse bond terms (eV) and the forces (eV/A) for bonds (i, j) of rest
    lengths r0 (A)."""
    i, j = bonds.T
    vectors = positions[i] - positions[j]
    r = np.linalg.norm(vectors, axis=1)
    decay = np.exp(-STIFFNESS_PER_ANGSTROM * (r - lengths))
    energy = WELL_DEPTH_EV * np.sum((1 - decay) ** 2 - 1)
    slope = 2 * WELL_DEPTH_EV * STIFFNESS_PER_ANGSTROM * (1 - decay) * decay  # dE_b/dr
    forces = np.zeros_like(positions)
    np.add.at(forces, i, -(slope / r)[:, None] * vectors)
    np.add.at(forces, j, (slope / r)[:, None] * vectors)
    return energy, forces


def toy_atoms() -> list:
    """The 50 structures, each with a SinglePointCalculator (energy eV, forces eV/A) and
    ``info`` holding charge, multiplicity, kind and origin."""
    frames = []
    for name in MOLECULES:
        for kind, scales in SCALES.items():
            for scale in scales:
                atoms = molecule(name)
                first, second, lengths = neighbor_list("ijd", atoms,
                                                       natural_cutoffs(atoms, mult=1.2))
                bonds = np.stack([first, second], axis=1)[first < second]
                atoms.positions *= scale
                binding, forces = bond_energy_and_forces(atoms.positions, bonds,
                                                         lengths[first < second])
                atoms.calc = SinglePointCalculator(
                    atoms, energy=binding + sum(ATOM_ENERGIES_EV[s] for s in atoms.symbols),
                    forces=forces)
                atoms.info.update(charge=0, multiplicity=1, kind=kind,
                                  origin=f"toy:{name}:{scale}")
                frames.append(atoms)
    return frames


def write_toy_extxyz(path) -> None:
    """Write the toy set with ASE's extxyz writer."""
    ase.io.write(path, toy_atoms(), format="extxyz")


if __name__ == "__main__":
    write_toy_extxyz(sys.argv[1])
