"""The whole-table suites (issue 18): ground states with sources, grids from covalent radii,
elements per potential, coverage gaps, no reference without quantum chemistry, batching."""

from dataclasses import replace

import numpy as np
import pytest
from ase.data import atomic_numbers, chemical_symbols, covalent_radii
from ase.data import ground_state_magnetic_moments as ase_moments
from typer.testing import CliRunner

import astray
from astray.cli import app
from astray.errors import SystemSpecError
from astray.ground_states import (
    ATOM_GROUND_TERMS,
    HETERONUCLEAR,
    HOMONUCLEAR,
    RULE,
    atom_multiplicity,
    ground_state,
)
from astray.potentials.base import Potential, Prediction
from astray.potentials.catalogue import MPTRJ_ELEMENTS, catalogue_entry
from astray.probes.suite import (
    COVERAGE_GAP,
    NO_REFERENCE,
    declared_elements,
    probe_suite,
    suite_systems,
)
from astray.store import Store
from astray.systems import CATALOGUE, DEFAULT_SUITE, TABLE_ELEMENTS, dimer, get_system, suite

TABLE = [*HOMONUCLEAR.values(), *HETERONUCLEAR.values()]


@pytest.mark.parametrize("state", TABLE, ids=lambda s: s.name)
def test_every_entry_is_consistent_with_its_electrons_and_fragments(state):
    """2S+1 has the parity of the electron count + 1, and the state is reachable from its
    fragments' spins (|S_A - S_B| <= S <= S_A + S_B)."""
    n_electrons = sum(atomic_numbers[s] for s in state.symbols)
    assert (n_electrons - (state.multiplicity - 1)) % 2 == 0
    fragments = state.fragment_multiplicities or tuple(atom_multiplicity(s) for s in state.symbols)
    s_a, s_b = ((m - 1) / 2 for m in fragments)
    assert abs(s_a - s_b) <= (state.multiplicity - 1) / 2 <= s_a + s_b
    assert state.source and state.status in ("measured", "matrix", "tentative", "disputed",
                                             "computed")
    system = dimer(*state.symbols)  # builds and validates it
    assert system.multiplicity == state.multiplicity and system.charge == 0
    assert [f.multiplicity for f in system.fragments] == list(fragments)


def test_known_ground_states_and_the_rule():
    spins = {"H2": 1, "B2": 3, "C2": 1, "O2": 3, "S2": 3, "Si2": 3, "Cr2": 1, "Cu2": 1,
             "Sc2": 5, "Ti2": 3, "V2": 3, "Fe2": 7, "SO": 3, "NO": 2, "NH": 3}
    for name, multiplicity in spins.items():
        assert get_system(name).multiplicity == multiplicity, name
    assert HOMONUCLEAR["Fe"].status == "disputed"
    rule = ground_state("Cu", "Ag")
    assert (rule.status, rule.source, rule.multiplicity) == (RULE, RULE, 1)
    assert ground_state("N", "Cl").multiplicity == 3  # 2|3/2 - 1/2| + 1
    assert len(HOMONUCLEAR) == 58 and len(HETERONUCLEAR) == 53


def test_atom_table_agrees_with_ase_except_cerium():
    """NIST ASD ground terms against ASE's unpaired electrons: Ce is 4f 5d 6s2 1G4."""
    differ = [s for s in ATOM_GROUND_TERMS
              if atom_multiplicity(s) != int(ase_moments[atomic_numbers[s]]) + 1]
    assert differ == ["Ce"] and len(ATOM_GROUND_TERMS) == 94


def test_grids_scale_with_covalent_radii_and_default_grids_stay():
    cu2 = get_system("Cu2")
    r_sum = 2 * covalent_radii[atomic_numbers["Cu"]]
    grid = cu2.default_grid()
    assert cu2.r_nominal == pytest.approx(r_sum)
    assert grid[0] == pytest.approx(0.4 * r_sum, abs=1e-3) and grid[-1] >= 6.0
    assert get_system("He-H,charge=1,mult=1") is CATALOGUE["HeH+"]
    # the default suite's grids, on which the shipped references sit, are unchanged
    assert [len(CATALOGUE[n].default_grid()) for n in DEFAULT_SUITE] == [40] * 5
    assert CATALOGUE["H2"].default_grid()[[0, -1]].tolist() == [0.2, 6.0]
    assert suite("homonuclear", ["H", "O"])[0] is CATALOGUE["H2"]


def test_suite_composition():
    assert [s.name for s in suite("default")] == list(DEFAULT_SUITE)
    homo = suite("homonuclear")
    assert len(homo) == 86 and [s.symbols[0] for s in homo] == list(TABLE_ELEMENTS)
    hetero = suite("heteronuclear", "H,C,N,O")
    assert len(hetero) == 6 and {s.name for s in hetero} == {"CH", "NH", "OH", "CN", "CO", "NO"}
    assert suite("homonuclear", "Fe,Fe")[0].name == "Fe2"


@pytest.mark.parametrize("name, elements, words", [
    ("homonuclear", "", "empty"), ("homonuclear", "H,Xx", "unknown element"),
    ("heteronuclear", None, "at least two"), ("heteronuclear", "H", "at least two"),
    ("default", "H", "elements apply"), ("periodic", None, "unknown suite"),
    ("homonuclear", "Am", "no ground state known")])
def test_bad_suite_input_is_one_clear_error(name, elements, words):
    with pytest.raises(SystemSpecError, match=words):
        suite(name, elements)


@pytest.mark.parametrize("args, words", [
    (["--suite", "homonuclear", "--elements", ""], "empty"),
    (["--suite", "homonuclear", "--elements", "H,Qq"], "unknown element"),
    (["--suite", "heteronuclear"], "at least two"),
    (["--suite", "homonuclear", "--elements", "Am"], "no ground state known"),
    (["--suite", "everything"], "unknown suite"),
    (["--elements", "H,C"], "--elements applies"),
])
def test_bad_cli_input_is_one_line_and_exit_2(args, words, tmp_path, monkeypatch, capsys):
    from astray.cli import main

    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path))
    monkeypatch.setattr("sys.argv", ["astray", "curves", "-p", "exact", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_catalogue_declares_elements():
    assert len(MPTRJ_ELEMENTS) == 89 and "Po" not in MPTRJ_ELEMENTS and "Pu" in MPTRJ_ELEMENTS
    assert catalogue_entry("chgnet").elements == MPTRJ_ELEMENTS
    assert catalogue_entry("xtb").elements == tuple(chemical_symbols[1:87])
    # the reference itself: wherever a reference exists without quantum chemistry
    assert catalogue_entry("exact").elements is None


def test_the_exact_baseline_is_called_one_molecule_at_a_time(tmp_path, monkeypatch):
    """Its lone H is the method of the molecule it comes with (FCI/CBS beside H2, exact beside
    H2+: 0.93 meV apart), so a batch of several molecules would shift H2 by 1.9 meV."""
    from astray.potentials import load_potential
    from astray.probes.suite import probe_suite
    from astray.store import Store
    from astray.systems import get_system

    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path))
    exact = load_potential("exact")
    calls = []
    evaluate = exact.evaluate
    monkeypatch.setattr(exact, "evaluate", lambda s: calls.append(len(s)) or evaluate(s))
    systems = [get_system(n) for n in ("H2", "H2+", "He2")]
    with Store() as store:
        result = probe_suite([exact], systems, store=store, compare_level_of_theory=False)
    assert len(calls) == 3
    for curve in result.curves:  # the reference to the bit, He2 against its published curve
        np.testing.assert_array_equal(curve.curve.energy_ev[np.isfinite(curve.reference.energy_ev)],
                                      curve.reference.energy_ev[np.isfinite(
                                          curve.reference.energy_ev)])
        assert curve.verdict.passed, (curve.system.name, curve.verdict.failures)


@pytest.mark.slow
def test_mptrj_elements_are_sevennet_0s_species():
    from sevenn import _const
    from sevenn.util import load_checkpoint

    species = load_checkpoint(str(_const.SEVENNET_0_11Jul2024)).config["chemical_species"]
    assert set(species) == set(MPTRJ_ELEMENTS)


class CountingMorse(Potential):
    """A Morse pair for any elements that counts its calls and structures."""

    family = "toy"

    def __init__(self, name="morse", elements=None):
        super().__init__(name)
        self.supported_elements = elements
        self.calls, self.sizes = 0, []

    def evaluate(self, structures):
        self.calls += 1
        self.sizes.append(len(structures))
        energies, forces = [], []
        for atoms in structures:
            if len(atoms) == 1:
                energies.append(0.0)
                forces.append(np.zeros((1, 3)))
                continue
            r = atoms.get_distance(0, 1)
            r_e = sum(covalent_radii[atoms.numbers])
            x = np.exp(-2.0 * (r - r_e))
            energies.append(2.0 * (x * x - 2 * x))
            f = 2.0 * 2.0 * 2.0 * (x * x - x)  # -dE/dr
            forces.append(np.array([[0, 0, -f], [0, 0, f]]))
        return Prediction(np.array(energies), forces)


def test_batched_suite_calls_the_potential_once_per_chunk(tmp_path):
    systems = suite("homonuclear", "Li,Be,Na,Mg,K,Ca,Rb")
    morse = CountingMorse()
    with Store(tmp_path / "s.sqlite") as store:
        result = probe_suite([morse], systems, store=store, compare_level_of_theory=False,
                             compute_references=False, systems_per_chunk=3)
    assert morse.calls == 3 and morse.sizes == [3 * 42, 3 * 42, 42]
    assert all(c.reference.method in (NO_REFERENCE, "nevpt2") or c.system.name == "Li2"
               for c in result.curves)
    na2 = result["morse", "Na2"]
    # no curve, but Na2's measured omega_e (Huber & Herzberg): that tier, and errors against it
    assert na2.reference.method == NO_REFERENCE
    assert na2.reference.provenance["tier"] == "measured constants"
    assert na2.experiment.omega_e_error_cm1 is not None and na2.experiment.r_e_error_angstrom is None
    assert result["morse", "Ca2"].reference.provenance["tier"] == "none"  # nothing measured
    assert result["morse", "Ca2"].experiment is None
    assert na2.metrics.mae_ev is None and na2.metrics.r_e_angstrom == pytest.approx(
        2 * covalent_radii[11], abs=0.1)
    assert na2.verdict.passed and na2.curve.error is None
    # the same curves as one call per molecule
    single = CountingMorse()
    with Store(tmp_path / "t.sqlite") as store:
        one = probe_suite([single], systems, store=store, compare_level_of_theory=False,
                          compute_references=False, systems_per_chunk=1)
    assert single.calls == len(systems)
    for a, b in zip(result.curves, one.curves):
        np.testing.assert_array_equal(a.curve.energy_ev, b.curve.energy_ev)


def test_unsupported_element_is_a_coverage_gap_not_a_crash(tmp_path):
    morse = CountingMorse(elements=frozenset({"H", "Li"}))
    assert declared_elements(morse) == {"H", "Li"}
    systems = suite_systems("homonuclear", [morse], "H,Li,Na")
    with Store(tmp_path / "s.sqlite") as store:
        result = probe_suite([morse], systems, store=store, compare_level_of_theory=False,
                             compute_references=False)
    gap = result["morse", "Na2"]
    assert gap.curve.error.startswith(COVERAGE_GAP) and "Na" in gap.curve.error
    assert not gap.verdict.passed and morse.sizes == [2 * 42]


def test_homonuclear_suite_of_the_declared_elements():
    assert [s.name for s in suite_systems("homonuclear", [CountingMorse(elements={"O", "H"})])
            ] == ["H2", "O2"]
    assert len(suite_systems("homonuclear", [CountingMorse()])) == 86  # unknown: H-Rn


def test_api_and_cli_whole_table_suites_run_no_quantum_chemistry(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTRAY_HOME", str(tmp_path))
    import astray.reference.cache as cache

    formula = cache.compute_reference

    def no_quantum_chemistry(system, r, method=None):
        """Formulas (a published potential, Coulomb's law) are evaluated; nothing is solved."""
        if not str(method).startswith(("published/", "coulomb", "exact-one-electron")):
            pytest.fail(f"quantum chemistry started: {method} for {system.name}")
        return formula(system, r, method)

    monkeypatch.setattr(cache, "compute_reference", no_quantum_chemistry)
    result = astray.probe(CountingMorse(), systems="homonuclear", elements=["H", "N", "Fe"])
    assert [c.reference.method for c in result.curves][1:] == [NO_REFERENCE] * 2
    assert result.curves[0].level_of_theory is None
    out = CliRunner().invoke(app, ["curves", "-p", "exact", "--suite", "homonuclear",
                                   "--elements", "H,He,Li", "--json", "--no-level-of-theory"])
    assert out.exit_code == 0, out.output
    assert COVERAGE_GAP in out.output


def test_whole_table_level_of_theory_is_shipped_or_missing_never_computed(tmp_path, monkeypatch):
    """A spin-blind model's level of theory in a whole-table suite is the shipped spin ladder
    (H2: PBE's closed shell at r_e, dissociating to two H atoms); a spin-aware one gets its own
    multiplicity's shipped curve; where nothing is shipped (Fe2) the curve is missing with the
    reason, and no quantum chemistry starts."""
    import astray.reference.cache as cache

    def tripwire(*args, **kwargs):
        pytest.fail("quantum chemistry started in a whole-table suite")

    monkeypatch.setattr(cache, "walk_ladder", tripwire)
    monkeypatch.setattr(cache, "compute_reference", tripwire)
    blind = CountingMorse("blind")
    blind.level_of_theory_reference = "dft:pbe/def2-tzvp"
    aware = CountingMorse("aware")
    aware.level_of_theory_reference, aware.spin_aware = "dft:pbe/def2-tzvp", True
    with Store(tmp_path / "s.sqlite") as store:
        result = probe_suite([blind, aware], suite("homonuclear", "H,Fe"), store=store,
                             compute_references=False)
    ladder = result["blind", "H2"].level_of_theory.curve
    assert ladder.provenance["ladder"] == [1, 3] and ladder.provenance["multiplicity"][13] == 1
    assert ladder.tier == "level of theory" and abs(ladder.energy_ev[-1]) < 1e-3
    assert "ladder" not in result["aware", "H2"].level_of_theory.curve.provenance
    missing = result["blind", "Fe2"].level_of_theory.curve
    assert np.isnan(missing.energy_ev).all() and "not shipped" in missing.error
    assert result["blind", "Fe2"].level_of_theory.model_vs_level_of_theory.mae_ev is None


def test_a_curve_judged_without_its_level_of_theory_is_judged_again_once_it_exists(
        tmp_path, monkeypatch):
    """Fe2's ladder missing, the curve is stored with the reason (and curves.json says it); once
    a ladder exists (here: an H2-shaped stand-in), the same suite judges the curve again
    instead of reusing the stored one, and the comparison has numbers."""
    import astray.probes.suite as suite_module

    missing = suite_module.level_of_theory_curve
    model = CountingMorse("blind")
    model.level_of_theory_reference = "dft:pbe/def2-tzvp"
    fe2 = suite("homonuclear", "Fe")
    with Store(tmp_path / "s.sqlite") as store:
        first = probe_suite([model], fe2, store=store, compute_references=False)
        record = first["blind", "Fe2"].to_json()["level_of_theory"]
        assert "not shipped" in record["error"] and model.calls == 1

        def present(potential, system, r, method, store, *, compute):
            curve = missing(potential, system, r, method, store, compute=compute)
            return replace(curve, energy_ev=-np.exp(-np.asarray(r)), error=None)

        monkeypatch.setattr(suite_module, "level_of_theory_curve", present)
        second = probe_suite([model], fe2, store=store, compute_references=False)
    assert model.calls == 2  # judged again, not read back
    comparison = second["blind", "Fe2"].level_of_theory
    assert comparison.curve.error is None
    assert comparison.model_vs_level_of_theory.mae_ev is not None


def test_a_molecule_with_only_d0_measured_has_no_tier_of_truth():
    """V2's D_0 (Spain & Morse 1992) is measured, but neither r_e, omega_e nor D_e: a curve's
    well has nothing to be compared with, so its tier is none; Na2's omega_e makes it measured."""
    from astray.probes.suite import no_reference

    v2, na2 = dimer("V", "V"), dimer("Na", "Na")
    assert no_reference(v2, v2.default_grid(), "x").provenance["tier"] == "none"
    assert no_reference(na2, na2.default_grid(), "x").provenance["tier"] == "measured constants"
