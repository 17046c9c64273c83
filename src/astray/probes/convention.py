"""The exact energy of an atom or atomic ion in a potential's energy convention.

A potential declares the zero of its energies
(:attr:`astray.potentials.base.Potential.energy_convention`):

``"total"``
    total energies with the method's own constant reference (DFT, xTB, foundation models, the
    exact reference itself): only differences mean anything, and a lone atom's energy has no
    exact value to compare with in that convention. Every function here gives None.
``"atomization"``
    relative to the neutral isolated atoms in their ground states (astray's checkpoints, trained
    on E - sum of neutral isolated-atom energies). A neutral atom is 0 exactly, and an ion lies
    where ionisation and electron attachment put it::

        E(A^q+) = IE_1 + IE_2 + ... + IE_q      (cation; q = Z, the bare nucleus: all Z of them)
        E(A^-)  = -EA                           (anion)

    E(H+) = 0.5 hartree = 13.6057 eV, E(H-) = -0.75514 eV, E(He+) = 24.5916 eV and
    E(He2+) = 2.903724 hartree = 79.0144 eV (relative to He), so the exact dissociation limit of
    H2 is 0, of H2+ (H + H+) 13.6057 eV and of HeH2+ (He+ + H+) 38.1973 eV.

The numbers, best first (IE_k removes the k-th electron, from the ion of charge k - 1):

* the last electron, k = Z, of a hydrogen-like ion: Z^2/2 hartree, exact (Born-Oppenheimer,
  non-relativistic, as astray's exact references), with HARTREE_EV from :mod:`astray.units`;
* the electron of a two-electron ion that leaves a hydrogen-like one (He IE_1, Li IE_2) and the
  electron affinity of H: from the exact two-electron energies of
  :data:`astray.atomic_data.TWO_ELECTRON_ATOM_ENERGY_HARTREE` (Nakashima and Nakatsuji 2007);
* otherwise the measured IE_1, IE_2 and EA of :mod:`astray.atomic_data` (NIST ASD, CRC), which
  differ from the exact non-relativistic values by a few meV for light atoms (He 24.587 against
  24.5916 eV), far inside the 0.1 eV of ``wrong-asymptote``.

None where astray has no number: a third ionisation energy (C3+), a dianion, a fragment in a
state other than its ground state, an element without data.

    >>> round(exact_atom_energy_ev("H", 1), 4), round(exact_atom_energy_ev("He", 2), 4)
    (13.6057, 79.0144)
"""

from __future__ import annotations

from collections.abc import Iterable

from ase.data import atomic_numbers

from astray.atomic_data import (
    ELECTRON_AFFINITY_EV,
    IONISATION_ENERGY_EV,
    TWO_ELECTRON_ATOM_ENERGY_HARTREE,
)
from astray.potentials.base import ENERGY_CONVENTIONS
from astray.systems import Fragment, ground_multiplicity
from astray.units import HARTREE_EV

__all__ = ["electron_affinity_ev", "exact_atom_energy_ev", "exact_dissociation_limit_ev",
           "ionisation_energy_ev"]


def _hydrogen_like_ev(z: int) -> float:
    """Exact energy of one electron bound to a nucleus of charge Z: -Z^2/2 hartree, in eV."""
    return -0.5 * z**2 * HARTREE_EV


def ionisation_energy_ev(symbol: str, k: int) -> float | None:
    """IE_k in eV, the energy to remove the k-th electron of ``symbol`` (from its ion of charge
    k - 1), 1 <= k <= Z: exact for the last electron and for a two-electron ion of the table,
    measured for IE_1 and IE_2 otherwise, None beyond."""
    z = atomic_numbers[symbol]
    if not 1 <= k <= z:
        raise ValueError(f"{symbol} has {z} electrons to remove, not a {k}th")
    if k == z:
        return -_hydrogen_like_ev(z)
    if k == z - 1 and symbol in TWO_ELECTRON_ATOM_ENERGY_HARTREE:
        return _hydrogen_like_ev(z) - TWO_ELECTRON_ATOM_ENERGY_HARTREE[symbol] * HARTREE_EV
    stages = IONISATION_ENERGY_EV.get(symbol, ())
    return stages[k - 1] if k <= len(stages) else None


def electron_affinity_ev(symbol: str) -> float | None:
    """EA in eV, the energy released when the neutral atom binds one more electron: exact for H
    (from H-), measured otherwise (0 where the anion is unbound), None without data."""
    z = atomic_numbers[symbol]
    if z == 1 and symbol in TWO_ELECTRON_ATOM_ENERGY_HARTREE:
        return _hydrogen_like_ev(z) - TWO_ELECTRON_ATOM_ENERGY_HARTREE[symbol] * HARTREE_EV
    return ELECTRON_AFFINITY_EV.get(symbol)


def _check_convention(convention: str) -> None:
    if convention not in ENERGY_CONVENTIONS:
        raise ValueError(f"unknown energy convention {convention!r}; the conventions are "
                         f"{', '.join(ENERGY_CONVENTIONS)}")


def exact_atom_energy_ev(symbol: str, charge: int = 0, multiplicity: int | None = None,
                         convention: str = "atomization") -> float | None:
    """Exact energy in eV of the atom or ion ``symbol`` with ``charge`` in its ground state
    (``multiplicity`` None or the ground one), in ``convention``: in ``"atomization"``, relative
    to the neutral atom (0 for it; the sum of IE_1 .. IE_q for a cation, -EA for an anion). None
    in ``"total"``, for another spin state, or where astray has no number (module docstring)."""
    _check_convention(convention)
    z = atomic_numbers[symbol]
    if charge > z:
        raise ValueError(f"{symbol} cannot have charge {charge:+d}: it has {z} electrons")
    if convention == "total":
        return None
    if multiplicity is not None and multiplicity != ground_multiplicity(z - charge):
        return None  # an excited state: no excitation energies here
    if charge == 0:
        return 0.0
    if charge < 0:
        affinity = electron_affinity_ev(symbol) if charge == -1 else None
        return None if affinity is None else -affinity
    stages = [ionisation_energy_ev(symbol, k) for k in range(1, charge + 1)]
    return None if None in stages else float(sum(stages))


def exact_dissociation_limit_ev(fragments: Iterable[Fragment],
                                convention: str = "atomization") -> float | None:
    """E(A) + E(B): the exact energy in eV of the separated fragments (a system's
    ``fragments``) in ``convention``; None where any of them has none."""
    energies = [exact_atom_energy_ev(f.symbol, f.charge, f.multiplicity, convention)
                for f in fragments]
    return None if None in energies else float(sum(energies))
