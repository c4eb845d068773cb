"""Numba kernels that apply a row of the activation table to a whole array (see ``nn/activations.py``): with the
layer's one parameter (``activate``), or with one parameter per element (``activate_sloped``). Each compiles the
rows of its ``rows`` argument only (``kernels/rows.py``)."""

from astromlp.nn.activations import (
    DERIVATIVE_TABLE,
    SLOPED_DERIVATIVE_TABLE,
    SLOPED_VALUE_TABLE,
    VALUE_TABLE,
)
from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.rows import row_dispatch


@kernel(inline="always")
def _through_mask(f, h, a, da, m, p):
    """da * m * f'(h) for an element of an inverted-dropout layer kept with multiplier m (0 when dropped): a holds
    the dropped-out value a_pre * m, so m is undone to give f its output. ``p``: the activation's parameter."""
    return da * m * f(h, a / m, p) if m != 0 else 0.0 * da


@kernel(inline="always")
def _map_value(f, h, a, alpha, bias, biased):
    if biased:  # the layer's bias added in the same pass over h
        for i in range(h.shape[0]):
            hi, ai = h[i], a[i]
            for j in range(h.shape[1]):
                x = hi[j] + bias[j]
                hi[j] = x
                ai[j] = f(x, alpha)
        return
    hf = h.ravel()
    af = a.ravel()
    for i in range(hf.size):
        af[i] = f(hf[i], alpha)


@kernel(inline="always")
def _map_derivative(f, h, a, da, dh, alpha, mask, masked, db, summed):
    if summed:
        _map_derivative_summed(f, h, a, da, dh, alpha, mask, masked, db)
        return
    hf = h.ravel()
    af = a.ravel()
    daf = da.ravel()
    dhf = dh.ravel()
    if not masked:
        for i in range(hf.size):
            dhf[i] = daf[i] * f(hf[i], af[i], alpha)
        return
    mf = mask.ravel()
    for i in range(hf.size):
        dhf[i] = _through_mask(f, hf[i], af[i], daf[i], mf[i], alpha)


@kernel(inline="always")
def _map_derivative_summed(f, h, a, da, dh, alpha, mask, masked, db):
    """``_map_derivative`` that also sums dh over rows into db, each unit's sum in row order."""
    db[:] = 0.0
    for i in range(h.shape[0]):
        hi, ai, dai, dhi = h[i], a[i], da[i], dh[i]
        if masked:
            mi = mask[i]
            for j in range(h.shape[1]):
                g = _through_mask(f, hi[j], ai[j], dai[j], mi[j], alpha)
                dhi[j] = g
                db[j] += g
        else:
            for j in range(h.shape[1]):
                g = dai[j] * f(hi[j], ai[j], alpha)
                dhi[j] = g
                db[j] += g


@kernel(inline="always")
def _map_sloped_value(f, h, a, s):
    hf = h.ravel()
    af = a.ravel()
    sf = s.ravel()
    for i in range(hf.size):
        af[i] = f(hf[i], sf[i])


@kernel(inline="always")
def _map_sloped_derivative(f, h, a, da, dh, s, mask, masked):
    hf = h.ravel()
    af = a.ravel()
    daf = da.ravel()
    dhf = dh.ravel()
    sf = s.ravel()
    mf = mask.ravel()
    for i in range(hf.size):  # as in _map_derivative, with one parameter per element
        dhf[i] = _through_mask(f, hf[i], af[i], daf[i], mf[i] if masked else 1.0, sf[i])


_value_row = row_dispatch("activation", VALUE_TABLE, _map_value, returns=False)
_derivative_row = row_dispatch("activation", DERIVATIVE_TABLE, _map_derivative, returns=False)
_sloped_value_row = row_dispatch("sloped", SLOPED_VALUE_TABLE, _map_sloped_value, returns=False)
_sloped_derivative_row = row_dispatch("sloped", SLOPED_DERIVATIVE_TABLE, _map_sloped_derivative, returns=False)


@kernel()
def activate(rows, code, h, a, alpha, bias, biased):
    """a = f(h) elementwise, for the activation with kernel index ``code`` (among ``rows``, a ``Rows``); h and a
    are C-contiguous (rows x units). With ``biased``, first h += bias (per unit) in the same pass (see
    ``network._bias_in_activation``)."""
    _value_row(rows, code, h, a, alpha, bias, biased)


@kernel()
def activation_backward(rows, code, h, a, da, dh, alpha, mask, masked, db, summed):
    """dh = da * f'(h) elementwise, given a = f(h) from the forward pass; with ``masked``, a and da are
    those of an inverted-dropout layer whose multipliers are ``mask``, and dh = da * mask * f'(h). With
    ``summed``, also db = the sum of dh over rows (the layer's bias gradient) in the same pass."""
    _derivative_row(rows, code, h, a, da, dh, alpha, mask, masked, db, summed)


@kernel()
def activate_sloped(rows, code, h, a, s):
    """a = f(h, s) elementwise for the sloped activation with kernel index ``code``; ``s`` (h's shape) holds
    each element's parameter."""
    _sloped_value_row(rows, code, h, a, s)


@kernel()
def activation_backward_sloped(rows, code, h, a, da, dh, s, mask, masked):
    """``activation_backward`` for a sloped activation, with each element's parameter in ``s``."""
    _sloped_derivative_row(rows, code, h, a, da, dh, s, mask, masked)
