"""The physics prior: exact Coulomb without electrons, exact 1/r wall, exact atomic limit.

Every check runs with an untrained (random) base, and around both PaiNN and SchNet: the prior
must get these facts right by construction, not by training.
"""
import json
import math

import numpy as np
import pytest
import torch

from astray.errors import ModelError, SystemSpecError
from astray.models import ARCHITECTURES, build_model, config_from_axes, reads_charge
from astray.models.painn import PaiNN
from astray.models.prior import PhysicsPrior, electron_levels_ev, zbl_screening
from astray.models.schnet import SchNet
from astray.systems import CATALOGUE, get_system
from astray.units import COULOMB_EV_ANGSTROM, HARTREE_EV

CUTOFF = 4.0
BASES = {"painn": lambda: PaiNN(hidden_channels=16, num_interactions=2, num_rbf=8, cutoff=CUTOFF),
         "schnet": lambda: SchNet(hidden_channels=16, num_filters=16, num_interactions=2,
                                  num_gaussians=10, cutoff=CUTOFF)}


def _randomise_learned_pair(prior: PhysicsPrior) -> None:
    """The pair term starts at zero; give it weights so that the checks are not vacuous."""
    generator = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for parameter in prior.pair_net[3].parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))


@pytest.fixture(params=sorted(BASES))
def prior(request):
    torch.manual_seed(0)
    model = PhysicsPrior(BASES[request.param]()).double()
    _randomise_learned_pair(model)
    return model


def _energy(model, symbols, r, charge, grad=False):
    """Energy (and forces) of one atom, or of a dimer along x at r angstrom."""
    z = torch.tensor([_Z[s] for s in symbols])
    dtype = model.pair_charge.weight.dtype
    pos = torch.zeros(len(symbols), 3, dtype=dtype)
    if len(symbols) == 2:
        pos[1, 0] = r
    pos.requires_grad_(grad)
    energy = model(z, pos, torch.zeros(len(symbols), dtype=torch.long),
                   torch.tensor([float(charge)], dtype=dtype))
    if not grad:
        return float(energy)
    (gradient,) = torch.autograd.grad(energy.sum(), pos)
    return float(energy), -gradient


_Z = {"H": 1, "He": 2, "Li": 3, "C": 6, "N": 7, "O": 8, "F": 9}
DISTANCES = np.geomspace(0.1, 20.0, 25)


def _binding(model, system_name, r):
    """E(AB) - E(A) - E(B) with the catalogue's fragments, as the probe computes it."""
    system = get_system(system_name)
    a, b = system.fragments
    return (_energy(model, system.symbols, r, system.charge)
            - _energy(model, [a.symbol], 0.0, a.charge) - _energy(model, [b.symbol], 0.0, b.charge))


def test_two_protons_repel_by_coulombs_law_at_every_distance(prior):
    for r in DISTANCES:
        assert _binding(prior, "H2++", r) == pytest.approx(COULOMB_EV_ANGSTROM / r, rel=1e-6)
        # Energies are relative to neutral atoms: each bare proton carries H's ionisation energy.
        assert _energy(prior, ["H", "H"], r, 2) == pytest.approx(
            COULOMB_EV_ANGSTROM / r + 2 * 13.598, rel=1e-12)


def test_nothing_learned_acts_without_electrons(prior):
    pos = torch.tensor([[0.0, 0.0, 0.0], [0.7, 0.0, 0.0]], dtype=torch.float64)
    energy = prior(torch.tensor([1, 1]), pos, torch.zeros(2, dtype=torch.long),
                   torch.tensor([2.0], dtype=torch.float64))
    gradients = torch.autograd.grad(energy.sum(), list(prior.parameters()), allow_unused=True)
    assert all(g is None or g.abs().max() == 0 for g in gradients)


def test_two_protons_in_single_precision(prior):
    model = prior.float()
    for r in (0.1, 1.0, 20.0):
        assert _binding(model, "H2++", r) == pytest.approx(COULOMB_EV_ANGSTROM / r, rel=1e-5)


def test_energy_unit_converts_the_coulomb_law():
    torch.manual_seed(0)
    unit = 25 * 0.0433641  # 25 kcal/mol in eV, as for the study's TAE/25 target
    model = PhysicsPrior(PaiNN(8, 1, 4, CUTOFF, energy_unit_ev=unit)).double()
    assert _binding(model, "H2++", 1.5) == pytest.approx(COULOMB_EV_ANGSTROM / 1.5 / unit,
                                                         rel=1e-9)


@pytest.mark.parametrize("symbols", [("H", "H"), ("He", "H"), ("C", "O")])
def test_bare_nuclear_repulsion_at_short_range(prior, symbols):
    z_a, z_b = (_Z[s] for s in symbols)
    ratios = [_energy(prior, symbols, r, 0) * r / (z_a * z_b * COULOMB_EV_ANGSTROM)
              for r in (1e-3, 1e-4, 1e-5, 1e-6)]
    assert abs(ratios[-1] - 1.0) < 1e-4
    assert np.all(np.diff(np.abs(np.array(ratios) - 1.0)) < 0)  # converging


@pytest.mark.parametrize("system_name", ["H2", "H2+", "HeH+", "LiH", "N2", "CO"])
def test_separated_fragments_are_additive_beyond_the_cutoff(prior, system_name):
    for r in (CUTOFF + 1e-3, CUTOFF + 2.0, 30.0):
        assert abs(_binding(prior, system_name, r)) < 1e-6


def test_two_charged_fragments_keep_their_coulomb_repulsion(prior):
    """HeH++ -> He+ + H+: beyond the cutoff only the fragments' own 1/R remains."""
    for r in (CUTOFF + 1e-3, 8.0, 30.0):
        assert _binding(prior, "HeH++", r) == pytest.approx(COULOMB_EV_ANGSTROM / r, rel=1e-9)


def test_atomic_limit_matches_the_probe_fragments_of_the_catalogue(prior):
    checked = 0
    for system in CATALOGUE.values():
        if not all(s in _Z for s in system.symbols):
            continue
        z = torch.tensor(system.atomic_numbers)
        charges, energy = prior.atomic_limit(z, torch.zeros(2, dtype=torch.long),
                                             torch.tensor([float(system.charge)]))
        assert sorted(charges.tolist()) == sorted(f.charge for f in system.fragments), system.name
        checked += 1
    assert checked >= 5


def test_atomic_limit_energies_are_ionisation_energies(prior):
    z = torch.tensor([2, 1, 1, 1, 8])
    batch = torch.tensor([0, 0, 1, 1, 2])
    charges, energy = prior.atomic_limit(z, batch, torch.tensor([2.0, 1.0, -1.0]))
    assert charges.tolist() == [1, 1, 1, 0, -1]  # He+ + H+; H+ + H (the first H ionised); O-
    assert energy.tolist() == pytest.approx([24.587 + 13.598, 13.598, -1.461], abs=1e-12)


def test_electron_levels_rise_and_end_hydrogen_like():
    for symbol in ("H", "He", "Li", "C", "O", "Cl", "Br"):
        levels = electron_levels_ev(symbol)
        assert np.all(np.diff(levels) > 0), symbol
    assert electron_levels_ev("Li")[0] == pytest.approx(-9 * HARTREE_EV / 2)
    assert electron_levels_ev("He").tolist() == [-54.418, -24.587, 0.0]


def test_zbl_screening_is_one_at_contact_and_decays():
    r = torch.tensor([0.0, 0.1, 1.0, 3.0], dtype=torch.float64)
    phi = zbl_screening(r, torch.tensor([1, 1, 1, 1]), torch.tensor([1, 1, 1, 1]))
    assert float(phi[0]) == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(phi.numpy()) < 0)
    # Universal screening length of H-H: 0.8854 a0 / 2 = 0.2343 angstrom.
    x = 1.0 / (0.8854 * 0.529177210903 / 2)
    expected = sum(c * math.exp(-d * x) for c, d in
                   ((0.18175, 3.1998), (0.50986, 0.94229), (0.28022, 0.4029), (0.02817, 0.20162)))
    assert float(phi[2]) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("system_name", ["H2", "H2+", "H2++", "HeH++"])
def test_forces_are_finite_everywhere_and_continuous_at_the_cutoff(prior, system_name):
    system = get_system(system_name)
    for r in (1e-4, 1e-2, 0.5, 1.0, 3.0, CUTOFF - 1e-6, CUTOFF + 1e-6, 10.0):
        _, forces = _energy(prior, system.symbols, r, system.charge, grad=True)
        assert torch.isfinite(forces).all(), r
        torch.testing.assert_close(forces[0], -forces[1])
    _, inside = _energy(prior, system.symbols, CUTOFF - 1e-6, system.charge, grad=True)
    _, outside = _energy(prior, system.symbols, CUTOFF + 1e-6, system.charge, grad=True)
    assert float((inside - outside).abs().max()) < 1e-4


def test_polyatomic_forces_invariance_and_finite_differences(prior):
    generator = torch.Generator().manual_seed(3)
    z = torch.tensor([6, 1, 1, 8, 1, 7, 1])
    batch = torch.tensor([0, 0, 0, 0, 1, 1, 1])
    pos = 1.1 * torch.randn(7, 3, generator=generator, dtype=torch.float64)
    charge = torch.tensor([0.0, 1.0], dtype=torch.float64)

    def energy_and_forces(positions, order=None):
        order = torch.arange(7) if order is None else order
        positions = positions[order].clone().requires_grad_(True)
        energy = prior(z[order], positions, batch[order], charge)
        return energy.detach(), -torch.autograd.grad(energy.sum(), positions)[0]

    energy, forces = energy_and_forces(pos)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    energy_r, forces_r = energy_and_forces(pos @ q.T + 2.0)
    torch.testing.assert_close(energy_r, energy, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(forces_r, forces @ q.T, rtol=1e-9, atol=1e-9)
    order = torch.tensor([2, 0, 3, 1, 6, 4, 5])
    energy_p, forces_p = energy_and_forces(pos, order)
    torch.testing.assert_close(energy_p, energy, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(forces_p, forces[order], rtol=1e-9, atol=1e-9)
    step = 1e-5
    for atom, axis in [(0, 0), (3, 2), (5, 1)]:
        plus, minus = pos.clone(), pos.clone()
        plus[atom, axis] += step
        minus[atom, axis] -= step
        derivative = float((prior(z, plus, batch, charge) - prior(z, minus, batch, charge)).sum())
        assert -derivative / (2 * step) == pytest.approx(float(forces[atom, axis]), rel=1e-6)


def test_total_charge_reaches_the_learned_pair_term(prior):
    pos = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    energy = prior(torch.tensor([2, 1]), pos, torch.zeros(2, dtype=torch.long),
                   torch.tensor([1.0], dtype=torch.float64))
    (gradient,) = torch.autograd.grad(energy.sum(), prior.pair_charge.weight)
    assert gradient.abs().max() > 0


def test_unknown_elements_and_impossible_charges_are_named_errors(prior):
    pos = torch.zeros(1, 3, dtype=torch.float64)
    with pytest.raises(SystemSpecError, match="26"):
        prior(torch.tensor([26]), pos, torch.zeros(1, dtype=torch.long))
    with pytest.raises(SystemSpecError, match="electrons"):
        prior(torch.tensor([1]), pos, torch.zeros(1, dtype=torch.long),
              torch.tensor([-2.0], dtype=torch.float64))
    with pytest.raises(SystemSpecError, match="electrons"):
        prior(torch.tensor([1]), pos, torch.zeros(1, dtype=torch.long),
              torch.tensor([2.0], dtype=torch.float64))


def test_config_nests_the_base_and_rebuilds_the_same_model(prior):
    config = json.loads(json.dumps(prior.config))
    assert config["architecture"] == "prior"
    assert config["base"] == prior.base.config
    assert config["energy_unit_ev"] == 1.0
    torch.manual_seed(0)
    original = PhysicsPrior(BASES[config["base"]["architecture"]]())
    torch.manual_seed(0)
    rebuilt = build_model(config)
    assert isinstance(rebuilt, PhysicsPrior) and rebuilt.config == prior.config
    for (name, a), (_, b) in zip(original.state_dict().items(), rebuilt.state_dict().items()):
        assert torch.equal(a, b), name


def test_energy_unit_must_agree_with_the_base():
    with pytest.raises(ValueError, match="energy_unit_ev"):
        PhysicsPrior(PaiNN(8, 1, 4, CUTOFF), energy_unit_ev=2.0)
    config = PhysicsPrior(PaiNN(8, 1, 4, CUTOFF, energy_unit_ev=2.0)).config
    assert config["energy_unit_ev"] == 2.0
    with pytest.raises(ModelError, match="energy_unit_ev"):
        build_model({**config, "energy_unit_ev": 1.0})


def test_the_registry_says_what_each_model_reads_and_builds_it_from_the_axes():
    """Only the prior reads the total charge, around either base, and that is true of the
    models: H2 and H2+ at 1 A get one energy from a bare base and two from its prior (which
    adds H's ionisation energy, 13.6 eV). The axes build each architecture; an unknown one is
    refused."""
    z, batch = torch.tensor([1, 1, 1, 1]), torch.tensor([0, 0, 1, 1])
    pos = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]] * 2, dtype=torch.float64)
    charge = torch.tensor([0.0, 1.0], dtype=torch.float64)
    for name in ARCHITECTURES:
        base = config_from_axes(name, 16, 2, CUTOFF, 1.0)
        prior = config_from_axes(name, 16, 2, CUTOFF, 1.0, prior=True)
        assert base["architecture"] == name and prior == {"architecture": "prior", "base": base}
        assert not reads_charge(base) and reads_charge(prior)
        for config in (base, prior):
            energy = build_model(config).double()(z, pos, batch, charge).detach()
            assert bool(energy[0] != energy[1]) == reads_charge(config), config
    with pytest.raises(ModelError, match="unknown model 'transformer'"):
        config_from_axes("transformer", 16, 2, CUTOFF, 1.0)
