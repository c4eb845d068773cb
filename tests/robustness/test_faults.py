"""Faults: `astromlp run` killed with SIGKILL at random points and resumed, a Dask worker killed while
predicting, and the output disk filling up or turning read-only in the middle of writing.

The command-line processes are forked from a server that has already imported astromlp (multiprocessing's
forkserver), so each costs a fork instead of seconds of imports; what runs in them is `astromlp ...` itself.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from tests.robustness.conftest import SDSS, file_hash

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["astromlp.pipeline.cli", "astromlp.pipeline.runner", "astromlp.pipeline.predict",
                                "astromlp.reports", "sklearn.linear_model", "matplotlib.pyplot"])
STAGES = ("ingest", "prepare", "train", "evaluate")  # in order: a kill in each leaves the stages before it finished


def _astromlp(args: list[str], stderr: str, file_size_limit: int | None = None) -> None:
    """Child process body: `astromlp ARGS` with stderr to a file, optionally under RLIMIT_FSIZE."""
    descriptor = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(descriptor, 2)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    if file_size_limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    from astromlp.pipeline.cli import main

    main([str(a) for a in args], prog_name="astromlp")


def start(args: list, stderr: Path, **limits) -> multiprocessing.Process:
    process = CONTEXT.Process(target=_astromlp, args=([str(a) for a in args], str(stderr)), kwargs=limits)
    process.start()
    return process


def finish(args: list, stderr: Path, timeout: float = 120, **limits) -> int:
    process = start(args, stderr, **limits)
    process.join(timeout)
    assert process.exitcode is not None, f"astromlp {args} did not finish in {timeout} s"
    return process.exitcode


def _log(run_dir: Path) -> str:
    try:
        return (run_dir / "log.txt").read_text()
    except FileNotFoundError:
        return ""


def _running_stage(log: str) -> str | None:
    """The stage that had started but not finished when the log stopped."""
    started = [line.split()[2].rstrip(":") for line in log.splitlines() if line.endswith(": started")]
    finished = {line.split()[2].rstrip(":") for line in log.splitlines() if ": finished" in line}
    return next((stage for stage in reversed(started) if stage not in finished), None)


def _stage_seconds(run_dir: Path) -> dict[str, float]:
    """How long each stage took, from lines such as 'train: finished in 1.54 s (key ...)'."""
    return {line.split()[2].rstrip(":"): float(line.split()[5]) for line in _log(run_dir).splitlines()
            if ": finished in " in line}


def _kill_during(stage: str, window: float, run_dir: Path, process, rng: random.Random) -> str | None:
    """SIGKILL `process` a random moment in the first `window` seconds of `stage`; the stage it was in, or
    None if it had finished."""
    deadline = time.monotonic() + 60
    while process.is_alive() and f"{stage}: started" not in _log(run_dir) and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(rng.uniform(0, window))
    if not process.is_alive():
        return None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    return _running_stage(_log(run_dir))


def _manifest(run_dir: Path) -> dict:
    """The finished stages by name."""
    path = run_dir / "manifest.json"
    return json.loads(path.read_text())["stages"] if path.exists() else {}


def _same_results(run_dir: Path, reference: Path) -> None:
    ours, theirs = (json.loads((d / "metrics.json").read_text()) for d in (run_dir, reference))
    assert ours["results"] == theirs["results"]
    pd.testing.assert_frame_equal(pd.read_parquet(run_dir / "predictions.parquet"),
                                  pd.read_parquet(reference / "predictions.parquet"), check_exact=True)


@pytest.mark.slow
def test_run_killed_in_each_stage_resumes_to_the_same_result(config, reference, tmp_path):
    """One SIGKILL at a random moment inside each stage: every set of finished stages a kill can leave ({},
    {ingest}, {ingest, prepare}, all but evaluate), each resumed to the uninterrupted run's result."""
    rng, durations = random.Random(2024), _stage_seconds(reference)
    hit, attempts = [], []
    for stage in STAGES:
        for attempt in range(3):  # a kill that came after the stage had finished is tried again, sooner
            out = tmp_path / f"{stage}{attempt}"
            args = ["run", config, "--out", out, "--scheduler", "synchronous", "--quiet"]
            window = durations[stage] / 2 ** (attempt + 1)  # the stage can run faster than in the reference run
            killed_in = _kill_during(stage, window, out, start(args, tmp_path / "killed.err"), rng)
            finished = set(_manifest(out))
            assert finish([*args, "--resume"], tmp_path / "resume.err") == 0, (tmp_path / "resume.err").read_text()
            reused = {line.split()[2].rstrip(":") for line in _log(out).splitlines() if ": reused" in line}
            assert reused == finished, (killed_in, finished, reused)
            _same_results(out, reference)
            if killed_in == stage:
                assert finished == set(STAGES[:STAGES.index(stage)]), (stage, finished)
                break
        hit.append(killed_in)
        attempts.append(attempt + 1)
    print(f"killed during: {hit}, attempts per stage: {attempts}")
    assert hit == list(STAGES), hit


# ---- a worker lost during prediction -------------------------------------------------------------------

@pytest.fixture(scope="module")
def many_files(tmp_path_factory) -> list[Path]:
    """Six Parquet catalogs of 10 000 SDSS rows each, so prediction runs as several tasks."""
    folder = tmp_path_factory.mktemp("many")
    sample = pd.read_csv(SDSS)
    paths = []
    for k in range(6):
        part = sample.sample(frac=1.0, random_state=k).reset_index(drop=True)
        part["objid"] = np.arange(k * 10_000, (k + 1) * 10_000)
        paths.append(folder / f"part{k}.parquet")
        part.to_parquet(paths[-1], index=False)
    return paths


def _kill_a_predicting_worker(client: Client, killed: list) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not killed:
        for worker, keys in client.processing().items():
            if any("predict" in str(key) for key in keys):
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed.append(worker)
                return
        time.sleep(0.005)


@pytest.mark.slow
def test_worker_killed_while_predicting_gives_the_same_output(tiny_model, many_files, tmp_path):
    from astromlp.pipeline.predict import predict_catalogs
    from astromlp.pipeline.schedulers import executor

    with executor("synchronous"):
        predict_catalogs(tiny_model, list(map(str, many_files)), tmp_path / "reference.parquet")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        killed: list = []
        killer = threading.Thread(target=_kill_a_predicting_worker, args=(client, killed))
        killer.start()
        with executor(cluster.scheduler_address):
            rows = predict_catalogs(tiny_model, list(map(str, many_files)), tmp_path / "cluster.parquet")
        killer.join()
    assert killed, "no prediction task was seen running"
    assert rows == 60_000
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cluster.parquet"),
                                  pd.read_parquet(tmp_path / "reference.parquet"), check_exact=True)


# ---- the output side fails in the middle of writing ---------------------------------------------------

def _one_line(stderr: Path, *fragments: str) -> str:
    lines = stderr.read_text().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("astromlp: error: cannot write"), lines
    assert all(fragment in lines[0] for fragment in fragments), lines[0]
    return lines[0]


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


def test_file_size_limit_mid_write_keeps_the_previous_output(tiny_model, tmp_path):
    out = tmp_path / "predictions.fits"
    small = tmp_path / "small.csv"
    pd.read_csv(SDSS, nrows=50).to_csv(small, index=False)
    assert finish(["predict", tiny_model, small, "-o", out], tmp_path / "first.err") == 0
    previous = file_hash(out)
    code = finish(["predict", tiny_model, SDSS, "-o", out], tmp_path / "full.err", file_size_limit=200_000)
    assert code == 2
    _one_line(tmp_path / "full.err", str(out), "File too large", "previous predictions.fits is unchanged")
    assert file_hash(out) == previous and _leftovers(tmp_path) == []


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    """A 300 KiB tmpfs (root only), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or not _mount("-t", "tmpfs", "-o", "size=300k", "tmpfs",
                                                                      str(disk)):
        pytest.skip("mounting a small tmpfs needs root")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_mid_write_keeps_the_previous_output(tiny_model, tiny_disk, tmp_path):
    out = tiny_disk / "predictions.parquet"
    small = tmp_path / "small.csv"
    pd.read_csv(SDSS, nrows=50).to_csv(small, index=False)
    assert finish(["predict", tiny_model, small, "-o", out], tmp_path / "first.err") == 0
    previous = file_hash(out)
    assert finish(["predict", tiny_model, SDSS, "-o", out], tmp_path / "full.err") == 2
    _one_line(tmp_path / "full.err", str(out), "No space left on device")
    assert file_hash(out) == previous and _leftovers(tiny_disk) == []


def _make_read_only(folder: Path) -> None:
    """Root: remount a bind mount of `folder` read-only (retried while a file is open for writing);
    others: remove write permission."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    for _ in range(2000):
        if _mount("-o", "remount,ro,bind", str(folder)):
            return
        time.sleep(0.001)
    raise AssertionError(f"could not remount {folder} read-only")


def test_run_directory_turning_read_only_mid_run_keeps_the_previous_report(config, reference, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    if os.geteuid() == 0 and not _mount("--bind", str(run_dir), str(run_dir)):
        pytest.skip("bind mounts are not available")
    try:
        before = {name: file_hash(run_dir / name) for name in ("report.html", "metrics.json", "model.zip")}
        args = ["run", config, "--out", run_dir, "--scheduler", "synchronous", "--force"]
        earlier = len(_log(run_dir))  # the copied log already says "train: started" once
        process = start(args, tmp_path / "ro.err")
        deadline = time.monotonic() + 60
        while "train: started" not in _log(run_dir)[earlier:] and process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        _make_read_only(run_dir)
        process.join(120)
        assert process.exitcode == 2
        _one_line(tmp_path / "ro.err", f"into the run directory {run_dir}", "--resume")
        assert {name: file_hash(run_dir / name) for name in before} == before
        assert _leftovers(run_dir) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(run_dir)], check=False)
        else:
            run_dir.chmod(0o755)
