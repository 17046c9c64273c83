"""The Python face of astray: :func:`probe` takes potential names, :class:`Potential` objects or
any ASE calculator and returns a typed :class:`~astray.probes.probe_result.ProbeResult`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from astray.potentials import Potential, load_potential
from astray.probes.probe_result import ProbeResult
from astray.probes.suite import Progress, probe_suite
from astray.store import Store
from astray.systems import DEFAULT_SUITE, get_system


def probe(potentials: Any, systems: Sequence[str] | str | None = None, *,
          name: str | None = None, charge_aware: bool = False, spin_aware: bool = False,
          reference: str | None = None, level_of_theory: bool = True, recompute: bool = False,
          store: Store | None = None, on_progress: Progress | None = None) -> ProbeResult:
    """Probe potentials on diatomic dissociation curves against exact or high-level references.

    Args:
        potentials: a potential name (``"chgnet"``, ``"xtb"``, ``"pyscf:pbe/def2-svp"``), a
            :class:`Potential`, any ASE calculator instance, or a list of them.
        systems: catalogue names or ``A-B,charge=Q,mult=M`` specs (default: ``DEFAULT_SUITE``).
        name, charge_aware, spin_aware: for an ASE calculator: the name in the results
            (default: its class name in lower case) and whether it reads the total charge
            (``atoms.info["charge"]``) and spin multiplicity (``atoms.info["spin"]``).
        reference: the reference method (default: the best available for each system).
        level_of_theory: also compare each model with its training level of theory.
        recompute: ignore curves already in the store.
        store: the results store; by default the one under ``$ASTRAY_HOME``, opened and
            closed here.
        on_progress: called with (steps done, steps in all, what is being done).

    Examples:
        >>> import astray
        >>> from ase.calculators.lj import LennardJones
        >>> result = astray.probe(LennardJones(sigma=0.65, epsilon=4.7, rc=10.0),
        ...                       systems=["H2"], name="lj")
        >>> result.verdicts[("lj", "H2")].failures[:2]
        (<Failure.WRONG_BOND_LENGTH: 'wrong-bond-length'>, <Failure.WRONG_FREQUENCY: 'wrong-frequency'>)
        >>> round(result["lj", "H2"].metrics.r_e_angstrom, 3)   # exact H2: 0.741 A
        0.730
    """
    wanted = potentials if isinstance(potentials, (list, tuple)) else [potentials]
    declared = {"charge_aware": charge_aware, "spin_aware": spin_aware,
                **({"name": name} if name is not None else {})}
    loaded = [_load(p, declared) for p in wanted]
    if isinstance(systems, str):
        systems = [systems]
    diatomics = [get_system(s) for s in (systems or DEFAULT_SUITE)]
    own_store = store is None
    store = store or Store()
    try:
        return probe_suite(loaded, diatomics, store=store, reference_method=reference,
                           compare_level_of_theory=level_of_theory, recompute=recompute,
                           on_progress=on_progress)
    finally:
        if own_store:
            store.close()


def _load(potential: Any, declared: dict) -> Potential:
    """A name or a Potential as it is; what the user declared goes with a calculator only."""
    if isinstance(potential, (str, Potential)):
        return load_potential(potential)
    return load_potential(potential, **declared)
