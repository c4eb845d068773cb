"""Weight initialisation: Glorot/Xavier (uniform, normal), He (normal, uniform) for the ReLU family, LeCun, and a
plain normal of a given sigma (the course's N(0, sigma^2)); biases and beta zero, gamma one, PReLU's slopes the
layer's alpha (0.25 by default, He et al. 2015)."""

from __future__ import annotations

import numpy as np

from astromlp.nn.layers import BE_OFF, G_OFF, HAS_BN, P_OFF, NetworkLayout


def _glorot_uniform(rng, n_in, n_out, shape, sigma):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, shape)


def _glorot_normal(rng, n_in, n_out, shape, sigma):
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), shape)


def _he_normal(rng, n_in, n_out, shape, sigma):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), shape)


def _he_uniform(rng, n_in, n_out, shape, sigma):
    limit = np.sqrt(6.0 / n_in)
    return rng.uniform(-limit, limit, shape)


def _lecun_normal(rng, n_in, n_out, shape, sigma):
    return rng.normal(0.0, np.sqrt(1.0 / n_in), shape)


def _normal(rng, n_in, n_out, shape, sigma):
    """N(0, sigma^2) whatever the fan-in: too small a sigma shrinks the signal layer by layer, too large one
    saturates or explodes it, which is why the fan-scaled schemes exist."""
    return rng.normal(0.0, sigma, shape)


#: The default sigma of ``normal``: the 0.01 of the classic recipes (e.g. Krizhevsky et al. 2012).
DEFAULT_SIGMA = 0.01

INITIALIZERS = {
    "glorot_uniform": _glorot_uniform,
    "glorot_normal": _glorot_normal,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
    "lecun_normal": _lecun_normal,
    "normal": _normal,
}


def initial_parameters(layout: NetworkLayout, schemes: list[str], rng: np.random.Generator, dtype,
                       sigma: float = DEFAULT_SIGMA) -> np.ndarray:
    """A flat parameter vector: layer l's weights drawn by ``schemes[l]`` (fan-in/fan-out of one piece;
    ``sigma`` is the standard deviation of ``normal``, unused by the others)."""
    theta = np.zeros(layout.n_params, dtype=dtype)
    for l, spec in enumerate(layout.layers):
        w = layout.weights(theta, l)
        n_in = w.shape[0]
        w[:] = INITIALIZERS[schemes[l]](rng, n_in, spec.units, w.shape, sigma)
        if layout.ilayout[l, HAS_BN]:
            layout.segment(theta, l, G_OFF)[:] = 1
            layout.segment(theta, l, BE_OFF)[:] = 0
        if spec.learned_slopes:
            p = layout.ilayout[l, P_OFF]
            theta[p:p + spec.learned_slopes] = spec.alpha
    return theta
