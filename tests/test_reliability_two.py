"""Reliability, round two (issue 19, items 1-3): nothing finished is overwritten, no script
reaches a page from a file, no write goes through a planted symbolic link.

Each case plants what a copied or downloaded folder (or a changed command) can hold and checks
that the finished data survive and that a command line meets a one-line error with exit code 2
before any work."""

import json
from dataclasses import asdict, replace
from html.parser import HTMLParser

import pytest

from astray.errors import SweepError
from astray.paths import LOCK_FILE, OutputPathError, folder_lock
from astray.store import Store
from console import run_main

#: The smallest grid of the shipped tiny set, as ``astray scale`` builds it from these options.
TRAINING = {"n_val": 10, "n_test": 20, "split_seed": 21, "max_epochs": 3, "budget_minutes": None,
            "force_weight": 0.0, "threads": None}
CLI_GRID = ["--dataset", "tiny", "--n-train", "10", "--hidden", "8", "--interactions", "1",
            "--n-val", "10", "--n-test", "20", "--max-epochs", "3", "--workers", "1",
            "--no-report"]
INJECTION = "<img src=x onerror=alert(1)>"




def one_line_error(capsys, monkeypatch, *args) -> str:
    code, captured = run_main(capsys, monkeypatch, *args)
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("astray: error: "), captured.err
    return lines[0]


def no_work(monkeypatch):
    """Fail the test if the sweep starts a cluster, a run or a reference."""
    def work_started(*args, **kwargs):
        raise AssertionError("the sweep started working before checking its folder")

    for target in ("dask_client", "execute_run", "_probe_references"):
        monkeypatch.setattr(f"astray.scaling.execute.{target}", work_started)


def grid(subsets=("stable",), **training):
    from astray.scaling.grid import SweepGrid

    return SweepGrid(datasets=("tiny",), subsets=subsets, n_train=(10,), hidden=(8,),
                     interactions=(1,), training={**TRAINING, **training})


def plant_done_run(out, sweep_grid, subset="stable"):
    """A finished run of ``sweep_grid`` in ``out`` as ``astray scale`` leaves it (sweep.json,
    result.json, checkpoints); returns the path of its result.json."""
    from astray.scaling.execute import _claim_folder
    from astray.scaling.grid import validate

    spec = next(s for s in validate(sweep_grid) if s.config.subset == subset)
    run_dir = out / "runs" / spec.run_id
    run_dir.mkdir(parents=True)
    _claim_folder(out, sweep_grid, "astray scale (the first command)")
    for name in ("best.pt", "last.pt"):
        (run_dir / name).write_bytes(b"finished weights")
    path = run_dir / "result.json"
    path.write_text(json.dumps({
        "schema": "astray-run/1", "status": "done", "run_id": spec.run_id, "key": spec.key,
        "subset": spec.config.subset, "test_mae_kcal_mol": {"stable": 1.5}, "probe": {},
        "training": {**asdict(spec.config), "test_subsets": list(spec.config.test_subsets)},
        "checkpoint": "best.pt"}))
    return path


# --- item 1: finished results are never overwritten ---------------------------------------------

def test_a_finished_run_of_another_configuration_is_refused_before_any_work(tmp_path,
                                                                             monkeypatch):
    """The issue's case: --subset stable --subset all, then --subset stable alone. The stable
    run has the same id and other test subsets: a conflict, not a retrain into its folder."""
    from astray.scaling.execute import run_sweep

    out = tmp_path / "sweep"
    result = plant_done_run(out, grid(("stable", "all")))
    before = {p: p.read_bytes() for p in (result, out / "sweep.json")}
    no_work(monkeypatch)
    with Store(tmp_path / "store.sqlite") as store, pytest.raises(SweepError) as refused:
        run_sweep(grid(("stable",)), out, store=store, workers=1)
    message = str(refused.value)
    assert "\n" not in message and result.parent.name in message
    assert "another configuration" in message and "test_subsets" in message
    assert "--out" in message and "delete" not in message
    assert {p: p.read_bytes() for p in before} == before  # sweep.json has no new command
    assert (result.parent / "last.pt").read_bytes() == b"finished weights"


def test_the_cli_says_so_in_one_line_with_exit_code_2(tmp_path, capsys, monkeypatch):
    out = tmp_path / "sweep"
    result = plant_done_run(out, grid(("stable", "all")))
    before = result.read_bytes()
    no_work(monkeypatch)
    line = one_line_error(capsys, monkeypatch, "scale", *CLI_GRID, "--subset", "stable",
                          "--out", str(out))
    assert "another configuration" in line and result.parent.name in line
    assert result.read_bytes() == before


def test_a_symlinked_run_folder_is_refused_before_any_work(tmp_path, monkeypatch):
    from astray.scaling.execute import run_sweep
    from astray.scaling.grid import validate

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "sweep"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / validate(grid())[0].run_id).symlink_to(elsewhere)
    no_work(monkeypatch)
    with Store(tmp_path / "store.sqlite") as store, pytest.raises(SweepError, match="link"):
        run_sweep(grid(), out, store=store, workers=1)
    assert list(elsewhere.iterdir()) == []


def test_a_failed_continuation_keeps_the_finished_result(tmp_path, monkeypatch):
    """More epochs for a finished run (the same configuration, another key): if that fails,
    the finished result.json stays and the failure is recorded beside it; the exit code says
    that runs failed."""
    from astray.scaling import execute

    out = tmp_path / "sweep"
    result = plant_done_run(out, grid(max_epochs=2))
    before = result.read_bytes()

    def exploding(spec, run_dir, references, **kwargs):
        raise RuntimeError("worker exploded")

    monkeypatch.setattr(execute, "execute_run", exploding)
    monkeypatch.setattr(execute, "_probe_references", lambda *args: None)
    with Store(tmp_path / "store.sqlite") as store:
        outcome = execute.run_sweep(grid(max_epochs=3), out, store=store, workers=1)
    assert outcome.failed == {result.parent.name: "RuntimeError: worker exploded"}
    assert result.read_bytes() == before
    failure = json.loads((result.parent / execute.FAILURE_FILE).read_text())
    assert failure["status"] == "failed" and failure["error"] == "RuntimeError: worker exploded"
    assert outcome.exit_code == 1


def test_the_exit_code_of_a_sweep_says_whether_runs_failed(tmp_path):
    from astray.scaling.execute import SweepOutcome

    assert SweepOutcome(tmp_path, trained=["a"], skipped=["b"]).exit_code == 0
    assert SweepOutcome(tmp_path, trained=["a"], failed={"b": "RuntimeError: x"}).exit_code == 1
    assert SweepOutcome(tmp_path, failed={"b": "RuntimeError: x"}).exit_code == 1


def test_a_reused_checkpoint_replaces_a_planted_link_instead_of_writing_through_it(tmp_path):
    from astray.scaling.execute import _reuse
    from astray.scaling.grid import validate

    spec = validate(grid())[0]
    source = tmp_path / "first" / "runs" / spec.run_id
    source.mkdir(parents=True)
    (source / "best.pt").write_bytes(b"weights")
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    run_dir = tmp_path / "second" / "runs" / spec.run_id
    run_dir.mkdir(parents=True)
    (run_dir / "best.pt").symlink_to(victim)
    with Store(tmp_path / "store.sqlite") as store:
        store.put_run(spec.key, spec.run_id, source, {"status": "done", "checkpoint": "best.pt"})
        assert _reuse(spec, run_dir, store) == "reused"
    assert victim.read_bytes() == b"precious"
    assert not (run_dir / "best.pt").is_symlink()
    assert (run_dir / "best.pt").read_bytes() == b"weights"


# --- item 2: no script from a file reaches a page -----------------------------------------------

class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def malicious_record(system="H2") -> dict:
    """A curves.json record with the injection in every string and in numbers that arrive as
    strings."""
    from astray.report.columns import METRIC_COLUMNS

    metrics = {c.metric: INJECTION for c in METRIC_COLUMNS}
    metrics.update(reference_r_e_angstrom=INJECTION, reference_d_e_ev=INJECTION,
                   reference_omega_e_cm1=INJECTION)
    return {"system": system, "potential": INJECTION, "blind_to_this_system": False,
            "metrics": metrics, "metrics_aligned_at_largest_r": dict(metrics),
            "failures": [INJECTION], "verdict": INJECTION, "grade": INJECTION,
            "reference_method": INJECTION, "r_angstrom": [0.7, INJECTION],
            "reference_energy_ev": [None, None],
            "level_of_theory": {"method": INJECTION, "energy_ev": [None, 1.0],
                                "metrics_model_vs_level_of_theory": metrics,
                                "metrics_level_of_theory_vs_reference": metrics}}


def assert_inert(page: str, allowed: dict[str, set]) -> None:
    """Only the tags and attributes the writer itself makes; the injection only as text."""
    for tag, attrs in tags_of(page):
        assert tag in allowed, (tag, attrs)
        assert set(attrs) <= allowed[tag], (tag, attrs)
        assert not any("onerror" in name for name in attrs)
    assert "<img src=x" not in page and INJECTION not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_metrics_table_escapes_every_string_of_a_record():
    from astray.report.html import metrics_table

    table = metrics_table([malicious_record()])
    assert_inert(table, {"table": set(), "tr": set(), "th": set(), "td": {"class"}})
    assert {a["class"] for t, a in tags_of(table) if "class" in a} <= {"l"}


def test_metrics_table_keeps_its_numbers_and_verdict_colours():
    from astray.report.columns import METRIC_COLUMNS
    from astray.report.html import metrics_table

    metrics = {c.metric: None for c in METRIC_COLUMNS}
    metrics.update(mae_ev=0.01, n_minima=1, repulsive_wall_monotonic=True)
    table = metrics_table([{"potential": "exact", "blind_to_this_system": False,
                            "metrics": metrics, "failures": [], "verdict": "pass",
                            "grade": "chemical accuracy"}])
    assert "<td class='pass'>pass</td>" in table and "<td>0.23 (0.01)</td>" in table
    assert "<td>1</td>" in table and "<td>yes</td>" in table
    assert "<td class='l'>chemical accuracy</td>" in table


def test_the_curves_page_escapes_every_string_of_its_result(tmp_path):
    from astray.report.html import write_html

    png = tmp_path / "figure.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    potential = {"name": INJECTION, "version": INJECTION, "family": INJECTION,
                 "charge_aware": INJECTION, "spin_aware": None, "level_of_theory": INJECTION}
    result = {"astray_version": INJECTION, "created": INJECTION, "command": INJECTION,
              "potentials": [potential],
              "references": [{"system": INJECTION, "method": INJECTION,
                              "description": INJECTION}],
              "curves": [malicious_record(INJECTION)]}
    page = write_html(result, {INJECTION: png}, tmp_path / "curves.html").read_text()
    assert_inert(page, {"html": {"lang"}, "head": set(), "meta": {"charset"}, "title": set(),
                        "style": set(), "body": set(), "h1": set(), "h2": set(), "p": {"class"},
                        "table": set(), "tr": set(), "th": set(), "td": {"class"},
                        "code": set(), "img": {"alt", "src"}, "dl": set(), "dt": set(),
                        "dd": set(), "details": set(), "summary": set(), "pre": set()})
    images = [a for t, a in tags_of(page) if t == "img"]
    assert len(images) == 1 and images[0]["src"].startswith("data:image/png;base64,")


# --- item 3: no write goes through a planted link -----------------------------------------------

@pytest.fixture
def victim(tmp_path):
    """A file outside the folder, which a planted link points at."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


def test_atomic_writes_replace_a_planted_link(tmp_path, victim):
    from astray.jsonio import write_bytes_atomic, write_json_atomic, write_text_atomic

    for name, write, data in (("a.png", write_bytes_atomic, b"png"),
                              ("a.html", write_text_atomic, "<p>page</p>"),
                              ("a.json", write_json_atomic, {"a": 1})):
        (tmp_path / name).symlink_to(victim)
        write(tmp_path / name, data)
        assert not (tmp_path / name).is_symlink()
        assert victim.read_text() == "precious\n"
    assert (tmp_path / "a.png").read_bytes() == b"png"
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.json", "a.png",
                                                          "victim.txt"]  # no temporary left


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    from astray.jsonio import write_json_atomic

    path = write_json_atomic(tmp_path / "result.json", {"status": "done"})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"mae": float("nan")})
    assert json.loads(path.read_text()) == {"status": "done"}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_a_planted_temporary_name_is_not_written_through(tmp_path, victim, monkeypatch):
    """The temporary file is created exclusively: a link planted at its name is skipped."""
    import os

    from astray import jsonio

    names = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(jsonio.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".result.json.aaaa.tmp").symlink_to(victim)
    jsonio.write_json_atomic(tmp_path / "result.json", {"status": "done"})
    assert victim.read_text() == "precious\n"
    assert json.loads((tmp_path / "result.json").read_text()) == {"status": "done"}
    assert os.path.islink(tmp_path / ".result.json.aaaa.tmp")


def test_a_planted_lock_link_is_one_line_and_not_truncated(tmp_path, victim):
    (tmp_path / LOCK_FILE).symlink_to(victim)
    with pytest.raises(OutputPathError) as refused, folder_lock(tmp_path, "a test"):
        pass
    assert "link" in str(refused.value) and "\n" not in str(refused.value)
    assert victim.read_text() == "precious\n"


def test_scale_into_a_folder_with_a_planted_lock_link_is_exit_code_2(tmp_path, victim, capsys,
                                                                     monkeypatch):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / LOCK_FILE).symlink_to(victim)
    no_work(monkeypatch)
    line = one_line_error(capsys, monkeypatch, "scale", *CLI_GRID, "--subset", "stable",
                          "--out", str(out))
    assert LOCK_FILE in line and "link" in line
    assert victim.read_text() == "precious\n"


def test_probe_result_write_replaces_planted_links(tmp_path, victim):
    """``astray curves --out`` and ProbeResult.write: curves.json, the PNGs and curves.html."""
    import astray

    result = astray.probe("exact", systems=["H2"])
    out = tmp_path / "out"
    out.mkdir()
    names = ("curves.json", "H2.png", "curves.html")
    for name in names:
        (out / name).symlink_to(victim)
    result.write(out)
    assert victim.read_text() == "precious\n"
    for name in names:
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert (out / "H2.png").read_bytes().startswith(b"\x89PNG")


def test_report_replaces_planted_figure_links(tmp_path, victim):
    from astray.report.study import write_report
    from scaling_fixtures import write_synthetic_sweep

    sweep = tmp_path / "sweep"
    write_synthetic_sweep(sweep, n_train=(100, 300), hidden=(64,), seeds=(0,))
    (sweep / "figures").mkdir()
    planted = [sweep / "figures" / f"{slug}.png" for slug in ("learning-curves", "h2-full")]
    for path in planted:
        path.symlink_to(victim)
    (sweep / "report.html").symlink_to(victim)
    write_report(sweep)
    assert victim.read_bytes() == b"precious\n"
    assert not any(p.is_symlink() for p in [*planted, sweep / "report.html"])


def test_only_a_change_that_cannot_continue_a_run_is_a_conflict():
    """Raising --max-epochs is a continuation, not another configuration."""
    from astray.scaling.execute import _other_configuration
    from astray.scaling.grid import validate

    spec = validate(grid())[0]
    longer = replace(spec, config=replace(spec.config, max_epochs=30, budget_minutes=5.0))
    assert longer.key != spec.key
    done = {"status": "done", "key": spec.key,
            "training": {**asdict(spec.config), "test_subsets": list(spec.config.test_subsets)}}
    assert _other_configuration(longer, done, has_checkpoint=True) is None
    # a result made before a field existed has it at its default: not another configuration
    older = {**done, "training": {k: v for k, v in done["training"].items()
                                  if k != "force_weight"}}
    assert _other_configuration(longer, older, has_checkpoint=True) is None
    # a failed attempt without a checkpoint leaves nothing to keep
    failed = {**done, "status": "failed"}
    other = replace(spec, config=replace(spec.config, seed=7))
    assert _other_configuration(other, failed, has_checkpoint=False) is None
    assert _other_configuration(other, failed, has_checkpoint=True)[0] == "seed"
    other = replace(spec, config=replace(spec.config, test_subsets=("distorted", "all")))
    assert _other_configuration(other, done, has_checkpoint=True)[0] == "test_subsets"
