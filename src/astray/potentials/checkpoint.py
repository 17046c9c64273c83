"""A trained astray model (or a study SchNet state dict) as a potential: ``checkpoint:PATH``.

The model predicts atomization energies (E - sum of isolated-atom energies), so its energy
convention is ``"atomization"``: a neutral atom is 0 by definition, whatever the untrained model
gives it. Its curves are judged both ways: relative to the separated fragments computed by the
same model (the curve's shape, that offset cancelled), and in its own convention against the
exact energies there (the fragments' own error, ``dissociation_limit_error_ev``). All structures
of a call are evaluated as batched graphs (chunks of ``BATCH_SIZE``), forces by autograd.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.errors import CheckpointError
from astray.potentials.base import Potential, Prediction, charge_and_multiplicity

BATCH_SIZE = 256


class CheckpointPotential(Potential):
    """Energies (eV) and forces (eV/A) of a checkpoint written by ``astray train``."""

    family = "astray"
    spin_aware = False

    def __init__(self, name: str):
        super().__init__(name)
        from astray.train.checkpoint import load_model

        path = name.split(":", 1)[1] if name.startswith("checkpoint:") else name
        if not path:
            raise CheckpointError("write checkpoint:PATH, e.g. checkpoint:runs/schnet/best.pt")
        self.path = path
        self.model, self.metadata = load_model(path)
        self.energy_unit_ev = float(self.model.config["energy_unit_ev"])
        # only the physics prior reads the total charge
        self.charge_aware = self.model.config["architecture"] == "prior"
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

    @property
    def version(self) -> str:
        return f"astray {self.metadata.get('code_version', 'unknown')} sha256:{self._sha256}"

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        energies, forces = [], []
        for first in range(0, len(structures), BATCH_SIZE):
            chunk_energy, chunk_forces = self._evaluate_chunk(structures[first:first + BATCH_SIZE])
            energies.append(chunk_energy)
            forces.extend(chunk_forces)
        energy = np.concatenate(energies) if energies else np.zeros(0)
        return Prediction(energy=np.where(np.isfinite(energy), energy, np.nan), forces=forces)

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
                "metrics": self.metadata.get("metrics")}
