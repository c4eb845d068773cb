"""MLPDensity: a conditional density of one numeric target (a photometric redshift's PDF) as a softmax over
bins, with the regressor's hyperparameters plus the grid and the width of the soft labels."""

from __future__ import annotations

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from astromlp.errors import AstromlpError
from astromlp.nn.density import grid_edges, point_estimates, quantiles, soft_labels
from astromlp.nn.estimators import _PARAMETERS_DOC, _BaseMLP

_LOSS = "softmax_cross_entropy"

#: MLPDensity's own default for ``hidden_layer_sizes``: three hidden layers had the fewest outliers of the PDF's
#: mode in cross-validation (benchmarks/quality_selection.md, round 9).
DEFAULT_HIDDEN = (64, 64, 64)
_BASE_SIGNATURE = inspect.signature(_BaseMLP.__init__)

_DENSITY_DOC = """
    z_grid : None, int or array-like of float, default None
        The bins of the PDF: None for 200 equal bins from min(0, smallest target) to the 99.9th percentile
        of the training targets plus 10 % of their range; an integer for that many bins over the same range;
        or the bin edges themselves (strictly increasing). The fitted edges are ``bin_edges_``.
    label_width : float, default 1.0
        Standard deviation, in bins, of the Gaussian that spreads each training target over neighbouring
        bins (soft labels, Pasquet et al. 2019); 0 trains on the target's bin alone.
"""


class MLPDensity(RegressorMixin, _BaseMLP):
    __doc__ = ("Multilayer-perceptron conditional density: a softmax over bins of the target, trained with "
               "cross-entropy against soft bin labels; ``start_selection='ensemble'`` averages the starts' PDFs "
               f"(a deep ensemble). Its default ``hidden_layer_sizes`` is {DEFAULT_HIDDEN}, not (64, 64): three "
               "hidden layers had the fewest outliers of the PDF's mode in cross-validation "
               "(benchmarks/quality_selection.md, round 9).\n" + _PARAMETERS_DOC.rstrip() + "\n" + _DENSITY_DOC)

    _default_loss = _LOSS
    _is_classifier = False
    _multi_output = False
    _target_name = "grid of bins"

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({_LOSS, "log_loss", "cross_entropy"}), None],
        "z_grid": [None, Interval(Integral, 2, None, closed="left"), "array-like"],
        "label_width": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=DEFAULT_HIDDEN, *, z_grid=None, label_width=1.0, **params):
        super().__init__(hidden_layer_sizes, **params)
        self.z_grid = z_grid
        self.label_width = label_width

    # scikit-learn reads the hyperparameters from the __init__ signature: the base ones (with this class's
    # default hidden layers) plus the grid's two
    __init__.__signature__ = _BASE_SIGNATURE.replace(parameters=[
        _BASE_SIGNATURE.parameters["self"],
        _BASE_SIGNATURE.parameters["hidden_layer_sizes"].replace(default=DEFAULT_HIDDEN),
        *list(_BASE_SIGNATURE.parameters.values())[2:],
        inspect.Parameter("z_grid", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("label_width", inspect.Parameter.KEYWORD_ONLY, default=1.0)])

    def _closed_form_refusal(self) -> str:
        return ("MLPDensity has no closed-form solver: a softmax over redshift bins is fitted by gradient descent "
                "only; use solver='gd' (the default)")

    # ----- targets: the grid and the soft labels -----------------------------------------------------------
    def _prepare_targets(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise AstromlpError(f"MLPDensity learns the density of one target; y has shape {y.shape}")
        self.bin_edges_ = grid_edges(self.z_grid, y)

    def _encode_targets(self, y):
        return soft_labels(np.ravel(y), self.bin_edges_, self.label_width, np.dtype(self.dtype))

    def _stratify(self, y):
        return None

    def _n_outputs(self) -> int:
        return len(self.bin_edges_) - 1

    def _target_state(self) -> dict:
        return {"classes": None, "y_ndim": 1, "bin_edges": self.bin_edges_.tolist()}

    def _restore_targets(self, state: dict) -> None:
        self.bin_edges_ = np.asarray(state["bin_edges"], dtype=np.float64)

    @property
    def bin_centers_(self) -> np.ndarray:
        """The middle of each bin, where ``predict_pdf``'s densities are drawn."""
        return 0.5 * (self.bin_edges_[:-1] + self.bin_edges_[1:])

    # ----- fit and predict ------------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None, on_epoch=None):
        """Train on (X, y); ``X_val``/``y_val`` (weighted by ``sample_weight_val``) replace the internal
        validation split when given.
        ``on_epoch(start, epoch, train_loss, monitored_loss)`` is called after every epoch of every start."""
        return self._fit(X, y, sample_weight, X_val, y_val, on_epoch, sample_weight_val)

    def predict_bins(self, X) -> np.ndarray:
        """Probability of each bin (rows sum to 1): the mixture (mean) of the starts' PDFs for an ensemble.
        Not ``predict_proba``, which scikit-learn reserves for classifiers."""
        return self._linked(X).mean(axis=0)

    def predict_bins_std(self, X) -> np.ndarray:
        """Spread between the starts' bin probabilities (zeros for one network)."""
        return self._linked(X).std(axis=0)

    def predict_pdf(self, X) -> np.ndarray:
        """Probability density per unit of the target at ``bin_centers_`` (integrates to 1 over the grid)."""
        return self.predict_bins(X) / np.diff(self.bin_edges_)

    def predict_summary(self, X) -> dict[str, np.ndarray]:
        """Per row: mode, mean, median, 68 %/95 % interval bounds (lo68, hi68, lo95, hi95) and ODDS."""
        return point_estimates(self.predict_bins(X), self.bin_edges_)

    def predict(self, X) -> np.ndarray:
        """The median of each row's PDF (the point estimate the regression metrics judge)."""
        return quantiles(self.predict_bins(X), self.bin_edges_, 0.5)

    def _loss_name(self) -> str:
        name = super()._loss_name()
        if name != _LOSS:
            raise AstromlpError(f"loss {self.loss!r} does not fit a density; MLPDensity trains with "
                                f"{_LOSS!r} (leave loss unset)")
        return name
