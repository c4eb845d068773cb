"""The photo-z PDF template's number of starts (and soft-label width), chosen by cross-validation on the TRAINING
part of one split only, with the protocol of quality_cv.py (benchmarks/quality_selection.md, round 7).

    python benchmarks/quality_cv_pdf.py [--starts 5] [--label-widths 1.0 0.5 2.0] [--repeats 1]
    python benchmarks/quality_cv_pdf.py --starts 3 --repeats 3 --modes   # round 8: how the mode is read
    python benchmarks/quality_cv_pdf.py --starts 5 --repeats 3 --networks current wider widest deeper wider_deeper \
        patience_60 patience_100 tol_0 lr_0.003 lr_0.001 wider_patience_60   # round 9: the network
    python benchmarks/quality_cv_pdf.py --starts 5 --repeats 5 --networks current l2_0 l2_1e-4 l2_1e-3 l2_3e-3 \
        l2_1e-2 width_0 width_0.5 width_2 bins_100 bins_300 crps_epoch crps_epoch_patience_60   # round 10

The seed-0 70/30 split of the SDSS galaxies is drawn and its 30 % test part is never read; the 70 % is cut into
3 folds. On every fold one MLPDensity with the template's settings and ``--starts`` starts is fitted on two folds
(standardised with their statistics) and scored on the third. Its starts are independent (start k of a K-start
fit equals a one-start fit with the k-th child seed, nn/multistart.py), so the first k of them ARE a k-start
fit: the candidates "k starts, ensemble" (mixture of the first k PDFs) and "k starts, best" (the lowest
validation loss among them) are read from the one fit. Scores: CRPS, PIT KS, coverage of the 68 %/95 %
intervals, and sigma_NMAD / outlier fraction of the PDF's mode and median; the last column is the fold-by-fold
CRPS difference with the first row (mean ± standard error).
With ``--modes`` a second table scores every reading of the mode in MODE_RULES (``density.modes``) on the PDFs
of the 1-start and the K-start ensemble candidates: sigma_NMAD, outlier fraction and count of the mode, and the
fold-by-fold outlier-fraction difference with the plain argmax.
With ``--networks`` (round 9) each named network of NETWORKS (the estimator's parameters changed from the current
defaults) is fitted on the same folds and every row also gives the mode's outlier count summed over the folds.
Round 10's networks add the L2 penalty, the soft labels' width, the grid's bins and ``select="crps"``: each start
keeps the epoch of lowest validation CRPS (CrpsEpoch, Python on the per-epoch hook) instead of cross-entropy.
Every network also gets a "kNN PDF" row (reports/pdf_baselines.knn on the same folds and grid), so the PIT KS
is compared with the baseline's on the same galaxies.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_quality import PDF_VALIDATION, photoz_scores, sdss_photoz, split
from quality_cv import SEED, folds
from scipy.special import softmax
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from astromlp.nn import MLPDensity
from astromlp.nn.density import modes, point_estimates
from astromlp.nn.multistart import best_start, start_seeds
from astromlp.nn.training import _Snapshot
from astromlp.reports.pdf_baselines import knn
from astromlp.reports.pdf_metrics import crps, per_object, summarise

KEYS = ("crps", "pit_ks", "coverage_68", "coverage_95", "sigma_nmad (mode)", "outlier_fraction (mode)",
        "sigma_nmad (median)", "outlier_fraction (median)")


#: Round 9's and 10's networks: name -> MLPDensity parameters changed from the current defaults (round 9 ran when
#: they were (64, 64); now (64, 64, 64), learning rate 0.01, L2 3e-4, patience 30, up to 500 epochs, 200 bins,
#: label width 1); ``select="crps"`` fits a CrpsEpoch.
NETWORKS = {
    "current": {},
    "wider": dict(hidden_layer_sizes=(128, 128)),
    "widest": dict(hidden_layer_sizes=(256, 256)),
    "deeper": dict(hidden_layer_sizes=(64, 64, 64)),
    "wider_deeper": dict(hidden_layer_sizes=(128, 128, 128)),
    "patience_60": dict(patience=60),
    "patience_100": dict(patience=100, max_epochs=1000),
    "tol_0": dict(tol=0.0),
    "lr_0.003": dict(learning_rate=3e-3),
    "lr_0.001": dict(learning_rate=1e-3),
    "wider_patience_60": dict(hidden_layer_sizes=(128, 128), patience=60),
    **{f"l2_{name}": dict(l2=float(name)) for name in ("0", "1e-4", "1e-3", "3e-3", "1e-2")},
    **{f"width_{v:g}": dict(label_width=v) for v in (0.0, 0.5, 2.0)},
    **{f"bins_{v}": dict(z_grid=v) for v in (100, 300)},
    "crps_epoch": dict(select="crps"),
    "crps_epoch_patience_60": dict(select="crps", patience=60),
}


class CrpsEpoch(MLPDensity):
    """Round 10's candidate: each start keeps the epoch of lowest CRPS on the internal validation rows instead of
    lowest cross-entropy (training still stops on the cross-entropy's patience)."""

    def fit(self, X, y, **kw):
        # the same rows _split_validation holds out (the same RandomState and call)
        rs = np.random.RandomState(start_seeds(self.random_state, 1)[0])
        _, self._X_val, _, self._y_val = train_test_split(X, y, test_size=self.validation_fraction, random_state=rs)
        return super().fit(X, y, **kw)

    def _new_network(self, *args):
        self._made.append(super()._new_network(*args))
        return self._made[-1]

    def _train_starts(self, X, Y, w, validation, seeds, on_epoch=None):
        assert np.array_equal(validation[0], self._X_val)
        self._made, best = [], {}

        def keep(k, epoch, train_loss, monitored):
            net = self._made[k]
            score = crps(softmax(net.forward(self._X_val), axis=1), self.bin_edges_, self._y_val).mean()
            if k not in best or score < best[k][0]:
                best[k] = (score, _Snapshot(net))
                best[k][1].epoch = epoch

        outcomes = super()._train_starts(X, Y, w, validation, seeds, keep)
        for k, outcome in enumerate(outcomes):
            best[k][1].restore(outcome.network)
        self.crps_epochs_ = [best[k][1].epoch for k in range(len(outcomes))]
        return outcomes


def scores(data, prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> dict[str, float]:
    """The PDF metrics and the point metrics of the mode and the median, for one fold's scored rows."""
    metrics = summarise(per_object(prob, edges, z))
    points = point_estimates(prob, edges)
    return {**metrics, **{f"{key} ({which})": value for which in ("mode", "median")
                          for key, value in photoz_scores(data, z, points[which]).items()}}


#: Readings of the mode (round 8): name -> keyword arguments of ``density.modes``; the first is the old one.
MODE_RULES = {
    "argmax of the bins": dict(smoothing=0, in_basin=False, parabola=False),
    "argmax, parabola": dict(smoothing=0, in_basin=False, parabola=True),
    **{f"smoothed {w:g} bins{b}, parabola": dict(smoothing=w, in_basin=bool(b), parabola=True)
       for w in (1, 2, 4, 8) for b in ("", ", highest-mass basin")},
    "highest-mass basin, parabola": dict(smoothing=0, in_basin=True, parabola=True),
}


def mode_scores(data, prob: np.ndarray, edges: np.ndarray, z: np.ndarray) -> dict[str, dict[str, float]]:
    """rule -> sigma_NMAD, outlier fraction and number of outliers of the mode read by that rule."""
    found = {}
    for name, rule in MODE_RULES.items():
        run = photoz_scores(data, z, modes(prob, edges, **rule))
        found[name] = {**run, "outliers": run["outlier_fraction"] * len(z)}
    return found


def paired(runs: list[dict], other: list[dict], key: str = "crps", decimals: int = 5) -> str:
    """Mean ± standard error over folds of the fold-by-fold difference in ``key`` (5 decimals: CRPS is small)."""
    diff = np.array([r[key] - o[key] for r, o in zip(runs, other, strict=True)])
    return f"{diff.mean():+.{decimals}f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.{decimals}f}"


def candidates(n_starts: int) -> dict[str, object]:
    """label -> (per-start probabilities, start records) -> one PDF per row."""
    found = {"1 start": lambda p, r: p[0]}
    for k in (k for k in (2, 3, 5, 7, 10) if k <= n_starts):
        found[f"{k} starts, ensemble"] = lambda p, r, k=k: p[:k].mean(axis=0)
        found[f"{k} starts, best"] = lambda p, r, k=k: p[best_start(r[:k])]
    return found


def fold_runs(data, X, y, n_starts: int, label_width: float, repeats: int,
              mode_runs: dict | None = None, network: dict | None = None, n_folds: int | None = None
              ) -> dict[str, list[dict]]:
    """label -> the scores on every fold, from one n_starts fit per fold; ``mode_runs`` (when given) collects
    (candidate, mode rule) -> the mode's scores on every fold, for 1 start and the n_starts ensemble."""
    runs: dict[str, list[dict]] = {}
    for k, (fit_rows, score_rows) in enumerate(folds(data, X, y, repeats)[:n_folds]):
        scaler = StandardScaler().fit(X[fit_rows])
        params = {"z_grid": 200, "label_width": label_width, **(network or {})}
        estimator = CrpsEpoch if params.pop("select", "loss") == "crps" else MLPDensity
        model = estimator(n_starts=n_starts, start_selection="ensemble", random_state=SEED + k, **params)
        started = time.perf_counter()
        model.fit(scaler.transform(X[fit_rows]), y[fit_rows])
        seconds = time.perf_counter() - started
        per_start = model._linked(scaler.transform(X[score_rows]))  # (starts, rows, bins)
        baseline = knn_pdf(scaler.transform(X[fit_rows]), y[fit_rows], scaler.transform(X[score_rows]), model, k)
        run = scores(data, baseline, model.bin_edges_, y[score_rows])
        runs.setdefault("kNN PDF", []).append({**run, "fit s": 0.0,
                                               "outliers": run["outlier_fraction (mode)"] * len(score_rows)})
        for name, pick in candidates(n_starts).items():
            run = scores(data, pick(per_start, model.starts_), model.bin_edges_, y[score_rows])
            runs.setdefault(name, []).append({**run, "fit s": seconds,
                                              "outliers": run["outlier_fraction (mode)"] * len(score_rows)})
            if mode_runs is not None and name in ("1 start", f"{n_starts} starts, ensemble"):
                prob = pick(per_start, model.starts_)
                for rule, found in mode_scores(data, prob, model.bin_edges_, y[score_rows]).items():
                    mode_runs.setdefault((f"label_width {label_width}, {name}", rule), []).append(found)
        epochs = [start["epochs"] for start in model.starts_]
        kept = getattr(model, "crps_epochs_", [start["best_epoch"] for start in model.starts_])
        print(f"  fold {k}, label_width {label_width}, {network or 'current'}: {n_starts} starts in {seconds:.0f} s, "
              f"epochs {epochs}, kept {kept}", flush=True)
    return runs


def knn_pdf(X_fit, y_fit, X_score, model, k: int) -> np.ndarray:
    """The kNN PDF baseline on the model's grid: k chosen on 15 % of the fitting rows (bench_quality's share)."""
    X_nn, X_val, y_nn, y_val = train_test_split(X_fit, y_fit, test_size=PDF_VALIDATION, random_state=SEED + k)
    return knn(X_nn, y_nn, X_val, y_val, model.bin_edges_, 1.0)[0](X_score)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="starts fitted per fold (candidates up to it)")
    parser.add_argument("--label-widths", type=float, nargs="+", default=[1.0])
    parser.add_argument("--repeats", type=int, default=1, help="repeat the 3-fold cut with other shuffles")
    parser.add_argument("--modes", action="store_true", help="also score the readings of the mode (MODE_RULES)")
    parser.add_argument("--networks", nargs="+", choices=list(NETWORKS), default=["current"],
                        help="networks to compare (NETWORKS), each at every label width")
    parser.add_argument("--folds", type=int, default=None, help="score only the first FOLDS folds (a pilot)")
    args = parser.parse_args()
    data = sdss_photoz()
    X, _, y, _ = split(data, SEED)
    print(f"{data.name} PDFs: 3-fold CV x {args.repeats} on the {len(y)} training rows of split {SEED}")
    mode_runs = {} if args.modes else None
    results = {f"{net}, label_width {w}, {name}": runs for net in args.networks for w in args.label_widths
               for name, runs in fold_runs(data, X, y, args.starts, w, args.repeats, mode_runs,
                                           NETWORKS[net], args.folds).items()}
    print_table(results)
    if mode_runs:
        print_modes(mode_runs)


def print_table(results: dict[str, list[dict]]) -> None:
    """One row per candidate: the mean scores over folds, the mode's outliers summed, the CRPS and outlier
    differences with the first network's 3-start ensemble (else its first row), and the PIT KS difference with
    the kNN PDF on the same folds and grid. A kNN row equal to one printed already is left out."""
    first = next((runs for name, runs in results.items() if name.endswith("3 starts, ensemble")),
                 next(iter(results.values())))
    header = ["candidate", *KEYS, "outliers, mode (all folds)", "fit s (all starts)",
              "CRPS minus the first 3-start ensemble (± s.e.)", "outliers per fold, minus it (± s.e.)",
              "PIT KS minus the kNN PDF's (± s.e.)"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    baselines = []
    for name, runs in results.items():
        baseline = results[name.rsplit(", ", 2 if "starts" in name else 1)[0] + ", kNN PDF"]
        if name.endswith("kNN PDF"):
            if runs in baselines:
                continue
            baselines.append(runs)
        means = [f"{np.mean([r[key] for r in runs]):.{5 if key == 'crps' else 4}f}" for key in KEYS]
        print(f"| {name} | " + " | ".join([*means, f"{sum(r['outliers'] for r in runs):.0f}",
                                            f"{np.mean([r['fit s'] for r in runs]):.0f}"])
              + f" | {paired(runs, first)} | {paired(runs, first, 'outliers', 2)} | "
              f"{paired(runs, baseline, 'pit_ks', 4)} |",
              flush=True)


def print_modes(mode_runs: dict) -> None:
    """The mode table: one row per (candidate, rule), with the outlier difference against the first rule."""
    print("\n| PDFs | mode | σ_NMAD mode | outl. mode | outliers (all folds) | outl. minus argmax (± s.e.) |\n"
          "|---|---|---|---|---|---|")
    first = next(iter(MODE_RULES))
    for (candidate, rule), runs in mode_runs.items():
        base = mode_runs[(candidate, first)]
        print(f"| {candidate} | {rule} | {np.mean([r['sigma_nmad'] for r in runs]):.4f} | "
              f"{np.mean([r['outlier_fraction'] for r in runs]):.4f} | {sum(r['outliers'] for r in runs):.0f} | "
              f"{paired(runs, base, 'outlier_fraction')} |", flush=True)


if __name__ == "__main__":
    main()
