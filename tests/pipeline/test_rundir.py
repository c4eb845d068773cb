"""The run directory reuses a stage only when its key matches and its outputs still hash as recorded."""

import os

import pytest

from astromlp.errors import AstromlpError
from astromlp.files import write_json, write_with
from astromlp.pipeline.rundir import RunDirectory


def test_finished_stage_is_reusable_until_key_or_output_changes(tmp_path):
    run = RunDirectory(tmp_path / "run")
    key = run.stage_key("prepare", {"split": {"test": 0.2}})
    write_json(run / "a.json", {"x": 1})
    run.record("prepare", key, ["a.json"], 1.0)
    assert run.reusable("prepare", key) is not None
    assert run.reusable("prepare", run.stage_key("prepare", {"split": {"test": 0.3}})) is None
    (run / "a.json").write_text('{"x": 2}')
    assert run.reusable("prepare", key) is None


def test_missing_output_invalidates_the_stage(tmp_path):
    run = RunDirectory(tmp_path)
    write_json(run / "a.json", [1])
    run.record("train", "k", ["a.json"], 0.0)
    os.remove(run / "a.json")
    assert run.reusable("train", "k") is None


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    def fail(path):
        path.write_bytes(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_with(tmp_path / "out.bin", fail)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_directory_is_a_user_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    with pytest.raises(AstromlpError, match="not writable"):
        RunDirectory(locked / "run")


def test_directory_below_a_file_is_a_user_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(AstromlpError, match="not writable"):
        RunDirectory(tmp_path / "file" / "run")
