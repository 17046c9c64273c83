"""What every family module shares: batch evaluation with per-structure failures, ASE single
points, loading with provenance and the check that a weights file cannot run code, and for the
periodic (materials) models a vacuum box and a torch thread limit. Standard library, numpy and
ase only (see the package docstring); torch is imported inside :func:`torch_threads` and
:func:`check_weights_trusted`, which only run where a torch model is loaded."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

Predict = Callable[[Any, list[Atoms]], tuple[np.ndarray, list[np.ndarray]]]

#: Vacuum added to the cutoff (angstrom), so rounding never puts an image exactly on the cutoff.
BOX_MARGIN = 1.0


def in_vacuum_box(atoms: Atoms, cutoff: float, margin: float | None = None) -> Atoms:
    """A copy of ``atoms`` centred in a periodic orthorhombic box in which no periodic image of
    any atom lies within ``cutoff + margin`` angstrom (``margin``: :data:`BOX_MARGIN`, read at
    call time). ``info`` (charge, spin) is kept.

    Models trained on crystals (CHGNet, SevenNet) accept only periodic cells. With the box edge
    along each axis the molecule's extent plus the model's largest cutoff plus a margin, the
    graph the model sees is exactly the isolated molecule's, so the energy does not depend on
    the box; message passing only travels along graph edges, so this holds however many layers
    the model has.
    """
    margin = BOX_MARGIN if margin is None else margin
    boxed = atoms.copy()
    extent = np.ptp(boxed.positions, axis=0) if len(boxed) else np.zeros(3)
    boxed.set_cell(extent + cutoff + margin)
    boxed.pbc = True
    boxed.center()
    return boxed


@contextmanager
def torch_threads(n_threads: int = 1) -> Iterator[None]:
    """Run torch on ``n_threads`` intra-op threads for the duration, then restore the setting.

    A curve is a few hundred atoms, too little to share out: on an idle 2-core machine one
    thread is as fast as two, on a busy one 8-40 times faster than two OpenMP threads
    spin-waiting for a core (42 structures: SevenNet-0 0.12 s vs 4.8 s, CHGNet 0.09 s vs 0.74 s).
    """
    import torch

    previous = torch.get_num_threads()
    if previous == n_threads:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def evaluate(predict: Predict, model: Any, structures: Sequence[Atoms]
             ) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """Energies (eV), forces (eV/A) and failure messages of ``structures``.

    The batch is predicted in one call; if that raises, each structure is predicted alone, and a
    structure that still fails gets NaN energy and forces and one message naming it.
    """
    structures = list(structures)
    if not structures:
        return np.zeros(0), [], []
    try:
        energies, forces = predict(model, structures)
        batch = np.asarray(energies, dtype=float).reshape(-1), _as_float(forces), []
    except Exception:  # a foreign model may raise anything: one at a time finds which broke it
        return _one_at_a_time(predict, model, structures)
    return batch


def _one_at_a_time(predict: Predict, model: Any, structures: list[Atoms]
                   ) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """:func:`evaluate`, one structure per call: NaN and a message for each that fails."""
    energies = np.full(len(structures), np.nan)
    forces = [np.full((len(atoms), 3), np.nan) for atoms in structures]
    failures = []
    for index, atoms in enumerate(structures):
        try:
            one_energy, one_forces = predict(model, [atoms])
            energies[index] = float(np.asarray(one_energy).reshape(-1)[0])
            forces[index] = _as_float(one_forces)[0]
        except Exception as error:  # a foreign model may raise anything: the structure's failure
            failures.append(f"structure {index} ({atoms.get_chemical_formula()}): "
                            f"{type(error).__name__}: {error}")
    return energies, forces, failures


def _as_float(forces: Sequence) -> list[np.ndarray]:
    return [np.asarray(f, dtype=float).reshape(-1, 3) for f in forces]


def single_point(calculator: Any, atoms: Atoms) -> tuple[float, np.ndarray]:
    """Energy (eV) and forces (eV/A) of one structure with an ASE calculator.

    The calculator is reset first: ASE's result cache compares positions and numbers, not
    ``info``, so H2 and H2+ at one bond length would otherwise share an energy.
    """
    atoms = atoms.copy()  # keeps info["charge"] and info["spin"]
    calculator.reset()
    atoms.calc = calculator
    energy = float(atoms.get_potential_energy())
    if not np.isfinite(energy):
        raise ValueError(f"non-finite energy {energy}")
    return energy, np.array(atoms.get_forces(), dtype=float)


def predict_each(calculator: Any, structures: list[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
    """A batch through an ASE calculator, one structure after the other."""
    results = [single_point(calculator, atoms) for atoms in structures]
    return np.array([energy for energy, _ in results]), [forces for _, forces in results]


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(family: Any, weights: str | None, options: dict) -> tuple[Any, dict]:
    """The model of ``family`` (a family module) and its provenance. ``weights=None`` means
    the file that ships with the package (:func:`packaged_weights`); any other file, for a
    family whose library unpickles it in full (``UNPICKLES_WEIGHTS``), must pass
    :func:`check_weights_trusted` first unless ``options["trust_weights"]`` (the user trusts
    it). A family's ``settings(model)``, where defined, goes into the provenance."""
    options = dict(options)
    trusted = bool(options.pop("trust_weights", False))
    if weights is None:
        weights = packaged_weights(family, options)
    elif not trusted and getattr(family, "UNPICKLES_WEIGHTS", False):
        check_weights_trusted(family.PACKAGE, weights)
    model = family.load(str(weights), options)
    record = provenance(family.PACKAGE, weights)
    if hasattr(family, "settings"):
        record["settings"] = family.settings(model)
    return model, record


def installed_file(module: str, relative: str | Path) -> str:
    """The path of ``relative`` inside the installed package ``module``, found without importing
    it; ModuleNotFoundError (naming the module) when the package is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"No module named {module!r}", name=module)
    return str(Path(spec.origin).parent / relative)


def packaged_weights(family: Any, options: dict) -> str:
    """The weights file that ships with ``family``'s package for a model with ``options`` (an
    entry without options gets the family's default model)."""
    return family.default_weights(options) if options else family.default_weights()


class UntrustedWeightsError(Exception):
    """A weights file that could run code when loaded, which the user has not said to trust."""


def shipped_in_wheel(package: str, path: str | Path) -> bool:
    """True when ``path`` is a file installed by the distribution ``package`` (listed in its
    RECORD) and its SHA-256 still matches the RECORD's."""
    import base64
    from importlib.metadata import files

    try:
        listed = files(package) or []
    except PackageNotFoundError:
        return False
    target = Path(path).resolve()
    for entry in listed:
        if entry.hash is None or entry.hash.mode != "sha256":
            continue
        if Path(entry.locate()).resolve() == target:
            digest = bytes.fromhex(file_sha256(target))
            return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == entry.hash.value
    return False


def check_weights_trusted(package: str, weights: str | Path) -> None:
    """Raise :class:`UntrustedWeightsError` unless loading ``weights`` cannot run code.

    Model libraries load their checkpoints with torch's unrestricted loader, a full
    unpickle that runs whatever the file asks for. A file is safe when it ships in the installed
    wheel of ``package`` (:func:`shipped_in_wheel`), or when torch's restricted unpickler
    (``weights_only=True``, which never calls anything outside tensors and plain containers)
    reads it: the full unpickle then builds the same objects and calls nothing else (CHGNet's
    checkpoints are such files; SevenNet's, SO3LR's and MACE's hold Python objects and are not).
    """
    if shipped_in_wheel(package, weights):
        return
    import pickle

    import torch

    if not _looks_like_torch_file(weights):
        raise UntrustedWeightsError(
            f"{weights} is not a torch file (neither a torch.save zip archive nor a pickle): "
            "give the model's weights file")
    try:
        torch.load(weights, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:
        reason = [line.strip() for line in str(error).splitlines() if line.strip()]
        if any("PytorchStreamReader" in line or "invalid load key" in line for line in reason) \
                or isinstance(error, EOFError):
            raise UntrustedWeightsError(
                f"{weights} is not a torch file that can be read ({_words(reason, error)}): "
                "give the model's weights file") from None
        needed = next((line for line in reason if "GLOBAL" in line), None)
        raise UntrustedWeightsError(
            f"refusing to load {weights}: it holds Python objects, and loading it could run "
            f"code ({needed or _words(reason, error)}); if you trust it, pass it as "
            f"--weights trust:{weights}") from None


def _looks_like_torch_file(path: str | Path) -> bool:
    """Whether ``path`` starts as a torch.save file does: a zip archive (torch >= 1.6) or a
    pickle (protocol 2 or later, the legacy format)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return True  # let torch.load say what is wrong with it
    return head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"


def _words(reason: list[str], error: Exception, limit: int = 120) -> str:
    """The first line of an error, cut at a word (never mid-word) to about ``limit`` chars."""
    text = reason[0] if reason else type(error).__name__
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + " ..."


def provenance(package: str, weights: str | Path | None) -> dict:
    """The model package's version and the weights file with its SHA-256."""
    try:
        package_version = version(package)
    except PackageNotFoundError:
        package_version = "unknown"
    record = {"package": package, "package_version": package_version, "weights": None,
              "weights_sha256": None}
    if weights is not None:
        record.update(weights=str(weights), weights_sha256=file_sha256(weights))
    return record
