"""A synthetic scaling sweep that follows known laws, for the tests of fits, findings and report.

:func:`write_synthetic_sweep` writes a sweep folder exactly as ``astray scale`` does
(``DIR/sweep.json`` and ``DIR/runs/<run_id>/result.json``, schema ``astray-run/2``), one SchNet
run per (subset, N, hidden, prior, seed), whose numbers obey laws chosen here, so a test knows
the right answer:

* test MAE (kcal/mol) on a test subset the training subset covers: L = a_h N^-alpha (1 + noise e),
  e ~ N(0, 1) per run, a_h = A_TEST (hidden / 64)^-0.1; on a test subset it does not cover
  (distorted structures for a stable-only model): flat, L = OOD_MAE (1 + noise e); on ``all``
  from a stable-only model: the mean of the two.
* H2: a Morse curve per run, judged by the real metrics and verdict of :mod:`astray.probes`
  against a Morse stand-in for the exact curve (exact D_e and r_e). Stable-only models get a well
  too shallow and too long (the study's finding a: the shape fails at every N and size, errors
  flat in N); models trained with distortions get errors that shrink as N^-H2_ALPHA
  (hidden / 64)^-0.15 and pass at large N.
* H2+: the same errors against the H2+ Morse stand-in when the physics prior is on (the model
  reads the charge); without it the model is charge-blind and predicts its H2 curve.
* H2++: E = k r^n with n = -1 (1 + noise e / 10) and k exact when the prior is on (passes
  Coulomb's law at every N), n = NO_PRIOR_EXPONENT (1 + noise e) without it.

Tests import :func:`write_synthetic_sweep`, :func:`write_run` and :func:`read_run`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from astray.probes.grade import grade
from astray.probes.measure import curve_metrics
from astray.probes.verdict import verdict
from astray.systems import get_system
from astray.units import COULOMB_EV_ANGSTROM

#: Test MAE prefactor (kcal/mol at N = 1, 64 channels) and the out-of-distribution plateau.
A_TEST = 60.0
OOD_MAE = 30.0
#: Morse stand-ins of the exact curves (eV, angstrom): exact D_e and r_e; width a = omega_e
#: sqrt(mu / 2 D_e) from omega_e = 4401 cm-1 (H2) and 2321.7 cm-1 (H2+).
MORSE = {"H2": (4.7476, 0.7414, 1.945), "H2+": (2.7925, 1.0568, 1.338)}
#: Relative well-depth and absolute bond-length errors (angstrom) of stable-only models.
STABLE_DEPTH_ERROR, STABLE_R_E_ERROR = -0.55, 0.18
#: The same errors at N = 100, 64 channels, for models trained with distortions, and their decay.
DISTORTED_DEPTH_ERROR, DISTORTED_R_E_ERROR, H2_ALPHA = -0.35, 0.15, 0.6
NO_PRIOR_EXPONENT = -2.5
INTERACTIONS = 3
#: Pair-distance ranges of the training sets (angstrom): as in the shipped sets, no stable
#: structure has two H atoms closer than 1.37 A (H2's bonding region is 0.63-1.19 A).
PAIR_DISTANCES = {"stable": {"C-H": [1.08, 3.4], "H-H": [1.37, 4.9]},
                  "all": {"C-H": [0.9, 3.9], "H-H": [1.25, 5.3]}}
CREATED = "2026-11-28T08:00:00+00:00"


def schnet_parameter_count(hidden: int, interactions: int, n_gaussians: int = 50) -> int:
    """Parameters of PyG's SchNet with hidden = filters channels (embedding of 100 elements,
    per interaction 4 h^2 + (n_gaussians + 4) h, readout h^2/2 + h + 1): 3.26 M at 500 x 3."""
    h = hidden
    return 100 * h + interactions * (4 * h * h + (n_gaussians + 4) * h) + h * (h // 2) + h + 1


def morse(r, d_e: float, r_e: float, a: float) -> np.ndarray:
    """E(r) = D_e [(1 - exp(-a (r - r_e)))^2 - 1] in eV, zero at infinite r."""
    return d_e * ((1.0 - np.exp(-a * (np.asarray(r) - r_e))) ** 2 - 1.0)


def _covers(train_subset: str, test_subset: str) -> bool:
    return train_subset in (test_subset, "all")


def _test_maes(train_subset: str, test_subsets, law: float, noisy) -> dict[str, float]:
    out = {}
    for test in test_subsets:
        if _covers(train_subset, test):
            out[test] = law * noisy()
        elif test == "all":
            out[test] = 0.5 * (law + OOD_MAE) * noisy()
        else:
            out[test] = OOD_MAE * noisy()
    return out


def _well_errors(train_subset: str, n_train: int, hidden: int, noisy) -> tuple[float, float]:
    """(relative depth error, bond-length error in angstrom) of the model's H2-like well."""
    if train_subset == "stable":
        return STABLE_DEPTH_ERROR * noisy(), STABLE_R_E_ERROR * noisy()
    decay = (n_train / 100.0) ** -H2_ALPHA * (hidden / 64.0) ** -0.15
    return DISTORTED_DEPTH_ERROR * decay * noisy(), DISTORTED_R_E_ERROR * decay * noisy()


def _probe(system_name: str, energy_of_r, reference_of_r, reference_method: str) -> dict:
    """One probe record as ``astray scale`` writes it, measured and judged by astray.probes."""
    system = get_system(system_name)
    r = system.default_grid()
    energy, reference = energy_of_r(r), reference_of_r(r)
    metrics = curve_metrics(r, energy, reference, masses_amu=system.masses_amu,
                            r_ref=system.r_nominal, bare_nuclei=system.bare_nuclei,
                            nuclear_charges=system.atomic_numbers)
    judged = verdict(metrics, bare_nuclei=system.bare_nuclei,
                     reference_has_minimum=not system.bare_nuclei)
    graded, limited_by = grade(metrics)
    return {"metrics": metrics.to_dict(), "failures": [f.value for f in judged.failures],
            "verdict": judged.outcome, "grade": graded.value,
            "grade_limited_by": list(limited_by),
            "r_angstrom": r.tolist(), "energy_ev": np.asarray(energy).tolist(),
            "reference_method": reference_method,
            "reference_energy_ev": np.asarray(reference).tolist(), "level_of_theory": None}


def _probes(train_subset: str, n_train: int, hidden: int, prior: bool, noisy) -> dict:
    depth_error, r_e_error = _well_errors(train_subset, n_train, hidden, noisy)

    def model_well(name):
        d_e, r_e, a = MORSE[name]
        return lambda r: morse(r, d_e * (1.0 + depth_error), r_e + r_e_error, a)

    exponent = -1.0 * (1.0 + 0.1 * (noisy() - 1.0)) if prior else NO_PRIOR_EXPONENT * noisy()
    prefactor = COULOMB_EV_ANGSTROM * (1.0 if prior else 0.3)
    return {
        "H2": _probe("H2", model_well("H2"), lambda r: morse(r, *MORSE["H2"]), "morse:synthetic"),
        "H2+": _probe("H2+", model_well("H2+" if prior else "H2"),
                      lambda r: morse(r, *MORSE["H2+"]), "morse:synthetic"),
        "H2++": _probe("H2++", lambda r: prefactor * r ** exponent,
                       lambda r: COULOMB_EV_ANGSTROM / r, "coulomb"),
    }


def write_run(directory: Path, record: dict) -> Path:
    """Write ``record`` as ``directory/runs/<run_id>/result.json`` (strict JSON); its path."""
    path = Path(directory) / "runs" / record["run_id"] / "result.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, allow_nan=False))
    return path


def read_run(directory: Path, run_id: str) -> dict:
    """The result.json of one run of a sweep folder."""
    return json.loads((Path(directory) / "runs" / run_id / "result.json").read_text())


def _run_record(subset, n_train, hidden, prior, seed, test_subsets, alpha, noise, rng) -> dict:
    def noisy():
        return 1.0 + noise * rng.standard_normal()

    law = A_TEST * (hidden / 64.0) ** -0.1 * n_train ** -alpha
    config = {"dataset": "default", "subset": subset, "model": "schnet", "hidden": hidden,
              "interactions": INTERACTIONS, "prior": prior, "n_train": n_train, "seed": seed}
    run_id = (f"default-{subset}-schnet-h{hidden}-i{INTERACTIONS}-prior{int(prior)}"
              f"-n{n_train}-s{seed}")
    return {
        "schema": "astray-run/2", "status": "done", "run_id": run_id,
        "level_of_theory": "B3LYP/6-31g (PySCF, synthetic)", **config,
        "n_params": schnet_parameter_count(hidden, INTERACTIONS) + (8 if prior else 0),
        "epochs": 200 + n_train // 20, "stopped_by": "early-stopping", "converged": True,
        "convergence": "early stopping: no validation improvement in 50 epochs",
        "pair_distances_angstrom": PAIR_DISTANCES[subset],
        "train_seconds": round(1e-4 * n_train * hidden, 3),
        "val_mae_kcal_mol": law * noisy(),
        "test_mae_kcal_mol": _test_maes(subset, test_subsets, law, noisy),
        "probe": _probes(subset, n_train, hidden, prior, noisy),
        "training": {"max_epochs": 1000, "batch_size": 50, "lr": 5e-4, "seed": seed},
        "checkpoint": "best.pt", "command": f"astray scale --subset {subset} (synthetic)",
        "astray_version": "0.1.0", "created": CREATED,
        "key": hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest(),
    }


def write_synthetic_sweep(directory, *, seeds=(0, 1, 2), n_train=(100, 300, 1000, 3000),
                          hidden=(16, 64, 256), subsets=("stable", "all"), priors=(False, True),
                          alpha=0.4, noise=0.05, rng_seed=0) -> Path:
    """Write a synthetic sweep folder (see the module docstring for its laws); its path.

    Deterministic for ``rng_seed``: runs are drawn in the order subset, prior, hidden, N, seed.
    """
    directory = Path(directory)
    rng = np.random.default_rng(rng_seed)
    test_subsets = sorted({"stable", "distorted", *subsets})
    for subset in subsets:
        for prior in priors:
            for width in hidden:
                for n in n_train:
                    for seed in seeds:
                        write_run(directory, _run_record(subset, n, width, prior, seed,
                                                         test_subsets, alpha, noise, rng))
    grid = {"dataset": ["default"], "subset": list(subsets), "n_train": list(n_train),
            "model": ["schnet"], "hidden": list(hidden), "interactions": [INTERACTIONS],
            "prior": list(priors), "seed": list(seeds)}
    (directory / "sweep.json").write_text(json.dumps(
        {"command": "astray scale --dataset default (synthetic)", "grid": grid,
         "created": CREATED}, indent=1))
    return directory
