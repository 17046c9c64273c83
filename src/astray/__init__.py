"""astray: does a machine-learned potential get the physics of bond breaking right?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("astray")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
