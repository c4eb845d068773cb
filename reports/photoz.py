"""Photometric-redshift metrics on dz = (z_phot - z_spec) / (1 + z_spec).

bias = median(dz); sigma_NMAD = 1.4826 median(|dz - median(dz)|); outlier fraction |dz| > 0.15; the
LSST-style outlier fraction |dz| > max(0.06, 3 sigma_IQR) with sigma_IQR = IQR(dz) / 1.349. In a report every
model is judged against ONE such threshold, the network's (`common_cases`): with its own sigma_IQR a model
with more scatter would get a looser threshold and look better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astromlp.reports import regression, weighted
from astromlp.reports.regression import ValuedCase
from astromlp.reports.scoring import Metric

NMAD_SCALE = 1.4826
IQR_TO_SIGMA = 1.349
OUTLIER_DZ = 0.15
LSST_FLOOR = 0.06


@dataclass(frozen=True)
class PhotozCase(ValuedCase):
    """A photo-z model's rows with the LSST-style outlier threshold shared by every model of the report."""

    lsst_threshold: float = float("nan")

    def take(self, rows) -> PhotozCase:
        return PhotozCase(self.y[rows], self.predicted[rows], self.lsst_threshold)


def common_cases(y: np.ndarray, predictions: dict[str, np.ndarray], reference: str) -> dict[str, PhotozCase]:
    """Each model's case, all with the LSST-style threshold of `reference` (the network) on every row."""
    threshold = own_lsst_threshold(ValuedCase(y, predictions[reference]))
    return {name: PhotozCase(y, predicted, threshold) for name, predicted in predictions.items()}


def metric_notes(cases: dict, reference: str) -> dict[str, str]:
    """What the report says under its tables about thresholds shared between models."""
    threshold = lsst_outlier_threshold(cases[reference])
    return {"outlier_fraction_lsst": f"The LSST-style outlier threshold is the network's, "
                                     f"max({LSST_FLOOR}, 3σ_IQR of {reference}) = {threshold:.4g}, the same "
                                     "for every model and every bin, so the fractions compare."}


def dz(case: ValuedCase) -> np.ndarray:
    """The normalised redshift error of every row."""
    return (case.predicted - case.y) / (1.0 + case.y)


def bias(case: ValuedCase) -> float:
    return float(np.median(dz(case)))


def sigma_nmad(case: ValuedCase) -> float:
    errors = dz(case)
    return float(NMAD_SCALE * np.median(np.abs(errors - np.median(errors))))


def sigma_iqr(case: ValuedCase) -> float:
    q25, q75 = np.percentile(dz(case), [25, 75])
    return float((q75 - q25) / IQR_TO_SIGMA)


def outlier_fraction(case: ValuedCase) -> float:
    return float(np.mean(np.abs(dz(case)) > OUTLIER_DZ))


def own_lsst_threshold(case: ValuedCase) -> float:
    """max(0.06, 3 sigma_IQR) of the case's own errors."""
    return max(LSST_FLOOR, 3.0 * sigma_iqr(case))


def lsst_outlier_threshold(case: ValuedCase) -> float:
    """The shared threshold of a PhotozCase, else (one model alone) the case's own."""
    shared = getattr(case, "lsst_threshold", float("nan"))
    return shared if np.isfinite(shared) else own_lsst_threshold(case)


def lsst_outliers(case: ValuedCase) -> np.ndarray:
    return np.abs(dz(case)) > lsst_outlier_threshold(case)


def lsst_outlier_fraction(case: ValuedCase) -> float:
    return float(np.mean(lsst_outliers(case)))


def sigma_nmad_resampler(case: ValuedCase):
    errors = weighted.Sorted(dz(case))
    return lambda weights: NMAD_SCALE * errors.median_absolute_deviation(weights)


def lsst_outlier_fraction_resampler(case: ValuedCase):
    """The fraction beyond the shared threshold on every resample; a lone case's threshold is resampled too."""
    if np.isfinite(getattr(case, "lsst_threshold", float("nan"))):
        return regression.mean_of(lsst_outliers)(case)
    errors = dz(case)
    ranked = weighted.Sorted(errors)

    def score(weights: np.ndarray) -> np.ndarray:
        spread = ranked.quantile(weights, 0.75) - ranked.quantile(weights, 0.25)
        threshold = np.maximum(LSST_FLOOR, 3.0 * spread / IQR_TO_SIGMA)
        outliers = np.abs(errors)[None, :] > threshold[:, None]
        return (outliers * weights).sum(axis=1) / weights.shape[1]

    return score


PHOTOZ_METRICS: dict[str, Metric] = {
    "sigma_nmad": Metric("σ_NMAD", "lower", sigma_nmad, sigma_nmad_resampler),
    "outlier_fraction": Metric(
        "outlier fraction |Δz| > 0.15",
        "lower",
        outlier_fraction,
        regression.mean_of(lambda c: np.abs(dz(c)) > OUTLIER_DZ),
    ),
    "outlier_fraction_lsst": Metric(
        "outlier fraction |Δz| > max(0.06, 3σ_IQR of the network)",
        "lower",
        lsst_outlier_fraction,
        lsst_outlier_fraction_resampler,
    ),
    "bias": Metric("bias, median Δz", "zero", bias, regression.median_of(dz)),
    "sigma_iqr": Metric("σ_IQR", "lower", sigma_iqr),
}
METRICS: dict[str, Metric] = {**PHOTOZ_METRICS, **regression.METRICS}
HEADLINE = ["sigma_nmad", "outlier_fraction", "outlier_fraction_lsst", "bias"]
BIN_METRICS = {
    name: PHOTOZ_METRICS[name] for name in ("bias", "sigma_nmad", "outlier_fraction", "outlier_fraction_lsst")
}
