"""scikit-learn estimators over the MLP core: MLPClassifier and MLPRegressor, with multi-start."""

from __future__ import annotations

import inspect
import time
from numbers import Integral, Real

import numpy as np
from scipy.special import expit

# Private scikit-learn API, used only where there is no public way: `_fit_context` runs the declarative
# `_parameter_constraints` check (with `Interval`/`StrOptions` from `utils._param_validation`) that scikit-learn's
# own estimators use, and no public function validates parameters against constraints; `_check_sample_weight`
# gives the exact sample-weight checks scikit-learn's estimator checks expect (array-likes, all-zero weights),
# which check_array and check_consistent_length alone do not.
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from astromlp.errors import AstromlpError
from astromlp.nn.activations import ACTIVATIONS, RRELU_RANGE
from astromlp.nn.activations import ALIASES as ACTIVATION_ALIASES
from astromlp.nn.calibration import CALIBRATIONS, check_temperature, fit_temperature
from astromlp.nn.footprint import available_memory, check_fits, layout_counts, training_bytes
from astromlp.nn.init import INITIALIZERS
from astromlp.nn.labels import label_index, one_hot, sorted_labels
from astromlp.nn.layers import B_OFF, BE_OFF, LayerSpec, network_specs
from astromlp.nn.linear import check_closed_form, fit_closed_form
from astromlp.nn.losses import ALIASES as LOSS_ALIASES
from astromlp.nn.losses import LOSSES, MAPE_MIN_ABS_TARGET
from astromlp.nn.multistart import StartOutcome, best_start, merge_starts, record_score, start_seeds
from astromlp.nn.network import Network
from astromlp.nn.optimizers import OPTIMIZERS
from astromlp.nn.schedules import SCHEDULES
from astromlp.nn.training import TrainConfig, TrainResult, evaluate_loss, train, train_many

__all__ = ["MLPClassifier", "MLPRegressor", "merge_starts"]

_LINKS = {
    "identity": lambda z: z,
    "sigmoid": expit,  # overflow-free, unlike 1 / (1 + exp(-z))
    "softmax": lambda z: _softmax(z),
}


_PREDICT_BLOCK = 8192  # rows per kernel call when predicting (rounded down to whole chunks)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _fixed_chunk_forward(net: Network, X: np.ndarray) -> np.ndarray:
    """Evaluation-mode outputs with every BLAS product on a full chunk of ``net.chunk`` rows.

    Guarantee: a row's prediction depends on that row and the model only, bit for bit, never on how many
    rows are predicted with it or where it sits among them, because every matrix product has the same shape
    (the last chunk is zero-padded and the padding discarded). Some OpenBLAS kernels (SkylakeX) round
    differently for different shapes, so without this a row predicted in a batch of 750 and in a partition of
    1000 could differ in the last bit. Costs at most ``chunk - 1`` padded rows per call.
    """
    chunk, n = net.chunk, X.shape[0]
    padded = -(-n // chunk) * chunk
    if padded != n:
        X = np.concatenate([X, np.zeros((padded - n, X.shape[1]), X.dtype)])
    return net.forward(X, block=chunk * max(1, _PREDICT_BLOCK // chunk))[:n]


def _brief(value) -> str:
    """A layer list as its units (the usual difference), anything else as its repr."""
    if isinstance(value, tuple):
        return "of " + "-".join(f"{s.units}{'' if s.pieces == 1 else 'x' + str(s.pieces)}" for s in value) + " units"
    return repr(value)


_PARAMETERS_DOC = """
    The defaults (Adam at 1e-2 halved on validation plateaus, minibatches of 128, L2 3e-4, up to 500 epochs
    with patience 30, one start) were chosen by cross-validation on SDSS and HTRU2 training data,
    with standardised features: see benchmarks/quality_selection.md. The hyperparameters are stored as given
    and checked when ``fit`` starts, as in scikit-learn.

    Parameters
    ----------
    kind : str, default "mlp"
        mlp; or the network with no hidden layer: "linear" for MLPRegressor (linear regression; with ``l2``
        ridge, with ``l1`` lasso, with both elastic net) and "logistic" for MLPClassifier (logistic regression,
        binary or softmax). These ignore ``hidden_layer_sizes`` and the hidden-layer options.
    solver : str, default "gd"
        gd trains by (stochastic) gradient descent like the MLP, L1 as a proximal step; closed_form (kind
        "linear", squared error, no L1) solves exactly with scikit-learn's ``LinearRegression`` (least squares)
        or, with ``l2``, ``Ridge`` (alpha = l2/2 times the rows' total weight and the number of targets), on
        every training row (``early_stopping`` holds none out; ``X_val`` is scored when given).
    hidden_layer_sizes : tuple of int, default (64, 64)
        Units of each hidden layer. Two layers of 32 to 64 units suit a handful of colours; wider or
        deeper networks need more rows and more regularisation.
    activation : str, default "relu"
        Hidden-layer nonlinearity: relu, leaky_relu, elu, softplus, tanh, sigmoid (alias logistic),
        softsign, arctan, isru (x / sqrt(1 + alpha x^2)), isrlu (x for x >= 0, isru below), sqnl (the square
        nonlinearity, a tanh-like quadratic), prelu (leaky_relu whose slope is learned, one per unit, He et al.
        2015), rrelu (leaky_relu whose slope is drawn per element in training, their mean at prediction, Xu et
        al. 2015), bipolar_relu (relu on even units, -relu(-x) on odd ones, Eidnes & Noekland 2017), identity,
        or maxout (each unit the maximum of ``maxout_pieces`` linear pieces).
    activation_alpha : float, pair of float or None, default None
        Parameter of leaky_relu (slope for negative inputs, default 0.1), prelu (initial slope, default 0.25;
        the slopes are learned and not penalised by ``l1``/``l2``), elu (value approached for very negative
        inputs, default 1.0), isru and isrlu (alpha, default 1.0); for rrelu the range (lower, upper) of its
        random slopes, default (1/8, 1/3). None takes those defaults.
    maxout_pieces : int, default 2
        Linear pieces per unit when ``activation="maxout"``.
    loss : str or None, default None
        Training loss; None means softmax_cross_entropy for the classifier and squared_error for the
        regressor. Regression: squared_error (mse), absolute_error (mae), absolute_percentage_error (mape),
        huber (quadratic within 1 of the target, linear beyond). Classification: softmax_cross_entropy
        (log_loss, cross_entropy; a sigmoid for two classes), multiclass_hinge (hinge), perceptron.
    batch_norm : bool, default False
        Normalise each hidden layer's linear output over the minibatch, with a learned scale and shift
        (replacing the bias); predictions use running averages of the batch statistics.
    bn_momentum : float, default 0.1
        Weight of each minibatch in batch norm's running mean and variance (as in PyTorch: running =
        (1 - bn_momentum) running + bn_momentum batch).
    bn_eps : float, default 1e-5
        Added to the batch variance before its square root.
    dropout : float or array-like of float, default 0.0
        Fraction of each hidden layer's units zeroed at random at every training step (inverted dropout,
        so nothing changes at prediction time): one rate in [0, 1) for all layers, or one per layer.
    input_dropout : float, default 0.0
        Fraction of the input features zeroed at random, row by row, at every training step (inverted
        dropout of the input layer, Srivastava et al. 2014 use 0.2; nothing changes at prediction), in [0, 1).
    optimizer : str, default "adam"
        Update rule: sgd, momentum, nesterov, adagrad, rmsprop, adam, amsgrad or adamw.
    learning_rate : float, default 1e-2
        Initial step size; ``schedule`` changes it from epoch to epoch.
    momentum : float, default 0.9
        Velocity decay of momentum and nesterov.
    beta1 : float, default 0.9
        First-moment decay of adam, amsgrad and adamw.
    beta2 : float, default 0.999
        Second-moment decay of adam, amsgrad and adamw.
    rho : float, default 0.9
        Squared-gradient decay of rmsprop (Hinton's 0.9; RMSProp has no bias correction, so Adam's 0.999
        would make its first steps about 10x larger).
    epsilon : float, default 1e-8
        Added to the denominators of adagrad, rmsprop and the adam family.
    weight_decay : float or None, default None
        Decoupled weight decay of adamw: each step shrinks the weights (not biases or batch-norm
        parameters) by ``learning_rate * weight_decay``; None takes adamw's usual 1e-2 (Loshchilov &
        Hutter 2019). The other optimizers ignore it.
    schedule : str, default "reduce_on_plateau"
        Learning rate per epoch: constant; step (times ``lr_factor`` every ``lr_step`` epochs);
        exponential (times exp(-lr_decay * epoch)); inverse_time (divided by 1 + lr_decay * epoch);
        reduce_on_plateau (times ``lr_factor`` once the monitored loss has not improved by a relative
        1e-4 for more than 5 epochs, never below 1e-6).
    lr_decay : float, default 0.01
        Decay rate of the exponential and inverse_time schedules.
    lr_step : int, default 30
        Epochs between two reductions of the step schedule.
    lr_factor : float, default 0.5
        Factor applied at each reduction of the step and reduce_on_plateau schedules, in (0, 1).
    l1 : float, default 0.0
        L1 penalty ``l1 * sum |w|`` on the weights (not biases), added to the loss and applied as a proximal
        step (soft thresholding after each update, by l1 times the optimizer's per-parameter step): drives
        useless weights to exactly zero, where they stay while their gradient is below ``l1``.
    l2 : float, default 3e-4
        L2 penalty ``l2 / 2 * sum w**2`` on the weights (not biases): keeps every weight small.
    batch_size : int, default 128
        Rows per minibatch (one parameter update); rows are reshuffled every epoch.
    max_epochs : int, default 500
        Passes over the training rows at most.
    tol : float, default 1e-4
        Smallest relative decrease of the monitored loss (validation loss when there is a validation
        set, else training loss) that counts as an improvement.
    grad_tol : float, default 0.0
        Stop when an epoch's mean gradient norm falls to this value (0: never).
    step_tol : float, default 0.0
        Stop when an epoch's mean parameter step falls to this value (0: never).
    early_stopping : bool, default True
        When ``fit`` gets no ``X_val``/``y_val``, hold out ``validation_fraction`` of the training rows
        to monitor; training stops after ``patience`` epochs without improvement and the weights of the
        best validation epoch are kept.
    validation_fraction : float, default 0.1
        Fraction of the training rows held out when ``early_stopping`` makes its own validation set
        (stratified by class for the classifier).
    patience : int, default 30
        Epochs without improvement of the monitored loss before training stops.
    init : str or None, default None
        Weight initialisation: glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, or normal
        (``N(0, init_sigma**2)`` whatever the layer's width); None picks He for the ReLU family and Glorot for
        the others.
    init_sigma : float, default 0.01
        Standard deviation of ``init="normal"``; the other schemes ignore it.
    dtype : str or numpy dtype, default "float64"
        Precision of the weights and arithmetic: float64, or float32 (faster, half the memory), as a string
        or as numpy writes it (``np.float32``, ``np.dtype("float32")``).
    random_state : int, RandomState, Generator or None, default None
        Seed of the initial weights, shuffling, dropout masks and internal validation split; an integer
        makes ``fit`` reproducible bit for bit.
    n_starts : int, default 1
        Independent initialisations trained side by side (multi-start); see ``start_selection``. One by
        default: on the benchmark catalogs more starts were not better on average
        (benchmarks/quality_selection.md, round 4); more starts show whether results depend on the seed.
    start_selection : str, default "best"
        best keeps the start with the lowest validation (else training) loss; ensemble averages the
        predictions of every start that did not diverge, and ``predict(X, return_std=True)`` gives their
        spread.
    n_jobs : int or None, default None
        Threads the training kernels use; None or a number below 1 uses every core Numba sees.
    chunk_size : int, default 128
        Rows per parallel chunk of a minibatch; results depend on it, never on the number of threads.
    verbose : int, default 0
        Print the losses after every epoch when non-zero.
"""
"""The part of both estimators' class docstrings after their first line: the defaults and every parameter
(one text, so the two cannot drift; scikit-learn writes it into each class docstring too)."""


class _BaseMLP(BaseEstimator):
    """Hyperparameters, validation and the fit loop shared by the classifier and the regressor."""

    _linear_kind: str | None = None  # the kind that is the network with no hidden layer, where there is one

    _parameter_constraints: dict = {
        "kind": [StrOptions({"mlp", "linear", "logistic"})],
        "solver": [StrOptions({"gd", "closed_form"})],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({*ACTIVATIONS, *ACTIVATION_ALIASES, "maxout"})],
        "activation_alpha": [Interval(Real, 0, None, closed="left"), "array-like", None],
        "maxout_pieces": [Interval(Integral, 2, None, closed="left")],
        "loss": [StrOptions({*LOSSES, *LOSS_ALIASES}), None],
        "batch_norm": ["boolean"],
        "bn_momentum": [Interval(Real, 0, 1, closed="right")],
        "bn_eps": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta1": [Interval(Real, 0, 1, closed="left")],
        "beta2": [Interval(Real, 0, 1, closed="left")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left"), None],
        "schedule": [StrOptions(set(SCHEDULES))],
        "lr_decay": [Interval(Real, 0, None, closed="left")],
        "lr_step": [Interval(Integral, 1, None, closed="left")],
        "lr_factor": [Interval(Real, 0, 1, closed="neither")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "grad_tol": [Interval(Real, 0, None, closed="left")],
        "step_tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS)), None],
        "init_sigma": [Interval(Real, 0, None, closed="neither")],
        "dtype": [StrOptions({"float32", "float64"}), type, np.dtype],  # float32/64 checked by _dtype
        "random_state": ["random_state"],
        "n_starts": [Interval(Integral, 1, None, closed="left")],
        "start_selection": [StrOptions({"best", "ensemble"})],
        "n_jobs": [Integral, None],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, hidden_layer_sizes=(64, 64), *, kind="mlp", solver="gd", activation="relu",
                 activation_alpha=None, maxout_pieces=2, loss=None, batch_norm=False, bn_momentum=0.1, bn_eps=1e-5,
                 dropout=0.0, input_dropout=0.0, optimizer="adam", learning_rate=1e-2, momentum=0.9, beta1=0.9,
                 beta2=0.999, rho=0.9, epsilon=1e-8, weight_decay=None, schedule="reduce_on_plateau", lr_decay=0.01,
                 lr_step=30, lr_factor=0.5, l1=0.0, l2=3e-4, batch_size=128, max_epochs=500, tol=1e-4, grad_tol=0.0,
                 step_tol=0.0, early_stopping=True, validation_fraction=0.1, patience=30, init=None, init_sigma=0.01,
                 dtype="float64", random_state=None, n_starts=1, start_selection="best", n_jobs=None,
                 chunk_size=128, verbose=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.kind = kind
        self.solver = solver
        self.activation = activation
        self.activation_alpha = activation_alpha
        self.maxout_pieces = maxout_pieces
        self.loss = loss
        self.batch_norm = batch_norm
        self.bn_momentum = bn_momentum
        self.bn_eps = bn_eps
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.rho = rho
        self.epsilon = epsilon
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.lr_decay = lr_decay
        self.lr_step = lr_step
        self.lr_factor = lr_factor
        self.l1 = l1
        self.l2 = l2
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.grad_tol = grad_tol
        self.step_tol = step_tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.init = init
        self.init_sigma = init_sigma
        self.dtype = dtype
        self.random_state = random_state
        self.n_starts = n_starts
        self.start_selection = start_selection
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.verbose = verbose

    # ----- building blocks -------------------------------------------------------------------------------
    @property
    def _dtype(self) -> np.dtype:
        """``dtype`` as a numpy dtype, whichever way it was given; float32 and float64 only."""
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise AstromlpError(f"dtype must be float32 or float64 (a string or a numpy dtype), got {self.dtype!r}")
        return dtype

    def _hidden_specs(self) -> list[LayerSpec]:
        if self.kind not in ("mlp", self._linear_kind):
            raise AstromlpError(f"kind {self.kind!r} is not one of {type(self).__name__}'s kinds: 'mlp' or "
                                f"{self._linear_kind!r}")
        if self.solver == "closed_form":
            if self.kind != "linear":
                raise AstromlpError(self._closed_form_refusal())
            check_closed_form(self._loss_name(), self.l1)
        if self.kind != "mlp":
            return []
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=int)).tolist()
        if any(s < 1 for s in sizes):
            raise AstromlpError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes}")
        rates = np.broadcast_to(np.asarray(self.dropout, dtype=float), (len(sizes),))
        if np.any((rates < 0) | (rates >= 1)):
            raise AstromlpError(f"dropout rates must lie in [0, 1), got {self.dropout}")
        maxout = self.activation == "maxout"
        act = "identity" if maxout else ACTIVATION_ALIASES.get(self.activation, self.activation)
        alpha, upper = self._activation_alphas(act)
        return [LayerSpec(s, act, alpha, self.maxout_pieces if maxout else 1, self.batch_norm, float(r),
                          float(self.bn_momentum), float(self.bn_eps), upper)
                for s, r in zip(sizes, rates, strict=True)]

    def _activation_alphas(self, act: str) -> tuple[float, float]:
        """(alpha, alpha_upper) of the layers: ``activation_alpha`` or the activation's defaults; rrelu's is the
        range (lower, upper) of its random slopes."""
        given, rrelu = self.activation_alpha, ACTIVATIONS[act].slope == "random"
        if given is None:
            return ACTIVATIONS[act].default_alpha, RRELU_RANGE[1]
        values = np.atleast_1d(np.asarray(given, dtype=float))
        if rrelu and not (values.shape == (2,) and 0 <= values[0] <= values[1]):
            raise AstromlpError(f"activation_alpha of rrelu is its slope range (lower, upper) with 0 <= lower <= "
                                f"upper, got {given!r}; e.g. (0.125, 0.333)")
        if not rrelu and (values.shape != (1,) or not values[0] >= 0):
            raise AstromlpError(f"activation_alpha of {act} is one number >= 0, got {given!r}")
        return float(values[0]), float(values[-1]) if rrelu else RRELU_RANGE[1]

    def _closed_form_refusal(self) -> str:
        return f"solver='closed_form' is for kind='linear' only, not {self.kind!r}; use solver='gd'"

    def _train_config(self, n_threads=None) -> TrainConfig:
        decay = {} if self.weight_decay is None else {"weight_decay": self.weight_decay}
        opt = OPTIMIZERS[self.optimizer](self.learning_rate, beta1=self.beta1, beta2=self.beta2,
                                         rho=self.rho, eps=self.epsilon, momentum=self.momentum, **decay)
        kwargs = {"step": {"step_size": self.lr_step, "factor": self.lr_factor},
                  "exponential": {"decay": self.lr_decay}, "inverse_time": {"decay": self.lr_decay},
                  "reduce_on_plateau": {"factor": self.lr_factor}}.get(self.schedule, {})
        schedule = SCHEDULES[self.schedule](self.learning_rate, **kwargs)
        return TrainConfig(opt, schedule, self.batch_size, self.max_epochs, self.l1, self.l2, self.tol,
                           self.patience, self.grad_tol, self.step_tol, n_threads)

    def _loss_name(self) -> str:
        name = self.loss or self._default_loss
        return LOSS_ALIASES.get(name, name)

    def _split_validation(self, X, Y, w, X_val, y_val, stratify, sample_weight_val=None):
        if X_val is not None:
            X_val = validate_data(self, X_val, reset=False, dtype=X.dtype)
            w_val = self._row_weights(y_val, _check_sample_weight(sample_weight_val, X_val, dtype=X.dtype))
            return X, Y, w, (X_val, self._encode_targets(y_val), w_val)
        if not self.early_stopping or self.solver == "closed_form" or X.shape[0] < 10:  # nothing to stop early
            return X, Y, w, None
        rs = np.random.RandomState(start_seeds(self.random_state, 1)[0] if self.random_state is not None else 0)
        try:
            parts = train_test_split(X, Y, w, test_size=self.validation_fraction, random_state=rs,
                                     stratify=stratify)
        except ValueError:  # a class too rare to stratify: fall back to a plain random split
            parts = train_test_split(X, Y, w, test_size=self.validation_fraction, random_state=rs)
        X_tr, X_va, Y_tr, Y_va, w_tr, w_va = parts
        return X_tr, Y_tr, w_tr, (X_va, Y_va, w_va)

    def _new_network(self, n_inputs: int, n_outputs: int, seed: int) -> Network:
        return Network.create(n_inputs, self._hidden_specs(), n_outputs, self._loss_name(),
                              rng=np.random.default_rng(seed), dtype=self._dtype, init=self.init,
                              chunk=self.chunk_size, init_sigma=self.init_sigma, input_dropout=self.input_dropout)

    def _train_starts(self, X, Y, w, validation, seeds, on_epoch=None) -> list[StartOutcome]:
        """Train one network per seed; several starts run side by side, one per thread."""
        self._check_memory(X.shape, Y.shape[1], len(seeds), 0 if validation is None else len(validation[0]))
        nets = [self._new_network(X.shape[1], Y.shape[1], seed) for seed in seeds]
        if self.solver == "closed_form":
            return [self._closed_form(net, X, Y, w, validation, seed) for net, seed in zip(nets, seeds, strict=True)]
        results = train_many(nets, X, Y, w, self._train_config(self.n_jobs), seeds, validation,
                             self._progress(on_epoch))
        return [StartOutcome(seed, net, r) for seed, net, r in zip(seeds, nets, results, strict=True)]

    def _closed_form(self, net, X, Y, w, validation, seed) -> StartOutcome:
        """The exact least-squares (ridge) solution, recorded as a one-epoch start with its losses."""
        started = time.perf_counter()
        fit_closed_form(net, X, Y, w, self.l2)
        result = TrainResult([evaluate_loss(net, X, Y, w, l2=self.l2)], epochs=1, stop_reason="closed_form")
        if validation is not None:
            result.validation_loss_curve = [evaluate_loss(net, *validation, l2=self.l2)]
        result.seconds = time.perf_counter() - started
        return StartOutcome(seed, net, result)

    def _check_memory(self, shape: tuple[int, int], n_outputs: int, n_starts: int, validation_rows: int) -> None:
        """Refuse, before allocating anything, a fit whose layout would need more memory than is available."""
        counts = layout_counts(shape[1], network_specs(self._hidden_specs(), n_outputs, self.input_dropout))
        needed = training_bytes(counts, batch=max(1, min(self.batch_size, shape[0])), validation_rows=validation_rows,
                                chunk=self.chunk_size, itemsize=self._dtype.itemsize, starts=n_starts)
        check_fits(needed, available_memory(),
                   f"fitting hidden_layer_sizes={self.hidden_layer_sizes} ({counts.n_params} parameters) with "
                   f"{n_starts} start(s), batch_size={self.batch_size} and {validation_rows} validation rows",
                   "use fewer hidden units or fewer starts (n_starts), or a smaller batch_size")

    def _progress(self, on_epoch):
        """The per-epoch hook: the caller's, plus a printed line per epoch when verbose."""
        if not self.verbose:
            return on_epoch

        def report(start, epoch, train_loss, monitored):
            print(f"start {start + 1}, epoch {epoch + 1}: loss {train_loss:.6f}, monitored {monitored:.6f}")
            if on_epoch is not None:
                on_epoch(start, epoch, train_loss, monitored)

        return report

    def _fit(self, X, y, sample_weight, X_val, y_val, on_epoch=None, sample_weight_val=None):
        X, y = validate_data(self, X, y, dtype=self._dtype, multi_output=self._multi_output,
                             y_numeric=not self._is_classifier)
        if not np.isfinite(X).all():
            raise AstromlpError("X contains NaN or infinity; clean or impute the features before fitting")
        w = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        self._prepare_targets(y[w > 0] if sample_weight is not None else y)
        Y = self._encode_targets(y)
        w = self._row_weights(y, w, fit=True)
        X_tr, Y_tr, w_tr, validation = self._split_validation(X, Y, w, X_val, y_val, self._stratify(y),
                                                              sample_weight_val)
        seeds = start_seeds(self.random_state, self.n_starts)
        outcomes = self._train_starts(X_tr, Y_tr, w_tr, validation, seeds, on_epoch)
        self._set_fitted(outcomes)
        self._after_fit(validation)
        return self

    def _row_weights(self, y, w, fit: bool = False):
        """Per-row training weights: the sample weights, times the class weights of the classifier."""
        return w

    def _after_fit(self, validation) -> None:
        """What fitting does once the networks are chosen (the classifier's temperature scaling)."""

    def _temperature(self) -> float:
        return 1.0

    def _set_fitted(self, outcomes: list[StartOutcome]) -> None:
        self._set_starts([o.record() for o in outcomes], [o.network for o in outcomes])

    def _set_starts(self, records: list[dict], networks: list[Network]) -> None:
        """Keep the best start, or every start that did not diverge for the ensemble."""
        best = best_start(records)
        self._optimizer_state = None  # partial_fit after fit continues with fresh optimizer moments
        self.best_start_ = best
        self.starts_ = records
        if self.start_selection == "ensemble":
            self.networks_ = [n for n, r in zip(networks, records, strict=True) if np.isfinite(record_score(r))]
        else:
            self.networks_ = [networks[best]]
        chosen = records[best]
        self.loss_curve_ = list(chosen["loss_curve"])
        self.validation_loss_curve_ = list(chosen["validation_loss_curve"])
        self.n_iter_ = chosen["epochs"]
        self.loss_ = chosen["final_train_loss"]

    # ----- the fitted state, in one place ------------------------------------------------------------------
    def _fitted_state(self) -> dict:
        """Everything fitting learned: plain JSON values, and the networks. What save writes, load restores
        and merge_starts combines; ``_from_state`` is its inverse."""
        check_is_fitted(self, "networks_")
        names = getattr(self, "feature_names_in_", None)
        return {"n_features_in": int(self.n_features_in_),
                "feature_names_in": None if names is None else [str(n) for n in names],
                **self._target_state(), **self._calibration_state(), "networks": list(self.networks_),
                "training": {"best_start": int(self.best_start_), "starts": self.starts_, "n_iter": int(self.n_iter_),
                             "loss": getattr(self, "loss_", None), "loss_curve": list(self.loss_curve_),
                             "validation_loss_curve": list(self.validation_loss_curve_)}}

    def _from_state(self, state: dict):
        """Set the fitted attributes from ``state`` (as ``_fitted_state`` gives it); refuses networks that
        disagree with the hyperparameters and classes (inputs, outputs, loss, dtype). Returns self."""
        self.n_features_in_ = state["n_features_in"]
        if state["feature_names_in"] is not None:
            self.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        self._restore_targets(state)
        self._restore_calibration(state.get("calibration"))
        training = state["training"]
        self.networks_, self.best_start_ = list(state["networks"]), training["best_start"]
        self.starts_, self.n_iter_ = training["starts"], training["n_iter"]
        chosen = self.starts_[self.best_start_] if self.starts_ else {}  # files written before the curves were kept
        self.loss_curve_ = list(training.get("loss_curve", chosen.get("loss_curve", [])))
        self.validation_loss_curve_ = list(training.get("validation_loss_curve",
                                                        chosen.get("validation_loss_curve", [])))
        self.loss_ = training.get("loss", chosen.get("final_train_loss"))
        self._check_networks()
        return self

    def _calibration_state(self) -> dict:
        return {}

    def _restore_calibration(self, calibration: dict | None) -> None:
        if calibration is not None:
            raise AstromlpError(f"{type(self).__name__} has no calibration, but the state holds one")

    def _check_networks(self) -> None:
        """Each network is the one these hyperparameters build: its inputs, loss, dtype and every layer."""
        outputs = self._n_outputs() or self.networks_[0].layout.n_outputs
        expected = {"inputs": self.n_features_in_, "loss": self._loss_name(), "dtype": self._dtype.name,
                    "layers": network_specs(self._hidden_specs(), outputs, self.input_dropout)}
        for k, net in enumerate(self.networks_):
            found = {"inputs": net.layout.n_inputs, "loss": net.loss, "dtype": net.dtype.name,
                     "layers": net.layout.layers}
            wrong = [key for key, value in expected.items() if found[key] != value]
            if wrong:
                raise AstromlpError(f"network {k} has {wrong[0]} {_brief(found[wrong[0]])} where the hyperparameters "
                                    f"and {self._target_name} imply {wrong[0]} {_brief(expected[wrong[0]])}")

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices of the kept network (the first of an ensemble), one (n_in, n_out) array per layer as
        in scikit-learn's MLP (n_out times the pieces for maxout); copies."""
        check_is_fitted(self, "networks_")
        layout, theta = self.networks_[0].layout, self.networks_[0].theta
        return [layout.weights(theta, k).copy() for k in range(len(layout.layers))]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors of the kept network, one per layer; a batch-normalised layer's shift beta, which
        replaces its bias; copies."""
        check_is_fitted(self, "networks_")
        layout, theta = self.networks_[0].layout, self.networks_[0].theta
        return [layout.segment(theta, k, BE_OFF if spec.batch_norm else B_OFF).copy()
                for k, spec in enumerate(layout.layers)]

    def save(self, path, metadata: dict | None = None):
        """Write the fitted model to one zip file (JSON + npy, no pickle); ``metadata`` is any JSON-able dict
        returned as ``metadata_`` by ``astromlp.nn.load``."""
        from astromlp.nn.model_io import save

        check_is_fitted(self, "networks_")
        return save(self, path, metadata)

    def _raw_outputs(self, X) -> list[np.ndarray]:
        check_is_fitted(self, "networks_")
        X = validate_data(self, X, reset=False, dtype=self._dtype)
        return [_fixed_chunk_forward(net, X) for net in self.networks_]

    def _linked(self, X) -> np.ndarray:
        """Per-network predictions after the output link, shape (n_networks, n_rows, n_outputs)."""
        link = _LINKS[LOSSES[self._loss_name()].link]
        temperature = self._temperature()
        return np.stack([link(z / temperature) for z in self._raw_outputs(X)])

    def partial_fit(self, X, y, sample_weight=None, **kw):
        """One epoch over (X, y) from the current weights (a fresh network on the first call)."""
        first = not hasattr(self, "networks_")
        if first:
            self._validate_params()  # private: partial_fit has no _fit_context to run the constraint check
            X, y = validate_data(self, X, y, dtype=self._dtype, multi_output=self._multi_output,
                                 y_numeric=not self._is_classifier)
            self._prepare_targets(y, **kw)
        else:
            X, y = validate_data(self, X, y, reset=False, dtype=self._dtype,
                                 multi_output=self._multi_output, y_numeric=not self._is_classifier)
        w = self._row_weights(y, _check_sample_weight(sample_weight, X, dtype=X.dtype), fit=first)
        Y = self._encode_targets(y)
        config = self._train_config()
        config.max_epochs, config.patience = 1, 1
        if getattr(self, "_optimizer_state", None) is None:
            self._optimizer_state = config.optimizer
            self._partial_seed, self._partial_epochs = start_seeds(self.random_state, 1)[0], 0
        if first:
            self._check_memory(X.shape, Y.shape[1], 1, 0)
            net = self._new_network(X.shape[1], Y.shape[1], self._partial_seed)
            self.networks_, self.starts_, self.best_start_ = [net], [], 0
            self.loss_curve_, self.validation_loss_curve_, self.n_iter_ = [], [], 0
        config.optimizer = self._optimizer_state
        result = train(self.networks_[0], X, Y, w, config, self._partial_seed + self._partial_epochs)
        self._partial_epochs += 1
        self.loss_curve_.extend(result.loss_curve)
        self.n_iter_ += result.epochs
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else float("nan")
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


_CLASSIFIER_DOC = """    class_weight : dict, "balanced" or None, default None
        Weights of the classes, multiplying the sample weights in training and in the validation loss of early
        stopping (scikit-learn's convention): {label: weight}, "balanced" for n_samples / (n_classes *
        count of the class) from the training labels, or None for equal weights.
    calibrate : str, default "none"
        "temperature" divides the logits by one temperature fitted on the validation rows after training
        (Guo et al. 2017), so the probabilities are calibrated; the predicted classes do not change.
"""


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = ("Multilayer-perceptron classifier (softmax or, for two classes, sigmoid output).\n" + _PARAMETERS_DOC
               + _CLASSIFIER_DOC)

    _default_loss = "log_loss"
    _linear_kind = "logistic"
    _is_classifier = True
    _multi_output = False
    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "calibrate": [StrOptions(set(CALIBRATIONS))],
    }

    def __init__(self, hidden_layer_sizes=(64, 64), *, class_weight=None, calibrate="none", **params):
        super().__init__(hidden_layer_sizes, **params)
        self.class_weight = class_weight
        self.calibrate = calibrate

    def _row_weights(self, y, w, fit: bool = False):
        """Sample weights times the class weights (fixed from the training labels when `fit`)."""
        if fit and self.class_weight is None:
            self._class_weights = None
        elif fit:
            try:
                self._class_weights = compute_class_weight(self.class_weight, classes=self.classes_, y=np.asarray(y))
            except ValueError as exc:  # a class named in class_weight that the labels do not have
                raise AstromlpError(f"class_weight {self.class_weight!r}: {exc}; name only classes of the "
                                    f"target ({', '.join(map(str, self.classes_))})") from None
        weights = getattr(self, "_class_weights", None)
        if weights is None or self.class_weight is None:
            return w
        return w * weights[label_index(self.classes_, y)].astype(w.dtype)

    def _after_fit(self, validation) -> None:
        self.temperature_ = 1.0
        if self.calibrate == "temperature":
            if validation is None:
                raise AstromlpError("calibrate='temperature' needs validation rows: pass X_val and y_val, or keep "
                                    "early_stopping=True so fit holds some out")
            X_val, Y_val, w_val = validation
            self.fit_temperature_on(X_val, Y_val, w_val)

    def calibrate_temperature(self, X_val, y_val, sample_weight=None) -> float:
        """Fit (again) the temperature on (weighted) validation rows, e.g. after ``merge_starts``; returns it."""
        check_is_fitted(self, "networks_")
        X_val = validate_data(self, X_val, reset=False, dtype=self._dtype)
        w_val = self._row_weights(y_val, _check_sample_weight(sample_weight, X_val, dtype=X_val.dtype))
        return self.fit_temperature_on(X_val, self._encode_targets(y_val), w_val)

    def fit_temperature_on(self, X, Y, w) -> float:
        """Fit the temperature on encoded validation rows (as fit holds them out, with their class weights, the
        objective training minimised), set and return it."""
        logits = [_fixed_chunk_forward(net, np.ascontiguousarray(X, self._dtype)) for net in self.networks_]
        link = _LINKS[LOSSES[self._loss_name()].link]
        self.temperature_ = fit_temperature(logits, np.asarray(Y, float), np.asarray(w, float), link)
        return self.temperature_

    def _temperature(self) -> float:
        return getattr(self, "temperature_", 1.0)

    def _calibration_state(self) -> dict:
        return {"calibration": {"method": self.calibrate, "temperature": float(self._temperature())}}

    def _restore_calibration(self, calibration: dict | None) -> None:
        calibration = calibration or {"method": "none", "temperature": 1.0}  # files written before calibration
        self.temperature_ = check_temperature(calibration.get("temperature"), "model calibration")

    def _prepare_targets(self, y, classes=None):
        y = np.asarray(y)
        if y.ndim != 1 or y.dtype.kind not in "biu":  # 1-D integer labels always pass the check
            check_classification_targets(y)
        self.classes_ = sorted_labels(y) if classes is None else np.asarray(classes)
        if len(self.classes_) < 2:
            raise AstromlpError(f"the target has only one class ({self.classes_[0]!r}); a classifier needs "
                                "at least two")

    _target_name = "classes"

    def _target_state(self) -> dict:
        return {"classes": self.classes_.tolist(), "y_ndim": None}

    def _restore_targets(self, state: dict) -> None:
        self.classes_ = np.asarray(state["classes"])

    def _n_outputs(self) -> int:
        return 1 if self._loss_name() == "binary_cross_entropy" else len(self.classes_)

    def _loss_name(self) -> str:
        name = super()._loss_name()
        if LOSSES[name].task != "classification":
            raise AstromlpError(f"loss {self.loss!r} is a regression loss; MLPClassifier takes one of "
                                f"{sorted(n for n, r in LOSSES.items() if r.task == 'classification')}")
        if name == "softmax_cross_entropy" and len(getattr(self, "classes_", ())) == 2:
            return "binary_cross_entropy"  # two classes: one logit and a sigmoid
        return name

    def _encode_targets(self, y):
        y = np.asarray(y)
        index = label_index(self.classes_, y)
        if index.size and index.min() < 0:
            unknown = sorted(set(y.tolist()) - set(self.classes_.tolist()))
            raise AstromlpError(f"labels {unknown[:5]} were not among the classes seen in fit")
        dtype = self._dtype
        if self._loss_name() == "binary_cross_entropy":
            return index.astype(dtype).reshape(-1, 1)
        return one_hot(index, len(self.classes_), dtype)

    def _stratify(self, y):
        return y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None, on_epoch=None):
        """Train on (X, y); ``X_val``/``y_val`` (weighted by ``sample_weight_val``) replace the internal
        validation split when given.
        ``on_epoch(start, epoch, train_loss, monitored_loss)`` is called after every epoch of every start."""
        return self._fit(X, y, sample_weight, X_val, y_val, on_epoch, sample_weight_val)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (the mean over networks with ``start_selection='ensemble'``)."""
        check_is_fitted(self, "networks_")
        p = self._linked(X).mean(axis=0)
        if p.shape[1] == 1:
            p = np.hstack([1 - p, p])
        return p

    def predict_proba_std(self, X) -> np.ndarray:
        """Spread of the ensemble's probabilities per class: an uncertainty (zeros for one network)."""
        check_is_fitted(self, "networks_")
        p = self._linked(X)
        if p.shape[2] == 1:
            p = np.concatenate([1 - p, p], axis=2)
        return p.std(axis=0)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        check_is_fitted(self, "networks_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch from the current weights; ``classes`` is required on the first call."""
        if hasattr(self, "networks_"):
            return super().partial_fit(X, y, sample_weight)
        if classes is None:
            raise AstromlpError("classes must be passed on the first call to partial_fit")
        return super().partial_fit(X, y, sample_weight, classes=classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


# scikit-learn reads the parameter names from the signature: the shared ones and the classifier's own.
MLPClassifier.__init__.__signature__ = inspect.signature(_BaseMLP.__init__).replace(parameters=[
    *[p for p in inspect.signature(_BaseMLP.__init__).parameters.values()],
    inspect.Parameter("class_weight", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("calibrate", inspect.Parameter.KEYWORD_ONLY, default="none")])


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = "Multilayer-perceptron regressor, one or several outputs.\n" + _PARAMETERS_DOC

    _default_loss = "squared_error"
    _linear_kind = "linear"
    _is_classifier = False
    _multi_output = True

    _target_name = "target's dimensions"

    def _target_state(self) -> dict:
        return {"classes": None, "y_ndim": int(self._y_ndim)}

    def _restore_targets(self, state: dict) -> None:
        self._y_ndim = state["y_ndim"] or 1

    def _n_outputs(self) -> int | None:
        return 1 if self._y_ndim == 1 else None

    def _prepare_targets(self, y):
        self._y_ndim = np.ndim(y)
        if LOSSES[self._loss_name()].task != "regression":
            raise AstromlpError(f"loss {self.loss!r} is a classification loss; MLPRegressor takes one of "
                                f"{sorted(n for n, r in LOSSES.items() if r.task == 'regression')}")

    def _encode_targets(self, y):
        """Targets as a float matrix; MAPE refuses a zero target anywhere (training, zero-weight or validation
        rows), where the loss has no value."""
        if self._loss_name() == "absolute_percentage_error" and np.any(np.abs(y) < MAPE_MIN_ABS_TARGET):
            raise AstromlpError("MAPE is undefined where the target is 0; use loss='mae' or 'huber', or "
                                "shift the target away from zero")
        return np.asarray(y, dtype=self._dtype).reshape(len(y), -1)

    def _stratify(self, y):
        return None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None, on_epoch=None):
        """Train on (X, y); ``X_val``/``y_val`` (weighted by ``sample_weight_val``) replace the internal
        validation split when given.
        ``on_epoch(start, epoch, train_loss, monitored_loss)`` is called after every epoch of every start."""
        return self._fit(X, y, sample_weight, X_val, y_val, on_epoch, sample_weight_val)

    def predict(self, X, return_std: bool = False):
        """Predictions (the ensemble mean); with ``return_std`` also the spread across the ensemble."""
        p = self._linked(X)
        mean = p.mean(axis=0)
        std = p.std(axis=0)
        if self._y_ndim == 1:
            mean, std = mean[:, 0], std[:, 0]
        return (mean, std) if return_std else mean

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch from the current weights."""
        if not hasattr(self, "networks_"):
            self._y_ndim = np.ndim(y)
        return super().partial_fit(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
