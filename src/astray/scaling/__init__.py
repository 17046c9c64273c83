"""Scaling sweeps: a grid of training runs (data set x subset x N x architecture x size x prior x
seed) executed on Dask, one ``result.json`` per run, power-law fits of the errors against the
training-set size N and the parameter count P with bootstrap 95% intervals, and findings computed
from those numbers (:mod:`astray.scaling.summary` gathers all of it into ``scaling.json``).

Submodules are imported where they are used, so importing this package loads neither scipy nor
torch nor Dask.
"""
