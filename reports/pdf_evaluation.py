"""Judging redshift PDFs on the test split: every model's PDF metrics with paired bootstrap intervals (the same
resampled objects for every model, as the point metrics), the point metrics of each PDF's mode and median, and
whether the network beats each baseline on CRPS and PIT calibration beyond the interval.

The bootstrap resamples per-object values (PIT, CRPS, CDE terms, interval hits), never the PDFs themselves.
"""

from __future__ import annotations

import numpy as np

from astromlp.nn.density import point_estimates
from astromlp.reports import photoz
from astromlp.reports.bootstrap import percentile_interval, verdict
from astromlp.reports.pdf_baselines import knn, train_z
from astromlp.reports.pdf_metrics import COVERAGE, per_object, summarise
from astromlp.reports.regression import ValuedCase

#: The metrics the headline compares the network with the baselines on: key -> (label, better direction).
COMPARED = {"crps": ("CRPS", "lower"), "pit_ks": ("PIT KS", "lower")}
_MEANS = {"crps": "crps", "cde_loss": "cde", **{f"coverage_{n}": f"coverage_{n}" for n in COVERAGE}}
_NONE = np.empty(0)  # the draws of a judgement without bootstrap (n_bootstrap = 0): intervals are None
_POINTS = {"sigma_nmad": photoz.sigma_nmad, "bias": photoz.bias, "outlier_fraction": photoz.outlier_fraction}


def _ks_statistics(pit: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """KS statistic against uniform of ``pit[rows]`` for each row of the (resamples, n) index matrix."""
    x = np.sort(pit[rows], axis=1)
    n = rows.shape[1]
    upper = np.arange(1, n + 1) / n - x
    lower = x - np.arange(n) / n
    return np.maximum(upper.max(axis=1), lower.max(axis=1))


def _resampled(values: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    out = {key: values[name][rows].mean(axis=1) for key, name in _MEANS.items()}
    out["pit_ks"] = _ks_statistics(values["pit"], rows)
    return out


def judge_pdfs(y_true: np.ndarray, probabilities: dict[str, np.ndarray], edges: np.ndarray, network: str,
               n_bootstrap: int = 200, random_state: int = 0, block: int = 50) -> dict:
    """model -> {metrics, intervals, points}; plus comparisons (network vs each baseline on COMPARED)."""
    values = {name: per_object(prob, edges, y_true) for name, prob in probabilities.items()}
    return judge_values(values, point_metrics(y_true, probabilities, edges), network, n_bootstrap, random_state,
                        block)


def point_metrics(y_true: np.ndarray, probabilities: dict[str, np.ndarray], edges: np.ndarray) -> dict:
    """model -> mode / median -> sigma_NMAD, bias and outlier fraction of that point estimate."""
    points = {}
    for name, prob in probabilities.items():
        estimates = point_estimates(prob, edges)
        points[name] = {which: {key: float(f(ValuedCase(y_true, estimates[which]))) for key, f in _POINTS.items()}
                        for which in ("mode", "median")}
    return points


def judge_values(values: dict[str, dict[str, np.ndarray]], points: dict[str, dict], network: str,
                 n_bootstrap: int, random_state: int, block: int = 50) -> dict:
    """`judge_pdfs` from each model's per-object values (`pdf_metrics.per_object`) and point metrics: what
    `astromlp report --bootstrap N` redoes without the PDFs."""
    rng = np.random.default_rng(random_state)
    n_objects = len(values[network]["pit"])
    samples: dict[str, dict[str, list]] = {name: {} for name in values}
    for start in range(0, n_bootstrap, block):
        rows = rng.integers(0, n_objects, (min(block, n_bootstrap - start), n_objects))
        for name in values:
            for key, draw in _resampled(values[name], rows).items():
                samples[name].setdefault(key, []).append(draw)
    samples = {name: {key: np.concatenate(parts) for key, parts in by_key.items()} for name, by_key in samples.items()}
    result = {"models": {}, "comparisons": {}, "n_bootstrap": n_bootstrap, "random_state": random_state}
    for name in values:
        result["models"][name] = {
            "metrics": summarise(values[name]),
            "intervals": {key: percentile_interval(draws) for key, draws in samples[name].items()},
            "points": points[name]}
    for name in values:
        if name == network:
            continue
        result["comparisons"][name] = {
            key: _comparison(result["models"][network]["metrics"][key], result["models"][name]["metrics"][key],
                             samples[network].get(key, _NONE), samples[name].get(key, _NONE))
            for key in COMPARED}
    return result


#: Keys of a stored PDF section that are not part of the judgement metrics.json shows.
_NOT_JUDGEMENT = ("figures", "per_object")


def rejudged(pdfs: dict, network: str, n_bootstrap: int, random_state: int) -> dict:
    """The PDF judgement metrics.json shows at this bootstrap count and seed: redone from the per-object values
    the run kept (`per_object`), or as stored by a run that kept none."""
    kept = {key: value for key, value in pdfs.items() if key not in _NOT_JUDGEMENT}
    if not pdfs.get("per_object"):
        return kept
    points = {name: model["points"] for name, model in pdfs["models"].items()}
    return {**kept, **judge_values(pdfs["per_object"], points, network, n_bootstrap, random_state)}


def _comparison(network: float, baseline: float, network_draws: np.ndarray, baseline_draws: np.ndarray) -> dict:
    """The network's advantage (baseline - network: positive is better, both metrics being lower-better)."""
    interval = percentile_interval(baseline_draws - network_draws)
    return {"advantage": baseline - network, "interval": interval, "verdict": verdict(interval)}


def headline(result: dict, network: str) -> list[str]:
    """One sentence per baseline: does the network beat it on CRPS and PIT calibration beyond the interval."""
    lines = []
    for baseline, by_key in result["comparisons"].items():
        parts = [f"{COMPARED[key][0]} {_said(by_key[key]['verdict'])} ({by_key[key]['advantage']:+.4g}, 95 % "
                 f"interval {_shown(by_key[key]['interval'])})" for key in COMPARED]
        lines.append(f"{network} against {baseline}: " + "; ".join(parts) + ".")
    return lines


def _said(word: str) -> str:
    return {"better": "better beyond the bootstrap interval", "worse": "worse beyond the bootstrap interval"
            }.get(word, "not distinguishable")


def _shown(interval: list[float] | None) -> str:
    return "undefined" if interval is None else f"[{interval[0]:+.4g}, {interval[1]:+.4g}]"


#: PIT histogram bins, QQ quantile levels and the nominal coverages the figures draw.
PIT_BINS = 20
QQ_LEVELS = np.linspace(0, 1, 101)
NOMINAL = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95, 0.99])


def figure_data(y_true: np.ndarray, probabilities: dict[str, np.ndarray], edges: np.ndarray, network: str,
                spread: np.ndarray | None = None) -> dict:
    """What the PDF figures draw, small enough for report_inputs.json: per model the PIT histogram, PIT
    quantiles, stacked n(z) and coverage at NOMINAL levels (truth inside the central interval of mass m exactly
    when |PIT - 1/2| <= m/2); the true n(z); and the network's best, typical and worst PDFs by CRPS."""
    models = {}
    for name, prob in probabilities.items():
        values = per_object(prob, edges, y_true)
        models[name] = {"pit_counts": np.histogram(values["pit"], PIT_BINS, (0, 1))[0].tolist(),
                        "pit_quantiles": np.quantile(values["pit"], QQ_LEVELS).tolist(),
                        "nz": prob.mean(axis=0).tolist(),
                        "coverage": [float(np.mean(np.abs(values["pit"] - 0.5) <= m / 2)) for m in NOMINAL]}
    score = per_object(probabilities[network], edges, y_true)["crps"]
    order = np.argsort(score, kind="stable")
    picks = {"best": order[0], "typical": order[len(order) // 2], "worst": order[-1]}
    gallery = [{"label": label, "z_true": float(y_true[i]), "crps": float(score[i]),
                "prob": probabilities[network][i].tolist(),
                "spread": None if spread is None else spread[i].tolist()} for label, i in picks.items()]
    true_nz = np.histogram(np.clip(y_true, edges[0], edges[-1]), edges)[0] / len(y_true)
    return {"edges": edges.tolist(), "models": models, "true_nz": true_nz.tolist(), "nominal": NOMINAL.tolist(),
            "gallery": gallery}


def pdf_section(model, splits: dict[str, tuple[np.ndarray, np.ndarray]], network: str, n_bootstrap: int,
                random_state: int) -> dict:
    """The whole PDF judgement of a fitted MLPDensity: the trainZ and kNN baselines fitted on the training split
    (kNN's k chosen on the validation split), every model judged on the test split, and the figure data."""
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = (splits[s] for s in ("train", "validation", "test"))
    edges, width = model.bin_edges_, model.label_width
    knn_predict, k = knn(X_train, y_train, X_val, y_val, edges, width)
    probabilities = {network: model.predict_bins(X_test), "trainZ": train_z(y_train, edges, width)(X_test),
                     "kNN PDF": knn_predict(X_test)}
    spread = model.predict_bins_std(X_test) if len(model.networks_) > 1 else None
    values = {name: per_object(prob, edges, y_test) for name, prob in probabilities.items()}
    result = judge_values(values, point_metrics(y_test, probabilities, edges), network, n_bootstrap, random_state)
    descriptions = {"trainZ": "the training split's n(z) for every galaxy (RAIL's trainZ)",
                    "kNN PDF": f"histogram of the redshifts of the {k} nearest training galaxies (k by validation "
                               "CRPS)"}
    return {**result, "descriptions": descriptions, "n_starts": len(model.networks_),
            "figures": figure_data(y_test, probabilities, edges, network, spread), "per_object": values}
