"""The network for each task kind, and multi-start training: one task on a local scheduler, or cut into
single-start fits that Dask runs on different workers of a cluster (start k equals start k of one K-start
fit, so both give the same model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astromlp.errors import AstromlpError
from astromlp.nn import MLPRegressor, merge_starts, start_seeds
from astromlp.pipeline.kinds import task_kind
from astromlp.pipeline.progress import publish_epochs

MULTI_START_KEYS = ("n_starts", "start_selection", "n_jobs")


def estimator_class(task: str) -> type:
    return task_kind(task).estimator


def check_params(task: str, params: dict[str, Any], where: str) -> None:
    """Validate estimator parameters now, so a bad [model] value fails before any data is read."""
    try:
        estimator = estimator_class(task)(**params)
        estimator._validate_params()  # private: scikit-learn has no public way to check params without fitting
        estimator._hidden_specs()  # layer sizes and dropout rates, which fit would check only after reading data
    except (AstromlpError, ValueError, TypeError) as exc:  # scikit-learn's InvalidParameterError is both
        raise AstromlpError(f"{where} {exc}") from None


@dataclass(frozen=True)
class TrainingData:
    """The arrays every start trains on; one object so a cluster ships it to each worker once."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_validation: np.ndarray
    y_validation: np.ndarray


def start_plan(params: dict[str, Any], seed: int) -> list[int]:
    """The seed of each start of the configured multi-start fit."""
    return start_seeds(seed, int(params.get("n_starts", MLPRegressor().n_starts)))


def fit_one_start(task: str, params: dict[str, Any], seed: int, data: TrainingData, progress_topic=None):
    """Train one start: the configured estimator with n_starts=1 and this start's seed; on a Dask worker,
    with a progress topic, each epoch is published as an event for the client's progress bars."""
    single = {k: v for k, v in params.items() if k not in MULTI_START_KEYS}
    estimator = estimator_class(task)(**single, n_starts=1, random_state=seed)
    on_epoch = None if progress_topic is None else publish_epochs(progress_topic, seed)
    return estimator.fit(data.X_train, data.y_train, **_monitored(params, data), on_epoch=on_epoch)


def fit_all_starts(task: str, params: dict[str, Any], seed: int, data: TrainingData, on_epoch=None):
    """Every start in one task: nn trains them on parallel threads, one Numba thread each."""
    estimator = estimator_class(task)(**params, random_state=seed)
    return estimator.fit(data.X_train, data.y_train, **_monitored(params, data), on_epoch=on_epoch)


def _monitored(params: dict[str, Any], data: TrainingData) -> dict[str, np.ndarray]:
    """The validation split for fit to watch, unless [model] early_stopping = false (then training runs on the
    training loss alone, as the estimator does without one)."""
    if not params.get("early_stopping", True) or not len(data.y_validation):
        return {}
    return {"X_val": data.X_validation, "y_val": data.y_validation}


def max_epochs(params: dict[str, Any]) -> int:
    """The configured epoch budget of each start (the estimator's default when not set)."""
    return int(params.get("max_epochs", MLPRegressor().max_epochs))


def merge(fitted: list, params: dict[str, Any], seed: int, data: TrainingData | None = None):
    """One estimator from the fitted starts, chosen or averaged as [model] start_selection says; it records
    the run's seed, as the equivalent K-start fit does, and its temperature is fitted again on the validation
    rows for the networks kept (each start's was fitted for its own network)."""
    merged = merge_starts(fitted, start_selection=params.get("start_selection", "best"))
    if params.get("calibrate", "none") != "none" and data is not None:
        merged.calibrate_temperature(data.X_validation, data.y_validation)
    return merged.set_params(random_state=seed)
