"""Every test runs with its own empty $ASTRAY_HOME, so no test sees another's store."""

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path / "astray-home"))
    return tmp_path / "astray-home"
