"""The multilayer-perceptron core: mathematics only, no files, Dask or HTML."""

from astromlp.nn.density_estimator import MLPDensity
from astromlp.nn.estimators import MLPClassifier, MLPRegressor, merge_starts
from astromlp.nn.model_io import load
from astromlp.nn.multistart import start_seeds

__all__ = ["MLPClassifier", "MLPDensity", "MLPRegressor", "load", "merge_starts", "start_seeds"]
