"""Measured constants (tier c): the rows read from stored pages against the values those pages
print, quoted here with their addresses; the table's internal consistency (D_e from D_0, the
ground state's multiplicity and term, every molecule a system astray builds); look-up; the
``astray constants`` command."""

import json
import re

import pytest

from astray.ground_states import ground_state
from astray.reference.constants import (
    CHECKABLE,
    MEASURED,
    constants_records,
    measured_constants,
    zero_point_energy_ev,
)
from astray.systems import get_system
from astray.units import EV_INVERSE_CM

_WEBBOOK = "https://webbook.nist.gov/cgi/"
# The ground-state row of each page as stored (NIST WebBook, Huber & Herzberg's table:
# state, T_e, omega_e, [flag], omega_e x_e, ..., r_e), and what the table reads from it.
PAGES = {
    # "X 1Sigmag+ 0 159.1245 Z 0.72547 19 0.154707 ..." (the excerpt ends before r_e)
    "Na2": (_WEBBOOK + "inchi?ID=C25681792&Mask=1000",
            {"omega_e": 159.1245, "omega_e_x_e": 0.72547}),
    # "X 1Σg+ 0 51.121 Z 1.645 7 0.01624 0.09287 0.003776 8 1.217E-6 9 3.8905"
    "Mg2": (_WEBBOOK + "cbook.cgi?ID=C29904798&Mask=1000",
            {"r_e": 3.8905, "omega_e": 51.121, "omega_e_x_e": 1.645}),
    # "X 1Sigmag+ 0 [25.74] Z ... 3.758": [25.74] is DeltaG(1/2), not omega_e, so omega_e is empty
    "Ar2": (_WEBBOOK + "inchi?ID=C12595594&Mask=1000", {"r_e": 3.758}),
    # "X 1Σ+ 0 1405.65 Z 23.20 0.163 7.5131 ... 1.5957" (the old table had 1.5949)
    "LiH": (_WEBBOOK + "cbook.cgi?Source=1974VEL14&Units=SI&Mask=1000",
            {"r_e": 1.5957, "omega_e": 1405.65, "omega_e_x_e": 23.20}),
    # "X 1Σ+ 0 1172.2 Z 19.72 5 0.160 4.9012 0.1353 6 3.32E-4 6 1.8874"
    "NaH": (_WEBBOOK + "cbook.cgi?ID=C7646697&Units=SI&Mask=1000",
            {"r_e": 1.8874, "omega_e": 1172.2, "omega_e_x_e": 19.72}),
    # "X 1Sigma+ 0 891.0 Z 12.93 5 0.105 2.7099 0.0579 [113] 2.4938"
    "CsH": (_WEBBOOK + "cbook.cgi?ID=C13772479&Mask=1000",
            {"r_e": 2.4938, "omega_e": 891.0, "omega_e_x_e": 12.93}),
    # "X 1Sigma+ 0 1337.24 Z 6.983 0.7864854 1 0.0055364 4 1.091E-6 1.490866"
    "PN": (_WEBBOOK + "cbook.cgi?ID=C17739478&Units=CAL&Mask=1000",
           {"r_e": 1.490866, "omega_e": 1337.24, "omega_e_x_e": 6.983}),
    # "X 1Σ+ 0 481.3 HQ 1.95 0.24393012 0.00161113 6 2.5027E-07 7 -0.0053E-7 2.130113"
    "AlCl": (_WEBBOOK + "cbook.cgi?Source=1957RED%2FRAO912&Units=SI&Mask=1000",
             {"r_e": 2.130113, "omega_e": 481.3, "omega_e_x_e": 1.95}),
    # "X 1Σ+ 0 378.0 HQ 1.28 0.15919713 0.000860449 2.030E-06 1.1285E-07 7 -2.07E-10 2.294807"
    "AlBr": (_WEBBOOK + "cbook.cgi?Source=1935MAH369&Mask=1000",
             {"r_e": 2.294807, "omega_e": 378.0, "omega_e_x_e": 1.28}),
    # "X 1Sigma+ 0 365.3 5 H 1.2 0.1499045 0.0007936 6 0.0000018 (1.01E-7) 7 2.201690"
    "GaCl": (_WEBBOOK + "cbook.cgi?ID=C17108859&Units=CAL&Mask=1000",
             {"r_e": 2.201690, "omega_e": 365.3, "omega_e_x_e": 1.2}),
    # "X 0+ 0 163.88 H 0.280 3 -0.005 .027222814 6.97906E-5 4 2.9959E-9 5 2.800501"
    "BiI": (_WEBBOOK + "cbook.cgi?Source=1968SIN445&Units=CAL&Mask=FFFF",
            {"r_e": 2.800501, "omega_e": 163.88, "omega_e_x_e": 0.280}),
    # "X 1Sigma+ 0 643.31 5 4.501 5 0.70652224 0.00800961 0.00003966 3.4087E-6 ... 2.020673"
    "LiCl": (_WEBBOOK + "cbook.cgi?ID=C7447418&Units=SI&Mask=1000",
             {"r_e": 2.020673, "omega_e": 643.31, "omega_e_x_e": 4.501}),
    # "X 1Sigma+ 0 124.134 Z 0.511 6 0.0905 0.0004584 7 8.19E-7 4 3.589"
    "NaK": (_WEBBOOK + "cbook.cgi?ID=C12056290&Units=SI&Mask=1000",
            {"r_e": 3.589, "omega_e": 124.134, "omega_e_x_e": 0.511}),
    # "X 1Sigma+ 0 213 3 (0.80) 0.08122109 0.00040481 7.7E-7 4.4619E-8 -2E-12 2.82078"
    "KBr": (_WEBBOOK + "cbook.cgi?ID=C7758023&amp;Mask=1000",
            {"r_e": 2.82078, "omega_e": 213, "omega_e_x_e": 0.80}),
    # "X 1Σ+ 0 186.53 4 0.574 0.06087473 0.00026776 3.88E-7 2.5934E-8 4E-12 3.047844"
    "KI": (_WEBBOOK + "inchi?ID=C7681110&Mask=1000&Units=SI",
           {"r_e": 3.047844, "omega_e": 186.53, "omega_e_x_e": 0.574}),
    # "X 1Σ+ 0 169.46 4 0.463 4 0.04752798 0.00018596 5 0.000000214 1.4959E-8 2.944744"
    "RbBr": (_WEBBOOK + "cbook.cgi?ID=C7789391&Units=SI&Mask=1000",
             {"r_e": 2.944744, "omega_e": 169.46, "omega_e_x_e": 0.463}),
    # "X 1Sigma+ 0 119.178 1 0.2505 1 0.023627357 0.000068263 2 3.7146E-09 3 0.00230 3.315192"
    "CsI": (_WEBBOOK + "cbook.cgi?ID=C7789175&Units=SI&Mask=1000",
            {"r_e": 3.315192, "omega_e": 119.178, "omega_e_x_e": 0.2505}),
}
# NIST CCCBDB's HI page quotes the WebBook: "Detailed diatomic data ωe 2309.014 ωexe 39.6435
# -0.02 6.426365 0.16886 webbook"
HI_CCCBDB = ("https://cccbdb.nist.gov/exp2x.asp?casno=10034852&charge=0",
             {"omega_e": 2309.014, "omega_e_x_e": 39.6435})
# NIST CCCBDB's H2 page: "Detailed diatomic data ωe 4401.213 ωexe 121.336 ... 2007Iri:389"
# (Irikura 2007), the same constants as Huber & Herzberg's 4401.21 and 121.33 to their digits.
H2_CCCBDB = ("https://cccbdb.nist.gov/exp2x.asp?casno=1333740&charge=0",
             {"omega_e": 4401.213, "omega_e_x_e": 121.336})
_ATTRIBUTE = {"r_e": "r_e_angstrom", "omega_e": "omega_e_cm1",
              "omega_e_x_e": "omega_e_x_e_cm1", "d_0": "d_0_ev"}


def test_rows_read_from_pages_print_the_pages_values():
    for name, (url, values) in PAGES.items():
        entry = MEASURED[name]
        assert entry.checked_at == url and set(entry.checked_fields) == set(values), name
        for field, value in values.items():
            assert getattr(entry, _ATTRIBUTE[field]) == value, (name, field)
        assert url in entry.source and entry.source.startswith("K. P. Huber and G. Herzberg")
    url, values = H2_CCCBDB
    h2 = MEASURED["H2"]
    assert h2.checked_at == url and set(h2.checked_fields) == set(values)
    for field, value in values.items():
        assert getattr(h2, _ATTRIBUTE[field]) == pytest.approx(value, abs=0.01)
    url, values = HI_CCCBDB
    assert MEASURED["HI"].checked_at == url
    assert {f: getattr(MEASURED["HI"], _ATTRIBUTE[f]) for f in values} == values
    # every other row says it was not read from a page
    checked = {name for name, e in MEASURED.items() if e.checked_at}
    assert checked == set(PAGES) | {"H2", "HI"}
    for name in set(MEASURED) - checked:
        assert MEASURED[name].source.endswith("not checked against a stored page"), name


def test_counts():
    homonuclear = [e for e in MEASURED.values() if e.symbols[0] == e.symbols[1]]
    assert (len(MEASURED), len(homonuclear)) == (70, 24)
    assert sum(e.checked_at is not None for e in MEASURED.values()) == 19
    # D_e where D_0, omega_e and omega_e x_e are all measured; D_0 alone for V2, Cr2, Ni2, Mo2
    assert sum(e.d_e_ev is not None for e in MEASURED.values()) == 27
    assert sum(e.d_0_ev is not None for e in MEASURED.values()) == 31


def test_d_e_is_d_0_plus_the_zero_point_energy_and_missing_stays_missing():
    # H2: omega_e/2 - omega_e x_e/4 = 2200.605 - 30.3325 = 2170.2725 cm-1 = 0.26908 eV
    assert zero_point_energy_ev(4401.21, 121.33) == pytest.approx(2170.2725 / EV_INVERSE_CM)
    assert MEASURED["H2"].d_e_ev == pytest.approx(4.4781 + 0.269080, abs=1e-5)
    # the exact Born-Oppenheimer D_e of H2 is 4.7475 eV (38292.8 cm-1): within 1 meV
    assert MEASURED["H2"].d_e_ev == pytest.approx(4.7475, abs=1e-3)
    for entry in MEASURED.values():
        measured = (entry.d_0_ev, entry.omega_e_cm1, entry.omega_e_x_e_cm1)
        assert entry.d_e_derived == (None not in measured), entry.system
        if entry.d_e_derived:
            assert entry.d_e_ev > entry.d_0_ev > 0 and "D_e = D_0 +" in entry.source
        else:
            assert entry.d_e_ev is None
    # D_0 measured without omega_e x_e (V2, Ni2: predissociation thresholds) gives no D_e
    assert MEASURED["V2"].d_0_ev == 2.753 and MEASURED["V2"].d_e_ev is None
    assert "D_0: Morse 1986" in MEASURED["Cu2"].source


def test_every_value_is_physical():
    for entry in MEASURED.values():
        assert entry.charge == 0 and set(entry.checked_fields) <= set(CHECKABLE)
        if entry.r_e_angstrom is not None:
            assert 0.7 < entry.r_e_angstrom < 4.0, entry.system
        if entry.omega_e_x_e_cm1 is not None:
            assert 0 < entry.omega_e_x_e_cm1 < entry.omega_e_cm1 / 10, entry.system


def _term_multiplicity(term: str) -> int:
    """2S+1 from a term symbol: ``X 3Sigma_g-`` -> 3, ``X 0g+ (3Sigma_g- parent)`` -> 3."""
    return int(re.search(r"(\d)(Sigma|Pi|Delta)", term).group(1))


def test_each_entry_is_its_tabulated_ground_state_and_a_system_astray_builds():
    for name, entry in MEASURED.items():
        state = ground_state(*entry.symbols)
        assert state.status != "rule" and state.term in entry.state, name
        assert entry.multiplicity == state.multiplicity == _term_multiplicity(entry.state), name
        system = get_system(name)
        assert sorted(system.symbols) == sorted(entry.symbols)
        assert (system.charge, system.multiplicity) == (0, entry.multiplicity)
        assert measured_constants(system) is entry


def test_lookup_by_formula_name_spec_and_system():
    assert measured_constants("n2") is MEASURED["N2"]
    assert measured_constants(get_system("HF")) is MEASURED["HF"]
    assert measured_constants("F-H") is MEASURED["HF"]       # either atom order
    assert measured_constants("O-O,mult=3") is MEASURED["O2"]
    assert measured_constants("O-O,mult=1") is None          # not the ground state
    assert measured_constants("H2+") is None                 # another charge
    # BiI X 0+ is a 3Sigma- component: the triplet, not the parity-default singlet
    assert measured_constants("Bi-I,mult=3") is MEASURED["BiI"] is measured_constants("BiI")
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
    code, captured = _main(capsys, monkeypatch, "constants", "N2", "O2", "Cu2", "--json")
    records = json.loads(captured.out)
    assert code == 0 and [r["system"] for r in records] == ["N2", "O2", "Cu2"]
    assert records[0]["r_e_angstrom"] == 1.09768 and records[1]["state"] == "X 3Sigma_g-"
    assert records[2]["omega_e_cm1"] == 266.46 and records[2]["d_0_ev"] == 2.01
    code, captured = _main(capsys, monkeypatch, "constants", "LiCl", "--json")
    assert code == 0 and json.loads(captured.out)[0]["d_0_ev"] is None
    code, captured = _main(capsys, monkeypatch, "constants", "Xe-Xe")
    assert code == 2 and len(captured.err.strip().splitlines()) == 1
