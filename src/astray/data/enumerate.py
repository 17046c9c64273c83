"""Every neutral closed-shell molecule up to k heavy atoms, by growing molecular graphs with RDKit.

Start from the single heavy atoms (CH4, NH3, H2O, HF for C, N, O, F), then repeatedly add a
heavy atom with a single, double or triple bond to any atom, and raise the order of any bond or
close any ring. RDKit's valence rules (sanitisation) decide what exists; canonical SMILES
remove duplicates. Hydrogens fill the remaining valences. This is the graph part of what GDB
and VQM24 enumerate; whether a graph is a stable molecule is decided later, by optimising it
(see :mod:`astray.data.geometry`).
"""

from __future__ import annotations

import random

from astray.errors import DatasetError

DEFAULT_ELEMENTS = ("C", "N", "O", "F")
_BOND_ORDERS = (1, 2, 3)


def _sanitised_smiles(editable) -> str | None:
    """Canonical SMILES of a valid neutral closed-shell molecule, else None. (Sanitising may
    rewrite a hypervalent group into charge-separated form; only net-neutral results with no
    unpaired electron are kept.)"""
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    molecule = editable.GetMol()
    try:
        Chem.SanitizeMol(molecule)
    except (ValueError, RuntimeError):  # valence exceeded, impossible aromaticity
        return None
    with_hydrogens = Chem.AddHs(molecule)
    electrons = sum(atom.GetAtomicNum() for atom in with_hydrogens.GetAtoms())
    if (Chem.GetFormalCharge(molecule) != 0 or Descriptors.NumRadicalElectrons(molecule)
            or electrons % 2):
        return None
    return Chem.MolToSmiles(molecule)


def _single_atom(element: str) -> str:
    """The hydride of one heavy atom (CH4, NH3, ...), hydrogens from RDKit's default valence."""
    from rdkit import Chem

    editable = Chem.RWMol()
    editable.AddAtom(Chem.Atom(element))
    return _sanitised_smiles(editable)


def _with_one_more_atom(smiles: str, elements) -> set[str]:
    from rdkit import Chem

    molecule = Chem.MolFromSmiles(smiles)
    grown = set()
    for anchor in range(molecule.GetNumAtoms()):
        for element in elements:
            for order in _BOND_ORDERS:
                editable = Chem.RWMol(molecule)
                new = editable.AddAtom(Chem.Atom(element))
                editable.AddBond(anchor, new, Chem.BondType.values[order])
                if (found := _sanitised_smiles(editable)) is not None:
                    grown.add(found)
    return grown


def _with_one_more_bond(smiles: str) -> set[str]:
    """Molecules with one bond order raised by one or one new single bond (a ring closure)."""
    from rdkit import Chem

    molecule = Chem.MolFromSmiles(smiles)
    Chem.Kekulize(molecule, clearAromaticFlags=True)
    bonded = set()
    n_atoms = molecule.GetNumAtoms()
    for i in range(n_atoms):
        for j in range(i + 1, n_atoms):
            bond = molecule.GetBondBetweenAtoms(i, j)
            order = 0 if bond is None else int(bond.GetBondTypeAsDouble())
            if order >= 3:
                continue
            editable = Chem.RWMol(molecule)
            if bond is None:
                editable.AddBond(i, j, Chem.BondType.SINGLE)
            else:
                editable.GetBondBetweenAtoms(i, j).SetBondType(Chem.BondType.values[order + 1])
            if (found := _sanitised_smiles(editable)) is not None:
                bonded.add(found)
    return bonded


def _closed_under_bonding(molecules: set[str]) -> set[str]:
    frontier, closed = set(molecules), set(molecules)
    while frontier:
        new = set().union(*(_with_one_more_bond(s) for s in frontier)) - closed
        closed |= new
        frontier = new
    return closed


def enumerate_molecules(max_heavy_atoms: int, elements=DEFAULT_ELEMENTS) -> dict[int, list[str]]:
    """Canonical SMILES of every neutral closed-shell molecule with 1..``max_heavy_atoms`` heavy
    atoms of ``elements``, by heavy-atom count (each list sorted)."""
    from ase.data import atomic_numbers
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    unknown = [e for e in elements if e not in atomic_numbers or e in ("H", "X")]
    if unknown or not elements:
        raise DatasetError(f"unknown elements for enumeration: {', '.join(unknown) or 'none'}")
    if max_heavy_atoms < 1:
        raise DatasetError("--max-heavy-atoms must be at least 1")
    level = _closed_under_bonding({_single_atom(e) for e in elements})
    by_size = {1: sorted(level)}
    for size in range(2, max_heavy_atoms + 1):
        grown = set().union(*(_with_one_more_atom(s, elements) for s in level))
        level = _closed_under_bonding(grown)
        by_size[size] = sorted(level)
    return by_size


def candidate_molecules(max_heavy_atoms: int, elements=DEFAULT_ELEMENTS,
                        max_molecules: int | None = None, seed: int = 0) -> list[str]:
    """The molecules a build computes, in a reproducible order: all of the smaller sizes
    first, each size shuffled with ``seed``; the first ``max_molecules`` of that order."""
    ordered = []
    for size, molecules in sorted(enumerate_molecules(max_heavy_atoms, elements).items()):
        shuffled = list(molecules)
        random.Random(f"{seed}:{size}").shuffle(shuffled)
        ordered.extend(shuffled)
    return ordered[:max_molecules] if max_molecules else ordered
