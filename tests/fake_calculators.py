"""ASE calculators that misbehave on purpose, for tests of the probe's failure handling."""

import numpy as np
from ase.calculators.calculator import Calculator, all_changes


def morse_h2(r: float) -> float:
    """A Morse stand-in for H2 (eV, angstrom): D_e 4.75, a 1.94, r_e 0.74, zero at infinity."""
    return float(4.75 * ((1 - np.exp(-1.94 * (r - 0.74))) ** 2 - 1))


class _DiatomicCalculator(Calculator):
    """0 for a lone atom, ``energy(r)`` for a pair at distance r (angstrom)."""

    implemented_properties = ["energy"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        lone = len(self.atoms) == 1
        self.results["energy"] = 0.0 if lone else self.energy(self.atoms.get_distance(0, 1))


class NaNBelowHalfAngstrom(_DiatomicCalculator):
    """Morse-like H2 energy (eV), but NaN when the atoms are closer than 0.5 A."""

    def energy(self, r: float) -> float:
        return float("nan") if r < 0.5 else morse_h2(r)


class FlakyChargeReader(Calculator):
    """E = r + 10 * charge (eV, r in A; 0 + 10 * charge for one atom): reads the charge from
    ``atoms.info``, raises below 0.5 A and returns NaN beyond 5 A."""

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        r = self.atoms.get_distance(0, 1) if len(self.atoms) == 2 else 0.0
        if len(self.atoms) == 2 and r < 0.5:
            raise RuntimeError("too close")
        energy = np.nan if r > 5.0 else r + 10 * self.atoms.info.get("charge", 0)
        self.results = {"energy": energy, "forces": np.zeros((len(self.atoms), 3))}


class AbsurdAtShortRange(_DiatomicCalculator):
    """Morse H2 (eV), but -2.8e17 eV at 0.2 A (as a PaiNN returned for H2 there)."""

    def energy(self, r: float) -> float:
        return -2.8e17 if r < 0.21 else morse_h2(r)
