"""The network for each task kind, and multi-start training: one task on a local scheduler, or cut into
single-start fits that Dask runs on different workers of a cluster (start k equals start k of one K-start
fit, so both give the same model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astromlp.errors import AstromlpError
from astromlp.nn import MLPRegressor, merge_starts, start_seeds
from astromlp.nn.multiclass import fit_multiclass, pairs, strategy_of, wrap
from astromlp.pipeline.kinds import task_kind
from astromlp.pipeline.progress import publish_epochs

MULTI_START_KEYS = ("n_starts", "start_selection", "n_jobs")
#: The [model] key the pipeline reads itself (not an estimator parameter): softmax, ovr or ovo.
MULTI_CLASS = "multi_class"
#: What a one-vs-rest / one-vs-one run refuses, and why (its members are binary networks of scikit-learn's).
MEMBER_LIMITS = {
    "calibrate": (lambda v: v != "none", "temperature scaling calibrates one softmax network; with multi_class "
                  "= \"{strategy}\" keep calibrate = \"none\" (or use multi_class = \"softmax\")"),
    "class_weight": (lambda v: isinstance(v, dict), "a class_weight mapping names the target's classes, which "
                     "the binary members of multi_class = \"{strategy}\" do not see; use \"balanced\" (each "
                     "member balances its own two sides)"),
}


def estimator_class(task: str) -> type:
    return task_kind(task).estimator


def multi_class(params: dict[str, Any]) -> str:
    """The [model] multi_class strategy (softmax when not set)."""
    return params.get(MULTI_CLASS, "softmax")


def estimator_params(params: dict[str, Any]) -> dict[str, Any]:
    """[model] without the keys the pipeline reads itself: what the estimator takes."""
    return {k: v for k, v in params.items() if k != MULTI_CLASS}


def check_multi_class(params: dict[str, Any], where: str) -> None:
    """A one-vs-rest / one-vs-one [model] without the options its binary members cannot honour."""
    strategy = multi_class(params)
    for key, (refused, why) in MEMBER_LIMITS.items():
        if strategy != "softmax" and key in params and refused(params[key]):
            raise AstromlpError(f"{where} {key} = {params[key]!r}: {why.format(strategy=strategy)}")


def check_params(task: str, params: dict[str, Any], where: str) -> None:
    """Validate estimator parameters now, so a bad [model] value fails before any data is read."""
    check_multi_class(params, where)
    params = estimator_params(params)
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
    w_train: np.ndarray | None = None  # [data] weight: per-row weights, or None for equal weights
    w_validation: np.ndarray | None = None


def start_plan(params: dict[str, Any], seed: int) -> list[int]:
    """The seed of each start of the configured multi-start fit."""
    return start_seeds(seed, int(params.get("n_starts", MLPRegressor().n_starts)))


def fit_one_start(task: str, params: dict[str, Any], seed: int, data: TrainingData, progress_topic=None):
    """Train one start: the configured estimator with n_starts=1 and this start's seed; on a Dask worker,
    with a progress topic, each epoch is published as an event for the client's progress bars."""
    single = {k: v for k, v in estimator_params(params).items() if k not in MULTI_START_KEYS}
    estimator = estimator_class(task)(**single, n_starts=1, random_state=seed)
    on_epoch = None if progress_topic is None else publish_epochs(progress_topic, seed)
    return estimator.fit(data.X_train, data.y_train, data.w_train, **_monitored(params, data), on_epoch=on_epoch)


def fit_all_starts(task: str, params: dict[str, Any], seed: int, data: TrainingData, on_epoch=None):
    """Every start in one task: nn trains them on parallel threads, one Numba thread each. A one-vs-rest /
    one-vs-one model is scikit-learn's meta-estimator around the binary network; each member holds out its own
    validation rows for early stopping (the meta-estimators pass only X, y and the weights)."""
    estimator = estimator_class(task)(**estimator_params(params), random_state=seed)
    if multi_class(params) != "softmax":
        return fit_multiclass(wrap(multi_class(params), estimator), data.X_train, data.y_train, data.w_train)
    return estimator.fit(data.X_train, data.y_train, data.w_train, **_monitored(params, data), on_epoch=on_epoch)


def _monitored(params: dict[str, Any], data: TrainingData) -> dict[str, np.ndarray]:
    """The validation split (and its weights) for fit to watch, unless [model] early_stopping = false (then
    training runs on the training loss alone, as the estimator does without one)."""
    if not params.get("early_stopping", True) or not len(data.y_validation):
        return {}
    weights = {} if data.w_validation is None else {"sample_weight_val": data.w_validation}
    return {"X_val": data.X_validation, "y_val": data.y_validation, **weights}


def max_epochs(params: dict[str, Any]) -> int:
    """The configured epoch budget of each start (the estimator's default when not set)."""
    return int(params.get("max_epochs", MLPRegressor().max_epochs))


def merge(fitted: list, params: dict[str, Any], seed: int, data: TrainingData | None = None):
    """One estimator from the fitted starts, chosen or averaged as [model] start_selection says; it records
    the run's seed, as the equivalent K-start fit does, and its temperature is fitted again on the validation
    rows for the networks kept (each start's was fitted for its own network)."""
    merged = merge_starts(fitted, start_selection=params.get("start_selection", "best"))
    if params.get("calibrate", "none") != "none" and data is not None:
        merged.calibrate_temperature(data.X_validation, data.y_validation, data.w_validation)
    return merged.set_params(random_state=seed)


def training_record(model) -> dict:
    """The starts of the fitted model and the chosen one, for training.json and the report; a one-vs-rest /
    one-vs-one model lists every member's starts (each naming its member), the first member's best chosen."""
    if strategy_of(model) == "softmax":
        return {"starts": model.starts_, "chosen_start": model.best_start_}
    classes = [str(c) for c in model.classes_]
    names = [" vs ".join(classes[k] for k in pair) if len(pair) == 2 else f"{classes[pair[0]]} vs rest"
             for pair in pairs(strategy_of(model), len(classes))]
    starts = [{**start, "member": name} for member, name in zip(model.estimators_, names, strict=True)
              for start in member.starts_]
    return {"starts": starts, "chosen_start": model.estimators_[0].best_start_}


def primary(model):
    """The network model whose weights the report's sparsity reads: the first member of a meta-estimator."""
    return model if strategy_of(model) == "softmax" else model.estimators_[0]
