"""Scores of redshift PDFs given as bin probabilities on a grid (uniform density within each bin, as a qp hist
ensemble): PIT and its uniformity (KS, CvM, AD as qp.metrics.PIT computes them), the PIT outlier rate, CRPS,
the CDE loss and the coverage of the central intervals. Per-object values are kept so the bootstrap resamples
objects without re-scoring PDFs; tests/reports/test_pdf_metrics.py checks every value against qp.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from astromlp.nn.density import cdf_at_edges, cdf_values, quantiles

#: PIT values this close to 0 or 1 are outliers: the truth lies in a PDF's far tail (RAIL's convention).
PIT_OUTLIER = 1e-4
COVERAGE = {"68": 0.68, "95": 0.95}


def pit(prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Probability integral transform: each PDF's CDF at the true redshift (uniform for calibrated PDFs)."""
    return cdf_values(prob, edges, z)


def crps(prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Continuous ranked probability score per object, integral of (F(x) - 1[x >= z])^2 dx, exact for a CDF
    linear within bins: each bin's integral of a squared linear function, the truth's bin split at z, plus
    the length between z and the grid when z lies outside it."""
    cdf = cdf_at_edges(prob)
    clipped = np.clip(z, edges[0], edges[-1])
    left, right = edges[:-1][None, :], edges[1:][None, :]
    lo = np.clip(clipped[:, None], left, right)  # split point of every bin: its left edge, right edge, or z inside it
    at = cdf[:, :-1] + (cdf[:, 1:] - cdf[:, :-1]) * (lo - left) / (right - left)
    below = _squared_integral(cdf[:, :-1], at, lo - left)
    above = _squared_integral(1 - at, 1 - cdf[:, 1:], right - lo)
    return below.sum(axis=1) + above.sum(axis=1) + np.abs(z - clipped)  # beyond the grid, (F - 1[x >= z])^2 = 1


def _squared_integral(a: np.ndarray, b: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Integral over ``width`` of the square of a function going linearly from a to b."""
    return width * (a * a + a * b + b * b) / 3


def cde_loss_terms(prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Per-object terms of the CDE loss (Izbicki & Lee 2017): integral of f^2 minus 2 f(z_true); their mean is
    the loss (lower is better, can be negative)."""
    widths = np.diff(edges)
    density = prob / widths
    k = np.clip(np.searchsorted(edges, z, side="right") - 1, 0, len(widths) - 1)
    inside = (z >= edges[0]) & (z <= edges[-1])
    return (density * density * widths).sum(axis=1) - 2 * np.where(inside, density[np.arange(len(z)), k], 0.0)


def interval_hits(prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """Per object, whether the truth lies in each central interval (1.0 or 0.0), keyed by its percentage."""
    return {name: ((quantiles(prob, edges, (1 - mass) / 2) <= z) & (z <= quantiles(prob, edges, (1 + mass) / 2)))
            .astype(float) for name, mass in COVERAGE.items()}


def uniformity(pit_values: np.ndarray) -> dict[str, float]:
    """KS, CvM and AD statistics of PIT values against the uniform distribution, computed as qp.metrics.PIT does
    (scipy's kstest and cramervonmises; the k-sample AD against an evenly spaced grid), and the outlier rate."""
    return {"pit_ks": float(stats.kstest(pit_values, stats.uniform.cdf).statistic),
            "pit_cvm": float(stats.cramervonmises(pit_values, stats.uniform.cdf).statistic),
            "pit_ad": _anderson(pit_values),
            "pit_outliers": float(np.mean((pit_values < PIT_OUTLIER) | (pit_values > 1 - PIT_OUTLIER)))}


def _anderson(pit_values: np.ndarray) -> float:
    """qp's AD: scipy's standardised 2-sample statistic (A2 - 1) / sigma of the PIT against an evenly spaced grid.
    The grid has no sampling noise, so a calibrated PIT scores about -0.65, not 0; negative is not a bug."""
    grid = np.linspace(0.0, 1.0, len(pit_values))
    with warnings.catch_warnings():  # scipy warns that the p-value is capped; the statistic is what we report
        warnings.simplefilter("ignore")
        return float(stats.anderson_ksamp([pit_values, grid]).statistic)


def per_object(prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """Every per-object value the PDF metrics are means or statistics of."""
    hits = interval_hits(prob, edges, z)
    return {"pit": pit(prob, edges, z), "crps": crps(prob, edges, z), "cde": cde_loss_terms(prob, edges, z),
            **{f"coverage_{name}": hit for name, hit in hits.items()}}


def summarise(values: dict[str, np.ndarray]) -> dict[str, float]:
    """The PDF metrics from per-object values: mean CRPS, CDE loss, coverages, and the PIT statistics."""
    means = {"crps": "crps", "cde_loss": "cde", **{f"coverage_{n}": f"coverage_{n}" for n in COVERAGE}}
    return {**{key: float(np.mean(values[name])) for key, name in means.items()}, **uniformity(values["pit"])}
