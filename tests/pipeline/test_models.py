"""The train stage's use of the estimators: what each start is fitted on and watched with."""

from __future__ import annotations

import numpy as np

from astromlp.pipeline.models import TrainingData, fit_all_starts, fit_one_start


def _data() -> TrainingData:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=400) > 0, "a", "b")
    return TrainingData(X[:300], y[:300], X[300:], y[300:])


def test_early_stopping_false_leaves_the_validation_split_unwatched():
    params = {"hidden_layer_sizes": [8], "max_epochs": 6, "patience": 2, "schedule": "constant",
              "learning_rate": 1e-6, "n_starts": 1}  # a rate this small never improves: patience would stop it
    watched = fit_all_starts("classification", params, 0, _data())
    assert len(watched.validation_loss_curve_) == watched.n_iter_ < 6
    for fit in (fit_all_starts, fit_one_start):
        unwatched = fit("classification", {**params, "early_stopping": False, "patience": 1000}, 0, _data())
        assert unwatched.n_iter_ == 6
        assert not np.isfinite(unwatched.validation_loss_curve_).any()
