"""The multilayer-perceptron core: mathematics only, no files, Dask or HTML."""

from astromlp.nn.density_estimator import MLPDensity
from astromlp.nn.estimators import MLPClassifier, MLPRegressor, merge_starts
from astromlp.nn.lr_find import lr_find
from astromlp.nn.model_io import load, save
from astromlp.nn.multistart import start_seeds

__all__ = ["MLPClassifier", "MLPDensity", "MLPRegressor", "load", "lr_find", "merge_starts", "save", "start_seeds"]
