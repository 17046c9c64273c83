"""Model-family code that runs where the model's package is installed, with or without astray.

Each ``*_family.py`` module here imports only the standard library, numpy, ase and its own
model package (lazily, inside its functions), so that :mod:`astray.potentials.worker` can load it
by file path in another virtual environment. The in-process adapters
(:mod:`astray.potentials.foundation`) import the very same modules, so a model is loaded and
evaluated by one piece of code wherever it runs.

A family module defines:

* ``PACKAGE``: the distribution name of the model's package (for its version);
* ``load(weights: str | None, options: dict) -> model``: the model, ready to evaluate, from a
  local weights file (``None`` only for families whose weights ship in their wheel, which also
  define ``default_weights(options: dict | None = None) -> str``); never downloads;
* ``UNPICKLES_WEIGHTS = True`` where the library reads a weights file with a full unpickle
  (torch's unrestricted loader, which runs any code the file holds): a file the user
  gives then reaches ``load`` only after :func:`common.check_weights_trusted` or with trust;
* ``settings(model) -> dict`` (optional): what the loaded model runs with, for the provenance;
* ``predict(model, structures: list[ase.Atoms]) -> (energies [n] eV, forces list of [n_atoms, 3]
  eV/A)``: one batch; may raise, :func:`common.evaluate` then retries structure by structure.

Structures arrive as isolated molecules or atoms with ``atoms.info["charge"]`` (total charge,
int) and ``atoms.info["spin"]`` (spin multiplicity 2S+1, int) always set.
"""
