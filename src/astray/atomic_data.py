"""Measured atomic energies that decide where charge sits when a molecule dissociates.

Used twice, so that both agree on the separated channel: :mod:`astray.systems` chooses a
system's fragments (a positive charge leaves the atom that ionises more cheaply, a negative one
goes to the atom of larger electron affinity) and :class:`astray.models.PhysicsPrior` builds its
exact atomic limit from the same numbers.

Sources (both in eV, rounded to 1 meV, K and Br second ionisation to 10 meV):

* ionisation energies: NIST Atomic Spectra Database, ionisation-energy data
  (https://physics.nist.gov/PhysRefData/ASD/ionEnergy.html, Kramida, Ralchenko, Reader and the
  NIST ASD Team); the ASD version they were copied from was not recorded.
* electron affinities: the CRC Handbook of Chemistry and Physics table "Electron Affinities"
  (after Andersen, Haugen and Hotop, J. Phys. Chem. Ref. Data 28, 1511 (1999)), as NIST also
  lists them; the edition was not recorded. 0 where the anion is unbound (He, Be, N, Ne, Mg,
  Ar).

Atomic numbers, masses and radii come from ASE (:mod:`ase.data`), not from here.

Beside the measured values, the exact non-relativistic clamped-nucleus (Born-Oppenheimer) total
energies of the two-electron atoms and ions (TWO_ELECTRON_ATOM_ENERGY_HARTREE), the convention of
astray's exact references; the one-electron ions need no table (-Z^2/2 hartree).
:mod:`astray.probes.convention` prefers them to the measured energies where both exist.
"""

#: First and second ionisation energies, eV: the energy to remove the outermost electron of the
#: neutral atom, then of its cation. None: the atom has no second electron (H). Elements H to
#: Ca, and Br.
IONISATION_ENERGY_EV: dict[str, tuple[float, float | None]] = {
    "H": (13.598, None), "He": (24.587, 54.418), "Li": (5.392, 75.640), "Be": (9.323, 18.211),
    "B": (8.298, 25.155), "C": (11.260, 24.383), "N": (14.534, 29.601), "O": (13.618, 35.121),
    "F": (17.423, 34.971), "Ne": (21.565, 40.963), "Na": (5.139, 47.286), "Mg": (7.646, 15.035),
    "Al": (5.986, 18.829), "Si": (8.152, 16.346), "P": (10.487, 19.770), "S": (10.360, 23.338),
    "Cl": (12.968, 23.814), "Ar": (15.760, 27.630), "K": (4.341, 31.63), "Ca": (6.113, 11.872),
    "Br": (11.814, 21.80),
}
#: Electron affinities, eV: the energy released when the neutral atom binds one more electron;
#: the same elements as IONISATION_ENERGY_EV.
ELECTRON_AFFINITY_EV: dict[str, float] = {
    "H": 0.754, "He": 0.0, "Li": 0.618, "Be": 0.0, "B": 0.280, "C": 1.262, "N": 0.0, "O": 1.461,
    "F": 3.401, "Ne": 0.0, "Na": 0.548, "Mg": 0.0, "Al": 0.433, "Si": 1.390, "P": 0.746,
    "S": 2.077, "Cl": 3.613, "Ar": 0.0, "K": 0.501, "Ca": 0.025, "Br": 3.364,
}

#: Exact non-relativistic clamped-nucleus ground-state energies, hartree, of the atom or ion of
#: each element that has two electrons (1s^2 1S): H-, He, Li+. Nakashima and Nakatsuji,
#: J. Chem. Phys. 127, 224104 (2007) (free complement method, 40 digits and more; rounded here
#: to 1e-15). With the hydrogen-like -Z^2/2 they give, in hartree, the electron affinity of H
#: (0.027751016544, 0.75514 eV; measured 0.754), the first ionisation energy of He
#: (0.903724377034, 24.5916 eV; measured 24.587) and the second of Li (2.779913412669,
#: 75.6453 eV; measured 75.640): the measured values add relativity and the finite nuclear mass.
TWO_ELECTRON_ATOM_ENERGY_HARTREE: dict[str, float] = {
    "H": -0.527751016544377, "He": -2.903724377034120, "Li": -7.279913412669306,
}

__all__ = ["ELECTRON_AFFINITY_EV", "IONISATION_ENERGY_EV", "TWO_ELECTRON_ATOM_ENERGY_HARTREE"]
