"""How astromlp's defaults were chosen: 3-fold cross-validation on the TRAINING part of one split only.

    python benchmarks/quality_cv.py --group base lr ... [--datasets sdss_class sdss_photoz pulsars]
                                    [--reference] [--repeats N] [--normalise standard robust ...]

For each dataset of ``bench_quality`` the seed-0 70/30 split is drawn and its 30 % test part is never read;
the 70 % training part is cut into 3 folds (stratified for classification), ``--repeats`` times with other
shuffles (repeat 0 is the cut of rounds 1-3). Every candidate changes a few parameters of ``BASE`` and is
fitted on two folds (standardised with their statistics, or under each ``--normalise`` transform fitted on
those two folds only) and scored on the third. The table gives the mean over folds of accuracy and macro F1
(classification) or sigma_NMAD and the |dz| > 0.15 outlier fraction (photo-z), the fit time, the fold-by-fold
difference in macro F1 / sigma_NMAD with the first astromlp candidate (mean ± standard error), and with
``--reference`` scikit-learn's HistGradientBoosting and MLP (64, 64) on the same folds. With several
transforms a last column pairs each row with the same model under the first one. The groups below are the grid
that was tried; benchmarks/quality_selection.md says what was chosen from it and why.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from bench_quality import DATASETS, classification_scores, photoz_scores, split
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from astromlp.nn import MLPClassifier, MLPRegressor

N_FOLDS = 3
SEED = 0
# The estimator's defaults when the search ran; every candidate changes some of them.
BASE = {"hidden_layer_sizes": (64, 64), "learning_rate": 1e-3, "schedule": "constant", "l2": 1e-4,
        "batch_size": 256, "max_epochs": 200, "patience": 10, "tol": 1e-4, "n_starts": 1, "start_selection": "best"}
FINALIST = {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500,
             "batch_size": 128, "l2": 3e-4}
DEFAULTS = {**FINALIST, "n_starts": 3}  # the estimator's defaults chosen in rounds 1-3
CURRENT = {**DEFAULTS, "n_starts": 1}  # the estimator's defaults after round 4
GROUPS: dict[str, list[dict]] = {
    "base": [{}],
    "architecture": [{"hidden_layer_sizes": h} for h in
                     [(32, 32), (128, 128), (64, 64, 64), (128, 128, 128), (256, 256)]],
    "learning_rate": [{"learning_rate": 3e-4}, {"learning_rate": 3e-3}, {"learning_rate": 1e-2}],
    "schedule": [{"schedule": "reduce_on_plateau"}, {"schedule": "reduce_on_plateau", "learning_rate": 3e-3},
                 {"schedule": "step", "lr_step": 30, "lr_factor": 0.5, "learning_rate": 3e-3}],
    "l2": [{"l2": 0.0}, {"l2": 1e-5}, {"l2": 1e-3}],
    "batch_size": [{"batch_size": 64}, {"batch_size": 128}, {"batch_size": 512}],
    "stopping": [{"patience": 20}, {"patience": 30, "max_epochs": 500}, {"patience": 20, "tol": 0.0}],
    "combined": [
        {"learning_rate": 3e-3, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500},
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500},
        {"learning_rate": 3e-3, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500, "l2": 1e-5},
        {"learning_rate": 3e-3, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500, "l2": 1e-3},
        {"learning_rate": 3e-3, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500,
         "hidden_layer_sizes": (64, 64, 64)},
    ],
    "combined_2": [
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500, "l2": 1e-3},
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500, "l2": 3e-4},
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 20, "max_epochs": 300},
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500,
         "batch_size": 128},
    ],
    "finalists": [
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500, "l2": 3e-4},
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500,
         "batch_size": 128},
        {"learning_rate": 1e-2, "schedule": "reduce_on_plateau", "patience": 30, "max_epochs": 500,
         "batch_size": 128, "l2": 3e-4},
    ],
    "starts": [
        {**FINALIST, "n_starts": 3, "start_selection": "ensemble"},
        {**FINALIST, "n_starts": 3, "start_selection": "best"},
    ],
    "round_2": [{**FINALIST, "n_starts": 3, **p} for p in [
        {}, {"l2": 1e-5}, {"l2": 1e-4}, {"l2": 1e-3}, {"learning_rate": 3e-3}, {"batch_size": 64},
        {"batch_size": 256}, {"hidden_layer_sizes": (128, 128)}, {"hidden_layer_sizes": (64, 64, 64)},
        {"hidden_layer_sizes": (32, 32)}, {"patience": 50}]],
    "regularise": [{"batch_norm": True}, {"dropout": 0.1}, {"activation": "tanh"}, {"activation": "elu"}],
    # Round 4 (HTRU2 gap, value of multi-start), around the defaults chosen in rounds 1-3.
    "round_4": [{**DEFAULTS, **p} for p in [
        {}, {"n_starts": 1}, {"validation_fraction": 0.05}, {"validation_fraction": 0.2},
        {"start_selection": "ensemble"}]],
    "round_4b": [{**DEFAULTS, **p} for p in [
        {"validation_fraction": 0.2, "n_starts": 1}, {"validation_fraction": 0.2, "start_selection": "ensemble"},
        {"validation_fraction": 0.3}, {"early_stopping": False}, {"l2": 1e-4}, {"l2": 1e-3},
        {"hidden_layer_sizes": (32, 32)}]],
    "round_4_starts": [{**DEFAULTS, **p} for p in [
        {"n_starts": 1}, {}, {"start_selection": "ensemble"}, {"n_starts": 5, "start_selection": "ensemble"}]],
    "round_4_refit": [{**DEFAULTS, **p} for p in [
        {"n_starts": 1}, {"n_starts": 1, "refit": True}, {"refit": True, "start_selection": "ensemble"}]],
    # Round 5 (feature normalisation, with --normalise): the estimator's current defaults.
    "current": [CURRENT],
    # Round 6 (issue 17, the photo-z template): training loss x (1 start | 3 starts averaged), current defaults.
    "photoz_loss": [{**CURRENT, "loss": loss, **starts}
                    for starts in ({}, {"n_starts": 3, "start_selection": "ensemble"})
                    for loss in ("squared_error", "absolute_error", "huber")],
    # its check on two more 3-fold cuts (--repeats 3): the leading loss alone and as a 3-start ensemble
    "photoz_loss_check": [{**CURRENT, "loss": "squared_error"}, {**CURRENT, "loss": "absolute_error"},
                          {**CURRENT, "loss": "absolute_error", "n_starts": 3, "start_selection": "ensemble"}],
    # the ensemble paired with the absolute-error single start (--repeats 3)
    "photoz_ensemble_check": [{**CURRENT, "loss": "absolute_error"},
                              {**CURRENT, "loss": "absolute_error", "n_starts": 3, "start_selection": "ensemble"}],
}


def signed_log(X: np.ndarray) -> np.ndarray:
    """sign(x) log(1 + |x|): compresses heavy tails on both sides, keeps the sign and is exact at 0."""
    return np.sign(X) * np.log1p(np.abs(X))


# Feature transforms fitted on the two training folds only; each takes the number of those rows.
NORMALISERS = {
    "standard": lambda n: StandardScaler(),
    "robust": lambda n: RobustScaler(),
    "yeo-johnson": lambda n: PowerTransformer(method="yeo-johnson", standardize=True),
    "quantile-normal": lambda n: QuantileTransformer(output_distribution="normal", n_quantiles=min(1000, n),
                                                     random_state=SEED),
    "signed-log": lambda n: make_pipeline(FunctionTransformer(signed_log), StandardScaler()),
}


def estimator(is_classifier: bool, params: dict, seed: int):
    cls = MLPClassifier if is_classifier else MLPRegressor
    params = dict(params)
    refit = params.pop("refit", False)
    model = cls(**{**BASE, **params, "random_state": seed})
    return Refit(model) if refit else model


class Refit:
    """Candidate (c) of round 4, tried here before any estimator option: early stopping on the held-out
    validation part finds the best epoch count, then a fresh fit on every row runs that many epochs."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        probe = clone(self.model).fit(X, y)
        epochs = probe.starts_[probe.best_start_]["best_epoch"] + 1
        self.final_ = clone(self.model).set_params(early_stopping=False, max_epochs=epochs, patience=epochs)
        self.final_.fit(X, y)
        return self

    def predict(self, X):
        return self.final_.predict(X)


REFERENCES = {
    "HistGradientBoosting": {True: HistGradientBoostingClassifier, False: HistGradientBoostingRegressor},
    "sklearn MLP (64, 64)": {True: SkMLPClassifier, False: SkMLPRegressor},
}


def reference(name: str, is_classifier: bool, seed: int):
    cls = REFERENCES[name][is_classifier]
    extra = {"hidden_layer_sizes": (64, 64)} if "MLP" in name else {}
    return cls(random_state=seed, **extra)


def folds(data, X, y, repeats: int = 1):
    """N_FOLDS folds per repeat, each repeat shuffled with its own seed (repeat 0 is the original cut)."""
    cutter = StratifiedKFold if data.is_classifier else KFold
    return [fold for r in range(repeats)
            for fold in cutter(N_FOLDS, shuffle=True, random_state=SEED + r).split(X, y)]


def cv_runs(data, X, y, make, repeats: int = 1, normalise: str = "standard") -> list[dict[str, float]]:
    """The dataset's scores and the fit time on every fold (and repeat), features under ``normalise``."""
    runs = []
    for k, (fit_rows, score_rows) in enumerate(folds(data, X, y, repeats)):
        scaler = NORMALISERS[normalise](len(fit_rows)).fit(X[fit_rows])
        model = make(k)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(scaler.transform(X[fit_rows]), y[fit_rows])
        seconds = time.perf_counter() - started
        score = classification_scores if data.is_classifier else photoz_scores
        runs.append({**score(data, y[score_rows], model.predict(scaler.transform(X[score_rows]))),
                     "fit s": seconds})
    return runs


def label(params: dict) -> str:
    """A candidate as its changes to CURRENT or DEFAULTS (the fewer) when it starts from them, else to BASE."""
    if params == CURRENT:
        return "current defaults"
    if DEFAULTS.keys() <= params.keys():
        changes = {name: {k: v for k, v in params.items() if k not in ref or ref[k] != v}
                   for name, ref in (("current defaults", CURRENT), ("defaults", DEFAULTS))}
        name = min(changes, key=lambda n: len(changes[n]))
        return f"{name} + {changes[name]}"
    return str(params) or "{}"


COLUMNS = {True: ("accuracy", "macro_f1"), False: ("sigma_nmad", "outlier_fraction")}
PAIRED = {True: "macro_f1", False: "sigma_nmad"}  # compared fold by fold with the first astromlp candidate


def paired(runs: list[dict], other: list[dict], key: str) -> str:
    """Mean ± standard error over folds of the fold-by-fold difference in ``key``."""
    diff = np.array([r[key] - o[key] for r, o in zip(runs, other, strict=True)])
    return f"{diff.mean():+.4f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.4f}"


def row(label_: str, runs: list[dict], keys, *others: list[dict]) -> str:
    """One table row: mean over folds of each key, the fit time, and the paired difference with each of
    ``others`` (the first astromlp row; the same model under the first transform)."""
    means = [f"{np.mean([r[k] for r in runs]):.4f}" for k in keys] + [f"{np.mean([r['fit s'] for r in runs]):.1f}"]
    key = next(k for k in keys if k in PAIRED.values())
    return f"| {label_} | " + " | ".join(means + [paired(runs, other, key) for other in others]) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", nargs="+", choices=list(GROUPS), default=["base"])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--reference", action="store_true", help="also scikit-learn's models on the same folds")
    parser.add_argument("--repeats", type=int, default=1, help="repeat the 3-fold cut with other shuffles")
    parser.add_argument("--normalise", nargs="+", choices=list(NORMALISERS), default=["standard"],
                        help="run every candidate under each feature transform (the first is the paired one)")
    args = parser.parse_args()
    for name in args.datasets:
        data = DATASETS[name]()
        X, _, y, _ = split(data, SEED)
        keys = COLUMNS[data.is_classifier]
        print(f"\n{data.name}: {N_FOLDS}-fold CV x {args.repeats} on the {len(y)} training rows of split {SEED}")
        key = PAIRED[data.is_classifier]
        by_transform = len(args.normalise) > 1
        header = ["candidate", *keys, "fit s", f"{key} minus the first astromlp row (± s.e.)",
                  *[f"{key} minus the same model, {args.normalise[0]}"] * by_transform]
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        results = {}  # (model label, transform) -> runs, in table order
        for transform in args.normalise:
            for model_label, make in candidates(data.is_classifier, args.group, args.reference):
                results[model_label, transform] = cv_runs(data, X, y, make, args.repeats, transform)
        first = next(runs for (model_label, _), runs in results.items() if model_label not in REFERENCES)
        for (model_label, transform), runs in results.items():
            others = (first, results[model_label, args.normalise[0]])[:1 + by_transform]
            print(row(f"{model_label}, {transform}", runs, keys, *others), flush=True)


def candidates(kind: bool, groups: list[str], with_references: bool) -> list[tuple[str, object]]:
    """(label, fold index -> unfitted model) for the scikit-learn references, then every group's candidates."""
    found = [(label(p), lambda k, p=p: estimator(kind, p, SEED + k)) for group in groups for p in GROUPS[group]]
    if with_references:
        found[:0] = [(name, lambda k, name=name: reference(name, kind, SEED + k)) for name in REFERENCES]
    return found


if __name__ == "__main__":
    main()
