"""The probe's per-system figure (astray.report.figures): the dashed level-of-theory curves name
their method and models, and a point without an energy is marked on the figure itself."""

from __future__ import annotations

import numpy as np
import pytest

from astray.reference import reference_curve
from astray.report.figures import GAP_EDGE_HEIGHT, method_label, system_curves_figure
from astray.systems import get_system
from scaling_fixtures import MORSE, morse

PBE = "dft:pbe/def2-tzvp"


@pytest.mark.parametrize("method, label", [
    (PBE, "PBE/def2-TZVP"),
    ("hf/cc-pvdz", "HF/cc-pVDZ"),
    ("ccsd(t):aug-cc-pvtz", "CCSD(T)/aug-cc-pVTZ"),
    ("dft:wb97x/6-31g*", "wB97X/6-31G*"),
    ("dft:b3lyp/6-31g(d,p)", "B3LYP/6-31G(d,p)"),
    ("exact-one-electron", "exact-one-electron"),
    ("nevpt2/cbs(cc-pvtz,cc-pvqz)", "nevpt2/cbs(cc-pvtz,cc-pvqz)"),
])
def test_method_labels_are_written_as_chemists_write_them(method, label):
    assert method_label(method) == label


def _record(potential: str, r, energy, reference, level_of_theory=None) -> dict:
    """A curves.json entry with the keys the figure reads (None for NaN, as in the file)."""
    def as_json(values):
        return [None if np.isnan(v) else float(v) for v in values]

    return {"potential": potential, "r_angstrom": list(r), "energy_ev": as_json(energy),
            "reference_method": "exact-one-electron", "reference_energy_ev": as_json(reference),
            "level_of_theory": level_of_theory}


@pytest.fixture(scope="module")
def h2p_figure():
    """H2+ with two models trained at PBE (the shipped PBE curve, whose SCF did not converge at
    4.94 A), one model without energies at two neighbouring points and one without energies at
    its three shortest distances."""
    system = get_system("H2+")
    pbe = reference_curve(system, method=PBE)
    r = pbe.r_angstrom
    reference = morse(r, *MORSE["H2+"])
    lot = {"method": PBE, "energy_ev": [None if np.isnan(e) else e for e in pbe.energy_ev]}
    holes = reference.copy()
    holes[[20, 21]] = np.nan
    cut = reference.copy()
    cut[:3] = np.nan
    records = [_record("chgnet", r, 0.9 * reference, reference, lot),
               _record("sevennet-0", r, 1.1 * reference, reference, lot),
               _record("broken", r, holes, reference), _record("cut", r, cut, reference)]
    return system_curves_figure(system, records), r, pbe.energy_ev, holes


def test_the_level_of_theory_is_named_with_its_models(h2p_figure):
    figure = h2p_figure[0]
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "PBE/def2-TZVP (level of theory of chgnet, sevennet-0)" in labels
    for ax in figure.axes:  # one dashed curve: both models share it
        assert sum(line.get_linestyle() == "--" for line in ax.get_lines()) == 1


def test_a_point_without_energy_is_marked_where_it_is_missing(h2p_figure):
    figure, r, pbe, holes = h2p_figure
    missing = np.flatnonzero(np.isnan(pbe))
    assert r[missing] == pytest.approx([4.93776])  # the shipped curve's one unconverged point
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "PBE/def2-TZVP: SCF not converged at r = 4.94 Å" in labels
    assert f"broken: no energy (NaN) at r = {r[20]:.2f}, {r[21]:.2f} Å" in labels
    assert "cut: no energy (NaN) at r = 0.20, 0.27, 0.34 Å" in labels
    (i,) = missing
    between = np.interp(r[i], r[[i - 1, i + 1]], pbe[[i - 1, i + 1]])  # where the line would pass
    for ax in figure.axes:
        crosses = {line.get_label().split(":")[0]: line for line in ax.get_lines()
                   if line.get_marker() == "x"}
        assert set(crosses) == {"PBE/def2-TZVP", "broken", "cut"}
        np.testing.assert_allclose(np.column_stack(crosses["PBE/def2-TZVP"].get_data()),
                                   [[r[i], between]], rtol=1e-12)
        np.testing.assert_allclose(crosses["broken"].get_data(), [
            r[20:22], np.interp(r[20:22], r[[19, 22]], holes[[19, 22]])], rtol=1e-12)
        # the note stands under the gap (drawn where the panel's view holds it), one per gap
        notes = {text.get_text(): text.xy for text in ax.texts}
        assert len(ax.texts) == 2
        assert notes["SCF not converged"] == pytest.approx((r[i], between))
        assert notes["no energy (NaN)"][0] == r[20]
        # before the first energy there is no height to interpolate: on the bottom edge
        assert crosses["cut"].get_transform() is ax.get_xaxis_transform()
        np.testing.assert_array_equal(crosses["cut"].get_data(), [r[:3], [GAP_EDGE_HEIGHT] * 3])


def test_curves_without_gaps_get_no_marks():
    system = get_system("H2+")
    r = system.default_grid()
    reference = morse(r, *MORSE["H2+"])
    figure = system_curves_figure(system, [_record("smooth", r, 0.9 * reference, reference)])
    assert not any(line.get_marker() == "x" for ax in figure.axes for line in ax.get_lines())
    assert not any(ax.texts for ax in figure.axes)
