"""The multilayer-perceptron core: mathematics only, no files, Dask or HTML."""

from astromlp.nn.errors import AstromlpError

__all__ = ["AstromlpError"]
