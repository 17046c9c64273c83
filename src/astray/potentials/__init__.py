"""Energy sources behind one protocol (:class:`Potential`), looked up by the name a user types
(:func:`load_potential`), or given as a Potential or any ASE calculator."""

from astray.potentials.base import (
    PerStructurePotential,
    Potential,
    Prediction,
    charge_and_multiplicity,
)
from astray.potentials.catalogue import potential_catalogue
from astray.potentials.loading import known_potentials, load_potential

__all__ = ["PerStructurePotential", "Potential", "Prediction", "charge_and_multiplicity",
           "known_potentials", "load_potential", "potential_catalogue"]
