"""Weight initialisation: Glorot/Xavier (uniform, normal), He (normal, uniform) for the ReLU family, LeCun;
biases and beta zero, gamma one."""

from __future__ import annotations

import numpy as np

from astromlp.nn.layers import BE_OFF, G_OFF, HAS_BN, NetworkLayout


def _glorot_uniform(rng, n_in, n_out, shape):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, shape)


def _glorot_normal(rng, n_in, n_out, shape):
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), shape)


def _he_normal(rng, n_in, n_out, shape):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), shape)


def _he_uniform(rng, n_in, n_out, shape):
    limit = np.sqrt(6.0 / n_in)
    return rng.uniform(-limit, limit, shape)


def _lecun_normal(rng, n_in, n_out, shape):
    return rng.normal(0.0, np.sqrt(1.0 / n_in), shape)


INITIALIZERS = {
    "glorot_uniform": _glorot_uniform,
    "glorot_normal": _glorot_normal,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
    "lecun_normal": _lecun_normal,
}


def initial_parameters(layout: NetworkLayout, schemes: list[str], rng: np.random.Generator, dtype) -> np.ndarray:
    """A flat parameter vector: layer l's weights drawn by ``schemes[l]`` (fan-in/fan-out of one piece)."""
    theta = np.zeros(layout.n_params, dtype=dtype)
    for l, spec in enumerate(layout.layers):
        w = layout.weights(theta, l)
        n_in = w.shape[0]
        w[:] = INITIALIZERS[schemes[l]](rng, n_in, spec.units, w.shape)
        if layout.ilayout[l, HAS_BN]:
            layout.segment(theta, l, G_OFF)[:] = 1
            layout.segment(theta, l, BE_OFF)[:] = 0
    return theta
