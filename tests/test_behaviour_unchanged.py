"""Issue 21 item 5, behaviour unchanged by the house-keeping: the laws, fits, findings and notes
of ``astray report`` on a synthetic sweep (tests/scaling_fixtures.py) are what the code wrote
before the import, capability and table refactors (tests/data: this test's own sweep and
``astray report`` run with the code of commit eb07380, the keys below kept, gzipped). The
curves.json of the default suite has its own test (tests/test_api.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from astray.report.cli import report_command
from scaling_fixtures import write_synthetic_sweep
from test_api import assert_same_json

GOLDEN = Path(__file__).parent / "data" / "scaling_synthetic_before_house.json.gz"
#: The parts of scaling.json compared (the runs are the fixture's own records, read back).
COMPARED = ("schema", "laws", "joint_fits", "findings", "notes", "sweep")


def test_scaling_json_is_what_it_was_before_the_house_keeping(tmp_path):
    sweep = write_synthetic_sweep(tmp_path / "sweep", seeds=(0, 1),
                                  n_train=(100, 300, 1000, 3000), hidden=(16, 64))
    app = typer.Typer()
    app.command()(report_command)
    result = CliRunner().invoke(app, [str(sweep)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = json.loads((sweep / "scaling.json").read_text())
    after = {key: written[key] for key in COMPARED}
    before = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    assert_same_json(before, after)
