"""The learning-rate range test (Smith 2017, "Cyclical learning rates", section 3.3): train for a few hundred
minibatches while the rate grows exponentially, record the loss at each rate, and suggest the rate where the
smoothed loss falls fastest, before its minimum. The estimator is left untouched (a fresh network is trained)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import _check_sample_weight, validate_data

from astromlp.errors import AstromlpError
from astromlp.nn.multistart import start_seeds
from astromlp.nn.schedules import Constant
from astromlp.nn.training import train

#: Stop once the smoothed loss exceeds this multiple of its minimum: the rate has diverged.
DIVERGED = 4.0


@dataclass
class RangeTest:
    """The rates tried, the raw and smoothed loss at each, and the suggested rate."""

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float

    def to_dict(self) -> dict:
        return {"rates": self.rates.tolist(), "losses": self.losses.tolist(), "smoothed": self.smoothed.tolist(),
                "suggestion": self.suggestion}


def lr_find(estimator, X, y, *, start: float = 1e-6, stop: float = 10.0, steps: int = 200,
            smoothing: float = 0.98) -> RangeTest:
    """Range test of ``estimator``'s configuration (optimizer, penalties, batch size) on (X, y): ``steps``
    minibatches at rates from ``start`` to ``stop``, geometrically spaced; stops early when the loss diverges."""
    if not 0 < start < stop or steps < 10:
        raise AstromlpError(f"lr_find needs 0 < start < stop and at least 10 steps, got start={start}, "
                            f"stop={stop}, steps={steps}")
    est = clone(estimator)
    est._validate_params()  # private: scikit-learn's constraint check, with no public equivalent outside fit
    X, y = validate_data(est, X, y, dtype=est._dtype, multi_output=est._multi_output,
                         y_numeric=not est._is_classifier)
    w = _check_sample_weight(None, X, dtype=X.dtype)
    est._prepare_targets(y)
    Y = est._encode_targets(y)
    seed = start_seeds(est.random_state, 1)[0]
    net = est._new_network(X.shape[1], Y.shape[1], seed)
    config = est._train_config()
    config.max_epochs, config.patience = 1, 1
    batch = max(1, min(est.batch_size, X.shape[0]))
    order = np.random.default_rng(seed).permutation(X.shape[0])
    rates = start * (stop / start) ** (np.arange(steps) / (steps - 1))
    losses: list[float] = []
    for k, rate in enumerate(rates):
        rows = np.take(order, np.arange(k * batch, (k + 1) * batch), mode="wrap")
        config.schedule = Constant(float(rate))
        result = train(net, X[rows], Y[rows], w[rows], config, seed + k)
        losses.append(result.loss_curve[0] if result.loss_curve else np.inf)
        smoothed = _smooth(np.asarray(losses), smoothing)
        if not np.isfinite(losses[-1]) or smoothed[-1] > DIVERGED * smoothed.min():
            break
    raw = np.asarray(losses)
    smoothed = _smooth(raw, smoothing)
    return RangeTest(rates[:len(raw)], raw, smoothed, suggest(rates[:len(raw)], smoothed))


def _smooth(losses: np.ndarray, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average (a non-finite loss carries the last finite average)."""
    out = np.empty(losses.size)
    avg = 0.0
    for i, value in enumerate(losses):
        avg = beta * avg + (1 - beta) * (value if np.isfinite(value) else avg / max(1 - beta ** i, 1e-300))
        out[i] = avg / (1 - beta ** (i + 1))
    return out


#: Fraction of the first rates left out of the suggestion: the moving average of a few noisy minibatch losses
#: falls there whatever the rate (as fastai's skip_start), which once suggested the very first rate, 1e-6.
WARM_UP = 0.1


def suggest(rates: np.ndarray, smoothed: np.ndarray) -> float:
    """The rate of steepest descent of the smoothed loss against log(rate), among the rates before its minimum
    and after the moving average's warm-up."""
    end = int(np.argmin(smoothed))
    skip = int(WARM_UP * rates.size)
    if end - skip < 2:
        raise AstromlpError("the loss did not decrease over the range; lower start (or check the data)")
    slope = np.gradient(smoothed[skip:end + 1], np.log(rates[skip:end + 1]))
    return float(rates[skip + int(np.argmin(slope))])


__all__ = ["RangeTest", "lr_find", "suggest"]
