"""A physics prior around any energy model: exact nuclear repulsion, exact atomic limit.

``PhysicsPrior(base)`` wraps a local model (SchNet, PaiNN, ...) so that the two ends of every
dissociation curve are right by construction, whatever the base has learned:

    E = E_atoms(Z, Q)                         separated atoms, electrons placed optimally
      + sum_pairs k_e [q_a q_b + (Z_a Z_b - q_a q_b) phi(r/a) f_c(r)] / r
      + [N_electrons > 0] (E_base - E_base(isolated atoms) + sum_pairs V_learned(r; Z_a, Z_b, Q))

with k_e = e^2 / (4 pi eps0) = ``units.COULOMB_EV_ANGSTROM`` eV angstrom, phi the ZBL universal
screening function (phi(0) = 1) with screening length a = 0.8854 a0 / (Z_a^0.23 + Z_b^0.23),
f_c the cosine cutoff of the base (continuous slope at the cutoff) and V_learned a small
pair network of the radial basis, conditioned on the total charge Q, that vanishes at the cutoff.

**Atomic limit.** Each element has a ladder of one-electron levels eps_Z(k) = E(Z, k) - E(Z, k-1)
(k electrons on the nucleus): minus the first and second ionisation energies and the electron
affinity, the measured values of :mod:`astray.atomic_data` from which :mod:`astray.systems`
chooses the probe's fragments, the hydrogen-like -Z^2/2 hartree for the last electron, and a
linear interpolation for the inner stages in between (these matter only for ions with three or
more charges on one atom).
The levels rise with k, so the lowest-energy way to share N electrons among separated atoms is
to occupy the N lowest levels of the whole molecule: a cation's charge goes to the cheapest
ionisations, one at a time, an anion's extra electrons to the atoms of largest electron
affinity. That gives E_atoms and the integer charge q_a of every atom at infinite separation.
Energies are relative to the neutral isolated atoms (an atomization energy, as the training
targets): a neutral atom is 0, an ion its ionisation energies, a bare nucleus all of them.

**What that gives, exactly and for any weights:**

* No electrons (H2++): q_a = Z_a, the screened term vanishes, nothing learned is added, and
  E = sum k_e Z_a Z_b / r + sum of the atoms' total ionisation energies, so the probe's
  E(AB) - E(A) - E(B) is Coulomb's law at every r.
* With electrons, E r / (k_e Z_a Z_b) -> 1 as r -> 0: the learned terms are bounded there.
* Beyond the cutoff the screened and learned terms are zero: a dimer's energy is
  E(A, q_A) + E(B, q_B) + k_e q_A q_B / r, the separated ground-state fragments plus their
  Coulomb repulsion, which is the exact leading long-range term (HeH++ -> He+ + H+ + 1/R).

**Choices and limits for charged fragments.** The model places each electron from fixed atomic
data, never from the geometry, so the limit is the ground-state channel (HeH+ -> He + H+,
because He holds its electrons more tightly than H). Between equivalent atoms (H2+ -> H + H+) it
cannot know which side holds the electron; the atom listed first is ionised. For a dimer
that choice changes nothing (same energy, same q_A q_B), but for a polyatomic ion with two or
more charged atoms among equivalent ones the q_a q_b / r term depends on atom order, so its
energy is not permutation invariant; the integer charges of the atomic limit are also a fiction
inside a bonded molecular ion, where the real charge is shared. Beyond the cutoff the model has
only q_A q_B / r: no charge-induced dipole (-alpha q^2 / 2R^4, 8 meV for H + H+ at 5 angstrom),
no dispersion. The ionisation energies are experimental, not those of the training data's level
of theory, so a model trained on charged data inherits that mismatch at dissociation; on neutral
data (the study's) they cancel. The total charge reaches the learned pair term as a number per
molecule, so only charged training data can teach it anything. Elements are those with
ionisation data in :mod:`astray.atomic_data` (H to Ca, and Br).
"""
from __future__ import annotations

import numpy as np
import torch
from ase.data import atomic_numbers
from torch import nn

# The same ionisation energies and electron affinities that choose the probe's fragments, so the
# model's atomic limit and the probe's separated fragments are the same channel.
from astray.atomic_data import ELECTRON_AFFINITY_EV, IONISATION_ENERGY_EV
from astray.errors import SystemSpecError
from astray.models.layers import MAX_ATOMIC_NUMBER, cosine_cutoff, reset_linear, sinc_radial_basis
from astray.models.neighbors import radius_graph
from astray.units import BOHR_ANGSTROM, COULOMB_EV_ANGSTROM, HARTREE_EV

#: ZBL universal screening function: (coefficient, exponent) pairs; the coefficients sum to 1.
ZBL_TERMS = ((0.18175, 3.19980), (0.50986, 0.94229), (0.28022, 0.40290), (0.02817, 0.20162))
#: ZBL screening length numerator, 0.8854 bohr in angstrom.
ZBL_LENGTH_ANGSTROM = 0.8854 * BOHR_ANGSTROM


def zbl_screening(distance: torch.Tensor, z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """ZBL universal screening phi(r / a), a = 0.8854 a0 / (Z_a^0.23 + Z_b^0.23); phi(0) = 1.

    Args:
        distance: r, angstrom. z_a, z_b: atomic numbers, same shape.
    """
    z_a, z_b = z_a.to(distance.dtype), z_b.to(distance.dtype)
    x = distance * (z_a**0.23 + z_b**0.23) / ZBL_LENGTH_ANGSTROM
    return sum(coefficient * torch.exp(-exponent * x) for coefficient, exponent in ZBL_TERMS)


def electron_levels_ev(symbol: str) -> np.ndarray:
    """Levels eps(k) = E(k electrons) - E(k - 1 electrons) of an atom, k = 1 .. Z + 1, in eV.

    Minus the NIST first and second ionisation energies for k = Z and Z - 1, minus the electron
    affinity for k = Z + 1, the hydrogen-like -Z^2/2 hartree for k = 1 and, for 2 <= k <= Z - 2,
    a linear interpolation between k = 1 and k = Z - 1 (no measured values are tabulated here).
    """
    z = atomic_numbers[symbol]
    first, second = IONISATION_ENERGY_EV[symbol]
    levels = np.empty(z + 1)
    levels[z] = -ELECTRON_AFFINITY_EV[symbol]
    levels[z - 1] = -first
    if z >= 2:
        levels[z - 2] = -second
    if z >= 3:
        levels[: z - 2] = np.linspace(-z**2 * HARTREE_EV / 2, -second, z - 1)[:-1]
    return levels


def _atomic_tables() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per atomic number, in eV (inf for elements without data): the energy to remove the j-th
    electron from the neutral atom [Z, j - 1], the electron affinity [Z], and the energy with n
    electrons relative to the neutral atom [Z, n]."""
    z_max = max(atomic_numbers[s] for s in IONISATION_ENERGY_EV)
    ionisation = torch.full((MAX_ATOMIC_NUMBER, z_max), float("inf"), dtype=torch.float64)
    affinity = torch.full((MAX_ATOMIC_NUMBER,), float("inf"), dtype=torch.float64)
    relative = torch.full((MAX_ATOMIC_NUMBER, z_max + 2), float("inf"), dtype=torch.float64)
    for symbol in IONISATION_ENERGY_EV:
        z = atomic_numbers[symbol]
        levels = torch.from_numpy(electron_levels_ev(symbol))
        absolute = torch.cat([torch.zeros(1, dtype=torch.float64), levels.cumsum(0)])
        ionisation[z, :z] = -levels[:z].flip(0)
        affinity[z] = -levels[z]
        relative[z, : z + 2] = absolute - absolute[z]
    # Every atom binds its own electrons more tightly than any atom binds an extra one (lowest
    # first ionisation energy 4.3 eV, K; highest electron affinity 3.6 eV, Cl). So the separated
    # ground state of a cation only ionises atoms and that of an anion only adds one electron to
    # some atoms, which is what PhysicsPrior.atomic_limit computes.
    known = torch.isfinite(affinity)
    assert ionisation[known, 0].min() > affinity[known].max()
    return ionisation, affinity, relative


def _lowest_per_molecule(values: torch.Tensor, batch: torch.Tensor,
                         count: torch.Tensor) -> torch.Tensor:
    """Mask [n_atoms, d] of the count[m] lowest entries of the rows (atoms) of each molecule m.

    Ties go to the atom listed first. ``values`` [n_atoms, d] must rise along each row, so that
    the chosen entries of an atom are a prefix of its row.
    """
    flat = values.reshape(-1)
    molecule = batch.repeat_interleave(values.shape[1])
    order = torch.argsort(flat, stable=True)
    order = order[torch.argsort(molecule[order], stable=True)]
    size = torch.bincount(molecule, minlength=count.shape[0])
    first = torch.cumsum(size, 0) - size
    rank = torch.arange(flat.shape[0], device=flat.device) - first[molecule[order]]
    chosen = torch.zeros_like(flat, dtype=torch.bool)
    chosen[order] = rank < count[molecule[order]]
    return chosen.view_as(values)


class PhysicsPrior(nn.Module):
    """A local energy model with exact nuclear repulsion and an exact, charge-aware atomic limit.

    Args:
        base: the learned many-body model (any astray model with ``config["cutoff"]``);
            ``build_model`` builds it first when rebuilding a prior from its ``config``.
        energy_unit_ev: how many eV one output unit is; defaults to the base's and must agree
            with it (the base's output is added in these units).
        pair_channels: width of the charge-conditioned learned pair term.
        pair_rbf: number of sinc radial basis functions of the learned pair term.

    The neighbour graph is the base's: the cutoff is ``base.config["cutoff"]`` (angstrom).
    """

    architecture = "prior"

    def __init__(self, base: nn.Module, energy_unit_ev: float | None = None,
                 pair_channels: int = 32, pair_rbf: int = 16):
        super().__init__()
        base_unit = base.config["energy_unit_ev"]
        if energy_unit_ev is not None and energy_unit_ev != base_unit:
            raise ValueError(f"energy_unit_ev {energy_unit_ev} differs from the base model's "
                             f"{base_unit}; build the base with the same unit")
        self.base = base
        self.energy_unit_ev = float(base_unit)
        self.cutoff = float(base.config["cutoff"])
        self.pair_rbf = pair_rbf
        self.config = {"architecture": self.architecture, "base": dict(base.config),
                       "energy_unit_ev": self.energy_unit_ev, "pair_channels": pair_channels,
                       "pair_rbf": pair_rbf}
        ionisation, affinity, relative = _atomic_tables()
        self.register_buffer("ionisation_ev", ionisation, persistent=False)
        self.register_buffer("affinity_ev", affinity, persistent=False)
        self.register_buffer("relative_energy_ev", relative, persistent=False)
        self.pair_embedding = nn.Embedding(MAX_ATOMIC_NUMBER, pair_channels)
        self.pair_charge = nn.Linear(1, pair_channels, bias=False)
        self.pair_net = nn.Sequential(nn.SiLU(), nn.Linear(pair_channels, pair_channels),
                                      nn.SiLU(), nn.Linear(pair_channels, pair_rbf))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The learned pair term starts at exactly zero; the base keeps its own initialisation."""
        self.pair_embedding.reset_parameters()
        nn.init.xavier_uniform_(self.pair_charge.weight)
        reset_linear(self.pair_net[1])
        nn.init.zeros_(self.pair_net[3].weight)
        nn.init.zeros_(self.pair_net[3].bias)

    def atomic_limit(self, z: torch.Tensor, batch: torch.Tensor, charge: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """The separated-atom ground state of each molecule.

        A positive charge Q takes the Q cheapest ionisations (the next ionisation energy of an
        atom rises with its charge, so one at a time is optimal); a negative charge gives one
        extra electron each to the -Q atoms of largest electron affinity. Ties go to the atom
        listed first.

        Args:
            z: atomic numbers [n_atoms]. batch: molecule of each atom, sorted.
            charge: total charge of each molecule [n_molecules] (integers), elementary charges.

        Returns:
            (charge of each atom at infinite separation [n_atoms] (long), energy of the
            separated atoms relative to the neutral ones [n_molecules], eV).
        """
        n_molecules = charge.shape[0]
        charge = torch.round(charge).long()
        nuclear_charge = z.new_zeros(n_molecules).index_add(0, batch, z)
        n_atoms = torch.bincount(batch, minlength=n_molecules)
        unknown = torch.isinf(self.affinity_ev[z])
        if bool(unknown.any() | (charge > nuclear_charge).any() | (-charge > n_atoms).any()):
            if unknown.any():
                raise SystemSpecError(
                    f"the physics prior has no ionisation energies for atomic numbers "
                    f"{sorted(set(z[unknown].tolist()))}")
            raise SystemSpecError("a molecule's charge leaves a negative number of electrons or "
                                  "more than one extra electron per atom")
        atom_charge = torch.zeros_like(z)
        removals = charge.clamp(min=0)
        if bool(removals.any()):
            depth = min(int(removals.max()), self.ionisation_ev.shape[1])
            costs = self.ionisation_ev[z, :depth]
            atom_charge = atom_charge + _lowest_per_molecule(costs, batch, removals).sum(1)
        additions = (-charge).clamp(min=0)
        if bool(additions.any()):
            gains = -self.affinity_ev[z].unsqueeze(1)
            atom_charge = atom_charge - _lowest_per_molecule(gains, batch, additions).sum(1)
        atom_energy = self.relative_energy_ev[z, z - atom_charge]
        return atom_charge, atom_energy.new_zeros(n_molecules).index_add(0, batch, atom_energy)

    def forward(self, z: torch.Tensor, pos: torch.Tensor, batch: torch.Tensor,
                charge: torch.Tensor | None = None,
                edge_index: torch.Tensor | None = None) -> torch.Tensor:
        """Energies of a batch of molecules, in units of ``energy_unit_ev`` eV.

        Args:
            z: atomic numbers [n_atoms].
            pos: positions [n_atoms, 3], angstrom.
            batch: molecule index of each atom [n_atoms], sorted.
            charge: total charges [n_molecules], elementary charges; neutral when None.
            edge_index: [2, n_edges] pairs within the base's cutoff, both directions (as
                :func:`radius_graph` returns); computed when None.

        Returns:
            energies [n_molecules], relative to the neutral isolated atoms.
        """
        n_molecules = int(batch[-1]) + 1 if batch.numel() else 0
        if charge is None:
            charge = pos.new_zeros(n_molecules)
        if edge_index is None:
            edge_index = radius_graph(pos, batch, self.cutoff)
        atom_charge, atoms_ev = self.atomic_limit(z, batch, charge)
        has_electrons = z.new_zeros(n_molecules).index_add(0, batch, z - atom_charge) > 0
        coulomb = COULOMB_EV_ANGSTROM / self.energy_unit_ev
        learned = (self.base(z, pos, batch, edge_index=edge_index)
                   - self._isolated_base_energy(z, batch, n_molecules, pos))
        return ((atoms_ev / self.energy_unit_ev).to(pos.dtype)
                + coulomb * self._ion_coulomb(pos, batch, atom_charge, n_molecules)
                + self._pair_energy(z, pos, batch, charge, atom_charge, has_electrons, edge_index)
                + torch.where(has_electrons, learned, torch.zeros_like(learned)))

    def _pair_energy(self, z, pos, batch, charge, atom_charge, has_electrons, edge_index):
        """Screened nuclear repulsion plus the learned pair term, summed per molecule."""
        source, target = edge_index
        distance = (pos[source] - pos[target]).norm(dim=-1)
        cutoff_weight = cosine_cutoff(distance, self.cutoff)
        z_s, z_t = z[source], z[target]
        screened_charge = (z_s * z_t - atom_charge[source] * atom_charge[target]).to(pos.dtype)
        screened = (COULOMB_EV_ANGSTROM / self.energy_unit_ev * screened_charge
                    * zbl_screening(distance, z_s, z_t) * cutoff_weight / distance)
        molecule = batch[target]
        features = (self.pair_embedding(z_s) + self.pair_embedding(z_t)
                    + self.pair_charge(charge[molecule].to(pos.dtype).unsqueeze(-1)))
        radial = sinc_radial_basis(distance, self.pair_rbf, self.cutoff)
        learned = cutoff_weight * (self.pair_net(features) * radial).sum(-1)
        per_edge = screened + torch.where(has_electrons[molecule], learned,
                                          torch.zeros_like(learned))
        # Every pair appears in both directions.
        return 0.5 * pos.new_zeros(has_electrons.shape[0]).index_add(0, molecule, per_edge)

    def _isolated_base_energy(self, z, batch, n_molecules, pos) -> torch.Tensor:
        """Sum over each molecule's atoms of the base model's energy of that atom alone."""
        elements, element_of_atom = torch.unique(z, return_inverse=True)
        alone = self.base(elements, pos.new_zeros(elements.shape[0], 3),
                          torch.arange(elements.shape[0], device=z.device),
                          edge_index=torch.zeros(2, 0, dtype=torch.long, device=z.device))
        return alone.new_zeros(n_molecules).index_add(0, batch, alone[element_of_atom])

    @staticmethod
    def _ion_coulomb(pos, batch, atom_charge, n_molecules) -> torch.Tensor:
        """sum over pairs of charged atoms of q_a q_b / r (all distances), e^2/angstrom."""
        charged = torch.nonzero(atom_charge).squeeze(-1)
        source, target = radius_graph(pos[charged], batch[charged], float("inf"))
        source, target = charged[source], charged[target]
        distance = (pos[source] - pos[target]).norm(dim=-1)
        product = (atom_charge[source] * atom_charge[target]).to(pos.dtype)
        return 0.5 * pos.new_zeros(n_molecules).index_add(0, batch[target], product / distance)
