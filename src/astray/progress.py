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

LOGGER_NAME = "astray.progress"


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
