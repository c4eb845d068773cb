"""Feature scaling fitted on the training split only and stored as plain numbers, so `predict` applies the
very same transform to a new catalog: x -> (x - center) / scale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler


def _standard(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scaler = StandardScaler().fit(X)
    return scaler.mean_, scaler.scale_


def _robust(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and interquartile range: one bad magnitude does not move the scale."""
    scaler = RobustScaler().fit(X)
    return scaler.center_, scaler.scale_


def _minmax(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scaler = MinMaxScaler().fit(X)
    return scaler.data_min_, scaler.data_range_


def _none(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(X.shape[1]), np.ones(X.shape[1])


NORMALISERS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "standard": _standard, "robust": _robust, "minmax": _minmax, "none": _none,
}


@dataclass(frozen=True)
class Normaliser:
    """A fitted per-feature shift and scale; a constant feature keeps scale 1 instead of dividing by zero."""

    method: str
    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, method: str, X: np.ndarray) -> Normaliser:
        center, scale = NORMALISERS[method](np.asarray(X, dtype=np.float64))
        scale = np.where(scale > 0, scale, 1.0)
        return cls(method, np.asarray(center, dtype=np.float64), np.asarray(scale, dtype=np.float64))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.center) / self.scale

    def to_dict(self) -> dict:
        """JSON-able; floats round-trip exactly through json (shortest repr)."""
        return {"method": self.method, "center": self.center.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Normaliser:
        return cls(data["method"], np.asarray(data["center"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64))
