"""astromlp: survey catalogs in, trained neural networks and honest evaluation reports out.

This root package is the foundation every room may import (``astromlp.errors``, ``astromlp.files``,
``astromlp.jsonable``); it imports no room, so ``import astromlp`` stays cheap.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("astromlp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
