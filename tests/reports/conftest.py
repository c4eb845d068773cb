"""Realistic report inputs from the real SDSS DR14 sample.

The astromlp estimators are written concurrently, so the "network" here is a stand-in: scikit-learn's
MLPClassifier / MLPRegressor trained epoch by epoch with partial_fit from three seeds, recording real
training and validation loss curves. The reports only need predictions and curves, not who made them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from astromlp.reports import EvaluationInputs, fit_baselines, save_inputs, write_report

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SDSS = DATA / "sdss_dr14_skyserver_10k.csv"
NETWORK = "astromlp MLP"
FEATURES = [("u_g", "u - g"), ("g_r", "g - r"), ("r_i", "r - i"), ("i_z", "i - z"), ("r", "r")]
STARTS, EPOCHS = 3, 20
BOOTSTRAP = 200
EVIL_CLASS = "<script>alert(1)</script>"
EVIL_TARGET = "<img src=x onerror=alert(2)>"


@dataclass
class Split:
    X_train: np.ndarray
    y_train: np.ndarray
    X_validation: np.ndarray
    y_validation: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    r_test: np.ndarray


@pytest.fixture(scope="session")
def sdss() -> pd.DataFrame:
    return pd.read_csv(SDSS)


def split(frame: pd.DataFrame, target: str) -> Split:
    """60/20/20 split by a seeded permutation of row index; colours and r, standardised on training rows."""
    features = np.column_stack([frame.eval(expression) for _, expression in FEATURES])
    rows = np.random.default_rng(7).permutation(len(frame))
    train, validation, test = np.split(rows, [int(0.6 * len(rows)), int(0.8 * len(rows))])
    X = StandardScaler().fit(features[train]).transform(features)
    y = frame[target].to_numpy()
    r = frame["r"].to_numpy()
    return Split(X[train], y[train], X[validation], y[validation], X[test], y[test], r[test])


def train_starts(make_model, data: Split, loss, fit_kwargs: dict) -> tuple[list, list[dict]]:
    """Train STARTS stand-in networks epoch by epoch, recording training and validation loss per epoch."""
    models, starts = [], []
    for seed in range(STARTS):
        model, train_curve, validation_curve = make_model(seed), [], []
        for _ in range(EPOCHS):
            model.partial_fit(data.X_train, data.y_train, **fit_kwargs)
            train_curve.append(loss(model, data.X_train, data.y_train))
            validation_curve.append(loss(model, data.X_validation, data.y_validation))
        models.append(model)
        starts.append(
            {
                "seed": seed,
                "loss_curve": train_curve,
                "validation_loss_curve": validation_curve,
                "stop_reason": "max_epochs",
                "diverged": False,
                "epochs": EPOCHS,
                "final_train_loss": train_curve[-1],
                "final_validation_loss": validation_curve[-1],
            }
        )
    return models, starts


def records(frame: pd.DataFrame, data: Split, dropped: dict, starts: list[dict], chosen: int) -> dict:
    sha256 = hashlib.sha256(SDSS.read_bytes()).hexdigest()
    files = [{"path": SDSS.name, "sha256": sha256, "rows": 10_000, "format": "csv"}]
    return {
        "data_summary": {
            "files": files,
            "rows": {"read": 10_000, "used": len(frame), "dropped": dropped},
            "features": [
                {"name": name, "unit": "mag", "expression": expression} for name, expression in FEATURES
            ],
            "split": {
                "train": len(data.y_train),
                "validation": len(data.y_validation),
                "test": len(data.y_test),
            },
        },
        "training": {"starts": starts, "chosen_start": chosen, "fit_seconds": 1.5},
        "provenance": {
            "config_text": f"[data]\nfiles = ['{SDSS.name}']\n\n[report]\nn_bootstrap = {BOOTSTRAP}\n",
            "seed": 0,
            "package_versions": {"numpy": np.__version__, "pandas": pd.__version__},
            "input_files": files,
            "astromlp_version": "0.1.0",
            "timings": {"train": 1.5},
        },
    }


@pytest.fixture(scope="session")
def class_split(sdss) -> Split:
    return split(sdss, "class")


@pytest.fixture(scope="session")
def galaxies(sdss) -> pd.DataFrame:
    return sdss[sdss["class"] == "GALAXY"].reset_index(drop=True)


@pytest.fixture(scope="session")
def redshift_split(galaxies) -> Split:
    return split(galaxies, "redshift")


@pytest.fixture(scope="session")
def classification_inputs(sdss, class_split) -> EvaluationInputs:
    data = class_split
    classes = sorted(set(data.y_train))
    models, starts = train_starts(
        lambda seed: MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.003, random_state=seed),
        data,
        lambda model, X, y: log_loss(y, model.predict_proba(X), labels=classes),
        {"classes": classes},
    )
    chosen = int(np.argmin([start["final_validation_loss"] for start in starts]))
    baselines = fit_baselines(
        "classification", data.X_train, data.y_train, data.X_test, random_state=0, classes=classes
    )
    balance = {"train": dict(zip(*np.unique(data.y_train, return_counts=True), strict=True))}
    extra = records(sdss, data, {}, starts, chosen)
    extra["data_summary"]["class_balance"] = balance
    return EvaluationInputs(
        task="classification",
        target="class",
        y_true=data.y_test,
        network_name=NETWORK,
        classes=classes,
        predictions={
            NETWORK: models[chosen].predict(data.X_test),
            **{n: b.predicted for n, b in baselines.items()},
        },
        probabilities={
            NETWORK: models[chosen].predict_proba(data.X_test),
            **{n: b.proba for n, b in baselines.items()},
        },
        magnitude=data.r_test,
        magnitude_name="r [mag]",
        descriptions={n: b.description for n, b in baselines.items()},
        **extra,
    )


@pytest.fixture(scope="session")
def photoz_inputs(sdss, galaxies, redshift_split) -> EvaluationInputs:
    data = redshift_split
    models, starts = train_starts(
        lambda seed: MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.003, random_state=seed),
        data,
        lambda model, X, y: mean_squared_error(y, model.predict(X)),
        {},
    )
    chosen = int(np.argmin([start["final_validation_loss"] for start in starts]))
    baselines = fit_baselines("photoz", data.X_train, data.y_train, data.X_test, random_state=0)
    extra = records(galaxies, data, {"class is not GALAXY": len(sdss) - len(galaxies)}, starts, chosen)
    return EvaluationInputs(
        task="photoz",
        target="redshift",
        y_true=data.y_test,
        network_name=NETWORK,
        predictions={
            NETWORK: models[chosen].predict(data.X_test),
            **{n: b.predicted for n, b in baselines.items()},
        },
        magnitude=data.r_test,
        magnitude_name="r [mag]",
        descriptions={n: b.description for n, b in baselines.items()},
        **extra,
    )


@pytest.fixture(scope="session")
def classification_run(classification_inputs, tmp_path_factory) -> Path:
    """A run directory holding the saved inputs, metrics.json and report.html of the classification case."""
    run_dir = tmp_path_factory.mktemp("classification_run")
    save_inputs(run_dir, classification_inputs)
    write_report(run_dir, classification_inputs)  # n_bootstrap: the config text's, BOOTSTRAP
    return run_dir


@pytest.fixture(scope="session")
def photoz_run(photoz_inputs, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("photoz_run")
    save_inputs(run_dir, photoz_inputs)
    write_report(run_dir, photoz_inputs)  # n_bootstrap: the config text's, BOOTSTRAP
    return run_dir


def evil_inputs() -> EvaluationInputs:
    """Catalog strings that are markup: class labels, target, file, feature and model names, config text."""
    classes = ["GALAXY", EVIL_CLASS, "$x^2$ & <b>"]
    rng = np.random.default_rng(0)
    y = np.array(classes)[rng.integers(0, 3, 60)]
    proba = rng.dirichlet([1, 1, 1], 60)
    return EvaluationInputs(
        "classification",
        EVIL_TARGET,
        y,
        {"<i>net</i>": np.array(classes)[proba.argmax(1)]},
        "<i>net</i>",
        classes,
        {"<i>net</i>": proba},
        magnitude=rng.normal(18, 1, 60),
        magnitude_name="<u>r</u>",
        data_summary={
            "files": [{"path": "</td><script>alert(3)</script>.fits", "sha256": "0" * 64}],
            "features": [{"name": "<svg onload=alert(4)>", "unit": "mag"}],
            "rows": {"read": 60, "used": 60, "dropped": {"<em>flagged</em>": 0}},
        },
        training={
            "starts": [{"seed": 1, "loss_curve": [1.0, 0.5], "stop_reason": "<blink>"}],
            "chosen_start": 0,
        },
        provenance={"config_text": "target = '</pre><script>alert(5)</script>'", "seed": 1},
    )


@pytest.fixture(scope="session")
def evil_strings() -> list[str]:
    """What evil_inputs puts in the page, each of which must show as text."""
    return [
        EVIL_CLASS,
        EVIL_TARGET,
        "</td><script>alert(3)</script>.fits",
        "<svg onload=alert(4)>",
        "</pre><script>alert(5)</script>",
        "<i>net</i>",
        "<u>r</u>",
        "$x^2$ & <b>",
        "<em>flagged</em>",
    ]


@pytest.fixture(scope="session")
def evil_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("evil_run")
    write_report(run_dir, evil_inputs(), n_bootstrap=20)
    return run_dir
