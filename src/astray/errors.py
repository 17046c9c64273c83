"""Errors a user can cause and fix. The CLI turns each into a one-line message and exit code 2."""


class AstrayError(Exception):
    """Base of every error caused by the user's input, data or environment (not by a bug)."""


class SystemSpecError(AstrayError, ValueError):
    """Unknown system name, malformed spec, or an impossible charge/multiplicity combination."""


class PotentialError(AstrayError):
    """Unknown potential, a model that cannot be loaded, or a model that failed to evaluate."""


class WeightsNotFoundError(PotentialError):
    """A model's weights file is missing; the message names the file and where to put it."""


class ReferenceUnavailableError(AstrayError):
    """A reference curve cannot be computed for this system with the requested method."""


class DatasetError(AstrayError):
    """A data set that is missing, malformed, truncated or inconsistent; the message says which."""


class ModelError(AstrayError, ValueError):
    """An unknown architecture or an invalid model configuration (e.g. from a checkpoint)."""


class CheckpointError(PotentialError):
    """A checkpoint that is missing, corrupt, foreign or refused by the safe loader."""


class SweepError(AstrayError):
    """A scaling sweep that cannot run or be read: an impossible grid, a folder without runs."""
