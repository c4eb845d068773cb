"""predict_proba_std: the spread of an ensemble's class probabilities, start by start."""

from pathlib import Path

import numpy as np
import pandas as pd

from astromlp.nn import MLPClassifier, merge_starts, start_seeds

SDSS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sdss_dr14_skyserver_10k.csv"


def test_the_spread_is_the_standard_deviation_of_the_starts_probabilities():
    df = pd.read_csv(SDSS, nrows=2300)
    X = np.column_stack([df.u - df.g, df.g - df.r, df.r - df.i, df.i - df.z, df.r - df.r.mean()])
    y = df["class"].to_numpy(dtype=str)
    kw = {"hidden_layer_sizes": (8,), "max_epochs": 3}
    singles = [MLPClassifier(random_state=seed, **kw).fit(X[:1500], y[:1500]) for seed in start_seeds(3, 3)]
    ensemble = merge_starts(singles, "ensemble")
    each = np.stack([single.predict_proba(X[2000:2300]) for single in singles])
    np.testing.assert_allclose(ensemble.predict_proba_std(X[2000:2300]), each.std(axis=0), rtol=1e-12, atol=1e-15)
    assert ensemble.predict_proba_std(X[2000:2300]).max() > 0
    assert not singles[0].predict_proba_std(X[2000:2300]).any()  # one network: no spread
