"""The Python face of astray: :func:`probe` takes potential names, :class:`Potential` objects or
any ASE calculator and returns a typed :class:`~astray.report.probe_report.ProbeReport` (the
:class:`~astray.probes.probe_result.ProbeResult` with its figures and files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from astray.errors import PotentialError, SystemSpecError
from astray.potentials import Potential, load_potential
from astray.probes.suite import Progress, probe_suite, suite_systems
from astray.progress import probe_progress, progress_log
from astray.report.probe_report import ProbeReport
from astray.store import Store
from astray.systems import DEFAULT_SUITE, SUITES, Diatomic, get_system


def probe(potentials: Any, systems: Sequence[str] | str | None = None, *,
          elements: Sequence[str] | str | None = None,
          name: str | None = None, charge_aware: bool = False, spin_aware: bool = False,
          reference: str | None = None, level_of_theory: bool | None = None,
          recompute: bool = False, store: Store | None = None,
          on_progress: Progress | None = None) -> ProbeReport:
    """Probe potentials on diatomic dissociation curves against exact or high-level references.

    Args:
        potentials: a potential name (``"chgnet"``, ``"xtb"``, ``"pyscf:pbe/def2-svp"``), a
            :class:`Potential`, any ASE calculator instance, or a list of them.
        systems: catalogue names or ``A-B,charge=Q,mult=M`` specs (default: ``DEFAULT_SUITE``),
            or a suite: ``"default"``, ``"homonuclear"`` (X2 of every element the potentials
            declare, or of ``elements``), ``"heteronuclear"`` (every pair of ``elements``).
            A whole-table suite computes no reference: a molecule without a shipped or
            closed-form one is probed against none (its reference method ``"none"``); an
            element a potential does not support is a coverage gap (its curve's ``error``).
        elements: element symbols (``["H", "C", "O"]`` or ``"H,C,O"``) of a whole-table suite.
        name, charge_aware, spin_aware: for an ASE calculator: the name in the results
            (default: its class name in lower case) and whether it reads the total charge
            (``atoms.info["charge"]``) and spin multiplicity (``atoms.info["spin"]``).
        reference: the reference method (default: the best available for each system).
        level_of_theory: also compare each model with its training level of theory (default:
            yes for named systems and the default suite, no for the whole-table suites).
        recompute: ignore curves already in the store.
        store: the results store; by default the one under ``$ASTRAY_HOME``, opened and
            closed here.
        on_progress: called with (steps done, steps in all, what is being done).

    Examples:
        GFN2-xTB gets the shape of H2 right and its numbers wrong, and H2+ wrong in shape:

        >>> import astray
        >>> from astray.units import EV_KCAL_MOL
        >>> result = astray.probe("xtb", systems=["H2", "H2+"])
        >>> result.verdicts["xtb", "H2"]
        Verdict(passed=True, failures=())
        >>> result["xtb", "H2"].grade
        <Grade.WORSE: 'worse'>
        >>> round(result["xtb", "H2"].metrics.d_e_error_ev * EV_KCAL_MOL, 1)  # kcal/mol too deep
        13.3
        >>> [failure.value for failure in result.verdicts["xtb", "H2+"].failures]
        ['wrong-asymptote', 'wrong-well-depth', 'large-error']

        Any ASE calculator: a Lennard-Jones pair with H2's bond length and depth has the well
        in the right place and a wall far too stiff (omega_e 4 times too high, as its exact
        curvature 72 eps / r_e^2 says):

        >>> from ase.calculators.lj import LennardJones
        >>> lj = astray.probe(LennardJones(sigma=0.66, epsilon=4.75, rc=10.0), systems="H2",
        ...                   name="lj")
        >>> metrics = lj["lj", "H2"].metrics
        >>> round(metrics.r_e_angstrom, 2), round(metrics.reference_r_e_angstrom, 2)
        (0.74, 0.74)
        >>> round(metrics.omega_e_cm1 / metrics.reference_omega_e_cm1)
        4
    """
    progress_log()  # a notebook hears of long computations (astray.progress)
    on_progress = on_progress or probe_progress()
    loaded = _load_all(potentials, name, charge_aware, spin_aware)
    whole_table = isinstance(systems, str) and systems in SUITES and systems != "default"
    diatomics = _diatomics(systems, elements, loaded)
    own_store = store is None
    store = store or Store()
    try:
        return ProbeReport.of(probe_suite(
            loaded, diatomics, store=store, reference_method=reference,
            compare_level_of_theory=(not whole_table if level_of_theory is None
                                     else level_of_theory),
            compute_references=not whole_table or reference is not None,
            recompute=recompute, on_progress=on_progress))
    finally:
        if own_store:
            store.close()


def _load_all(potentials: Any, name: str | None, charge_aware: bool, spin_aware: bool
              ) -> list[Potential]:
    """Every potential asked for, loaded; what the user declared goes with the one ASE
    calculator, and a calculator declared charge-aware must read the charge."""
    wanted = potentials if isinstance(potentials, (list, tuple)) else [potentials]
    calculators = [p for p in wanted if not isinstance(p, (str, Potential))]
    if (name is not None or charge_aware or spin_aware) and len(calculators) != 1:
        raise PotentialError("name, charge_aware and spin_aware describe one ASE calculator; "
                             f"{len(calculators)} are given (load each with "
                             "astray.load_potential(calc, name=...) and pass the list)")
    declared = {"charge_aware": charge_aware, "spin_aware": spin_aware,
                **({"name": name} if name is not None else {})}
    loaded = [_load(p, declared) for p in wanted]
    names = [p.name for p in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PotentialError(f"two potentials are named {twice[0]!r}: results are looked up by "
                             "name, so give each its own (load_potential(calc, name=...))")
    if charge_aware and calculators and not _reads_charge(loaded[wanted.index(calculators[0])]):
        raise PotentialError("charge_aware=True, but the calculator gives H2 and H2+ the same "
                             "energy at 0.74 A: it does not read atoms.info['charge']")
    return loaded


def _diatomics(systems: Sequence[str] | str | None, elements: Sequence[str] | str | None,
               loaded: list[Potential]) -> list[Diatomic]:
    """The systems asked for: a suite's, or named ones (default: DEFAULT_SUITE)."""
    if isinstance(systems, str) and systems in SUITES:
        return suite_systems(systems, loaded, elements)
    if elements is not None:
        raise SystemSpecError("elements apply to the homonuclear and heteronuclear suites "
                              "(systems='homonuclear' or 'heteronuclear')")
    names = [systems] if isinstance(systems, str) else systems
    if names is not None and len(names) == 0:
        raise SystemSpecError("systems is empty: name at least one system, or a suite "
                              "('default', 'homonuclear', 'heteronuclear')")
    return [get_system(s) for s in (names or DEFAULT_SUITE)]


def _reads_charge(potential: Potential) -> bool:
    """Whether the energy changes with the total charge: H2 against H2+ at 0.74 A (two single
    points), the cheapest check that a calculator declared charge-aware reads it."""
    neutral, cation = get_system("H2").atoms(0.74), get_system("H2+").atoms(0.74)
    energies = np.asarray(potential.evaluate([neutral, cation]).energy, dtype=float)
    return not (np.all(np.isfinite(energies)) and abs(energies[0] - energies[1]) < 1e-9)


def _load(potential: Any, declared: dict) -> Potential:
    """A name or a Potential as it is; what the user declared goes with a calculator only."""
    if isinstance(potential, (str, Potential)):
        return load_potential(potential)
    return load_potential(potential, **declared)
