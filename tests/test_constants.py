"""Measured constants (tier c): every shipped number against the value printed in its source,
quoted here; the derived D_e; look-up; the ``astray constants`` command."""

import json

import pytest

from astray.reference.constants import (
    MEASURED,
    constants_records,
    measured_constants,
    zero_point_energy_ev,
)
from astray.systems import get_system
from astray.units import EV_INVERSE_CM

# As printed by Huber & Herzberg (1979) / the NIST WebBook ground-state rows:
# r_e (A), omega_e, omega_e x_e (cm-1), D_0^0 (eV); None: not given in the row used.
PRINTED = {
    "H2": (0.74144, 4401.21, 121.33, 4.4781),
    "Li2": (2.6729, 351.43, 2.610, 1.046),
    "N2": (1.09768, 2358.57, 14.324, 9.759),
    "O2": (1.20752, 1580.19, 11.98, 5.1156),
    "F2": (1.41193, 916.64, 11.236, 1.602),
    "Na2": (None, 159.1245, 0.72547, None),   # WebBook row: "X 1Sigmag+ 0 159.1245 Z 0.72547"
    "Cl2": (1.9879, 559.72, 2.675, 2.4794),
    "LiH": (1.5949, 1405.65, 23.20, 2.429),
    "HF": (0.916808, 4138.32, 89.88, 5.869),
    "HCl": (1.27455, 2990.946, 52.8186, 4.4336),
    "OH": (0.96966, 3737.76, 84.881, 4.392),
    "CO": (1.128323, 2169.81358, 13.28831, 11.092),
    "NO": (1.15077, 1904.20, 14.075, 6.4968),
    "PN": (1.490866, 1337.24, 6.983, None),    # "X 1Sigma+ 0 1337.24 Z 6.983 ... 1.490866"
    "LiCl": (2.020673, 643.31, 4.501, None),   # "X 1Sigma+ 0 643.31 5 4.501 ... 2.020673"
    "GaCl": (2.201690, 365.3, 1.2, None),      # "X 1Sigma+ 0 365.3 5 H 1.2 ... 2.201690"
    "CsH": (2.4938, 891.0, 12.93, None),       # "X 1Sigma+ 0 891.0 Z 12.93 ... 2.4938"
    "BiI": (2.800501, 163.88, 0.280, None),    # "X 0+ 0 163.88 H 0.280 ... 2.800501"
}


def test_every_molecule_has_its_printed_values():
    assert set(MEASURED) == set(PRINTED)
    for name, (r_e, omega, omega_x, d_0) in PRINTED.items():
        entry = MEASURED[name]
        assert (entry.r_e_angstrom, entry.omega_e_cm1, entry.omega_e_x_e_cm1, entry.d_0_ev) == (
            r_e, omega, omega_x, d_0), name
        assert entry.source.startswith("K. P. Huber and G. Herzberg")


def test_d_e_is_d_0_plus_the_zero_point_energy_and_missing_stays_missing():
    # H2: omega_e/2 - omega_e x_e/4 = 2200.605 - 30.3325 = 2170.2725 cm-1 = 0.26908 eV
    assert zero_point_energy_ev(4401.21, 121.33) == pytest.approx(2170.2725 / EV_INVERSE_CM)
    assert MEASURED["H2"].d_e_ev == pytest.approx(4.4781 + 0.269080, abs=1e-5)
    # the exact Born-Oppenheimer D_e of H2 is 4.7475 eV (38292.8 cm-1): within 1 meV
    assert MEASURED["H2"].d_e_ev == pytest.approx(4.7475, abs=1e-3)
    for entry in MEASURED.values():
        assert entry.d_e_derived == (entry.d_0_ev is not None)
        if entry.d_0_ev is None:
            assert entry.d_e_ev is None


def test_lookup_by_formula_name_spec_and_system():
    assert measured_constants("n2") is MEASURED["N2"]
    assert measured_constants(get_system("HF")) is MEASURED["HF"]
    assert measured_constants("F-H") is MEASURED["HF"]       # either atom order
    assert measured_constants("O-O,mult=3") is MEASURED["O2"]
    assert measured_constants("O-O,mult=1") is None          # not the ground state
    assert measured_constants("H2+") is None                 # another charge
    assert MEASURED["O2"].multiplicity == 3 and MEASURED["NO"].multiplicity == 2


def test_records_have_the_documented_fields():
    records = constants_records(["N2", "CO"])
    assert [r["system"] for r in records] == ["N2", "CO"]
    assert set(records[0]) == {"system", "state", "r_e_angstrom", "omega_e_cm1", "d_0_ev",
                               "d_e_ev", "source"}
    assert len(constants_records()) == len(MEASURED)


def _main(capsys, monkeypatch, *args):
    from astray.cli import main

    monkeypatch.setattr("sys.argv", ["astray", *args])
    try:
        main()
    except SystemExit as exited:
        return exited.code or 0, capsys.readouterr()
    return 0, capsys.readouterr()


def test_constants_command(capsys, monkeypatch):
    code, captured = _main(capsys, monkeypatch, "constants", "N2", "LiCl", "--json")
    records = json.loads(captured.out)
    assert code == 0 and records[0]["r_e_angstrom"] == 1.09768 and records[1]["d_0_ev"] is None
    code, captured = _main(capsys, monkeypatch, "constants", "Xe-Xe")
    assert code == 2 and len(captured.err.strip().splitlines()) == 1
