"""A catalogued model evaluated in a worker process started with another Python interpreter.

The worker (:mod:`astray.potentials.worker`, protocol ``astray-worker/1``) is started once, when
the potential is created, and loads the model once; each :meth:`RemotePotential.evaluate` is
one request over its pipes. The worker's standard error goes to a temporary file, whose last
lines are quoted when something goes wrong. A worker that crashes, exits, does not answer in
time or writes something that is not the protocol is stopped, with every process it started
(it leads its own process group), and gives a :class:`PotentialError` of one line naming the
potential.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

import numpy as np
from ase import Atoms

from astray.errors import PotentialError
from astray.potentials import worker as protocol
from astray.potentials.catalogue import CatalogueEntry
from astray.potentials.foundation import FAMILIES_DIR, CataloguedPotential

WORKER_SCRIPT = Path(protocol.__file__)
#: Seconds allowed for the interpreter to start and say hello (imports numpy and ase).
HELLO_TIMEOUT_S = 120.0
#: Seconds allowed to load the model (a 1 GB checkpoint and its SHA-256).
LOAD_TIMEOUT_S = 900.0
#: Seconds allowed for one batch.
BATCH_TIMEOUT_S = 900.0
STDERR_TAIL_CHARS = 400


class WorkerChannel:
    """The worker process and its two pipes; every failure becomes a PotentialError."""

    def __init__(self, name: str, python: str, script: Path = WORKER_SCRIPT):
        self.name, self.python = name, python
        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                [python, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self.stderr, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True)
        except OSError as error:
            raise PotentialError(f"{name}: cannot start the worker with {python}: "
                                 f"{error.strerror}") from None
        self._finalizer = weakref.finalize(self, _stop, self.process, self.stderr)

    def fail(self, what: str) -> PotentialError:
        """Stop the worker and describe what went wrong, with the end of its stderr."""
        code = self.process.poll()
        _stop(self.process)
        self.stderr.seek(0)
        tail = " | ".join(self.stderr.read().decode(errors="replace").strip().splitlines()[-6:])
        status = f" (exit status {code})" if code is not None else ""
        detail = f"; worker stderr: ...{tail[-STDERR_TAIL_CHARS:]}" if tail else ""
        return PotentialError(f"{self.name}: worker ({self.python}) {what}{status}{detail}")

    def send(self, message: dict, arrays: dict[str, np.ndarray] | None = None) -> None:
        try:
            self.process.stdin.write(protocol.encode(message, arrays))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self.fail("exited before the request could be sent") from None

    def receive(self, timeout: float) -> tuple[dict, dict[str, np.ndarray]]:
        """The next message, or a PotentialError after ``timeout`` seconds, at the end of
        output, or on bytes that are not the protocol."""
        deadline = time.monotonic() + timeout

        def read_exact(n: int) -> bytes:
            chunks, missing = [], n
            fd = self.process.stdout.fileno()
            while missing:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                    raise self.fail(f"did not answer within {timeout:g} s")
                chunk = os.read(fd, missing)
                if not chunk:
                    self.process.wait(timeout=5)
                    raise self.fail("exited")
                chunks.append(chunk)
                missing -= len(chunk)
            return b"".join(chunks)

        first = read_exact(protocol.HEADER_LENGTH.size)
        try:
            header = protocol.decode_header(first, read_exact)
            arrays = protocol.decode_arrays(header, read_exact)
        except (ValueError, UnicodeDecodeError) as error:
            raise self.fail(f"wrote something that is not the {protocol.PROTOCOL} protocol "
                            f"(starting {first!r}: {error})") from None
        if header["type"] == "error":
            raise PotentialError(f"{self.name}: {header.get('error')} "
                                 f"(in the worker, {self.python})")
        return header, arrays

    def expect(self, kind: str, timeout: float) -> tuple[dict, dict[str, np.ndarray]]:
        header, arrays = self.receive(timeout)
        if header["type"] != kind:
            raise self.fail(f"answered {header['type']!r} where {kind!r} was expected")
        return header, arrays

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send({"type": "close"})
                self.process.wait(timeout=10)
            except (PotentialError, subprocess.TimeoutExpired):
                pass
        self._finalizer()


def _stop(process: subprocess.Popen, stderr=None) -> None:
    """Kill the worker and every process it started (its own process group: model libraries
    start data loaders and compilers that would outlive it), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group is gone: the worker and its children have all exited
        pass
    process.wait()
    for stream in (process.stdin, process.stdout, stderr):
        if stream is not None and not stream.closed:
            try:
                stream.close()
            except OSError:
                pass


class RemotePotential(CataloguedPotential):
    """``entry``'s model loaded once in a worker started with the interpreter ``python``.

    Args:
        entry: the catalogue entry (its ``family_module`` is what the worker imports).
        python: path of the Python interpreter of the model's environment (needs numpy, ase
            and the model's package; not astray).
        weights: weights file, or None for a model whose weights ship with its package.
        family_path: the family module's file (default: astray's own for ``entry``).
        batch_timeout: seconds one batch may take before the worker is stopped.
    """

    def __init__(self, entry: CatalogueEntry, python: str | Path, weights: Path | None = None, *,
                 family_path: Path | None = None, batch_timeout: float = BATCH_TIMEOUT_S,
                 script: Path = WORKER_SCRIPT):
        super().__init__(entry)
        self.python = str(python)
        self.batch_timeout = batch_timeout
        family_path = family_path or FAMILIES_DIR / f"{entry.family_module}.py"
        self.channel = WorkerChannel(entry.name, self.python, script)
        hello, _ = self.channel.expect("hello", HELLO_TIMEOUT_S)
        if hello.get("protocol") != protocol.PROTOCOL:
            raise self.channel.fail(f"speaks {hello.get('protocol')!r}, not "
                                    f"{protocol.PROTOCOL!r}")
        self.worker_versions = {"python": hello.get("python"), **hello.get("versions", {})}
        self.channel.send({"type": "load", "family_path": str(family_path),
                           "weights": None if weights is None else str(weights),
                           "options": entry.options})
        ready, _ = self.channel.expect("ready", LOAD_TIMEOUT_S)
        self.provenance = ready["provenance"]

    def describe(self) -> dict:
        return {**super().describe(), "python": self.python,
                "worker_protocol": protocol.PROTOCOL, "worker_versions": self.worker_versions}

    def predict(self, structures: list[Atoms]):
        if not structures:
            return np.zeros(0), [], []
        n_atoms = [len(atoms) for atoms in structures]
        self.channel.send(
            {"type": "evaluate", "n_atoms": n_atoms,
             "charge": [int(a.info["charge"]) for a in structures],
             "spin": [int(a.info["spin"]) for a in structures]},
            {"numbers": np.concatenate([a.numbers for a in structures]),
             "positions": np.concatenate([a.positions for a in structures])})
        result, arrays = self.channel.expect("result", self.batch_timeout)
        energies, forces = arrays["energy"], arrays["forces"]
        if energies.shape != (len(structures),) or forces.shape != (sum(n_atoms), 3):
            raise self.channel.fail(f"returned arrays of shapes {energies.shape} and "
                                    f"{forces.shape} for {len(structures)} structures")
        return energies.copy(), np.split(forces.copy(), np.cumsum(n_atoms)[:-1]), \
            list(result.get("failures", []))

    def close(self) -> None:
        """Stop the worker (also done when the potential is garbage-collected or at exit)."""
        self.channel.close()
