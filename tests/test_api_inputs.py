"""The Python API refuses what it cannot answer and says what it does (issue 19, item 8 and
the progress of item 7)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.lj import LennardJones

import astray
from astray.errors import PotentialError, SystemSpecError
from fake_calculators import NaNBelowHalfAngstrom, morse_h2


class WrongForceShape(Calculator):
    """Morse H2 energies, and forces flattened to shape (6,) as a careless adapter returns."""

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        pair = len(self.atoms) == 2
        self.results["energy"] = morse_h2(self.atoms.get_distance(0, 1)) if pair else 0.0
        self.results["forces"] = np.zeros(3 * len(self.atoms))


def test_an_empty_system_list_is_refused():
    with pytest.raises(SystemSpecError, match="systems is empty"):
        astray.probe("exact", systems=[])


def test_two_potentials_of_one_name_are_refused():
    with pytest.raises(PotentialError, match="two potentials are named 'exact'"):
        astray.probe(["exact", "exact"], systems=["H2"])


def test_charge_aware_is_checked_not_believed():
    with pytest.raises(PotentialError, match="does not read atoms.info"):
        astray.probe(LennardJones(sigma=0.66, epsilon=4.75, rc=10.0), systems=["H2"],
                     charge_aware=True)


def test_forces_of_the_wrong_shape_are_left_out_with_the_reason():
    result = astray.probe(WrongForceShape(), systems=["H2"], name="flat-forces")
    curve = result["flat-forces", "H2"]
    assert "forces ignored: shape (6,)" in curve.curve.error
    assert curve.curve.force_r_ev_angstrom is None and np.isfinite(curve.curve.energy_ev).all()


def test_a_nan_curve_warns_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        astray.probe(NaNBelowHalfAngstrom(), systems=["H2"], name="nan-inside")
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(runtime) <= 1


PROGRESS = """
import logging, astray
log = logging.getLogger("astray.progress")
assert not log.handlers  # importing astray configures nothing
{setup}
from astray.progress import progress_log
progress_log().info("computing something slow")
print(len(log.handlers))
"""


@pytest.mark.parametrize("setup, handlers, heard", [
    ("", 1, True),  # nobody configured logging: astray says what it does on stderr
    ("logging.basicConfig()", 0, False),  # the user's configuration wins (INFO not shown)
    ("log.setLevel(logging.WARNING)", 0, False),  # silenced
])
def test_long_computations_are_heard_from_python_unless_configured(setup, handlers, heard):
    done = subprocess.run([sys.executable, "-c", PROGRESS.format(setup=setup)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == handlers
    assert ("astray: computing something slow" in done.stderr) is heard


def test_a_probe_says_what_it_does_at_its_first_and_last_step_and_between(monkeypatch):
    from astray import progress

    lines, clock = [], [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(progress, "progress_log",
                        lambda: type("Log", (), {"info": lambda self, *a: lines.append(a)})())
    report = progress.probe_progress(every_s=20.0)
    for step, seconds in enumerate((0, 5, 10, 25, 30, 60)):
        clock[0] = seconds
        report(step, 5, f"step {step}")
    assert [line[1] for line in lines] == [0, 3, 5]  # first, 20 s later, last


def test_a_slow_calculator_says_where_it_is(monkeypatch, caplog):
    """A calculator of 10 s a structure (7 min a curve) was silent for minutes: the loop over
    structures says how far it is at least every PROBE_LINE_EVERY_S (the clock is faked)."""
    import logging

    from astray import progress

    clock = [0.0]

    def slow_morse(r):
        clock[0] += 10.0  # ten seconds a structure
        return morse_h2(r)

    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    calculator = NaNBelowHalfAngstrom()
    monkeypatch.setattr(calculator, "energy", slow_morse)
    with caplog.at_level(logging.INFO, logger="astray.progress"):
        astray.probe(calculator, systems=["H2"], name="slow")
    lines = [r.getMessage() for r in caplog.records if "structures evaluated" in r.getMessage()]
    assert len(lines) >= 15 and lines[0].startswith("slow: 2 of 42 structures evaluated")
