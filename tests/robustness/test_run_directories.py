"""A run never destroys what it did not create, and never presents files of two runs as one.

Table 1: what a run directory holds before `astromlp run` (the user's files, a damaged manifest, a lock held
by a live or a killed process, a killed run's temporaries) -> refused in one line with everything untouched,
or run to the end. Table 2: `astromlp demo --out` over the user's files. Table 3: `--resume` with a changed
[model], killed with SIGKILL at each stage boundary: the directory says it is incomplete and never holds the
new model beside the old report; the next `--resume` gives what a fresh run gives.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from astromlp.files import temporary_name
from astromlp.pipeline.cli import main
from tests.robustness.conftest import RUN_KIND, file_hash, tiny_config
from tests.robustness.test_faults import _log, _same_results, finish, start

HOLD_LOCK = """
import sys, time
from astromlp.pipeline.rundir_lock import locked
with locked(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(600)
"""


def _invoke(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stderr


def _one_line(code: int, stderr: str, expected: str) -> None:
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("astromlp: error:"), (code, stderr)
    assert expected in lines[0], lines[0]


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): file_hash(p) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def holder(tmp_path):
    """Start a process that holds a folder's run lock: holder(folder) -> Popen; killed afterwards."""
    processes = []

    def hold(folder: Path) -> subprocess.Popen:
        folder.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)], stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout.readline().strip() == "locked"
        return process

    hold.processes = processes
    yield hold
    for process in processes:
        process.kill()
        process.wait()


def _user_files(names: list[str]) -> Callable:
    def setup(out: Path, reference: Path, holder) -> None:
        out.mkdir()
        for name in names:
            (out / name).write_text(f"the user's own {name}\n")
    return setup


def _manifest(text: bytes) -> Callable:
    def setup(out: Path, reference: Path, holder) -> None:
        shutil.copytree(reference, out)
        (out / "manifest.json").write_bytes(text)
    return setup


def _edited_manifest(edit: Callable[[dict], object]) -> Callable:
    def setup(out: Path, reference: Path, holder) -> None:
        shutil.copytree(reference, out)
        manifest = json.loads((out / "manifest.json").read_text())
        (out / "manifest.json").write_text(json.dumps(edit(manifest)))
    return setup


def _escaping_output(manifest: dict) -> dict:
    manifest["stages"]["evaluate"]["outputs"]["../victim.txt"] = "0" * 64
    return manifest


def _copy(out: Path, reference: Path, holder) -> None:
    shutil.copytree(reference, out)


def _empty(out: Path, reference: Path, holder) -> None:
    out.mkdir()


def _lock_file_only(out: Path, reference: Path, holder) -> None:
    out.mkdir()
    (out / "astromlp.lock").write_text("12345\n")


def _locked(out: Path, reference: Path, holder) -> None:
    shutil.copytree(reference, out)
    holder(out)


def _locked_by_a_killed_process(out: Path, reference: Path, holder) -> None:
    shutil.copytree(reference, out)
    process = holder(out)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _temporaries(out: Path, reference: Path, holder) -> None:
    shutil.copytree(reference, out)
    for name in ("model.zip", "prepared/X_train.npy", "report.html"):
        temporary_name(out / name).write_bytes(b"half of a killed write")


FOREIGN = "holds no astromlp run (no manifest.json)"
DAMAGED = "has a damaged manifest.json"
# case -> (set-up, flags, the one-line error expected, or None when the run must succeed)
CASES = {
    "user's config.json": (_user_files(["config.json"]), [], FOREIGN),
    "user's report.html, --force": (_user_files(["report.html"]), ["--force"], FOREIGN),
    "user's notes, --resume": (_user_files(["notes.txt"]), ["--resume"], FOREIGN),
    "user's hidden file": (_user_files([".keep"]), [], FOREIGN),
    "empty folder": (_empty, [], None),
    "only a lock file left": (_lock_file_only, [], None),
    "finished run, no flag": (_copy, [], "already holds a run; pass --resume"),
    "finished run, --resume": (_copy, ["--resume"], None),
    "empty manifest": (_manifest(b""), [], DAMAGED),
    "empty manifest, --resume": (_manifest(b""), ["--resume"], DAMAGED),
    "empty manifest, --force": (_manifest(b""), ["--force"], None),
    "truncated manifest": (_manifest(b'{"astromlp_run": 1, "complete": true, "stages": {"ingest": {"k'), [], DAMAGED),
    "truncated manifest, --force": (_manifest(b'{"astromlp_run": 1, "stag'), ["--force"], None),
    "manifest is a list": (_manifest(b"[]"), [], "holds a JSON list, not an object"),
    "manifest is a list, --force": (_manifest(b"[]"), ["--force"], None),
    "manifest not UTF-8": (_manifest(b"\xff\xfe{}"), [], DAMAGED),
    "manifest nested 100000 deep, --force": (_manifest(b"[" * 100_000), ["--force"], None),
    "stages of an older layout": (_edited_manifest(lambda m: m["stages"]), [], "'astromlp_run' is None"),
    "stage record is text": (_edited_manifest(lambda m: {**m, "stages": {"ingest": "done"}}), [], "stage 'ingest'"),
    "complete is a string": (_edited_manifest(lambda m: {**m, "complete": "yes"}), [], "'complete' is 'yes'"),
    "output outside the run directory": (_edited_manifest(_escaping_output), [], "not a file inside the run"),
    "output outside the run directory, --force": (_edited_manifest(_escaping_output), ["--force"], None),
    "locked by a running process": (_locked, ["--resume"], "is in use by another astromlp process (pid "),
    "locked by a killed process": (_locked_by_a_killed_process, ["--resume"], None),
    "temporaries of a killed run": (_temporaries, ["--resume"], None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_run_directory_table(case, config, reference, holder, tmp_path):
    setup, flags, expected = CASES[case]
    out = tmp_path / "out"
    victim = tmp_path / "victim.txt"
    victim.write_text("outside the run directory\n")
    setup(out, reference, holder)
    before = _snapshot(out)
    code, stderr = _invoke("run", config, "--out", out, "--scheduler", "synchronous", "--quiet", *flags)
    assert victim.read_text() == "outside the run directory\n"
    if expected is not None:
        _one_line(code, stderr, expected)
        assert _snapshot(out) == before, "a refused run changed the folder"
        if "pid" in expected:
            assert f"(pid {holder.processes[-1].pid})" in stderr
        return
    assert code == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and set(manifest["stages"]) == {"ingest", "prepare", "train", "evaluate"}
    assert not [p for p in out.rglob("*") if ".partial" in p.name], "temporaries left behind"
    _same_results(out, reference)


# ---- table 2: `astromlp demo --out` over the user's files -------------------------------------------------

def _symlink_to_user_file(out: Path) -> None:
    (out.parent / "mine.toml").write_text("# the user's own config\n")
    (out / "classification.toml").symlink_to(out.parent / "mine.toml")


DEMO_CASES = {
    "user's classification.toml": lambda out: (out / "classification.toml").write_text("# mine\n"),
    "user's photoz.toml": lambda out: (out / "photoz.toml").write_text("# mine\n"),
    "classification.toml links to the user's file": _symlink_to_user_file,
    "classification.toml is a folder": lambda out: (out / "classification.toml").mkdir(),
    "user's folder where a run goes": lambda out: _user_files(["a.txt"])(out / "photoz", None, None),
}


@pytest.mark.parametrize("case", list(DEMO_CASES))
def test_demo_never_overwrites_the_users_files(case, tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    DEMO_CASES[case](out)
    before = _snapshot(tmp_path)
    code, stderr = _invoke("demo", "--out", out, "--scheduler", "synchronous", "--quiet")
    _one_line(code, stderr, "choose another --out")
    assert _snapshot(tmp_path) == before, "the refused demo changed a file"
    assert not (out / "classification" / "manifest.json").exists(), "the demo trained before refusing"


# ---- table 3: --resume with a changed [model], killed at each stage boundary ---------------------------------

# (line in the log after which to kill, fraction of the stage's duration to wait after it)
# (nothing happens between "train: finished" and "evaluate: started": the two are one state, killed once)
KILL_POINTS = [("ingest: reused", 0.0), ("train: removed the stale outputs", 0.0), ("train: started", 0.5),
               ("train: finished", 0.0), ("evaluate: started", 0.5)]
TRAIN_AND_EVALUATE = ("train", "evaluate")


@pytest.fixture(scope="module")
def changed(config, tiny_catalog) -> tuple[Path, Path]:
    """A config differing from `config` in [model] only, and its fresh run (the reference for resumes)."""
    path = config.parent / "changed.toml"
    path.write_text(tiny_config(tiny_catalog, model="learning_rate = 0.02", **RUN_KIND))
    out = config.parent / "changed_reference"
    assert finish(["run", path, "--out", out, "--scheduler", "synchronous", "--quiet"], out.with_suffix(".err")) == 0
    return path, out


def _stage_seconds(run_dir: Path) -> dict[str, float]:
    return {stage: entry["seconds"] for stage, entry in _manifest(run_dir)["stages"].items()}


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def _kill_after(line: str, wait: float, run_dir: Path, args: list, stderr: Path) -> bool:
    """Start `astromlp ARGS` and SIGKILL it `wait` seconds after `line` appears in the log (past what the copy
    held); whether it was still running."""
    earlier, deadline = len(_log(run_dir)), time.monotonic() + 60
    process = start(args, stderr)
    while process.is_alive() and line not in _log(run_dir)[earlier:] and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(wait)
    if not process.is_alive():
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    return True


def _check_one_run(run_dir: Path, old: dict[str, dict]) -> None:
    """What a killed directory may hold: recorded files intact, marked incomplete, and no file of the old
    run's train or evaluate beside the new model."""
    manifest = _manifest(run_dir)
    assert manifest["complete"] is False
    for entry in manifest["stages"].values():
        for name, digest in entry["outputs"].items():
            assert file_hash(run_dir / name) == digest, name
    old_files = {name: digest for stage in TRAIN_AND_EVALUATE for name, digest in old[stage]["outputs"].items()
                 if (run_dir / name).exists() and file_hash(run_dir / name) == digest}
    if (run_dir / "model.zip").exists() and "model.zip" not in old_files:  # the new model is there
        assert not old_files, f"old files beside the new model: {sorted(old_files)}"
    _one_line(*_invoke("report", run_dir), "holds an incomplete run")


@pytest.mark.slow
def test_resume_with_a_changed_model_killed_at_each_stage_boundary(reference, changed, tmp_path):
    changed_config, changed_reference = changed
    seconds, old = _stage_seconds(changed_reference), _manifest(reference)["stages"]
    killed = []
    for k, (line, fraction) in enumerate(KILL_POINTS):
        out = tmp_path / f"run{k}"
        shutil.copytree(reference, out)
        args = ["run", changed_config, "--out", out, "--scheduler", "synchronous", "--quiet", "--resume"]
        stage = line.split(":")[0]
        if _kill_after(line, fraction * seconds.get(stage, 0.0), out, args, tmp_path / "killed.err"):
            killed.append(line)
            _check_one_run(out, old)
        assert finish(args, tmp_path / "resume.err") == 0, (tmp_path / "resume.err").read_text()
        assert _manifest(out)["complete"] is True
        _same_results(out, changed_reference)
    print(f"killed after: {killed}")
    assert len(killed) >= len(KILL_POINTS) - 1, killed
