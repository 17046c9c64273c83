"""The diatomic catalogue: electron counting, fragments, specs and their validation."""

import numpy as np
import pytest

from astray.errors import SystemSpecError
from astray.probes.thresholds import COMPRESSED_BELOW, STRETCHED_ABOVE
from astray.systems import CATALOGUE, DEFAULT_SUITE, GRID_POINTS, get_system


def test_catalogue_has_the_issue_systems():
    for name in ("H2", "H2+", "H2++", "HeH+", "He2", "LiH", "Li2", "N2", "O2", "F2", "HF", "CO"):
        assert name in CATALOGUE
    assert set(DEFAULT_SUITE) <= set(CATALOGUE)


@pytest.mark.parametrize("name, electrons, fragments", [
    ("H2", 2, ["H", "H"]), ("H2+", 1, ["H+", "H"]), ("H2++", 0, ["H+", "H+"]),
    ("HeH+", 2, ["He", "H+"]), ("HeH++", 1, ["He+", "H+"]), ("LiH", 4, ["Li", "H"]),
    ("O2", 16, ["O", "O"]), ("CO", 14, ["C", "O"])])
def test_electrons_and_fragments(name, electrons, fragments):
    system = get_system(name)
    assert system.n_electrons == electrons
    assert [f.label for f in system.fragments] == fragments
    assert sum(f.charge for f in system.fragments) == system.charge
    assert system.bare_nuclei == (electrons == 0)


def test_fragment_multiplicities_follow_hund():
    assert [f.multiplicity for f in get_system("N2").fragments] == [4, 4]
    assert [f.multiplicity for f in get_system("O2").fragments] == [3, 3]
    assert [f.multiplicity for f in get_system("H2+").fragments] == [1, 2]
    assert get_system("O2").multiplicity == 3


def test_h2_grid_spans_compression_to_dissociation_denser_near_equilibrium():
    grid = get_system("H2").default_grid()
    assert grid[0] <= 0.2 and grid[-1] >= 6.0
    assert np.all(np.diff(grid) > 0)
    spacing = np.diff(grid)
    near = spacing[(grid[:-1] > 0.6) & (grid[:-1] < 1.1)]
    far = spacing[grid[:-1] > 2.0]
    assert near.max() < far.min()


def test_default_grids_change_region_where_the_metrics_do():
    """Each grid's compressed part ends, and its stretched part starts, at the metrics' region
    boundaries (COMPRESSED_BELOW, STRETCHED_ABOVE times r_nominal), so every region is sampled
    by the planned number of points."""
    n_compressed, n_bonding, n_stretched = GRID_POINTS
    for system in CATALOGUE.values():
        grid = system.default_grid()
        assert len(grid) == n_compressed + n_bonding + n_stretched
        assert grid[n_compressed] == np.round(COMPRESSED_BELOW * system.r_nominal, 6)
        assert grid[n_compressed + n_bonding] == np.round(STRETCHED_ABOVE * system.r_nominal, 6)


def test_atoms_carry_charge_and_multiplicity():
    atoms = get_system("H2+").atoms(1.06)
    assert atoms.info == {"charge": 1, "spin": 2}
    assert atoms.get_distance(0, 1) == pytest.approx(1.06)


def test_spec_defines_new_system_and_finds_catalogue_ones():
    assert get_system("He-H,charge=1,mult=1") is CATALOGUE["HeH+"]
    assert get_system("h2+") is CATALOGUE["H2+"]
    nacl = get_system("Na-Cl")
    assert (nacl.charge, nacl.multiplicity, [f.label for f in nacl.fragments]) == (0, 1, ["Na", "Cl"])
    co_cation = get_system("C-O,charge=1")
    assert co_cation.multiplicity == 2
    assert [f.label for f in co_cation.fragments] == ["C+", "O"]  # IE(C) < IE(O)
    assert [f.label for f in get_system("H-F,charge=-1").fragments] == ["H", "F-"]


@pytest.mark.parametrize("spec, words", [
    ("Xx-H", "unknown element"),
    ("H-H,charge=0,mult=2", "impossible"),
    ("H-H,charge=3", "-1 electrons"),
    ("He-He,mult=3", "cannot be reached"),
    ("H2O", "unknown system"),
    ("H-H,spin=1", "unknown option"),
    ("H-H,charge=x", "not an integer"),
])
def test_impossible_specs_are_rejected_clearly(spec, words):
    with pytest.raises(SystemSpecError, match=words):
        get_system(spec)
