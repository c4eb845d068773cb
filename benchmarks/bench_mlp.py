"""Training throughput of astromlp against scikit-learn's MLP, measured in the same run on the same CPU.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_mlp.py [--rows 20000] [--epochs 5]
        [--nets default small large] [--dtypes float64 float32] [--no-pdf | --pdf-only]

(``--nets default --dtypes float64`` measures one network and compiles one dtype: enough to compare two
builds of the kernels in a few minutes on a shared machine.)

(On machines that force an older OpenBLAS kernel through OPENBLAS_CORETYPE, unset it for both sides at once,
as above, so that each uses the BLAS kernel its CPU really has; the script prints the kernel in use.)
Every rate is the best of ``--repeats`` rounds, taken in turn with the other side's (scikit-learn, astromlp,
scikit-learn, ...), so that a busy machine understates neither side. A round is the same fit run back to back
for at least ROUND_SECONDS (about 6 scikit-learn fits of the small net, 50 of astromlp's), timed as a whole:
a single 10-ms fit is at the mercy of the scheduler and the clock. Each round starts after a pause of
SETTLE_SECONDS: the worker threads of the library that ran last keep spinning for a while after their last
call (OpenBLAS's for about 0.1 s) and would otherwise take a core from the other (a small-net fit right
after scikit-learn's ran up to 1.4x slower than later ones).

Same architecture, batch size 256, Adam, same number of epochs, no early stopping. Prints samples per second
and their ratio per network and dtype, the GFLOP/s reached against numpy's own large-matmul rate, the ratio
on one thread (astromlp with ``n_jobs=1`` against scikit-learn with BLAS pinned to one thread: a per-core
figure that a stalled second vCPU cannot move), the throughput of K=4 multi-start against one scikit-learn
fit, the per-epoch cost of a photo-z PDF (a 200-bin softmax, ``MLPDensity``) against the point regression on
the default net, and the cold start of a second process.
Targets (2 cores): small >= 15x; default >= 6x (float64) and >= 8x (float32); large >= 1.5x and >= 65 % of
the matmul peak; 4 starts >= 6x one scikit-learn fit; PDF <= 2x the point regression's epoch; <= 3 s before
the first epoch in a second process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
import time
import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLP
from threadpoolctl import threadpool_info, threadpool_limits

import astromlp.nn.threads  # noqa: F401  (loads the BLAS the kernels use, so it is listed)
from astromlp.nn import MLPClassifier, MLPRegressor
from astromlp.nn.density_estimator import MLPDensity

NETS = {"default": (10, (64, 64)), "small": (5, (32,)), "large": (20, (256, 256, 128))}
N_CLASSES = 3
PDF_BINS = 200  # MLPDensity's default grid
SETTLE_SECONDS = 0.3
ROUND_SECONDS = 0.5


def _data(n_rows, n_in, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_in)).astype(dtype)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, -1] > 0.5)
    return X, y


def flops_per_sample(n_in, hidden, n_out=N_CLASSES):
    """Multiply-adds of forward (1x), weight gradients (1x) and input gradients (all but the first layer)."""
    sizes = [n_in, *hidden, n_out]
    macs = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return 2 * (2 * sum(macs) + sum(macs[1:]))


def best_of_alternating(repeats, first, second):
    """The best rate of each of two measurements over ``repeats`` rounds taken in turn, so that a slow spell
    of the machine falls on both sides alike."""
    rates = [(first(), second()) for _ in range(repeats)]
    return max(r[0] for r in rates), max(r[1] for r in rates)


def sustained_rate(fit, samples_per_fit):
    """Samples per second of fits run back to back for at least ROUND_SECONDS, after SETTLE_SECONDS idle.
    A whole round is timed, so one lucky fit does not count for more than the others."""
    time.sleep(SETTLE_SECONDS)
    fits = 0
    start = time.perf_counter()
    while fits == 0 or time.perf_counter() - start < ROUND_SECONDS:
        fit()
        fits += 1
    return fits * samples_per_fit / (time.perf_counter() - start)


def sklearn_rate(X, y, hidden, epochs, threads=None):
    def fit():
        model = SkMLP(hidden, batch_size=256, solver="adam", max_iter=epochs, tol=0.0, n_iter_no_change=10**6,
                      alpha=1e-4, random_state=0, shuffle=True)
        with warnings.catch_warnings(), threadpool_limits(threads, user_api="blas"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
    return sustained_rate(fit, len(X) * epochs)


def astromlp_rate(X, y, hidden, epochs, dtype, n_starts=1, threads=None, estimator=MLPClassifier):
    def model(max_epochs):
        return estimator(hidden, batch_size=256, optimizer="adam", max_epochs=max_epochs, tol=0.0,
                         patience=10**6, early_stopping=False, l2=1e-4, schedule="constant",
                         dtype=np.dtype(dtype).name, random_state=0, n_starts=n_starts, n_jobs=threads)
    model(1).fit(X[:512], y[:512])  # compile (or load from the cache) outside the timing
    return sustained_rate(lambda: model(epochs).fit(X, y), n_starts * len(X) * epochs)


def pdf_cost(args, threads=None):
    """Per-epoch cost of the photo-z PDF (MLPDensity, 200 bins) over the point regression, default net."""
    n_in, hidden = NETS["default"]
    X, _ = _data(args.rows, n_in, "float64")
    z = np.abs(X[:, 0] + 0.3 * X[:, 1] ** 2)
    rate = partial(astromlp_rate, X, z, hidden, args.epochs, "float64", threads=threads)
    point, pdf = best_of_alternating(args.repeats, partial(rate, estimator=MLPRegressor),
                                     partial(rate, estimator=MLPDensity))
    return point / pdf


def pdf_row(args):
    """The PDF row: its cost on every thread and on one, and the ratio of the two nets' arithmetic (the
    floor were both at the same GFLOP/s; the point net's small layers run well below it)."""
    n_in, hidden = NETS["default"]
    flops = flops_per_sample(n_in, hidden, PDF_BINS) / flops_per_sample(n_in, hidden, 1)
    return (f"photo-z PDF ({PDF_BINS}-bin softmax) epoch, default float64: {pdf_cost(args):.2f}x the point "
            f"regression's ({pdf_cost(args, 1):.2f}x on 1 thread; {flops:.2f}x its FLOPs)")


def matmul_peak(dtype, n=2000, repeats=5):
    a = np.random.default_rng(0).normal(size=(n, n)).astype(dtype)
    a @ a
    start = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return repeats * 2 * n**3 / (time.perf_counter() - start) / 1e9


def cold_start_seconds():
    """Wall time of a fresh interpreter importing astromlp and finishing one epoch on 1,000 rows."""
    code = textwrap.dedent("""
        import time; t0 = time.perf_counter()
        import numpy as np
        from astromlp.nn import MLPClassifier
        X = np.random.default_rng(0).normal(size=(1000, 5)); y = (X[:, 0] > 0).astype(int)
        MLPClassifier((16,), max_epochs=1, early_stopping=False).fit(X, y)
        print(time.perf_counter() - t0)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(run.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--nets", nargs="+", choices=list(NETS), default=list(NETS))
    parser.add_argument("--dtypes", nargs="+", choices=["float64", "float32"], default=["float64", "float32"])
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF row")
    parser.add_argument("--pdf-only", action="store_true", help="only the PDF row")
    args = parser.parse_args(argv)
    if args.pdf_only:
        print(pdf_row(args))
        return
    blas = {i["internal_api"] + " " + str(i.get("architecture")) for i in threadpool_info()
            if i["user_api"] == "blas"}
    print(f"BLAS: {', '.join(sorted(blas))}; cores: {os.cpu_count()}")
    peaks = {dt: matmul_peak(dt) for dt in args.dtypes}
    print("numpy matmul peak: " + ", ".join(f"{dt} {peak:.1f} GFLOP/s" for dt, peak in peaks.items()))
    print(f"{'net':<8}{'dtype':<9}{'sklearn/s':>12}{'astromlp/s':>13}{'ratio':>8}{'GFLOP/s':>9}{'of peak':>9}"
          f"{'1 thread':>10}")
    for name in args.nets:
        n_in, hidden = NETS[name]
        for dtype in args.dtypes:
            X, y = _data(args.rows, n_in, dtype)
            sk, ours = best_of_alternating(args.repeats, partial(sklearn_rate, X, y, hidden, args.epochs),
                                           partial(astromlp_rate, X, y, hidden, args.epochs, dtype))
            sk1, ours1 = best_of_alternating(args.repeats, partial(sklearn_rate, X, y, hidden, args.epochs, 1),
                                             partial(astromlp_rate, X, y, hidden, args.epochs, dtype, threads=1))
            gflops = ours * flops_per_sample(n_in, hidden) / 1e9
            print(f"{name:<8}{dtype:<9}{sk:>12,.0f}{ours:>13,.0f}{ours / sk:>7.2f}x{gflops:>9.1f}"
                  f"{gflops / peaks[dtype]:>8.0%}{ours1 / sk1:>9.2f}x")
    n_in, hidden = NETS["default"]
    X, y = _data(args.rows, n_in, "float64")
    sk, multi = best_of_alternating(args.repeats, partial(sklearn_rate, X, y, hidden, args.epochs),
                                    partial(astromlp_rate, X, y, hidden, args.epochs, "float64", n_starts=4))
    print(f"multi-start K=4 default float64: {multi:,.0f} samples/s = {multi / sk:.2f}x one scikit-learn fit")
    if not args.no_pdf:
        print(pdf_row(args))
    cold_start_seconds()  # the first process fills the cache if it was empty
    print(f"second process, import + one epoch: {cold_start_seconds():.2f} s")


if __name__ == "__main__":
    main()
