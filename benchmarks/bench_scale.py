"""Scale benchmark: `astromlp predict` over up to 20 million rows on a 2-worker LocalCluster, and training
time per epoch as the training set grows to 5 million rows.

predict   trains a small classifier on the bundled SDSS sample (`astromlp run`), builds a FITS catalog of
          --files files x --rows-per-file rows (ugriz magnitudes, objid, ra, dec), then runs
          `astromlp predict MODEL FILES -o out.parquet --workers 2 --quiet` in a fresh process on the first
          2M, 5M and all rows. A sampler polls /proc for the CLI process and its descendants (the two Dask
          workers) and keeps each one's VmHWM (peak resident memory). Prints rows per second, the peak of
          each worker and of the CLI process (which writes the output), and checks that the output has as
          many rows as the input. Target: worker peaks flat as rows grow.
hats      (issue 23) the same trained model over generated HATS catalogs of --hats-sizes rows (make_hats.py:
          uniform sky, HEALPix order chosen for <= 250k rows per pixel, as hats-import would) and over the same
          rows as plain Parquet files, `--workers 2` each: rows per second (target: HATS within 20 % of
          Parquet), worker peaks (target: flat as rows grow), output rows = input rows, and the HATS output
          keeping the input's pixels. Then --match-labels labels (90 % moved 0-0.8 arcsec from a catalog
          object, 10 % moved 20 arcsec) cross-matched within 1 arcsec against the --match-catalog-row catalog:
          astromlp's crossmatch_labels (lsdb) against astropy's SkyCoord.match_to_catalog_sky on the same
          positions read from the catalog, fresh process each, time and peak memory above imports, the matched
          objects checked equal label by label. lsdb/hats compile their own Numba code on first use (not
          cached): that first call is timed apart, on 100 labels.
train     MLPClassifier (hidden [32, 32], batch 256, one start) on n x 5 float64 features in a fresh process
          per n (1M, 2M, 5M): each epoch is one partial_fit over all rows, timed alone; the fastest of
          --epochs epochs is the time per epoch (all are printed: other jobs slow some down). Peak memory
          above what the arrays themselves take is printed next to the size of the training arrays.
          Target: seconds per epoch / rows constant; extra memory a small multiple of the arrays.

    python benchmarks/bench_scale.py                      # 20 x 1M rows, about 10-20 minutes on 2 cores
    python benchmarks/bench_scale.py --predict-sizes --train-sizes   # only the HATS part (2M/5M/20M, 100k x 5M)
    python benchmarks/bench_scale.py --files 4 --rows-per-file 500000 --predict-sizes 1000000 2000000 \
        --train-sizes 200000 400000                       # quick look

Measured 2026-11-23 on 2 cores shared with other jobs (load average 4-7 throughout, so times are upper bounds):
  predict  2M rows 23.1 s, 5M 41.8 s, 20M 95.2 s (0.21 M rows/s overall, 0.25 M rows/s marginal 2M -> 20M);
           worker peaks 434/443, 436/443, 446/453 MiB (flat); CLI process 404, 412, 463 MiB; output rows = input.
           (An earlier run at lower load: 2M 10.4 s, 5M 14.7 s.)
  train    fastest epoch 1.15 s at 1M rows, 6.4 s at 2M, 39 s at 5M; epochs of one size varied 6-9x with the
           load (1M: 1.15-10.2 s), so linearity is not established by this run; an earlier quieter run gave
           2.5 s/epoch at 1M. Peak memory above the arrays: 46 MiB for 46 MiB of arrays (1M), 93 for 92 (2M),
           195 for 229 (5M), i.e. about one more copy of them (targets one-hot, float conversion).
Measured 2026-11-30, HATS part, on 2 cores shared with five other engineers' tests and benchmarks (load
average 20-33 throughout: every time is several times what the machine gives alone, and runs of one
comparison were minutes apart under different load; 20M rows would have taken over an hour at this load,
so 2M/5M/10M):
  predict  Parquet 2M 188.1 s, 5M 346.0 s, 10M 451.0 s; HATS 251.1 s, 405.6 s, 479.9 s: HATS / Parquet rate
           0.75 (load 23 -> 31 between the two), 0.85, 0.94 (target >= 0.8). Worker peaks HATS 512/531,
           491/494, 546/552 MiB (pixels of 167k, 104k, 208k rows: flat, following the pixel size, not the
           catalog), Parquet 766/782, 771/792, 777/793 MiB; CLI process HATS 375-387 MiB (the workers
           write the pixels), Parquet 568-761 MiB; output rows = input rows, the HATS output keeps the pixels.
  match    100k labels x 5M objects within 1 arcsec: astromlp (lsdb) 25.4 s + 137.6 s compiling hats/lsdb's
           Numba code on first use in the process, 106 MiB above imports; astropy match_to_catalog_sky (reading
           the positions included) 16.2 s, 941 MiB above imports; both matched the same 90,001 objects.
Measured 2026-11-30, round 3, HATS part with --match-labels 0 (load 10-14 throughout; at 2M and 5M the
Parquet runs shared the machine with test runs, so those two ratios flatter HATS). make_hats.py now draws each
pixel's rows directly (one row group per pixel, no dictionary encoding): 2M rows in 8 s, 5M 18 s, 20M 70 s
(10M took 246 s before, at load ~30).
  predict  Parquet 2M 150.2 s, 5M 409.0 s, 20M 406.5 s; HATS 102.2 s, 325.3 s, 480.7 s: HATS / Parquet rate
           1.47, 1.26, 0.85 (target >= 0.8, i.e. within 20 %). Worker peaks HATS 516/517, 478/479, 508/517 MiB
           (pixels of 167k, 104k, 104k rows: flat from 2M to 20M), Parquet 472/480, 462/473, 495/507 MiB;
           CLI process HATS 375-389 MiB, Parquet 414-536 MiB; output rows = input rows, pixels kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import make_hats
import numpy as np
from bench_ingest import stream_fits
from bench_pipeline import CONFIG as PIPELINE_CONFIG

BANDS = "ugriz"
MIB = 1024 * 1024
# the pipeline benchmark's config, on the bundled sample with a small network
MODEL_CONFIG = PIPELINE_CONFIG.format(catalog="astromlp:sample", seed=5, bootstrap=0,
                                      model="hidden_layer_sizes = [32, 32]\nmax_epochs = 30\nn_starts = 1")


def _columns(n: int, first_id: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    mags = {b: rng.normal(18.5 + i * 0.3, 1.2, n).astype(np.float32) for i, b in enumerate(BANDS)}
    return {"objid": np.arange(first_id, first_id + n, dtype=np.int64), "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-20, 80, n), **mags}


def build_fits(path: Path, rows: int, first_id: int, seed: int) -> None:
    """One catalog file written in chunks (never the whole table in memory), objids from first_id on."""
    rng = np.random.default_rng(seed)
    stream_fits(path, rows, lambda start, n: _columns(n, first_id + start, rng))


def train_model(folder: Path) -> Path:
    config = folder / "model.toml"
    config.write_text(MODEL_CONFIG)
    subprocess.run([sys.executable, "-m", "astromlp.pipeline.cli", "run", str(config), "--quiet",
                    "--scheduler", "synchronous"], check=True, capture_output=True)
    return folder / "runs" / "model" / "model.zip"


def _status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith(field + ":")), None)
    except OSError:
        return None


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class PeakSampler(threading.Thread):
    """Polls VmHWM of a process tree; a process's last sample is its peak up to then."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval, self.peaks, self.names = root, interval, {}, {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in _descendants(self.root):
                peak = _status_kib(pid, "VmHWM")
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0))
                    self.names.setdefault(pid, _command_line(pid))
            self.done.wait(self.interval)

    def workers(self) -> list[int]:
        """Peaks (KiB) of the Dask worker processes: spawned children other than multiprocessing helpers."""
        return [kib for pid, kib in self.peaks.items() if pid != self.root and "spawn_main" in self.names[pid]]


def _output_rows(output: Path) -> int:
    """Rows of a Parquet output, or of a HATS output as hats reads its properties."""
    import pyarrow.parquet as pq

    if output.is_dir():
        import hats

        return int(hats.read_hats(output).catalog_info.total_rows)
    return pq.ParquetFile(output).metadata.num_rows


def measure_predict(model: Path, files: list[Path], output: Path) -> dict:
    command = [sys.executable, "-m", "astromlp.pipeline.cli", "predict", str(model), *map(str, files),
               "-o", str(output), "--workers", "2", "--quiet"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if process.returncode:
        sys.exit(f"astromlp predict failed:\n{stderr}")
    return {"seconds": seconds, "output_rows": _output_rows(output),
            "worker_peaks_mib": sorted(k / 1024 for k in sampler.workers()),
            "cli_peak_mib": sampler.peaks.get(process.pid, 0) / 1024}


def _fits_rows(files: list[Path]) -> int:
    from astropy.io import fits

    return sum(int(fits.getheader(path, 1)["NAXIS2"]) for path in files)


TRAIN_CHILD = """
import json, sys, time
import numpy as np
from astromlp.nn import MLPClassifier
def vm(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
n, epochs = int(sys.argv[1]), int(sys.argv[2])
params = dict(hidden_layer_sizes=(32, 32), batch_size=256, n_starts=1, random_state=1)
MLPClassifier(**params, max_epochs=1).fit(np.random.default_rng(0).normal(size=(500, 5)), np.arange(500) % 3)
rng = np.random.default_rng(2)
X = rng.normal(size=(n, 5))
y = np.argmax(X @ rng.normal(size=(5, 3)), axis=1)
with_arrays = vm("VmRSS")
model, seconds = MLPClassifier(**params), []
for epoch in range(epochs):
    start = time.perf_counter()
    model.partial_fit(X, y, classes=[0, 1, 2]) if epoch == 0 else model.partial_fit(X, y)
    seconds.append(time.perf_counter() - start)
print(json.dumps({"rows": n, "epochs": seconds, "arrays_mib": (X.nbytes + y.nbytes) / 2**20,
                  "peak_above_arrays_mib": (vm("VmHWM") - with_arrays) / 1024}))
"""


def measure_training(rows: int, epochs: int) -> dict:
    """Seconds of each epoch (one partial_fit call over all rows) in a fresh process; the fastest epoch, the
    one least slowed by other jobs on the machine, is the time per epoch."""
    done = subprocess.run([sys.executable, "-c", TRAIN_CHILD, str(rows), str(epochs)], check=True,
                          capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["per_epoch"] = min(result["epochs"])
    result["load"] = os.getloadavg()[0]
    return result


def predict_part(args, folder: Path) -> None:
    model = train_model(folder)
    files, start = [], time.perf_counter()
    for k in range(args.files):
        path = folder / f"catalog_{k:02d}.fits"
        build_fits(path, args.rows_per_file, k * args.rows_per_file, seed=100 + k)
        files.append(path)
    print(f"built {args.files} FITS files x {args.rows_per_file:,} rows in {time.perf_counter() - start:.0f} s")
    measured = []
    for size in args.predict_sizes:
        chosen = files[:max(1, size // args.rows_per_file)]
        n_rows = _fits_rows(chosen)
        result = measure_predict(model, chosen, folder / "predictions.parquet")
        assert result["output_rows"] == n_rows, (result["output_rows"], n_rows)
        workers = ", ".join(f"{m:,.0f}" for m in result["worker_peaks_mib"])
        print(f"[load {os.getloadavg()[0]:.1f}] predict {n_rows:>11,} rows in {len(chosen):2d} files: "
              f"{result['seconds']:7.1f} s  "
              f"{n_rows / result['seconds'] / 1e6:5.2f} M rows/s  worker peaks [{workers}] MiB  "
              f"CLI process peak {result['cli_peak_mib']:,.0f} MiB  output rows {result['output_rows']:,}")
        (folder / "predictions.parquet").unlink()
        measured.append((n_rows, result["seconds"]))
    if len(measured) > 1:
        (small, t_small), (large, t_large) = measured[0], measured[-1]
        print(f"marginal rate {small:,} -> {large:,} rows (start-up excluded): "
              f"{(large - small) / (t_large - t_small) / 1e6:.2f} M rows/s")


def _same_pixels(output: Path, catalog: Path) -> bool:
    import hats

    return hats.read_hats(output).get_healpix_pixels() == hats.read_hats(catalog).get_healpix_pixels()


def hats_predict(model: Path, size: int, base: Path, files: list[Path], folder: Path) -> dict[str, dict]:
    """The same rows predicted from Parquet files and from the HATS catalog (output: a HATS catalog)."""
    results = {}
    for kind, inputs, output in (("parquet", files, folder / "out.parquet"), ("hats", [base], folder / "out_hats")):
        result = measure_predict(model, inputs, output)
        assert result["output_rows"] == size, (kind, result["output_rows"], size)
        if kind == "hats":
            assert _same_pixels(output, base), "the HATS output does not keep the input's pixels"
        shutil.rmtree(output) if output.is_dir() else output.unlink()
        workers = ", ".join(f"{m:,.0f}" for m in result["worker_peaks_mib"])
        print(f"[load {os.getloadavg()[0]:.1f}] predict {kind:7s} {size:>11,} rows in {len(inputs):3d} "
              f"{'files' if kind == 'parquet' else 'catalog'}: {result['seconds']:7.1f} s  "
              f"{size / result['seconds'] / 1e6:5.2f} M rows/s  worker peaks [{workers}] MiB  "
              f"CLI process peak {result['cli_peak_mib']:,.0f} MiB  output rows {result['output_rows']:,}",
              flush=True)
        results[kind] = result
    print(f"    HATS / Parquet rate at {size:,} rows: {results['parquet']['seconds'] / results['hats']['seconds']:.2f} "
          "(target >= 0.8)", flush=True)
    return results


MATCH_CHILD = """
import json, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
def vm(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
kind, catalog, labels, out = sys.argv[1:5]
labels, warm = pd.read_parquet(labels), 0.0
if kind == "lsdb":
    from astromlp.catalogs.crossmatch import crossmatch_labels
    # hats and lsdb compile their own Numba code on first use (not cached): timed apart, on 100 labels
    start = time.perf_counter()
    small = labels.iloc[:100]
    crossmatch_labels(small.rename(columns={"RA": "ra", "Dec": "dec"}), small, ra=("ra", "RA"), dec=("dec", "Dec"),
                      columns=[], label_columns=["z"], radius_arcsec=1.0)
    warm = time.perf_counter() - start
else:
    import astropy.units as u
    import pyarrow.parquet as pq
    from astropy.coordinates import SkyCoord
base = vm("VmRSS")
start = time.perf_counter()
if kind == "lsdb":
    match = crossmatch_labels(Path(catalog), labels, ra=("ra", "RA"), dec=("dec", "Dec"), columns=["objid"],
                              label_columns=["z"], radius_arcsec=1.0)
    objids = match.frame["objid"].to_numpy()
else:
    table = pq.read_table(Path(catalog) / "dataset", columns=["objid", "ra", "dec"])
    objects = SkyCoord(table["ra"].to_numpy() * u.deg, table["dec"].to_numpy() * u.deg)
    index, separation, _ = SkyCoord(labels["RA"].to_numpy() * u.deg, labels["Dec"].to_numpy() * u.deg
                                    ).match_to_catalog_sky(objects)
    objids = table["objid"].to_numpy()[index[separation < 1 * u.arcsec]]
seconds = time.perf_counter() - start
np.save(out, objids)
print(json.dumps({"seconds": seconds, "warm_up": warm, "peak_above_mib": (vm("VmHWM") - base) / 1024,
                  "matched": len(objids)}))
"""


def _labels(files: list[Path], count: int, folder: Path) -> Path:
    """`count` labels at objects of the catalog: 90 % moved 0-0.8 arcsec, 10 % moved 20 arcsec (unmatched)."""
    import astropy.units as u
    import pandas as pd
    import pyarrow.parquet as pq
    from astropy.coordinates import SkyCoord

    positions = pd.concat([pq.read_table(f, columns=["ra", "dec"]).to_pandas() for f in files], ignore_index=True)
    rng = np.random.default_rng(23)
    rows = positions.iloc[rng.choice(len(positions), count, replace=False)]
    near = int(count * 0.9)
    moved = SkyCoord(rows["ra"].to_numpy() * u.deg, rows["dec"].to_numpy() * u.deg).directional_offset_by(
        rng.uniform(0, 360, count) * u.deg, np.r_[rng.uniform(0, 0.8, near), np.full(count - near, 20.0)] * u.arcsec)
    path = folder / "labels.parquet"
    pd.DataFrame({"RA": moved.ra.deg, "Dec": moved.dec.deg, "z": rng.uniform(0, 1, count)}).to_parquet(path)
    return path


def hats_crossmatch(base: Path, files: list[Path], count: int, folder: Path) -> None:
    """`count` labels cross-matched against the catalog by astromlp (lsdb) and by astropy, fresh process each."""
    labels, found = _labels(files, count, folder), {}
    for kind in ("lsdb", "astropy"):
        out = folder / f"match_{kind}.npy"
        done = subprocess.run([sys.executable, "-c", MATCH_CHILD, kind, str(base), str(labels), str(out)],
                              check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        found[kind] = np.load(out)
        warm = f" (+ {result['warm_up']:.1f} s first-use Numba compile, 100 labels)" if kind == "lsdb" else ""
        print(f"[load {os.getloadavg()[0]:.1f}] cross-match {count:,} labels x {_catalog_rows(base):,} objects, "
              f"{kind:7s}: {result['seconds']:6.1f} s{warm}  peak above imports {result['peak_above_mib']:,.0f} MiB  "
              f"matched {result['matched']:,}", flush=True)
    assert np.array_equal(found["lsdb"], found["astropy"]), "lsdb and astropy matched different objects"
    print("    same matched objects, label by label", flush=True)


def _catalog_rows(base: Path) -> int:
    import hats

    return int(hats.read_hats(base).catalog_info.total_rows)


def hats_part(args, folder: Path) -> None:
    model = train_model(folder)
    for size in sorted(set(args.hats_sizes) | ({args.match_catalog} if args.match_labels else set())):
        start = time.perf_counter()
        base, files = make_hats.build(folder, f"hats_{size}", size, seed=size % 997)
        print(f"built a HATS catalog of {size:,} rows (order {make_hats.pixel_order(size)}) and the same rows as "
              f"{len(files)} Parquet files in {time.perf_counter() - start:.0f} s", flush=True)
        if size in args.hats_sizes:
            hats_predict(model, size, base, files, folder)
        if args.match_labels and size == args.match_catalog:
            hats_crossmatch(base, files, args.match_labels, folder)
        shutil.rmtree(base)
        shutil.rmtree(files[0].parent)


def train_part(args) -> None:
    results = [measure_training(rows, args.epochs) for rows in args.train_sizes]
    for r in results:
        epochs = ", ".join(f"{t:.2f}" for t in r["epochs"])
        print(f"[load {r['load']:.1f}] train {r['rows']:>10,} rows: {r['per_epoch']:6.2f} s/epoch  "
              f"{r['per_epoch'] / r['rows'] * 1e6:5.2f} s per epoch per M rows  (epochs: {epochs} s)  "
              f"arrays {r['arrays_mib']:,.0f} MiB, peak above them {r['peak_above_arrays_mib']:,.0f} MiB")
    first, last = results[0], results[-1]
    ratio = (last["per_epoch"] / last["rows"]) / (first["per_epoch"] / first["rows"])
    print(f"time per epoch per row, {last['rows']:,} vs {first['rows']:,} rows: {ratio:.2f} (linear: 1.00)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--predict-sizes", type=int, nargs="*", default=[2_000_000, 5_000_000, 20_000_000])
    parser.add_argument("--train-sizes", type=int, nargs="*", default=[1_000_000, 2_000_000, 5_000_000])
    parser.add_argument("--epochs", type=int, default=6, help="training epochs timed per size")
    parser.add_argument("--hats-sizes", type=int, nargs="*", default=[2_000_000, 5_000_000, 20_000_000],
                        help="rows of the generated HATS catalogs predicted (against the same rows as Parquet)")
    parser.add_argument("--match-labels", type=int, default=100_000, help="labels cross-matched (0: none)")
    parser.add_argument("--match-catalog", type=int, default=5_000_000, help="rows of the catalog they match")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build files (default: temporary)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        if args.predict_sizes:
            predict_part(args, Path(folder))
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        if args.hats_sizes or args.match_labels:
            hats_part(args, Path(folder))
    if args.train_sizes:
        train_part(args)


if __name__ == "__main__":
    main()
