"""What the periodic (materials) models share: a molecule in a vacuum box, batching, weights.

CHGNet and SevenNet were trained on crystals and only accept periodic cells. An isolated molecule
is put in an orthorhombic box whose edge along each axis is the molecule's extent plus the model's
cutoff plus a margin, so the nearest periodic image of any atom is farther than the cutoff: the
graph the model sees is exactly the isolated molecule's, and the energy does not depend on the box
(checked in the tests). Message passing only travels along graph edges, so a cutoff-sized gap is
enough however many layers the model has.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.errors import WeightsNotFoundError
from astray.potentials.base import Potential, Prediction

#: Vacuum added to the cutoff (angstrom), so rounding never puts an image exactly on the cutoff.
BOX_MARGIN = 1.0


def in_vacuum_box(atoms: Atoms, cutoff: float, margin: float = BOX_MARGIN) -> Atoms:
    """A copy of ``atoms`` centred in a periodic orthorhombic box in which no periodic image of
    any atom lies within ``cutoff + margin`` angstrom. ``info`` (charge, spin) is kept."""
    boxed = atoms.copy()
    extent = np.ptp(boxed.positions, axis=0) if len(boxed) else np.zeros(3)
    boxed.set_cell(extent + cutoff + margin)
    boxed.pbc = True
    boxed.center()
    return boxed


def require_weights(path: str | Path, model: str, package: str) -> Path:
    """``path`` if it exists, else :class:`WeightsNotFoundError` naming the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise WeightsNotFoundError(
            f"{model} weights not found: {path} is missing; reinstall the package that ships "
            f"them (pip install --force-reinstall --no-deps {package}) or copy the file there")
    return path


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run torch on ``n_threads`` intra-op threads for the duration (``None``: leave it be)."""
    if n_threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class BoxedPotential(Potential):
    """A model for periodic cells evaluated on molecules in vacuum boxes, in batches.

    Subclasses set ``cutoff`` (the model's largest neighbour cutoff, angstrom) and implement
    :meth:`predict_boxed`. A batch that raises is retried one structure at a time, so one bad
    structure costs that structure (NaN and a warning), not the batch.
    """

    #: Largest graph cutoff of the model in angstrom; set by the subclass.
    cutoff: float = 0.0
    #: Structures per forward pass (diatomics are tiny; a 42-structure curve is one pass).
    batch_size: int = 64
    #: Vacuum beyond the cutoff, angstrom (the tests vary it to check box-size invariance).
    box_margin: float = BOX_MARGIN
    #: torch threads while evaluating (None: torch's own setting). A curve is a few hundred
    #: atoms, too little to share out: on an idle 2-core machine one thread is as fast as two,
    #: on a busy one 8-40 times faster than two OpenMP threads spin-waiting for a core
    #: (42 structures: SevenNet-0 0.12 s vs 4.8 s, CHGNet 0.09 s vs 0.74 s).
    threads: int | None = 1

    @abstractmethod
    def predict_boxed(self, boxed: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Total energies (eV) and forces (eV/A) of boxed structures, in one forward pass."""

    def evaluate(self, structures: Sequence[Atoms]) -> Prediction:
        boxed = [in_vacuum_box(atoms, self.cutoff, self.box_margin) for atoms in structures]
        energies = np.full(len(boxed), np.nan)
        forces = [np.full((len(atoms), 3), np.nan) for atoms in boxed]
        with torch_threads(self.threads):
            self._evaluate_chunks(boxed, energies, forces)
        return Prediction(energy=energies, forces=forces)

    def _evaluate_chunks(self, boxed: list[Atoms], energies: np.ndarray,
                         forces: list[np.ndarray]) -> None:
        for start in range(0, len(boxed), self.batch_size):
            chunk = list(range(start, min(start + self.batch_size, len(boxed))))
            try:
                self._predict_into(chunk, boxed, energies, forces)
            except Exception:  # find the structure that broke the batch
                for i in chunk:
                    try:
                        self._predict_into([i], boxed, energies, forces)
                    except Exception as error:
                        warnings.warn(f"{self.name} failed on structure {i} "
                                      f"({boxed[i].get_chemical_formula()}): {error}; energy NaN",
                                      RuntimeWarning, stacklevel=4)

    def _predict_into(self, indices: list[int], boxed: list[Atoms], energies: np.ndarray,
                      forces: list[np.ndarray]) -> None:
        batch_energies, batch_forces = self.predict_boxed([boxed[i] for i in indices])
        batch_forces = [np.asarray(f, dtype=float) for f in batch_forces]
        energies[indices] = batch_energies  # nothing is written unless the whole batch worked
        for i, f in zip(indices, batch_forces, strict=True):
            forces[i] = f
