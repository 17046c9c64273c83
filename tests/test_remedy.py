"""The remedy (issue 20): Delta-learning on a physical baseline, from the checkpoint potential
to the sweep's axis, its records, laws and the remedy-baseline finding."""

import json
from dataclasses import replace

import numpy as np
import pytest
from ase import Atoms

from astray.errors import CheckpointError, SweepError
from astray.potentials.checkpoint import CheckpointPotential
from astray.potentials.loading import load_potential
from astray.probes.curves import evaluate_curve
from astray.scaling.findings import compute_findings
from astray.scaling.grid import SweepGrid, parse_baselines
from astray.scaling.laws import GROUP_KEYS, fit_laws
from astray.scaling.records import RunResult
from astray.scaling.summary import load_runs
from astray.systems import get_system
from astray.train.checkpoint import save_checkpoint
from scaling_fixtures import write_synthetic_sweep


def _zeroed_checkpoint(path, baseline: dict):
    """A SchNet whose last layer is zero (its correction is 0 everywhere), with a baseline."""
    from astray.models import build_model

    model = build_model({"architecture": "schnet", "hidden_channels": 8, "num_filters": 8,
                         "num_interactions": 1, "num_gaussians": 10, "cutoff": 5.0,
                         "readout": "add", "energy_unit_ev": 1.08})
    model.lin2.weight.data.zero_()
    model.lin2.bias.data.zero_()
    save_checkpoint(path, model, dataset="tiny", level_of_theory="GFN2-xTB (tblite)",
                    target="atomization_energy", baseline=baseline)
    return path


def test_a_zero_correction_reproduces_the_baselines_own_curve_exactly(tmp_path):
    xtb = load_potential("xtb")
    path = _zeroed_checkpoint(tmp_path / "zero.pt", {"spec": "xtb", "version": xtb.version,
                                                     "atom_energies_ev": {"H": -10.7}})
    delta = CheckpointPotential(f"checkpoint:{path}")
    h2 = get_system("H2")
    r = np.linspace(0.4, 4.0, 25)
    mine, theirs = evaluate_curve(delta, h2, r), evaluate_curve(xtb, h2, r)
    # the curve E(H2) - 2 E(H), each potential with its own fragments: the same, to rounding
    np.testing.assert_allclose(mine.energy_ev, theirs.energy_ev, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mine.force_r_ev_angstrom, theirs.force_r_ev_angstrom,
                               rtol=0, atol=1e-9)
    # in its own convention: atomization energies, a lone neutral H exactly 0
    atoms = [h2.atoms(0.74), Atoms("H", info={"charge": 0, "spin": 2})]
    prediction, own = delta.evaluate(atoms), xtb.evaluate(atoms)
    assert prediction.energy[1] == 0.0 and delta.energy_convention == "atomization"
    assert prediction.energy[0] == pytest.approx(own.energy[0] - 2 * own.energy[1], abs=1e-9)
    np.testing.assert_allclose(prediction.forces[0], own.forces[0], rtol=0, atol=1e-12)
    # it says what it is
    assert "correction to the baseline xtb" in delta.level_of_theory
    assert delta.describe()["baseline"]["spec"] == "xtb" and delta.charge_aware
    assert xtb.version in delta.version


def test_a_checkpoint_whose_baseline_cannot_be_loaded_names_it(tmp_path):
    path = _zeroed_checkpoint(tmp_path / "lost.pt", {"spec": "checkpoint:/nowhere/best.pt"})
    with pytest.raises(CheckpointError) as error:
        CheckpointPotential(f"checkpoint:{path}")
    assert "baseline 'checkpoint:/nowhere/best.pt' cannot be loaded" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_delta_models_test_mae_is_against_the_data_not_the_residual(tmp_path):
    from astray.data.dataset import open_dataset
    from astray.train.trainer import TrainConfig, plan_split, train

    config = TrainConfig(dataset="tiny", baseline="xtb", n_train=40, n_val=20, n_test=30,
                         hidden=8, interactions=1, max_epochs=2)
    result = train(config, tmp_path / "run")
    tiny = open_dataset("tiny")
    split, _ = plan_split(tiny, config)
    structures = []
    for index in split.test:
        numbers, positions = tiny.structure(index)
        structures.append(Atoms(numbers=numbers, positions=positions,
                                info={"charge": int(tiny.charge[index]),
                                      "spin": int(tiny.multiplicity[index])}))
    potential = CheckpointPotential(f"checkpoint:{tmp_path / 'run' / 'best.pt'}")
    data = np.asarray(tiny.atomization_energy[split.test])
    predicted = potential.evaluate(structures).energy  # baseline + correction
    kcal = 23.060548
    assert result.test_mae_kcal_mol == pytest.approx(np.mean(np.abs(predicted - data)) * kcal,
                                                     rel=1e-4)
    # the correction alone against the data would be another number entirely
    from astray.data.baselines import baseline_energies

    correction = predicted - baseline_energies(tiny, "xtb").atomization_energy[split.test]
    alone = np.mean(np.abs(correction - data)) * kcal
    assert abs(alone - result.test_mae_kcal_mol) > 10 * result.test_mae_kcal_mol
    saved = potential.metadata["baseline"]
    assert saved["spec"] == "xtb" and saved["version"] == load_potential("xtb").version
    assert result.summary()["baseline"]["spec"] == "xtb"


def test_the_baseline_axis_keeps_old_ids_and_leaves_out_the_prior_with_a_baseline():
    grid = SweepGrid(datasets=("tiny",), subsets=("stable",), n_train=(20,),
                     priors=(False, True), baselines=parse_baselines("none,xtb"),
                     training={"n_val": 10, "n_test": 10})
    ids = sorted(spec.run_id for spec in grid.runs())
    assert ids == ["tiny-stable-schnet-h64-i3-prior0-n20-s0",
                   "tiny-stable-schnet-h64-i3-prior0-n20-s0-bxtb",
                   "tiny-stable-schnet-h64-i3-prior1-n20-s0"]
    assert "--baseline none,xtb" in grid.command("out")
    assert "makes no physical sense" in grid.describe()["left_out"]
    plain = SweepGrid(datasets=("tiny",), subsets=("stable",), n_train=(20,))
    assert "baselines" not in plain.describe() and "--baseline" not in plain.command("o")
    with pytest.raises(SweepError, match="makes no physical sense"):
        SweepGrid(datasets=("tiny",), subsets=("stable",), n_train=(20,), priors=(True,),
                  baselines=("xtb",))
    assert parse_baselines('none,ase:m:C:{"a": 1, "b": 2}') == (None, 'ase:m:C:{"a": 1, "b": 2}')


def _with_baseline(run: RunResult, passing: RunResult) -> RunResult:
    """A Delta copy of a synthetic run: the baseline alone is the run's own (failing) H2
    probe, baseline + correction the passing probe of another run."""
    return replace(run, run_id=f"{run.run_id}-bxtb", baseline="xtb",
                   probe={**run.probe, "H2": passing.probe["H2"]},
                   baseline_probe={"H2": run.probe["H2"]})


def test_records_laws_and_the_remedy_finding(tmp_path):
    assert "baseline" in GROUP_KEYS
    write_synthetic_sweep(tmp_path, seeds=(0, 1), n_train=(100, 300, 1000, 3000),
                          hidden=(16, 64), subsets=("stable",), priors=(False,))
    runs = load_runs(tmp_path)
    assert all(run.baseline is None for run in runs)  # files without the field: no baseline
    record = json.loads(next(tmp_path.glob("runs/*/result.json")).read_text())
    assert "baseline" not in record  # an older file indeed
    passing = next(r for r in runs if r.probe["H2"].passed) if any(
        r.probe["H2"].passed for r in runs) else None
    write_synthetic_sweep(tmp_path / "all", seeds=(0,), n_train=(3000,), hidden=(64,),
                          subsets=("all",), priors=(False,))
    passing = passing or next(r for r in load_runs(tmp_path / "all") if r.probe["H2"].passed)
    delta = [_with_baseline(run, passing) for run in runs]
    again = RunResult.from_dict(delta[0].to_dict(), "result.json")
    assert again.baseline == "xtb" and again.baseline_probe["H2"].passed is False
    assert runs[0].to_dict()["baseline"] is None  # always written, null without one
    laws, _ = fit_laws(runs + delta)
    assert {law.group["baseline"] for law in laws} == {None, "xtb"}
    findings = {f.id: f for f in compute_findings(runs + delta, laws)}
    remedy = findings["remedy-baseline"]
    assert remedy.holds is True and "baseline xtb: H2 passes in 16 of 16 runs" in remedy.text
    numbers = remedy.numbers["xtb"]
    assert numbers["h2_passing_by"]["N=100"] == [4, 4] and numbers["correction_helped"] == 16
    assert numbers["baseline_alone_h2"]["passed"] is False
    assert numbers["h2_mae_bonding_vs_baseline_ev_median"] > 0
    assert remedy.numbers["none"]["h2_passing"] == sum(r.probe["H2"].passed for r in runs)
    assert "trend:test_mae:stable" in remedy.text
    assert compute_findings(runs, fit_laws(runs)[0])[-1].id != "remedy-baseline"


def test_a_run_is_fitted_at_the_n_it_asked_for_and_records_the_structures_it_used():
    """GFN2-xTB fails on some structures, which a Delta-model leaves out: the run's N stays the
    grid's (its level in the fits and pairings: 49 and 50 are not two levels), and the
    structures it trained on are recorded beside it."""
    from types import SimpleNamespace

    from astray.scaling.grid import RunSpec
    from astray.scaling.runner import _record
    from astray.train.trainer import TrainConfig

    spec = RunSpec(TrainConfig(dataset="tiny", baseline="xtb", n_train=50, n_val=20,
                               n_test=30))
    outcome = SimpleNamespace(
        n_train=49, n_params=1234, epochs=3, stopped_by="max-epochs", converged=False,
        convergence="stopped", recipe_deviations=[], train_seconds=1.0,
        train_molecules_per_s=49.0, pair_distances_angstrom={"H-H": (0.7, 3.0)},
        summary=lambda: {"val_mae_kcal_mol": 1.0, "test_mae_by_subset": {"stable": 2.0}})
    potential = SimpleNamespace(metadata={"dataset": "tiny", "level_of_theory": "x"},
                                energy_convention="atomization")
    record = _record(spec, spec.config, outcome, potential, {}, {}, "astray scale")
    assert record.n_train == 50 and record.n_train_used == 49
    again = RunResult.from_dict(json.loads(json.dumps(record.to_dict())), "result.json")
    assert again.n_train == 50 and again.n_train_used == 49
