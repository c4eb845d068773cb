"""The multilayer-perceptron core: mathematics only, no files, Dask or HTML.

The public names load lazily, so ``astromlp.nn.errors`` stays cheap to import for the other rooms.
"""

from importlib import import_module

from astromlp.nn.errors import AstromlpError

_PUBLIC = {
    "MLPClassifier": "astromlp.nn.estimators",
    "MLPRegressor": "astromlp.nn.estimators",
    "merge_starts": "astromlp.nn.estimators",
    "start_seeds": "astromlp.nn.multistart",
    "load": "astromlp.nn.model_io",
}

__all__ = ["AstromlpError", *_PUBLIC]


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'astromlp.nn' has no attribute {name!r}")
