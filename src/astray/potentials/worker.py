"""The astray worker: evaluates one model in another Python environment, over pipes.

Run as ``PYTHON /path/to/worker.py`` by :class:`astray.potentials.remote.RemotePotential`. It
imports only the standard library, numpy, ase and, when asked to, one family module (by file
path) and that module's model package, so the other environment needs no astray.

Protocol ``astray-worker/1``. Every message is one frame:

    4 bytes   big-endian unsigned length L of the header
    L bytes   header: a UTF-8 JSON object with "type", and "arrays": [[name, [shape...]], ...]
    payload   the arrays named in the header, in that order, as little-endian float64, C order

The worker speaks first; then each request gets exactly one reply.

    worker -> hello     {"protocol": "astray-worker/1", "python": "3.11.7",
                         "versions": {"numpy": ..., "ase": ...}}
    parent -> load      {"family_path": "/.../mace_family.py", "weights": path or null,
                         "options": {...}}
    worker -> ready     {"provenance": {"package", "package_version", "weights",
                         "weights_sha256"}}
    parent -> evaluate  {"n_atoms": [n1, n2, ...], "charge": [...], "spin": [...]}
                        arrays: numbers [N] (atomic numbers), positions [N, 3] (angstrom)
    worker -> result    {"failures": ["structure 3 (H2): ...", ...]}
                        arrays: energy [n_structures] (eV, NaN where it failed),
                        forces [N, 3] (eV/A)
    parent -> close     {}  (or end of input): the worker exits with status 0

A request that fails as a whole gets ``error`` {"error": "Type: message", "traceback": "..."};
after a failed ``load`` the worker exits with status 1. Libraries print: the worker moves file
descriptor 1 to standard error before importing anything and talks on a duplicate of the
original standard output, so nothing but frames reaches the parent on that pipe.
"""

from __future__ import annotations

import os
import sys

# Python puts this script's folder first on sys.path, and astray's adapters there (xtb.py ...)
# would shadow the model packages of the same name.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    del sys.path[0]

import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import struct  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

PROTOCOL = "astray-worker/1"
HEADER_LENGTH = struct.Struct(">I")
#: A header longer than this is not the protocol (it would be a stray print, not JSON).
MAX_HEADER_BYTES = 1 << 20
FAMILIES_PACKAGE = "_astray_families"
#: The shared helpers (``common.py``) of the family modules, beside this file.
FAMILIES_DIR = Path(__file__).resolve().parent / "families"


def encode(message: dict, arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """One frame: ``message`` (a JSON object) followed by ``arrays`` as float64."""
    arrays = arrays or {}
    header = dict(message, arrays=[[name, list(np.shape(a))] for name, a in arrays.items()])
    header_bytes = json.dumps(header).encode()
    payload = b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays.values())
    return HEADER_LENGTH.pack(len(header_bytes)) + header_bytes + payload


def decode_header(length_bytes: bytes, read_exact) -> dict:
    """The header of a frame whose 4 length bytes were read; ``read_exact(n)`` reads the rest.
    Raises ValueError when the bytes are not a header of this protocol."""
    (length,) = HEADER_LENGTH.unpack(length_bytes)
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"header length {length} is implausible")
    header = json.loads(read_exact(length).decode())
    if not isinstance(header, dict) or "type" not in header:
        raise ValueError("header is not a JSON object with a type")
    return header


def decode_arrays(header: dict, read_exact) -> dict[str, np.ndarray]:
    """The arrays announced by ``header``, read with ``read_exact(n)``."""
    arrays = {}
    for name, shape in header.get("arrays", []):
        size = int(np.prod(shape, dtype=np.int64))
        arrays[name] = np.frombuffer(read_exact(8 * size), dtype="<f8").reshape(shape)
    return arrays


def load_family(path: str) -> tuple[types.ModuleType, types.ModuleType]:
    """The family module at ``path`` and the shared ``common`` module, imported as submodules
    of one package spanning the family's folder and :data:`FAMILIES_DIR`, so that relative
    imports (``from .common import ...``) work without astray installed."""
    path = Path(path)
    package = types.ModuleType(FAMILIES_PACKAGE)
    package.__path__ = [str(path.parent), str(FAMILIES_DIR)]
    sys.modules[FAMILIES_PACKAGE] = package
    return (importlib.import_module(f"{FAMILIES_PACKAGE}.{path.stem}"),
            importlib.import_module(f"{FAMILIES_PACKAGE}.common"))


def structures_from(header: dict, arrays: dict[str, np.ndarray]) -> list:
    """ASE structures (isolated, with ``info`` charge and spin) from an evaluate request."""
    from ase import Atoms

    ends = np.cumsum(header["n_atoms"])
    numbers = np.split(arrays["numbers"].astype(int), ends[:-1])
    positions = np.split(arrays["positions"], ends[:-1])
    return [Atoms(numbers=z, positions=r, info={"charge": int(q), "spin": int(s)})
            for z, r, q, s in zip(numbers, positions, header["charge"], header["spin"])]


class Worker:
    """The request loop: one family module and one model per worker process."""

    def __init__(self, requests, replies):
        self.requests, self.replies = requests, replies
        self.family = self.model = self.common = None

    def send(self, message: dict, arrays: dict[str, np.ndarray] | None = None) -> None:
        self.replies.write(encode(message, arrays))
        self.replies.flush()

    def read_exact(self, n: int) -> bytes:
        data = self.requests.read(n)
        if len(data) != n:
            raise EOFError
        return data

    def serve(self) -> int:
        import ase

        self.send({"type": "hello", "protocol": PROTOCOL, "python": platform.python_version(),
                   "versions": {"numpy": np.__version__, "ase": ase.__version__}})
        while True:
            try:
                header = decode_header(self.read_exact(HEADER_LENGTH.size), self.read_exact)
                arrays = decode_arrays(header, self.read_exact)
            except EOFError:
                return 0
            if header["type"] == "close":
                return 0
            try:
                self.handle(header, arrays)
            except Exception as error:  # any failure of the model goes back to the parent
                self.send({"type": "error", "error": f"{type(error).__name__}: {error}",
                           "traceback": traceback.format_exc()})
                if header["type"] == "load":
                    return 1

    def handle(self, header: dict, arrays: dict[str, np.ndarray]) -> None:
        if header["type"] == "load":
            self.family, self.common = load_family(header["family_path"])
            self.model, provenance = self.common.load(self.family, header["weights"],
                                                      header["options"])
            self.send({"type": "ready", "provenance": provenance})
        elif header["type"] == "evaluate":
            if self.model is None:
                raise RuntimeError("evaluate before load")
            energies, forces, failures = self.common.evaluate(
                self.family.predict, self.model, structures_from(header, arrays))
            flat_forces = np.concatenate(forces) if forces else np.zeros((0, 3))
            self.send({"type": "result", "failures": failures},
                      {"energy": energies, "forces": flat_forces})
        else:
            raise ValueError(f"unknown request type {header['type']!r}")


def main() -> int:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # C-level and Python prints -> stderr
    sys.stdout = sys.stderr
    return Worker(sys.stdin.buffer, replies).serve()


if __name__ == "__main__":
    sys.exit(main())
