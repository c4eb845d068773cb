"""Science quality of astromlp's default models against scikit-learn's, on real catalogs, in one run.

    python benchmarks/bench_quality.py [--seeds 5] [--quick] [--datasets sdss_class sdss_photoz pulsars]
    python benchmarks/bench_quality.py --quick --datasets sdss_photoz sdss_photoz_pdf   # the PDF rows (issue 19)
    python benchmarks/bench_quality.py --quick --datasets sdss_class_targets   # the classification targets (issue 20)

Datasets (../shared/data beside the repository):
- SDSS DR14: GALAXY / STAR / QSO from the colours u-g, g-r, r-i, i-z and the r magnitude;
- SDSS DR14 galaxies: photometric redshift from the same five features;
- HTRU2: pulsar / not pulsar from the 8 statistics of the profile and the DM-SNR curve.
Each seed draws one 70/30 split (stratified by class for classification) that every model shares. Features
are standardised with statistics of the training part, as the pipeline's default ``[normalise]`` does, for
every model (trees do not care). scikit-learn models run at their defaults (the MLPs with two hidden layers
of 64, as the issue asks); astromlp runs at its defaults and with the other number of starts (1 when the
default is multi-start, else MULTI_START), so the value of multi-start stays visible.
Metrics come from ``astromlp.reports`` (the ones a run's report shows). The table gives mean ± standard
deviation over seeds; ``train s`` is the wall time of ``fit`` on this machine.
Targets (astromlp defaults, means): classification accuracy and macro F1 >= the best scikit-learn model's,
photo-z sigma_NMAD and outlier fraction <= the best scikit-learn model's; printed under the table.
Under them, per-seed (paired) differences: more starts minus fewer, and the default minus scikit-learn's MLP.
``sdss_photoz_pdf`` scores redshift PDFs on the same galaxies and splits: MLPDensity with one start and as a deep
ensemble of PDF_STARTS, against trainZ and the kNN PDF (k chosen on a validation part of the training split);
its targets (issue 19) are printed under its own table.
``sdss_class_targets`` prints issue 20's rows on the SDSS classes (temperature scaling, QSO at 95 % purity,
balanced class weights, one-vs-rest and one-vs-one against softmax), computed by bench_classification.py.
"""

from __future__ import annotations

import argparse
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from astromlp.nn import MLPClassifier, MLPDensity, MLPRegressor
from astromlp.reports import classification, photoz
from astromlp.reports.classification import LabelledCase
from astromlp.reports.pdf_baselines import knn, train_z
from astromlp.reports.pdf_evaluation import judge_pdfs
from astromlp.reports.regression import ValuedCase

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
COLOURS = {"u_g": ("u", "g"), "g_r": ("g", "r"), "r_i": ("r", "i"), "i_z": ("i", "z")}
TEST_FRACTION = 0.3
MULTI_START = 3  # starts of the multi-start row shown beside a single-start default


@dataclass(frozen=True)
class Dataset:
    """One benchmark problem: features, target, and whether it is a classification."""

    name: str
    X: np.ndarray
    y: np.ndarray
    is_classifier: bool
    classes: tuple[str, ...] = ()


def sdss_features(table) -> np.ndarray:
    """u-g, g-r, r-i, i-z and r: the demo's features."""
    colours = [table[a] - table[b] for a, b in COLOURS.values()]
    return np.column_stack([*colours, table["r"]]).astype(float)


def _sdss():
    import pandas as pd

    return pd.read_csv(DATA / "sdss_dr14_skyserver_10k.csv")


def sdss_classes() -> Dataset:
    table = _sdss()
    y = table["class"].to_numpy(str)
    return Dataset("SDSS classes", sdss_features(table), y, True, tuple(np.unique(y)))


def sdss_photoz() -> Dataset:
    table = _sdss()
    galaxies = table[table["class"] == "GALAXY"]
    return Dataset("SDSS photo-z", sdss_features(galaxies), galaxies["redshift"].to_numpy(float), False)


def pulsars() -> Dataset:
    import pandas as pd

    table = pd.read_csv(DATA / "htru2_pulsars.csv")
    table.columns = [c.strip() for c in table.columns]
    y = np.where(table.pop("target_class").to_numpy() == 1, "pulsar", "other")
    return Dataset("HTRU2 pulsars", table.to_numpy(float), y, True, ("other", "pulsar"))


DATASETS = {"sdss_class": sdss_classes, "sdss_photoz": sdss_photoz, "pulsars": pulsars}


PDF_STARTS = 3  # starts of the deep-ensemble row: the photoz-pdf template's default (quality_selection.md, round 7)
PDF_VALIDATION = 0.15  # fraction of the training split the kNN PDF chooses k on


def pdf_runs(data: Dataset, seed: int) -> dict[str, dict[str, float]]:
    """One split's PDF scores: MLPDensity (1 start, and an ensemble of PDF_STARTS), trainZ and the kNN PDF."""
    X_train, X_test, y_train, y_test = split(data, seed)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    probabilities, seconds = {}, {}
    for name, model in {"astromlp PDF (1 start)": MLPDensity(random_state=seed),
                        f"astromlp PDF ensemble ({PDF_STARTS} starts)": MLPDensity(
                            n_starts=PDF_STARTS, start_selection="ensemble", random_state=seed)}.items():
        started = time.perf_counter()
        model.fit(X_train, y_train)
        seconds[name], probabilities[name] = time.perf_counter() - started, model.predict_bins(X_test)
    edges, width = model.bin_edges_, model.label_width
    X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=PDF_VALIDATION, random_state=seed)
    probabilities["trainZ"] = train_z(y_train, edges, width)(X_test)
    probabilities["kNN PDF"] = knn(X_fit, y_fit, X_val, y_val, edges, width)[0](X_test)
    result = judge_pdfs(y_test, probabilities, edges, next(iter(probabilities)), n_bootstrap=0)
    return {name: {**{k: v for k, v in r["metrics"].items() if k != "cde_loss"},
                   **{f"{key} ({which})": value for which, points in r["points"].items()
                      for key, value in points.items() if key != "bias"},
                   **({"train s": seconds[name]} if name in seconds else {})}
            for name, r in result["models"].items()}


PDF_TARGETS = (("crps", "below both baselines"), ("pit_ks", "below the kNN PDF's"),
               ("coverage_68", "in [0.63, 0.73]"), ("coverage_95", "in [0.92, 0.97]"))


def pdf_verdicts(rows: list[Row]) -> list[str]:
    """The issue's PDF targets for each astromlp PDF row, against the baselines and the point models' rows."""
    pdf = {row.model: row for row in rows if row.dataset == "SDSS galaxies, PDFs"}
    points = {row.model: row for row in rows if row.dataset == "SDSS photo-z"}
    checks = {"crps": lambda r: r.mean("crps") < min(pdf["trainZ"].mean("crps"), pdf["kNN PDF"].mean("crps")),
              "pit_ks": lambda r: r.mean("pit_ks") < pdf["kNN PDF"].mean("pit_ks"),
              "coverage_68": lambda r: 0.63 <= r.mean("coverage_68") <= 0.73,
              "coverage_95": lambda r: 0.92 <= r.mean("coverage_95") <= 0.97}
    lines = []
    for row in (r for name, r in pdf.items() if name.startswith("astromlp")):
        lines += [f"PDF: {row.model} {key} {row.mean(key):.4f} {text}: {'met' if checks[key](row) else 'NOT met'}"
                  for key, text in PDF_TARGETS]
        for name in (n for n in points if n.startswith("astromlp default") or "HistGradientBoosting" in n):
            for key in ("sigma_nmad", "outlier_fraction"):
                ours, theirs = row.mean(f"{key} (mode)"), points[name].mean(key)
                lines.append(f"PDF: {row.model} {key} of the mode {ours:.4f} vs {name} {theirs:.4f}: "
                             f"{'met' if ours <= theirs else 'NOT met'}")
    lines += outlier_counts(pdf, points)
    single, ensemble = (pdf[n] for n in pdf if n.startswith("astromlp"))
    diff = np.array([b["crps"] - a["crps"] for a, b in zip(single.runs, ensemble.runs, strict=True)])
    lines.append(f"PDF: CRPS, ensemble minus single start, per seed: {diff.mean():+.5f} ± {diff.std():.5f} "
                 f"(single start's CRPS spread over seeds {np.std([r['crps'] for r in single.runs]):.5f})")
    return lines


def outlier_counts(pdf: dict[str, Row], points: dict[str, Row]) -> list[str]:
    """Galaxies with |dz| > 0.15 per seed (the fraction times the test split's size): the ensemble's mode and
    median against each point model, with the per-seed difference of the fractions (mean ± std)."""
    n_test = len(split(sdss_photoz(), 0)[3])
    ensemble = next(row for name, row in pdf.items() if name.startswith("astromlp PDF ensemble"))
    lines = []
    for which in ("mode", "median"):
        ours = np.array([r[f"outlier_fraction ({which})"] for r in ensemble.runs])
        lines.append(f"PDF: outliers per seed, {ensemble.model} {which}: {np.rint(ours * n_test).astype(int).tolist()}")
        for name in (n for n in points if n.startswith("astromlp default") or "HistGradientBoosting" in n):
            theirs = np.array([r["outlier_fraction"] for r in points[name].runs])
            lines.append(f"PDF:   vs {name}: {np.rint(theirs * n_test).astype(int).tolist()}, {which} minus it per "
                         f"seed {np.mean(ours - theirs):+.5f} ± {np.std(ours - theirs):.5f}")
    return lines


def split(data: Dataset, seed: int):
    """The seed's 70/30 split, stratified by class for classification; the same for every model."""
    return train_test_split(data.X, data.y, test_size=TEST_FRACTION, random_state=seed,
                            stratify=data.y if data.is_classifier else None)


def models(is_classifier: bool, seed: int) -> dict[str, object]:
    """Every contender at its defaults (scikit-learn MLPs with (64, 64) hidden units), seeded."""
    if is_classifier:
        found = {"logistic regression": LogisticRegression(),
                 "sklearn MLP (64, 64)": SkMLPClassifier(hidden_layer_sizes=(64, 64), random_state=seed),
                 "sklearn HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed)}
    else:
        found = {"linear regression": LinearRegression(),
                 "sklearn MLP (64, 64)": SkMLPRegressor(hidden_layer_sizes=(64, 64), random_state=seed),
                 "sklearn HistGradientBoosting": HistGradientBoostingRegressor(random_state=seed)}
    return {**found, **astromlp_models(MLPClassifier if is_classifier else MLPRegressor, seed)}


def astromlp_models(estimator, seed: int) -> dict[str, object]:
    """astromlp at its defaults, and with the other number of starts (1, or MULTI_START when the default is 1)."""
    default = estimator().n_starts
    other = MULTI_START if default == 1 else 1
    return {f"astromlp default ({_starts(default)})": estimator(random_state=seed),
            f"astromlp, {_starts(other)}": estimator(n_starts=other, random_state=seed)}


def _starts(k: int) -> str:
    return f"{k} start" if k == 1 else f"{k} starts"


def _n_starts(model: str) -> int:
    return int(re.search(r"(\d+) starts?\b", model).group(1))


def classification_scores(data: Dataset, y_true, predicted) -> dict[str, float]:
    """Accuracy, macro F1 and every class's completeness and purity, through astromlp.reports."""
    code = {label: k for k, label in enumerate(data.classes)}
    case = LabelledCase(np.vectorize(code.get)(y_true), np.vectorize(code.get)(predicted), None,
                        len(data.classes))
    scores = {key: classification.METRICS[key].compute(case) for key in ("accuracy", "macro_f1")}
    for row in classification.details(case, list(data.classes))["per_class"]:
        scores[f"completeness {row['class']}"] = row["completeness"]
        scores[f"purity {row['class']}"] = row["purity"]
    return scores


def photoz_scores(data: Dataset, y_true, predicted) -> dict[str, float]:
    """sigma_NMAD, bias and the |dz| > 0.15 outlier fraction, through astromlp.reports."""
    case = ValuedCase(np.asarray(y_true, float), np.asarray(predicted, float))
    return {key: photoz.PHOTOZ_METRICS[key].compute(case) for key in ("sigma_nmad", "bias", "outlier_fraction")}


def run_one(data: Dataset, model, X_train, y_train, X_test, y_test) -> dict[str, float]:
    """Fit on the training part (standardised), score the test part, time the fit."""
    pipeline = make_pipeline(StandardScaler(), clone(model))
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    score = classification_scores if data.is_classifier else photoz_scores
    return {**score(data, y_test, pipeline.predict(X_test)), "train s": seconds}


@dataclass
class Row:
    dataset: str
    model: str
    runs: list[dict[str, float]] = field(default_factory=list)

    def mean(self, key: str) -> float:
        return float(np.mean([r[key] for r in self.runs]))

    def cell(self, key: str) -> str:
        values = [r[key] for r in self.runs if key in r]
        if not values:
            return ""
        digits = 2 if key == "train s" else 4
        return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def benchmark(names: list[str], seeds: list[int], quiet: bool = False) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for name in names:
        if name == "sdss_photoz_pdf":
            for seed in seeds:
                for model_name, run in pdf_runs(sdss_photoz(), seed).items():
                    rows.setdefault(("pdf", model_name), Row("SDSS galaxies, PDFs", model_name)).runs.append(run)
                if not quiet:
                    print(f"  SDSS galaxies, PDFs, seed {seed} done", flush=True)
            continue
        data = DATASETS[name]()
        for seed in seeds:
            X_train, X_test, y_train, y_test = split(data, seed)
            for model_name, model in models(data.is_classifier, seed).items():
                row = rows.setdefault((data.name, model_name), Row(data.name, model_name))
                row.runs.append(run_one(data, model, X_train, y_train, X_test, y_test))
                if not quiet:
                    print(f"  {data.name}, seed {seed}: {model_name} done in {row.runs[-1]['train s']:.1f} s",
                          flush=True)
    return list(rows.values())


def table(rows: list[Row]) -> str:
    """One markdown table: a column per metric, blank where a metric does not apply."""
    keys = list(dict.fromkeys(k for row in rows for r in row.runs for k in r if k != "train s"))
    keys.append("train s")
    lines = ["| dataset | model | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    lines += [f"| {row.dataset} | {row.model} | " + " | ".join(row.cell(k) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


TARGETS = {True: (("accuracy", max), ("macro_f1", max)), False: (("sigma_nmad", min), ("outlier_fraction", min))}


def verdicts(rows: list[Row]) -> list[str]:
    """Each astromlp row against the best scikit-learn row of its dataset, on the issue's target metrics."""
    lines = []
    for dataset in dict.fromkeys(row.dataset for row in rows):
        group = [row for row in rows if row.dataset == dataset]
        ours = [row for row in group if row.model.startswith("astromlp")]
        theirs = [row for row in group if not row.model.startswith("astromlp")]
        for key, best in TARGETS["accuracy" in group[0].runs[0]]:
            bar = best(row.mean(key) for row in theirs)
            for row in ours:
                met = best(row.mean(key), bar) == row.mean(key)
                lines.append(f"{dataset}: {row.model} {key} {row.mean(key):.4f} vs best scikit-learn {bar:.4f}: "
                             f"{'met' if met else 'NOT met'}")
            lines += paired(group, key)
    return lines


def paired(group: list[Row], key: str) -> list[str]:
    """Per-seed differences on one split (mean ± std over seeds): more starts minus fewer, and astromlp's
    default minus scikit-learn's MLP, so a gap can be told from split-to-split noise."""
    by_name = {row.model: row for row in group}
    default = next((row for row in group if row.model.startswith("astromlp default")), None)
    fewer, more = sorted((row for row in group if row.model.startswith("astromlp")), key=lambda r: _n_starts(r.model))
    pairs = [(more, fewer), (default, by_name.get("sklearn MLP (64, 64)"))]
    lines = []
    for ours, other in pairs:
        if ours is None or other is None:
            continue
        diff = np.array([a[key] - b[key] for a, b in zip(ours.runs, other.runs, strict=True)])
        lines.append(f"{group[0].dataset}: {key}, {ours.model} minus {other.model}, per seed: "
                     f"{diff.mean():+.4f} ± {diff.std():.4f}")
    return lines


def _class_targets(seeds: list[int]) -> str:
    """bench_classification's table (imported here: it reads this module's datasets)."""
    try:
        from bench_classification import targets_table
    except ImportError:  # run as a module from the repository root
        from benchmarks.bench_classification import targets_table
    return targets_table(seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of splits (seeds 0..N-1)")
    parser.add_argument("--quick", action="store_true", help="two seeds only")
    parser.add_argument("--datasets", nargs="+", choices=[*DATASETS, "sdss_photoz_pdf", "sdss_class_targets"],
                        default=list(DATASETS))
    args = parser.parse_args()
    seeds = list(range(2 if args.quick else args.seeds))
    if "sdss_class_targets" in args.datasets:
        print(f"\nissue 20's classification targets, seeds {seeds}, mean ± std over seeds\n")
        print(_class_targets(seeds))
    rows = benchmark([name for name in args.datasets if name != "sdss_class_targets"], seeds)
    print(f"\nastromlp vs scikit-learn, 70/30 splits, seeds {seeds}, mean ± std over seeds\n")
    point_rows = [row for row in rows if row.dataset != "SDSS galaxies, PDFs"]
    pdf_rows = [row for row in rows if row.dataset == "SDSS galaxies, PDFs"]
    if point_rows:
        print(table(point_rows))
        print()
        print("\n".join(verdicts(point_rows)))
    if pdf_rows:
        print()
        print(table(pdf_rows))
        print()
        print("\n".join(pdf_verdicts(rows)))


if __name__ == "__main__":
    main()
