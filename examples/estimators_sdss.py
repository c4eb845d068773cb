"""astromlp's estimators in ordinary scikit-learn code, on the SDSS DR14 sample.

    python examples/estimators_sdss.py [--epochs 200] [--catalog PATH] [--json results.json]

1. Classifies GALAXY / STAR / QSO from ugriz colours with MLPClassifier inside a scikit-learn Pipeline,
   next to logistic regression on the same split.
2. Estimates galaxy redshifts with a 3-start MLPRegressor ensemble; the spread across the starts is a
   per-object uncertainty. Scored with the photo-z metrics (bias, sigma_NMAD, outlier fraction).
3. Saves the regressor to a zip of JSON + .npy (never pickle) and checks the reloaded copy predicts the same.

The catalog defaults to the shared CSV beside the repository (../shared/data), else the copy bundled with
astromlp; any catalog with u, g, r, i, z, class and redshift columns works.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from astromlp.catalogs import read, sample_path
from astromlp.nn import MLPClassifier, MLPRegressor, load

SHARED_CSV = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sdss_dr14_skyserver_10k.csv"
BANDS = ["u", "g", "r", "i", "z"]


def features(table) -> np.ndarray:
    """Four colours and the r magnitude: what photometry says about an object's type and redshift."""
    colours = [table[a] - table[b] for a, b in zip(BANDS, BANDS[1:], strict=False)]
    return np.column_stack([*colours, table["r"]]).astype(np.float64)


def photoz_metrics(z_true: np.ndarray, z_pred: np.ndarray) -> dict[str, float]:
    """bias = median(dz), sigma_NMAD = 1.4826 median|dz - median dz|, outliers |dz| > 0.15."""
    dz = (z_pred - z_true) / (1 + z_true)
    return {"bias": float(np.median(dz)),
            "sigma_nmad": float(1.4826 * np.median(np.abs(dz - np.median(dz)))),
            "outlier_fraction": float(np.mean(np.abs(dz) > 0.15))}


def classify(table, epochs: int) -> dict[str, float]:
    X, y = features(table), table["class"].astype(str).to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    mlp = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32, 32), learning_rate=3e-3,
                                                        batch_size=64, max_epochs=epochs, patience=20,
                                                        random_state=0))
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return {name: float(balanced_accuracy_score(y_test, model.fit(X_train, y_train).predict(X_test)))
            for name, model in {"mlp": mlp, "logistic": logistic}.items()}


def photoz(table, epochs: int) -> tuple[MLPRegressor, dict]:
    galaxies = table[table["class"] == "GALAXY"]
    X, z = features(galaxies), galaxies["redshift"].to_numpy(dtype=np.float64)
    X_train, X_test, z_train, z_test = train_test_split(X, z, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    # The absolute error fits the median redshift: it suits sigma_NMAD and bias, and shrugs off outliers.
    model = MLPRegressor(hidden_layer_sizes=(32, 32), loss="absolute_error", learning_rate=3e-3, batch_size=64,
                         max_epochs=epochs, patience=30, tol=0.0, n_starts=3, start_selection="ensemble",
                         random_state=0).fit(scaler.transform(X_train), z_train)
    z_pred, z_std = model.predict(scaler.transform(X_test), return_std=True)
    result = {**photoz_metrics(z_test, z_pred), "median_start_spread": float(np.median(z_std)),
              "epochs_per_start": [start["epochs"] for start in model.starts_]}
    return model, {**result, "X_check": scaler.transform(X_test[:100])}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200, help="maximum epochs per fit (default 200)")
    parser.add_argument("--catalog", type=Path, default=SHARED_CSV if SHARED_CSV.exists() else sample_path())
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    table = read(args.catalog, columns=[*BANDS, "class", "redshift"]).compute()
    results = {"rows": len(table), "classification_balanced_accuracy": classify(table, args.epochs)}
    model, photo = photoz(table, args.epochs)
    X_check = photo.pop("X_check")
    with tempfile.TemporaryDirectory() as folder:
        reloaded = load(model.save(Path(folder) / "photoz.zip"))
        photo["reload_identical"] = bool(np.array_equal(reloaded.predict(X_check), model.predict(X_check)))
    results["photoz"] = photo

    accuracy = results["classification_balanced_accuracy"]
    print(f"{len(table)} objects from {args.catalog.name}")
    print(f"classification, balanced accuracy: MLP {accuracy['mlp']:.3f}, logistic regression "
          f"{accuracy['logistic']:.3f}")
    print(f"photo-z of galaxies: sigma_NMAD {photo['sigma_nmad']:.4f}, bias {photo['bias']:+.4f}, outliers "
          f"{100 * photo['outlier_fraction']:.1f} %, median spread of the 3 starts {photo['median_start_spread']:.4f}")
    print(f"saved and reloaded without pickle, identical predictions: {photo['reload_identical']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
