"""Reference curves shipped precomputed (JSON, one file per system and method)."""
