"""The results store: per-point reference rows, idempotent curve records, $ASTRAY_HOME."""

from astray.store import Store, astray_home, config_key


def test_home_follows_environment(isolated_home):
    assert astray_home() == isolated_home
    with Store() as store:
        assert store.path.parent == isolated_home and store.path.exists()


def test_reference_points_round_trip_and_partial_lookup(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_reference_energies("H-H,charge=0,mult=1", "m", {0.7: -31.9, 1.0: -31.0},
                                     {"method": "m"})
        found = store.reference_energies("H-H,charge=0,mult=1", "m", [0.7000000001, 2.0])
        assert found == {0.7: -31.9}
        assert store.reference_provenance("H-H,charge=0,mult=1", "m") == {"method": "m"}
        assert store.reference_energies("H-H,charge=0,mult=1", "other", [0.7]) == {}


def test_curves_survive_reopening(tmp_path):
    key = config_key({"potential": "x", "r": [1.0, 2.0]})
    with Store(tmp_path / "s.sqlite") as store:
        assert store.curve(key) is None
        store.put_curve(key, "x", "H2", {"verdict": "fail"})
    with Store(tmp_path / "s.sqlite") as store:
        assert store.curve(key) == {"verdict": "fail"}


def test_config_key_is_order_independent_and_content_sensitive():
    assert config_key({"a": 1, "b": 2}) == config_key({"b": 2, "a": 1})
    assert config_key({"a": 1}) != config_key({"a": 2})


def test_failed_reference_points_are_kept_as_nan(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_reference_energies("H-H,charge=1,mult=2", "dft:pbe/x", {4.9: float("nan")}, {})
        found = store.reference_energies("H-H,charge=1,mult=2", "dft:pbe/x", [4.9])
        assert list(found) == [4.9] and found[4.9] != found[4.9]  # NaN, not missing
