"""The PySCF potential: energies, analytic forces, charge and spin, failures as NaN."""

import numpy as np
import pytest
from ase import Atoms

from astray.errors import PotentialError
from astray.potentials import load_potential
from astray.potentials.pyscf_qc import PyscfPotential
from astray.reference.methods import compute_reference
from astray.store import Store
from astray.systems import get_system
from astray.units import COULOMB_EV_ANGSTROM


def h2(r: float, charge: int = 0, spin: int = 1) -> Atoms:
    return Atoms("H2", positions=[[0.0, 0.0, 0.0], [0.0, 0.0, r]],
                 info={"charge": charge, "spin": spin})


def assert_forces_are_minus_gradient(potential, r, step=1e-3, tolerance=2e-3):
    """Forces against the central difference of the energy: the mean of the forces at
    r - step and r + step equals -(E(r + step) - E(r - step)) / (2 step) to O(step^2)."""
    prediction = potential.evaluate([h2(r + step), h2(r - step)])
    e, forces = prediction.energy, prediction.forces
    derivative = (e[0] - e[1]) / (2 * step)  # dE/dr, eV/A; r is z of the second atom
    mean_force = 0.5 * (forces[0] + forces[1])
    assert mean_force[1, 2] == pytest.approx(-derivative, abs=tolerance)
    for force in forces:
        np.testing.assert_allclose(force[0], -force[1], atol=1e-8)  # Newton's third law
        np.testing.assert_allclose(force[:, :2], 0.0, atol=1e-8)  # along the bond


def test_load_and_describe():
    potential = load_potential("pyscf:pbe/def2-svp")
    assert isinstance(potential, PyscfPotential)
    assert potential.family == "pyscf" and potential.charge_aware and potential.spin_aware
    assert potential.version.startswith("pyscf ")
    assert potential.level_of_theory_reference == "dft:pbe/def2-svp"
    assert load_potential("pyscf:hf/cc-pvdz").level_of_theory_reference == "hf/cc-pvdz"
    assert load_potential("pyscf:ccsd(t)/cc-pvdz").level_of_theory_reference == "ccsd(t)/cc-pvdz"
    assert potential.level_of_theory == "PBE/def2-svp (PySCF)"
    assert load_potential("pyscf:CCSD(T)/cc-pVDZ").level_of_theory == "CCSD(T)/cc-pvdz (PySCF)"
    # it computes the level of theory it names; a model is not its own level of theory
    assert potential.is_own_level_of_theory and not load_potential("exact").is_own_level_of_theory


@pytest.mark.parametrize("spec, message", [
    ("pyscf:nonsense/def2-svp", "unknown density functional"),
    ("pyscf:pbe/no-such-basis", "unknown basis set"),
    ("pyscf:pbe", "METHOD/BASIS"),
])
def test_bad_specs_raise_one_line_potential_errors(spec, message):
    with pytest.raises(PotentialError, match=message) as error:
        load_potential(spec)
    assert "\n" not in str(error.value)


def test_dft_forces_are_minus_energy_derivative():
    assert_forces_are_minus_gradient(PyscfPotential("pyscf:pbe/def2-svp"), 0.74)


def test_broken_symmetry_hf_forces_are_minus_energy_derivative():
    # at 2.5 A the lowest HF solution is the broken-symmetry UHF one
    assert_forces_are_minus_gradient(PyscfPotential("pyscf:hf/cc-pvdz"), 2.5)


def test_energies_match_the_reference_curve_of_the_same_method():
    potential = PyscfPotential("pyscf:hf/cc-pvdz")
    r = [0.7, 3.0]
    curve = compute_reference(get_system("H2"), r, potential.level_of_theory_reference)
    energies = potential.evaluate([h2(x) for x in r]).energy
    np.testing.assert_allclose(energies, curve.total_energy_ev, atol=1e-6)


def test_charge_and_spin_change_the_energy_and_bare_nuclei_are_coulomb():
    potential = PyscfPotential("pyscf:hf/cc-pvdz")
    prediction = potential.evaluate([h2(1.0), h2(1.0, charge=1, spin=2), h2(1.0, charge=2)])
    neutral, cation, bare = prediction.energy
    assert cation > neutral + 10.0  # ionisation costs > 10 eV
    assert bare == pytest.approx(COULOMB_EV_ANGSTROM / 1.0)
    np.testing.assert_allclose(prediction.forces[2][1], [0, 0, COULOMB_EV_ANGSTROM])


def test_failed_structure_gives_nan_not_an_exception(monkeypatch):
    from astray.reference import scf as scf_methods

    solve = scf_methods.scf_solution

    def fails_when_stretched(mol, *args, **kwargs):
        if mol.atom_coords()[1, 2] > 3.0:
            raise RuntimeError("SCF did not converge")
        return solve(mol, *args, **kwargs)

    monkeypatch.setattr(scf_methods, "scf_solution", fails_when_stretched)
    potential = PyscfPotential("pyscf:hf/cc-pvdz")
    with pytest.warns(RuntimeWarning, match=r"hf/cc-pvdz failed on structure 1 \(H2\): "
                      "RuntimeError: SCF did not converge; energy NaN"):
        prediction = potential.evaluate([h2(0.74), h2(2.5), h2(0.9)])
    assert np.isnan(prediction.energy[1]) and np.all(np.isnan(prediction.forces[1]))
    assert np.all(np.isfinite(prediction.energy[[0, 2]]))
    assert np.all(np.isfinite(prediction.forces[0]))


def test_ccsd_t_gives_energies_without_forces():
    prediction = PyscfPotential("pyscf:ccsd(t)/cc-pvdz").evaluate([h2(0.74)])
    assert prediction.forces is None
    assert np.isfinite(prediction.energy[0])


def test_a_pyscf_potential_is_not_compared_with_itself(monkeypatch):
    """Its curve against the reference already is the level-of-theory comparison; computing
    the same method again as its 'level of theory' doubled the cost."""
    from astray.probes import suite

    asked = []
    original = suite.reference_curve

    def spy(system, r_angstrom=None, method=None, **kwargs):
        asked.append(method)
        return original(system, r_angstrom, method, **kwargs)

    monkeypatch.setattr(suite, "reference_curve", spy)
    with Store() as store:
        result = suite.probe_suite([load_potential("pyscf:hf/sto-3g")], [get_system("H2++")],
                                   store=store)
    assert asked == [None] and result.curves[0].level_of_theory is None
