"""PDF baselines on the network's grid, fitted on its training split: RAIL's trainZ (the training n(z) for every
galaxy) and a k-nearest-neighbour PDF (the redshifts of the k nearest training galaxies in the normalised
feature space, each spread like the network's soft labels; k chosen by CRPS on the validation split)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.neighbors import NearestNeighbors

from astromlp.nn.density import soft_labels
from astromlp.reports.pdf_metrics import crps

#: Neighbour counts the kNN PDF chooses from on the validation split.
K_CANDIDATES = (5, 10, 20, 40, 80)
_BLOCK = 2048  # test rows per neighbour query, so the (rows, k, bins) labels stay small


def train_z(y_train: np.ndarray, edges: np.ndarray, width: float) -> Callable[[np.ndarray], np.ndarray]:
    """trainZ: every galaxy gets the training redshifts' histogram (spread like the soft labels)."""
    nz = soft_labels(y_train, edges, width).mean(axis=0)
    return lambda X: np.broadcast_to(nz, (len(X), len(nz))).copy()


def _knn_pdfs(index: NearestNeighbors, y_train: np.ndarray, edges: np.ndarray, width: float, X: np.ndarray,
              k: int) -> np.ndarray:
    out = np.empty((len(X), len(edges) - 1))
    for start in range(0, len(X), _BLOCK):
        rows = index.kneighbors(X[start:start + _BLOCK], n_neighbors=k, return_distance=False)
        labels = soft_labels(y_train[rows].ravel(), edges, width)
        out[start:start + len(rows)] = labels.reshape(len(rows), k, -1).mean(axis=1)
    return out


def knn(X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, edges: np.ndarray,
        width: float) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """The kNN PDF with the k of lowest validation CRPS; returns (predict bin probabilities, k)."""
    index = NearestNeighbors().fit(X_train)
    candidates = [k for k in K_CANDIDATES if k <= len(X_train)] or [len(X_train)]
    scores = [np.mean(crps(_knn_pdfs(index, y_train, edges, width, X_val, k), edges, y_val)) for k in candidates]
    k = candidates[int(np.argmin(scores))] if len(X_val) else candidates[0]
    return (lambda X: _knn_pdfs(index, y_train, edges, width, X, k)), k
