"""Temperature scaling (Guo et al. 2017): one positive number T dividing the logits, fitted on validation rows
by minimising their weighted log loss. It changes no prediction's argmax, only how confident it is."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from astromlp.errors import AstromlpError

CALIBRATIONS = ("none", "temperature")
#: The temperatures searched (in log space): far beyond any useful value on either side.
BOUNDS = (1e-2, 1e2)
_TINY = 1e-15


def scaled_log_loss(temperature: float, logits: list[np.ndarray], Y: np.ndarray, w: np.ndarray, link) -> float:
    """Weighted mean cross-entropy of Y (one-hot, or one 0/1 column for a sigmoid) under the mean over
    networks of link(logits / temperature)."""
    p = np.mean([link(z / temperature) for z in logits], axis=0)
    p = np.clip(p, _TINY, 1 - _TINY)
    if Y.shape[1] == 1:
        rows = -(Y[:, 0] * np.log(p[:, 0]) + (1 - Y[:, 0]) * np.log1p(-p[:, 0]))
    else:
        rows = -np.sum(Y * np.log(p), axis=1)
    return float(np.sum(w * rows) / np.sum(w))


def fit_temperature(logits: list[np.ndarray], Y: np.ndarray, w: np.ndarray, link) -> float:
    """The temperature minimising `scaled_log_loss` on these rows (bounded search over log T)."""
    if np.sum(w) <= 0:
        raise AstromlpError("temperature scaling needs validation rows with positive weight")
    result = minimize_scalar(lambda log_t: scaled_log_loss(np.exp(log_t), logits, Y, w, link),
                             bounds=np.log(BOUNDS), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


def check_temperature(value, where: str) -> float:
    """A stored temperature: a finite number within BOUNDS, else one AstromlpError naming `where`."""
    if type(value) not in (int, float) or not np.isfinite(value) or not BOUNDS[0] <= value <= BOUNDS[1]:
        raise AstromlpError(f"{where}: temperature {value!r} is not a number in [{BOUNDS[0]}, {BOUNDS[1]}]; "
                            "the file was edited or damaged: fit and save the model again")
    return float(value)
