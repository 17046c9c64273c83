"""Readers: every source format streamed as bounded blocks of structures in astray's units (the
formats and their defaults: :mod:`.registry`)."""

from astray.data.readers.registry import READERS, guess_format, import_dataset, read

__all__ = ["READERS", "guess_format", "import_dataset", "read"]
