"""A Dask worker plugin of astray's local clusters (imported only where a cluster starts)."""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the process that started it dies (prctl
    PR_SET_PDEATHSIG); elsewhere nothing."""
    import ctypes
    import os
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the request: follow it now
        os._exit(1)


class DieWithParent(WorkerPlugin):
    """A Dask worker plugin: a local worker process dies with the astray process that started
    it. Without it, workers of a killed ``astray scale`` (SIGKILL leaves no time to close the
    cluster) went on training for about a minute, until they gave up on the lost scheduler,
    while the rerun started new workers on the same runs."""

    name = "astray-die-with-parent"
    idempotent = True

    def setup(self, worker) -> None:
        _die_with_parent()
