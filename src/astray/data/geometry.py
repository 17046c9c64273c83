"""Structures of a molecule: an optimised stable geometry and distorted variants of it.

Stable: RDKit ETKDG embedding, MMFF pre-optimisation, then a GFN2-xTB (tblite) minimisation to
``fmax`` eV/angstrom. A molecule whose bond graph changes during the minimisation is not a stable
molecule at that level (it rearranged or fell apart) and is reported, not kept.

Distorted: one bond pushed in (``compressed``, factor 0.70-0.90 of its length) or pulled out
(``stretched``, factor 1.25-2.50): the part of the molecule on one side of an acyclic bond moves
rigidly along the bond, so that bond alone changes; in a ring only the far atom moves. Or
``normal-mode`` sampling: random displacements along the GFN2-xTB normal modes, each mode with
a harmonic energy drawn as at ``temperature`` kelvin (as for the ANI data sets).
"""

from __future__ import annotations

import re

import numpy as np
from ase import Atoms

from astray.errors import DatasetError

STRETCH_FACTORS = (1.25, 2.50)
COMPRESS_FACTORS = (0.70, 0.90)
#: Two atoms are bonded when closer than this times the sum of their covalent radii.
BOND_TOLERANCE = 1.25
#: A distorted structure with two atoms (other than the distorted bond) closer than this times
#: the sum of their covalent radii is unphysical (moving one atom of a ring can push it into
#: another) and is not kept.
CLASH_TOLERANCE = 0.7


class UnstableMolecule(Exception):
    """The molecule rearranged or dissociated while being optimised."""


def embed(smiles: str, seed: int) -> Atoms:
    """A 3D structure (angstrom) of ``smiles`` with hydrogens: ETKDG then MMFF (or UFF)."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    molecule = Chem.MolFromSmiles(smiles)
    if molecule is None:
        raise DatasetError(f"RDKit cannot read SMILES {smiles!r}")
    molecule = Chem.AddHs(molecule)
    parameters = AllChem.ETKDGv3()
    parameters.randomSeed = seed
    if AllChem.EmbedMolecule(molecule, parameters) != 0:
        parameters.useRandomCoords = True
        if AllChem.EmbedMolecule(molecule, parameters) != 0:
            raise UnstableMolecule(f"RDKit could not embed {smiles}")
    if AllChem.MMFFHasAllMoleculeParams(molecule):
        AllChem.MMFFOptimizeMolecule(molecule, maxIters=500)
    else:
        AllChem.UFFOptimizeMolecule(molecule, maxIters=500)
    numbers = [atom.GetAtomicNum() for atom in molecule.GetAtoms()]
    return Atoms(numbers=numbers, positions=molecule.GetConformer().GetPositions())


def bond_graph(atoms: Atoms) -> set[tuple[int, int]]:
    """Pairs (i < j) closer than BOND_TOLERANCE times the sum of covalent radii."""
    from ase.data import covalent_radii

    radii = covalent_radii[atoms.numbers]
    distances = atoms.get_all_distances()
    i, j = np.nonzero(np.triu(distances < BOND_TOLERANCE * (radii[:, None] + radii[None, :]), 1))
    return set(zip(i.tolist(), j.tolist()))


def xtb_calculator(charge: int = 0, multiplicity: int = 1):
    """A GFN2-xTB ASE calculator (tblite), quiet."""
    from tblite.ase import TBLite

    return TBLite(method="GFN2-xTB", charge=charge, multiplicity=multiplicity, verbosity=0)


def optimise(atoms: Atoms, fmax: float = 0.01, steps: int = 500) -> Atoms:
    """GFN2-xTB minimum (forces below ``fmax`` eV/angstrom) with the same bond graph as
    ``atoms``; raises :class:`UnstableMolecule` when the graph changes or it does not converge."""
    from ase.calculators.calculator import CalculationFailed
    from ase.optimize import BFGS

    before = bond_graph(atoms)
    relaxed = atoms.copy()
    relaxed.calc = xtb_calculator()
    try:
        converged = BFGS(relaxed, logfile=None).run(fmax=fmax, steps=steps)
    except CalculationFailed as error:
        raise UnstableMolecule(f"GFN2-xTB failed during the optimisation ({error})") from None
    if not converged:
        raise UnstableMolecule(f"GFN2-xTB optimisation did not converge in {steps} steps")
    if bond_graph(relaxed) != before:
        raise UnstableMolecule("bond graph changed during GFN2-xTB optimisation")
    return Atoms(numbers=relaxed.numbers, positions=relaxed.positions)


def _side_of_bond(bonds: set[tuple[int, int]], i: int, j: int, n_atoms: int) -> list[int] | None:
    """Atoms reachable from ``j`` without crossing bond (i, j); None when (i, j) is in a ring."""
    neighbours = {k: set() for k in range(n_atoms)}
    for a, b in bonds:
        if {a, b} != {i, j}:
            neighbours[a].add(b)
            neighbours[b].add(a)
    side, frontier = {j}, [j]
    while frontier:
        for k in neighbours[frontier.pop()] - side:
            side.add(k)
            frontier.append(k)
    return None if i in side else sorted(side)


def distort_bond(atoms: Atoms, kind: str, rng: np.random.Generator) -> tuple[Atoms, str]:
    """``atoms`` with one randomly chosen bond compressed or stretched; returns the structure
    and a description (bond, factor) for its origin record."""
    bonds = sorted(bond_graph(atoms))
    if not bonds:
        raise UnstableMolecule("no bond to distort")
    i, j = bonds[rng.integers(len(bonds))]
    if rng.random() < 0.5:
        i, j = j, i
    low, high = STRETCH_FACTORS if kind == "stretched" else COMPRESS_FACTORS
    factor = float(rng.uniform(low, high))
    moving = _side_of_bond(set(bonds), i, j, len(atoms)) or [j]
    vector = atoms.positions[j] - atoms.positions[i]
    distorted = atoms.copy()
    distorted.positions[moving] += (factor - 1.0) * vector
    symbols = atoms.get_chemical_symbols()
    return distorted, f"{kind} {symbols[i]}{i}-{symbols[j]}{j} x{factor:.3f}"


def clashes(atoms: Atoms, allowed: tuple[int, int] | None = None) -> bool:
    """True when two atoms other than the pair ``allowed`` (the bond that was compressed) are
    closer than CLASH_TOLERANCE times the sum of their covalent radii."""
    from ase.data import covalent_radii

    radii = covalent_radii[atoms.numbers]
    close = atoms.get_all_distances() < CLASH_TOLERANCE * (radii[:, None] + radii[None, :])
    np.fill_diagonal(close, False)
    if allowed is not None:
        close[allowed[0], allowed[1]] = close[allowed[1], allowed[0]] = False
    return bool(close.any())


def distorted_bond(origin: str) -> tuple[int, int] | None:
    """The atom pair of a bond distortion from its origin record (``"... stretched C0-H5 x1.43"``)."""
    match = re.search(r"(?:stretched|compressed) [A-Z][a-z]?(\d+)-[A-Z][a-z]?(\d+) x", origin)
    return (int(match.group(1)), int(match.group(2))) if match else None


def normal_mode_sample(atoms: Atoms, rng: np.random.Generator,
                       temperature: float = 500.0) -> tuple[Atoms, str]:
    """One structure displaced along the GFN2-xTB normal modes, as in ANI's normal-mode sampling:
    internal mode k gets the harmonic energy E_k = c_k * 3/2 N k_B T (c drawn uniformly and
    normalised to sum 1, random sign). ``temperature`` in kelvin."""
    from ase.units import kB

    sqrt_mass = np.repeat(np.sqrt(atoms.get_masses()), 3)
    mass_weighted = _xtb_hessian(atoms) / np.outer(sqrt_mass, sqrt_mass)
    curvatures, vectors = np.linalg.eigh(mass_weighted)  # omega^2 in eV / (angstrom^2 amu)
    # the 3N-6 (3N-5 if linear) stiffest modes; translations and rotations have ~0 curvature
    n_internal = 3 * len(atoms) - (5 if _is_linear(atoms) else 6)
    internal = np.argsort(curvatures)[-n_internal:]
    shares = rng.random(n_internal)
    shares /= shares.sum()
    energies = shares * 1.5 * len(atoms) * kB * temperature
    # E = 1/2 omega^2 Q^2 for the mass-weighted normal coordinate Q; x = Q e_k / sqrt(m)
    amplitudes = np.sqrt(2 * energies / np.abs(curvatures[internal]))
    signs = rng.choice((-1.0, 1.0), size=n_internal)
    displacement = (vectors[:, internal] * (signs * amplitudes)).sum(axis=1) / sqrt_mass
    sample = atoms.copy()
    sample.positions += displacement.reshape(-1, 3)
    return sample, f"normal-mode T={temperature:.0f}K"


def _is_linear(atoms: Atoms) -> bool:
    if len(atoms) < 3:
        return True
    centred = atoms.positions - atoms.positions.mean(axis=0)
    return np.linalg.svd(centred, compute_uv=False)[1] < 1e-3


def _xtb_hessian(atoms: Atoms, delta: float = 0.005) -> np.ndarray:
    """GFN2-xTB Hessian (eV/angstrom^2, [3N, 3N]) by central differences of forces."""
    probe = atoms.copy()
    probe.calc = xtb_calculator()
    n = 3 * len(atoms)
    hessian = np.zeros((n, n))
    for index in range(n):
        atom, axis = divmod(index, 3)
        columns = []
        for sign in (1, -1):
            probe.positions[atom, axis] += sign * delta
            columns.append(-probe.get_forces().ravel())
            probe.positions[atom, axis] -= sign * delta
        hessian[index] = (columns[0] - columns[1]) / (2 * delta)
    return 0.5 * (hessian + hessian.T)
