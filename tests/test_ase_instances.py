"""Any ASE calculator instance as a potential: ``load_potential(calc, name=..., charge_aware=...)``.

The instance path and the ``ase:MODULE:CLASS`` spec path are one adapter; its curves are checked
against Lennard-Jones's closed form, its provenance tells apart two calculators that differ in a
parameter, and what is not a calculator is refused in one line.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones

from astray.errors import PotentialError
from astray.potentials import Potential, Prediction, load_potential
from astray.potentials.ase_calculator import AseCalculatorPotential
from astray.systems import get_system
from fake_calculators import FlakyChargeReader

H2 = get_system("H2")
SIGMA, EPSILON = 0.7, 0.1  # A, eV
#: ASE's LennardJones shifts the pair energy by its value at the cutoff rc (default 3 sigma,
#: smooth=False). At rc = 100 A the shift is 4 eps (s/rc)^6 = 4.7e-14 eV, far below the 1e-10 eV
#: compared here, so the calculator computes the bare 4 eps ((s/r)^12 - (s/r)^6).
LJ_PARAMETERS = {"sigma": SIGMA, "epsilon": EPSILON, "rc": 100.0}


def curve_of(potential, system, r):
    """E(AB) - E(A) - E(B) (eV) with the potential's own fragments, and its forces."""
    structures = [system.atoms(x) for x in r] + [f.atoms() for f in system.fragments]
    prediction = potential.evaluate(structures)
    return prediction.energy[:len(r)] - prediction.energy[len(r):].sum(), prediction


def test_lennard_jones_curve_is_the_closed_form():
    potential = load_potential(LennardJones(**LJ_PARAMETERS))
    r = H2.default_grid()  # 0.2 to 6 A
    energy, prediction = curve_of(potential, H2, r)
    x = SIGMA / r
    exact = 4 * EPSILON * (x**12 - x**6)
    assert np.array_equal(prediction.energy[len(r):], [0.0, 0.0])  # a lone atom has no pair
    assert np.allclose(energy, exact, rtol=1e-10, atol=1e-10)
    # the force on the second atom (along +z) is -dE/dr = 24 eps (2 (s/r)^12 - (s/r)^6) / r
    force_on_b = np.array([f[1, 2] for f in prediction.forces[:len(r)]])
    assert np.allclose(force_on_b, 24 * EPSILON * (2 * x**12 - x**6) / r, rtol=1e-10, atol=1e-10)
    r_min = 2 ** (1 / 6) * SIGMA  # the minimum: depth exactly epsilon
    assert curve_of(potential, H2, [r_min])[0][0] == pytest.approx(-EPSILON, abs=1e-12)


def test_the_name_and_the_declarations_are_the_users():
    default = load_potential(LennardJones(**LJ_PARAMETERS))
    assert isinstance(default, AseCalculatorPotential) and default.family == "ase"
    assert default.name == "lennardjones" and not default.charge_aware
    assert not default.spin_aware and default.level_of_theory == ""
    declared = load_potential(EMT(), name="my-emt", charge_aware=True, spin_aware=True,
                              level_of_theory="EMT (Jacobsen 1996)",
                              level_of_theory_reference="dft:pbe/def2-tzvp")
    assert (declared.name, declared.charge_aware, declared.spin_aware) == ("my-emt", True, True)
    assert declared.describe()["level_of_theory"] == "EMT (Jacobsen 1996)"
    assert declared.level_of_theory_reference == "dft:pbe/def2-tzvp"


def test_a_parameter_changes_the_version_and_the_same_parameters_keep_it():
    first = load_potential(LennardJones(**LJ_PARAMETERS))
    same = load_potential(LennardJones(**LJ_PARAMETERS))
    wider = load_potential(LennardJones(**{**LJ_PARAMETERS, "sigma": 0.8}))
    assert first.version == same.version and first.describe() == same.describe()
    assert wider.version != first.version
    assert wider.describe()["parameters"]["sigma"] == 0.8
    assert first.version.startswith("ase.calculators.lj.LennardJones (ase ")
    assert "source sha256 " in first.version and "parameters sha256 " in first.version
    first.calculator.set(sigma=0.8)  # changed after loading: the version follows
    assert first.version == wider.version


def test_the_spec_and_the_instance_are_one_adapter():
    spec = load_potential("ase:ase.calculators.lj:LennardJones:"
                          '{"sigma": 0.7, "epsilon": 0.1, "rc": 100.0}')
    instance = load_potential(LennardJones(**LJ_PARAMETERS))
    assert type(spec) is type(instance) and spec.version == instance.version
    r = np.array([0.6, 0.9, 2.5])
    assert np.array_equal(curve_of(spec, H2, r)[0], curve_of(instance, H2, r)[0])


def test_charge_reaches_a_declared_calculator_and_failures_are_nan_with_a_reason():
    potential = load_potential(FlakyChargeReader(), charge_aware=True)
    h2_plus = get_system("H2+")
    structures = [H2.atoms(0.3), H2.atoms(2.0), h2_plus.atoms(2.0), H2.atoms(7.0)]
    with pytest.warns(RuntimeWarning) as record:
        prediction = potential.evaluate(structures)
    assert np.allclose(prediction.energy, [np.nan, 2.0, 12.0, np.nan], equal_nan=True)
    assert [str(w.message) for w in record] == [
        "flakychargereader failed on structure 0 (H2): RuntimeError: too close; energy NaN",
        "flakychargereader failed on structure 3 (H2): ValueError: non-finite energy nan; "
        "energy NaN"]
    assert np.isnan(prediction.forces[0]).all() and np.isfinite(prediction.forces[1]).all()


def test_an_element_the_calculator_lacks_is_nan_with_its_exception():
    potential = load_potential(EMT())
    he_h = get_system("HeH+")
    with pytest.warns(RuntimeWarning) as record:
        energy = curve_of(potential, he_h, [1.0])[0]
    assert np.isnan(energy).all()
    assert [str(w.message) for w in record] == [
        f"emt failed on structure {index} ({formula}): NotImplementedError: No EMT-potential "
        "for He; energy NaN" for index, formula in ((0, "HHe"), (1, "He"))]
    assert np.isfinite(curve_of(potential, H2, [0.74, 1.5])[0]).all()


class EnergyOnly:
    """ASE's duck typing: an object with ``get_potential_energy(atoms)`` is a calculator.
    E = -1 eV / r (r in A), 0 for one atom; no forces."""

    def get_potential_energy(self, atoms=None, force_consistent=False):
        return -1.0 / atoms.get_distance(0, 1) if len(atoms) == 2 else 0.0


def test_a_duck_typed_calculator_gives_energies_without_forces():
    potential = load_potential(EnergyOnly())
    energy, prediction = curve_of(potential, H2, [0.5, 2.0])
    assert potential.name == "energyonly" and prediction.forces is None
    assert np.allclose(energy, [-2.0, -0.5], rtol=1e-14)


class Harmonic(Potential):
    family = "toy"

    def evaluate(self, structures):
        return Prediction(energy=np.zeros(len(structures)))


def test_a_potential_is_returned_as_it_is():
    harmonic = Harmonic("harmonic")
    assert load_potential(harmonic) is harmonic


@pytest.mark.parametrize("thing, complaint", [
    (42, "not a potential: an object of type 'int'"),
    (LennardJones, "the class LennardJones; pass an instance, LennardJones(...)"),
    (H2.atoms(0.74), "an object of type 'Atoms'"),
    (None, "an object of type 'NoneType'"),
])
def test_what_is_not_a_calculator_is_refused_in_one_line(thing, complaint):
    with pytest.raises(PotentialError, match="not a potential") as error:
        load_potential(thing)
    assert complaint in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("spec, options, complaint", [
    (LennardJones(), {"weights": "lj.pt"}, "apply to a potential given by name"),
    (LennardJones(), {"python": "/usr/bin/python3"}, "apply to a potential given by name"),
    (Harmonic("harmonic"), {"name": "other"}, "the Potential 'harmonic'"),
    ("xtb", {"charge_aware": True}, "apply to an ASE calculator instance only"),
])
def test_options_that_do_not_apply_are_refused(spec, options, complaint):
    with pytest.raises(PotentialError, match="apply to") as error:
        load_potential(spec, **options)
    assert complaint in str(error.value) and "\n" not in str(error.value)


class TorchModel(FlakyChargeReader):
    """A calculator that holds a torch model outside its ``parameters``, as CHGNet's and
    SevenNet's do."""

    def __init__(self, seed: int):
        import torch

        super().__init__()
        torch.manual_seed(seed)
        self.model = torch.nn.Linear(3, 1)


def test_the_weights_of_a_model_the_calculator_holds_are_in_its_version():
    pytest.importorskip("torch")
    first, same, other = (load_potential(TorchModel(seed)) for seed in (1, 1, 2))
    assert "weights sha256 " in first.version and first.version == same.version
    assert other.version != first.version
    assert "weights sha256" not in load_potential(LennardJones()).version
