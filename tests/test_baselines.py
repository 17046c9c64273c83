"""Baseline energies of a data set (Delta-learning): checks before any work, the pass itself,
failures as counted exclusions, and resuming a pass killed with SIGKILL."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes

from astray.data.baselines import baseline_energies, check_baseline
from astray.data.dataset import DatasetWriter, Structures, open_dataset
from astray.errors import DatasetError, ModelError, PotentialError
from astray.train.trainer import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
#: Elements EMT knows (its isolated atoms all work): a charge-blind, spin-blind baseline.
EMT = "ase:ase.calculators.emt:EMT"


class FailsOnPolyatomicOxygen(Calculator):
    """-1 eV per atom, but raises for a structure of more than one atom holding oxygen."""

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        if len(self.atoms) > 1 and 8 in self.atoms.numbers:
            raise RuntimeError("no oxygen in company")
        self.results = {"energy": -1.0 * len(self.atoms), "forces": np.zeros((len(self.atoms), 3))}


def _toy_set(tmp_path, charge=0, multiplicity=1):
    """Four H2O/CH4-like structures with one charge and multiplicity throughout."""
    rng = np.random.default_rng(0)
    molecules = [{"numbers": [1, 1, 6, 1, 1], "positions": rng.normal(size=(5, 3)) * 1.2,
                  "energy": -1.0, "atomization_energy": -1.0, "charge": charge,
                  "multiplicity": multiplicity, "kind": "stable"} for _ in range(4)]
    writer = DatasetWriter(tmp_path / "toy", name="toy", level_of_theory="made up")
    writer.append(Structures.from_list(molecules))
    return writer.close()


def test_the_data_sets_own_level_of_theory_leaves_no_residual():
    # tiny is GFN2-xTB data: the xtb baseline reproduces its atomization energies, so what a
    # Delta-model would learn is zero (to tblite's SCF convergence)
    tiny = open_dataset("tiny")
    energies = baseline_energies(tiny, "xtb", workers=0)
    assert not energies.failed.any() and energies.computed_now == len(tiny)
    np.testing.assert_allclose(energies.atomization_energy, tiny.atomization_energy, atol=1e-5)
    # each side against its own isolated ground-state atoms: the H atom of GFN2-xTB
    assert energies.atom_energies_ev["H"] == pytest.approx(-10.707, abs=1e-3)
    again = baseline_energies(tiny, "xtb", workers=0)  # kept: read, not computed
    assert again.computed_now == 0 and again.path == energies.path
    assert "xtb@GFN2-xTB" in energies.path.name and "tiny" in str(energies.path)


@pytest.mark.parametrize(("spec", "words"), [
    ("xtbb", "unknown potential 'xtbb'"),
    (EMT, "cannot handle F"),  # EMT has no fluorine: named
])
def test_bad_baselines_are_one_line_before_any_work(spec, words):
    with pytest.raises(PotentialError if spec == "xtbb" else DatasetError) as error:
        TrainConfig(dataset="tiny", baseline=spec, n_train=10).check_against(open_dataset("tiny"))
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_charge_or_spin_blind_baseline_is_refused_on_data_that_needs_it(tmp_path):
    charged = _toy_set(tmp_path, charge=1, multiplicity=2)
    with pytest.raises(DatasetError, match="charge-blind.*charges \\+1"):
        check_baseline(EMT, charged)
    check_baseline("xtb", charged)  # GFN2-xTB reads charge and spin
    (tmp_path / "triplet").mkdir()
    triplet = _toy_set(tmp_path / "triplet", multiplicity=3)
    with pytest.raises(DatasetError, match="spin-blind.*multiplicity 3"):
        check_baseline(EMT, triplet)


def test_prior_and_baseline_together_are_refused_with_the_reason():
    with pytest.raises(ModelError, match="count both twice"):
        TrainConfig(dataset="tiny", baseline="xtb", prior=True, n_train=10)
    assert TrainConfig(dataset="tiny", baseline="none", n_train=10).baseline is None


def test_the_command_line_says_it_in_one_line_with_exit_code_2(tmp_path):
    astray = Path(sys.executable).with_name("astray")
    done = subprocess.run([str(astray), "train", "--dataset", "tiny", "--baseline", EMT,
                           "--out", str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "ASTRAY_HOME": str(tmp_path / "home")})
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "cannot handle F" in done.stderr
    assert not (tmp_path / "run" / "last.pt").exists()  # no training began


def test_failed_structures_are_counted_and_left_out_of_training(tmp_path):
    tiny = open_dataset("tiny")
    spec = "ase:test_baselines:FailsOnPolyatomicOxygen"
    energies = baseline_energies(tiny, spec, workers=0, batch_size=40)
    has_oxygen = np.array([8 in tiny.structure(i)[0] and len(tiny.structure(i)[0]) > 1
                           for i in range(len(tiny))])
    assert has_oxygen.any()
    np.testing.assert_array_equal(energies.failed, has_oxygen)
    assert set(energies.failures) == set(np.flatnonzero(has_oxygen).tolist())
    assert "no oxygen in company" in next(iter(energies.failures.values()))
    meta = json.loads((energies.path / "meta.json").read_text())
    assert meta["n_failed"] == int(has_oxygen.sum())

    from astray.train.trainer import plan_split, train

    config = TrainConfig(dataset="tiny", baseline=spec, n_train=40, n_val=20, n_test=20,
                         hidden=8, interactions=1, max_epochs=1)
    split, _ = plan_split(tiny, config)
    result = train(config, tmp_path / "run")
    expected = sum(int(has_oxygen[np.asarray(getattr(split, part))].sum())
                   for part in ("train", "val", "test"))
    assert result.baseline_excluded == expected > 0
    assert result.summary()["baseline"]["excluded_structures"] == expected
    assert result.n_train == len(split.train) - int(has_oxygen[split.train].sum())


KILLED_PASS = """
import os, signal, sys
from astray.data.baselines import baseline_energies
from astray.data.dataset import open_dataset
from astray.potentials.xtb import XtbPotential
calls = [0]
original = XtbPotential.single_point
def single_point(self, atoms):
    if len(atoms) > 1:
        calls[0] += 1
        if calls[0] == int(sys.argv[1]):  # in the middle of a batch
            os.kill(os.getpid(), signal.SIGKILL)
    return original(self, atoms)
XtbPotential.single_point = single_point
baseline_energies(open_dataset("tiny"), "xtb", workers=0, batch_size=20)
"""


def test_a_killed_pass_resumes_without_recomputing_finished_structures(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ASTRAY_HOME", str(home))
    kill_at = 75  # structures 0-59 are three finished batches, 60-74 a batch in flight
    done = subprocess.run([sys.executable, "-c", KILLED_PASS, str(kill_at)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ASTRAY_HOME": str(home)})
    assert done.returncode == -signal.SIGKILL, done.stderr
    journals = list(home.glob("baselines/tiny/*/*/journal.sqlite"))
    assert len(journals) == 1 and not (journals[0].parent / "meta.json").exists()

    from astray.potentials.xtb import XtbPotential

    computed = []
    original = XtbPotential.single_point

    def counting(self, atoms):
        if len(atoms) > 1:
            computed.append(atoms.positions.sum())
        return original(self, atoms)

    monkeypatch.setattr(XtbPotential, "single_point", counting)
    tiny = open_dataset("tiny")
    energies = baseline_energies(tiny, "xtb", workers=0, batch_size=20)
    assert energies.computed_now == len(tiny) - 60 == len(computed)  # the three batches kept
    np.testing.assert_allclose(energies.atomization_energy, tiny.atomization_energy, atol=1e-5)
    assert not journals[0].exists()  # packed and gone
