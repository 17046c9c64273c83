"""Per-run timings: every phase of a sweep's run is measured into result.json, read back typed
(old files without timings still read), summed in the report; the trainer restores the
process-wide torch settings it changes; writing checkpoints less often changes no number."""

import json

import pytest
import torch

from astray.errors import SweepError
from astray.models.checkpoint import load_model
from astray.report.study_tables import timings_html
from astray.scaling.execute import _probe_references
from astray.scaling.grid import SweepGrid, validate
from astray.scaling.records import RUN_PHASES, RunResult
from astray.scaling.runner import execute_run
from astray.store import Store
from astray.train import trainer
from astray.train.trainer import TrainConfig, train
from test_train import SMALL  # beside this file


def test_train_restores_the_thread_count_and_the_random_generator(tmp_path):
    before_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng = torch.get_rng_state()
        train(TrainConfig(**SMALL, max_epochs=1, threads=2), tmp_path / "run")
        assert torch.get_num_threads() == 1
        assert torch.equal(torch.get_rng_state(), rng)
    finally:
        torch.set_num_threads(before_threads)


def test_the_settings_are_restored_when_training_fails(tmp_path):
    threads = torch.get_num_threads()
    config = TrainConfig(**SMALL, max_epochs=2, threads=threads + 1)

    def stop(record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "run", on_epoch=stop)
    assert torch.get_num_threads() == threads


def _weights(path):
    model, _ = load_model(path)
    return model.state_dict()


def test_checkpoints_written_rarely_give_the_same_model_as_every_epoch(tmp_path, monkeypatch):
    config = TrainConfig(**SMALL, max_epochs=6, warmup_epochs=2, learning_rate=5e-3)
    monkeypatch.setattr(trainer, "CHECKPOINT_EVERY_S", 0.0)  # after every epoch, as before
    every = train(config, tmp_path / "every")
    monkeypatch.setattr(trainer, "CHECKPOINT_EVERY_S", float("inf"))  # at the end only
    once = train(config, tmp_path / "once")
    assert once.test_mae_by_subset == every.test_mae_by_subset
    assert once.history == every.history
    for name, value in _weights(every.checkpoint).items():
        assert torch.equal(value, _weights(once.checkpoint)[name]), name
    state = torch.load(tmp_path / "once" / "last.pt", weights_only=True)
    assert state["state"]["epoch"] == 6


def test_train_times_its_phases(tmp_path):
    result = train(TrainConfig(**SMALL, max_epochs=2), tmp_path / "run")
    assert set(result.timings) == {"load_data", "build_model", "train_epochs", "checkpoints",
                                   "test"}
    assert all(isinstance(value, float) for value in result.timings.values())


def test_result_json_records_every_phase_and_reads_back(tmp_path):
    grid = SweepGrid(datasets=("tiny",), subsets=("all",), n_train=(15,), hidden=(8,),
                     interactions=(1,), training={"n_val": 10, "n_test": 20, "max_epochs": 2})
    spec = validate(grid)[0]
    with Store() as store:
        references = _probe_references("tiny", spec.probe_systems, store)
    record = execute_run(spec, tmp_path / "run", references)
    timings = record["timings"]
    assert set(timings) == {*RUN_PHASES, "total"}
    assert all(isinstance(value, float) for value in timings.values())
    # the phases follow one another: together they are never more than the whole run
    assert sum(timings[phase] for phase in RUN_PHASES) <= timings["total"] + 1e-3
    written = json.loads((tmp_path / "run" / "result.json").read_text())
    assert RunResult.from_dict(written, "result.json").timings == timings


def _record(**changes) -> dict:
    record = {"schema": "astray-run/2", "run_id": "r", "subset": "all", "model": "schnet",
              "hidden": 8, "interactions": 1, "prior": False, "n_train": 10, "seed": 0,
              "status": "failed"}
    return {**record, **changes}


def test_a_result_without_timings_still_reads():
    assert RunResult.from_dict(_record(), "old/result.json").timings == {}


@pytest.mark.parametrize("timings, message", [
    ({"probe": -1.0}, "field timings.'probe': expected seconds (0 or more), got -1.0"),
    ({"probe": "1 s"}, "field timings.'probe': expected a number, got '1 s'"),
    ([1.0], "field 'timings': expected a dict, got [1.0]"),
])
def test_bad_timings_name_the_file_and_field(timings, message):
    with pytest.raises(SweepError) as error:
        RunResult.from_dict(_record(timings=timings), "x/result.json")
    assert str(error.value) == f"x/result.json: {message}"


def test_the_report_sums_the_phases_over_the_runs():
    runs = [RunResult.from_dict(_record(timings={"load_data": 1.0, "train_epochs": 8.0,
                                                 "probe": 1.0, "total": 10.0}), "a"),
            RunResult.from_dict(_record(timings={"load_data": 2.0, "train_epochs": 6.0,
                                                 "probe": 2.0, "total": 10.0}), "b"),
            RunResult.from_dict(_record(), "old")]
    page = timings_html(runs)
    assert "the 2 of 3 runs that recorded them (20.0 s in all)" in page
    assert "outside the epochs: 30.0%" in page
    assert "<td class='l'>train_epochs</td><td>14.0</td><td>70.0%</td>" in page
    assert "No run recorded" in timings_html([runs[2]])
