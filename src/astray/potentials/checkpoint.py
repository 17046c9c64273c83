"""A trained astray model (or a study SchNet state dict) as a potential: ``checkpoint:PATH``.

The model predicts atomization energies (E - sum of isolated-atom energies), so its energy
convention is ``"atomization"``: a neutral atom is 0 by definition, whatever the untrained model
gives it. Its curves are judged both ways: relative to the separated fragments computed by the
same model (the curve's shape, that offset cancelled), and in its own convention against the
exact energies there (the fragments' own error, ``dissociation_limit_error_ev``). All structures
of a call are evaluated as batched graphs (chunks of ``BATCH_SIZE``), forces by autograd.

**A checkpoint with a baseline** (``astray train --baseline SPEC``, Delta-learning) holds a
correction, not an energy: its model learned A_data - A_baseline, both atomization energies
against their own isolated atoms. This potential loads the recorded baseline (any spec
:func:`astray.potentials.loading.load_potential` knows) and returns, for every structure M
(molecules, ions and the lone atoms of a curve's fragments alike)::

    E(M) = [E_baseline(M) - sum_a E_baseline(atom a)] + model(M)
    F(M) = F_baseline(M) + F_model(M)

E_baseline(atom a) is the baseline's own energy of the isolated *neutral* atom in its ground
state (:func:`ground_state_atom_energies`), whatever the charge of M, so the sum is an
atomization energy in astray's convention (a neutral atom 0, H+ its ionisation energy) exactly
as the training targets were. With a correction of zero (a model whose last layer is zeroed)
the potential reproduces the baseline's own curves E(AB) - E(A) - E(B) exactly. A baseline that
cannot be loaded is a one-line :class:`CheckpointError` naming it; a baseline whose version
differs from the one recorded at training is used with a warning (the correction was fitted to
the other version).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.errors import AstrayError, CheckpointError
from astray.potentials.base import Potential, Prediction, charge_and_multiplicity

BATCH_SIZE = 256


def ground_state_atom_energies(potential: Potential, symbols: Iterable[str]
                               ) -> dict[str, tuple[float, str | None]]:
    """Energy (eV, in ``potential``'s own convention) of each isolated neutral atom in its
    ground state (multiplicity :func:`astray.systems.ground_multiplicity`: H 2, C 3, N 4, O 3,
    F 2), one structure per call, and why it failed where it did: ``{"H": (-10.7, None),
    "Xe": (nan, "RuntimeWarning: ...")}``. Bad input (:class:`AstrayError`) propagates."""
    from ase.data import atomic_numbers

    from astray.systems import ground_multiplicity

    energies = {}
    for symbol in symbols:
        atoms = Atoms(symbol, positions=[[0.0, 0.0, 0.0]],
                      info={"charge": 0, "spin": ground_multiplicity(atomic_numbers[symbol])})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                energy = float(potential.evaluate([atoms]).energy[0])
            except AstrayError:
                raise
            except Exception as error:  # noqa: BLE001  reported as the element's failure
                energies[symbol] = (float("nan"), f"{type(error).__name__}: "
                                                  f"{(str(error).splitlines() or [''])[0]}")
                continue
        reason = next((str(w.message) for w in caught), None) or "non-finite energy"
        energies[symbol] = (energy, None) if np.isfinite(energy) else (float("nan"), reason)
    return energies


class CheckpointPotential(Potential):
    """Energies (eV) and forces (eV/A) of a checkpoint written by ``astray train``."""

    family = "astray"
    spin_aware = False

    def __init__(self, name: str):
        super().__init__(name)
        from astray.models.checkpoint import load_model
        from astray.models.registry import reads_charge

        path = name.split(":", 1)[1] if name.startswith("checkpoint:") else name
        if not path:
            raise CheckpointError("write checkpoint:PATH, e.g. checkpoint:runs/schnet/best.pt")
        self.path = path
        self.model, self.metadata = load_model(path)
        self.energy_unit_ev = float(self.model.config["energy_unit_ev"])
        self.charge_aware = reads_charge(self.model.config)  # the registry says which do
        self.level_of_theory = (f"{self.metadata.get('level_of_theory', 'unknown')} "
                                f"(data set {self.metadata.get('dataset', 'unknown')})")
        self.level_of_theory_reference = self.metadata.get("level_of_theory_reference")
        # astray's and the study's checkpoints are trained on E - sum of the neutral isolated
        # atoms' energies (the study's positive TAE is turned round on loading); a checkpoint
        # that says it was trained on anything else is taken as total energies
        target = self.metadata.get("target", "atomization_energy")
        self.energy_convention = "atomization" if target == "atomization_energy" else "total"
        # the file's hash identifies the weights, so a retrained checkpoint at the same path
        # is never mistaken for the curves stored for the old one
        self._sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
        self.baseline, self._atom_energies = None, {}
        if self.metadata.get("baseline"):
            self._load_baseline(self.metadata["baseline"])

    def _load_baseline(self, record: dict) -> None:
        """Load the recorded baseline and its isolated atoms (one-line errors naming it)."""
        from astray.potentials.loading import load_potential

        spec = record.get("spec") if isinstance(record, dict) else None
        if not isinstance(spec, str) or not spec:
            raise CheckpointError(f"{self.path}: its baseline record is malformed ({record!r})")
        try:
            self.baseline = load_potential(spec)
        except AstrayError as error:
            raise CheckpointError(f"{self.path}: its baseline {spec!r} cannot be loaded: "
                                  f"{(str(error).splitlines() or [''])[0]}") from None
        if record.get("version") not in (None, self.baseline.version):
            warnings.warn(f"{self.path}: baseline {spec!r} is now {self.baseline.version!r}, "
                          f"the correction was trained against {record['version']!r}",
                          RuntimeWarning, stacklevel=3)
        self.charge_aware = self.charge_aware or self.baseline.charge_aware
        self.spin_aware = self.baseline.spin_aware
        self.supported_elements = self.baseline.supported_elements
        self.independent_structures = self.baseline.independent_structures
        self.level_of_theory += (f", learned as a correction to the baseline {spec} "
                                 f"({self.baseline.version}): energies are baseline + model")
        self._atom_energy(record.get("atom_energies_ev") or {})

    def _atom_energy(self, symbols: Iterable[str]) -> None:
        """The baseline's ground-state neutral atoms not yet known (NaN where it fails)."""
        missing = [s for s in dict.fromkeys(symbols) if s not in self._atom_energies]
        if missing:
            self._atom_energies.update({s: value for s, (value, _) in
                                        ground_state_atom_energies(self.baseline, missing).items()})

    @property
    def version(self) -> str:
        own = f"astray {self.metadata.get('code_version', 'unknown')} sha256:{self._sha256}"
        return own if self.baseline is None else f"{own} + baseline {self.baseline.version}"

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        energies, forces = [], []
        for first in range(0, len(structures), BATCH_SIZE):
            chunk_energy, chunk_forces = self._evaluate_chunk(structures[first:first + BATCH_SIZE])
            energies.append(chunk_energy)
            forces.extend(chunk_forces)
        energy = np.concatenate(energies) if energies else np.zeros(0)
        if self.baseline is not None:
            energy, forces = self._add_baseline(structures, energy, forces)
        return Prediction(energy=np.where(np.isfinite(energy), energy, np.nan), forces=forces)

    def _add_baseline(self, structures: Sequence[Atoms], energy: np.ndarray,
                      forces: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """baseline + model: E_baseline(M) - sum of its ground-state neutral atoms + model(M)
        (see the module docstring); forces None where the baseline gives none."""
        from ase.data import chemical_symbols

        base = self.baseline.evaluate(structures)
        self._atom_energy(chemical_symbols[z] for a in structures for z in set(a.numbers))
        atoms = np.array([sum(self._atom_energies[chemical_symbols[z]] for z in a.numbers)
                          for a in structures], dtype=float)
        total = np.asarray(base.energy, dtype=float) - atoms + energy
        if base.forces is None:
            return total, None
        return total, [np.asarray(b, dtype=float) + f for b, f in zip(base.forces, forces)]

    def _evaluate_chunk(self, structures: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        import torch

        dtype = next(self.model.parameters()).dtype
        z = torch.as_tensor(np.concatenate([a.numbers for a in structures]), dtype=torch.long)
        pos = torch.as_tensor(np.concatenate([a.positions for a in structures]), dtype=dtype)
        counts = [len(a) for a in structures]
        batch = torch.repeat_interleave(torch.arange(len(structures)), torch.as_tensor(counts))
        charge = torch.as_tensor([charge_and_multiplicity(a)[0] for a in structures], dtype=dtype)
        pos.requires_grad_(True)
        energy = self.model(z, pos, batch, charge)
        gradient = torch.autograd.grad(energy.sum(), pos)[0]
        energy_ev = energy.detach().double().numpy() * self.energy_unit_ev
        forces_ev = -gradient.double().numpy() * self.energy_unit_ev
        return energy_ev, np.split(forces_ev, np.cumsum(counts)[:-1])

    def describe(self) -> dict:
        return {**super().describe(), "checkpoint": self.path,
                "model": self.model.config, "dataset": self.metadata.get("dataset"),
                "subset": self.metadata.get("subset"), "n_train": self.metadata.get("n_train"),
                "split_seed": self.metadata.get("split_seed"),
                "metrics": self.metadata.get("metrics"),
                "baseline": None if self.baseline is None else {
                    "spec": self.baseline.name, "version": self.baseline.version,
                    "trained_against": self.metadata["baseline"].get("version"),
                    "energy": "baseline atomization energy + learned correction"}}
