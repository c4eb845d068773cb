"""Conditional densities on a grid of bins: the grid, soft bin labels, and point estimates read off a PDF.

A density network is a softmax over B bins trained with cross-entropy against the true value's bin, spread over
neighbouring bins by a Gaussian kernel (Pasquet et al. 2019); the existing softmax cross-entropy kernel takes such
soft rows as they are, so no new Numba code is compiled. Every function here is plain vectorised numpy.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.special import ndtr

from astromlp.errors import AstromlpError
from astromlp.nn.labels import one_hot

#: Bins of the default grid, and the margin added above the 99.9th percentile of the training targets
#: (a fraction of the targets' range), so the tail the network may predict is not cut at the last bin.
DEFAULT_BINS = 200
UPPER_PERCENTILE = 99.9
MARGIN = 0.1
#: The ODDS window: probability within +-ODDS_WIDTH (1 + z_mode) of the mode (Benitez 2000's concentration).
ODDS_WIDTH = 0.06
#: Central intervals reported per object: name -> enclosed probability.
INTERVALS = {"68": 0.68, "95": 0.95}
#: The mode's reading of a histogram PDF, chosen by cross-validation on training folds (quality_selection.md,
#: round 8): the density is smoothed by a Gaussian whose standard deviation is MODE_SMOOTHING of the grid's bins
#: (8 of the default 200, 0.029 in z on the SDSS galaxies), its peak sought in the basin of highest probability
#: and refined by a parabola.
MODE_SMOOTHING = 0.04
MODE_BASINS = True
MODE_PARABOLA = True
#: The standard normal CDF (scipy's ndtr) is exactly 0 below CDF_ZERO and exactly 1 above CDF_ONE in float64:
#: soft labels compute it only between the two.
CDF_ZERO = -39.0
CDF_ONE = 9.0


def default_edges(y: np.ndarray, n_bins: int = DEFAULT_BINS) -> np.ndarray:
    """Bin edges from min(0, smallest target) to the 99.9th percentile plus a margin, in ``n_bins`` equal bins."""
    y = np.asarray(y, dtype=np.float64)
    lo = min(0.0, float(y.min()))
    top = float(np.percentile(y, UPPER_PERCENTILE))
    hi = top + MARGIN * max(top - lo, 1e-3)
    return np.linspace(lo, hi, n_bins + 1)


def check_edges(edges, where: str) -> np.ndarray:
    """``edges`` as a float array of at least three finite, strictly increasing values; one error line otherwise."""
    array = np.asarray(edges, dtype=np.float64) if not isinstance(edges, str) else np.array([])
    if array.ndim != 1 or array.size < 3 or not np.isfinite(array).all() or np.any(np.diff(array) <= 0):
        shown = repr(edges) if len(repr(edges)) <= 60 else repr(edges)[:60] + "..."
        raise AstromlpError(f"{where} must be a number of bins or a list of at least three strictly increasing "
                            f"finite bin edges, got {shown}")
    return array


def grid_edges(z_grid, y: np.ndarray) -> np.ndarray:
    """The bin edges a fit uses: the default grid (``z_grid`` None), a default range with ``z_grid`` bins, or
    ``z_grid`` itself as edges."""
    if z_grid is None:
        return default_edges(y)
    if np.ndim(z_grid) == 0 and not isinstance(z_grid, str):
        return default_edges(y, int(z_grid))
    return check_edges(z_grid, "z_grid")


def soft_labels(y: np.ndarray, edges: np.ndarray, width: float, dtype=np.float64) -> np.ndarray:
    """Each target as a row of bin probabilities: a Gaussian of ``width`` bins (at the bin holding the target)
    integrated over the bins, or the target's bin alone for ``width`` 0. Targets beyond the grid go to the edge
    bin, so every row sums to 1."""
    y = np.asarray(y, dtype=np.float64)
    n_bins = len(edges) - 1
    index = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, n_bins - 1)
    if width == 0:
        return one_hot(index, n_bins, dtype)
    labels = np.zeros((len(y), n_bins), dtype)
    # the target's position in bin units (fractional), so the kernel follows non-uniform grids bin by bin
    position = index + np.clip((y - edges[index]) / np.diff(edges)[index], 0.0, 1.0)
    # the Gaussian's CDF at the edges of a window of bins around the target: outside it the CDF is exactly 0
    # or 1 in float64, so the other bins get exactly 0, as they would from the CDF at every edge (4x the work)
    span = min(n_bins, int(np.ceil((CDF_ONE - CDF_ZERO) * width)) + 1)
    first = np.clip(np.floor(position + CDF_ZERO * width).astype(np.int64), 0, n_bins - span)
    at = first[:, None] + np.arange(span + 1)
    cdf = ndtr((at - position[:, None]) / width)
    cdf[at == 0], cdf[at == n_bins] = 0.0, 1.0  # the tails beyond the grid belong to the edge bins
    labels.reshape(-1)[(np.arange(len(y)) * n_bins)[:, None] + at[:, :-1]] = np.diff(cdf, axis=1)
    return labels


def cdf_at_edges(prob: np.ndarray) -> np.ndarray:
    """The CDF at every bin edge (n, B + 1) of bin probabilities (n, B), uniform within each bin."""
    cdf = np.zeros((prob.shape[0], prob.shape[1] + 1))
    np.cumsum(prob, axis=1, out=cdf[:, 1:])
    return cdf / cdf[:, -1:]


def quantiles(prob: np.ndarray, edges: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of each row's PDF, interpolated linearly within the bin where the CDF crosses ``q``."""
    cdf = cdf_at_edges(prob)
    k = np.clip((cdf[:, 1:-1] < q).sum(axis=1), 0, prob.shape[1] - 1)
    rows = np.arange(len(k))
    mass = cdf[rows, k + 1] - cdf[rows, k]
    frac = np.divide(q - cdf[rows, k], mass, out=np.zeros_like(mass), where=mass > 0)
    return edges[k] + np.clip(frac, 0.0, 1.0) * (edges[k + 1] - edges[k])


def cdf_values(prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Each row's CDF at its own value ``z`` (0 below the grid, 1 above): the PIT when ``z`` is the truth."""
    cdf = cdf_at_edges(prob)
    k = np.clip(np.searchsorted(edges, z, side="right") - 1, 0, prob.shape[1] - 1)
    rows = np.arange(len(k))
    frac = np.clip((z - edges[k]) / (edges[k + 1] - edges[k]), 0.0, 1.0)
    return cdf[rows, k] + frac * (cdf[rows, k + 1] - cdf[rows, k])


def basins(density: np.ndarray) -> np.ndarray:
    """Each bin's basin number along its row: a basin runs from one local minimum of ``density`` to the next
    (a bin that rises from a bin not above its own left neighbour starts a new basin)."""
    rises = density[:, 1:] > density[:, :-1]
    starts = np.zeros(density.shape, dtype=np.int64)
    starts[:, 2:] = rises[:, 1:] & ~rises[:, :-1]
    return np.cumsum(starts, axis=1)


def modes(prob: np.ndarray, edges: np.ndarray, smoothing: float | None = None,
          in_basin: bool = MODE_BASINS, parabola: bool = MODE_PARABOLA) -> np.ndarray:
    """Each row's mode: the highest bin of the density (probability per unit z) smoothed by a Gaussian of
    ``smoothing`` bins (None: MODE_SMOOTHING of the bins; 0: none), within the basin of largest probability
    when ``in_basin``, refined by the parabola through that bin and its neighbours when ``parabola`` (else the
    bin's centre). Smoothing and basins keep a narrow spike from outbidding a broad peak of more probability."""
    widths = np.diff(edges)
    smoothing = MODE_SMOOTHING * len(widths) if smoothing is None else smoothing
    density = prob / widths
    if smoothing > 0:
        density = gaussian_filter1d(density, smoothing, axis=1, mode="constant")
    candidates = density
    if in_basin:
        basin = basins(density)
        n, n_bins = density.shape
        offset = basin + n_bins * np.arange(n)[:, None]
        mass = np.bincount(offset.ravel(), (density * widths).ravel(), n * n_bins).reshape(n, n_bins)
        candidates = np.where(basin == mass.argmax(axis=1)[:, None], density, -np.inf)
    peak = candidates.argmax(axis=1)
    return _parabolic_peak(density, peak, edges) if parabola else 0.5 * (edges[peak] + edges[peak + 1])


def _parabolic_peak(density: np.ndarray, peak: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The vertex of the parabola through the peak bin's centre and its neighbours' (the centre itself at the
    grid's ends or on a flat top), kept within half a bin of the centre."""
    centres = 0.5 * (edges[:-1] + edges[1:])
    inner = np.clip(peak, 1, density.shape[1] - 2)
    rows = np.arange(len(peak))
    left, mid, right = (density[rows, inner + k] for k in (-1, 0, 1))
    curvature = left - 2 * mid + right
    shift = np.divide(0.5 * (left - right), curvature, out=np.zeros_like(mid), where=curvature < 0)
    shift = np.where(peak == inner, np.clip(shift, -0.5, 0.5), 0.0)
    step = np.where(shift < 0, centres[peak] - centres[np.maximum(peak - 1, 0)],
                    centres[np.minimum(peak + 1, len(centres) - 1)] - centres[peak])
    return centres[peak] + shift * step


def point_estimates(prob: np.ndarray, edges: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: mode (``modes``), mean, median, the 68 % and 95 % central intervals, and ODDS (probability
    within +-0.06 (1 + mode) of the mode)."""
    centres = 0.5 * (edges[:-1] + edges[1:])
    mode = modes(prob, edges)
    out = {"mode": mode, "mean": (prob @ centres) / prob.sum(axis=1), "median": quantiles(prob, edges, 0.5)}
    for name, mass in INTERVALS.items():
        out[f"lo{name}"] = quantiles(prob, edges, (1 - mass) / 2)
        out[f"hi{name}"] = quantiles(prob, edges, (1 + mass) / 2)
    half = ODDS_WIDTH * (1 + mode)
    out["odds"] = cdf_values(prob, edges, mode + half) - cdf_values(prob, edges, mode - half)
    return out
