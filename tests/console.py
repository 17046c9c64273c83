"""The console script run in this process, as the tests of the command line use it."""

import pytest

from astray.cli import main


def run_main(capsys, monkeypatch, *args):
    """``astray ARGS`` through ``main()``, which turns user errors into one line and exit code
    2: (exit code, captured stdout and stderr)."""
    monkeypatch.setattr("sys.argv", ["astray", *map(str, args)])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr()
