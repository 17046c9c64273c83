"""The ``astray.progress`` logger: what a long computation is doing, said to people.

Importing astray configures nothing. The command line gives the logger its own handler
(:func:`astray.cli.main`). From Python, the first long computation (a reference curve that must
be computed, a probe) gives it a stderr handler, and only where nobody configured logging: the
logger has no handler and no level, and the root logger has no handler. So a notebook user hears
of a cold N2 reference (75 s) instead of minutes of silence, and any logging configuration of the
user's own takes precedence. Silence it with
``logging.getLogger("astray.progress").setLevel(logging.WARNING)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

LOGGER_NAME = "astray.progress"
#: Seconds between two progress lines of a probe: a line at least this often while steps end,
#: and never a line per curve of an 89-molecule suite.
PROBE_LINE_EVERY_S = 20.0


def progress_log() -> logging.Logger:
    """The ``astray.progress`` logger, given a stderr handler at level INFO on first use where
    nobody configured logging (see the module docstring)."""
    log = logging.getLogger(LOGGER_NAME)
    if log.handlers or log.level != logging.NOTSET or logging.getLogger().handlers:
        return log
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("astray: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # a root handler added later would print every line twice
    return log


class Throttle:
    """Says when a progress line is due: at most one every ``every_s`` seconds (monotonic
    clock), so a long loop speaks regularly and a fast one does not flood the log."""

    def __init__(self, every_s: float = PROBE_LINE_EVERY_S):
        self.every_s = every_s
        self.last = -float("inf")

    def due(self, *, always: bool = False) -> bool:
        """True (and the clock restarts) when ``every_s`` have passed or ``always``."""
        now = time.monotonic()
        if always or now - self.last >= self.every_s:
            self.last = now
            return True
        return False


def probe_progress(every_s: float = PROBE_LINE_EVERY_S) -> Callable[[int, int, str], None]:
    """An ``on_progress(done, total, what)`` for :func:`astray.probe` that says what it is
    doing on :func:`progress_log` when a step starts and ``every_s`` seconds have passed since
    the last line (the first step and the last always)."""
    throttle = Throttle(every_s)

    def report(done: int, total: int, what: str) -> None:
        if throttle.due(always=done in (0, total)):
            progress_log().info("probe: %d of %d steps done; now %s", done, total, what)

    return report
