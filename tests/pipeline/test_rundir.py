"""The run directory reuses a stage only when its key matches and its outputs still hash as recorded."""

import os

import pytest

from astromlp.errors import AstromlpError
from astromlp.files import temporary_name, write_json, write_with
from astromlp.pipeline.rundir import RunDirectory, finished_run
from astromlp.pipeline.rundir_lock import locked
from astromlp.pipeline.rundir_manifest import empty_manifest, read_manifest


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


def _finished_run(path, outputs=("a.json",)) -> RunDirectory:
    run = RunDirectory(path)
    with run.claimed():
        for name in outputs:
            write_json(run / name, {"name": name})
        run.record("ingest", "k1", list(outputs[:1]), 0.5)
        run.record("train", "k2", list(outputs[1:]), 0.5)
        run.finish()
    return run


def test_invalidate_removes_only_the_listed_outputs_of_unsettled_stages(tmp_path):
    run = _finished_run(tmp_path / "run", ("a.json", "b.json"))
    (run / "notes.txt").write_text("the user's")
    assert run.invalidate(keep=["ingest"]) == ["train"]
    assert sorted(p.name for p in run.path.iterdir()) == ["a.json", "astromlp.lock", "manifest.json", "notes.txt"]
    manifest = read_manifest(run.path)
    assert list(manifest["stages"]) == ["ingest"] and manifest["complete"] is False


def test_invalidate_forgets_a_stale_stage_that_recorded_no_outputs(tmp_path):
    run = _finished_run(tmp_path / "run", ("a.json",))  # train records no outputs
    assert run.invalidate(keep=["ingest"]) == ["train"]
    manifest = read_manifest(run.path)
    assert list(manifest["stages"]) == ["ingest"] and manifest["complete"] is False


def test_a_kill_while_invalidating_never_leaves_a_recorded_file_missing(tmp_path, monkeypatch):
    """The stages are forgotten before their files go: a kill after the first deletion leaves a manifest whose
    recorded files are all intact, with the rest listed under "deleting", which the next invalidate finishes."""
    run = _finished_run(tmp_path / "run", ("a.json", "b.json", "c.json"))
    unlink = type(run.path).unlink
    calls = []

    def killed_after_one(path, *args, **kwargs):
        if path.name in ("b.json", "c.json"):  # the outputs; the atomic writer unlinks its temporaries too
            if calls:
                raise KeyboardInterrupt  # stands for the SIGKILL: nothing after this line runs
            calls.append(path.name)
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(type(run.path), "unlink", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        run.invalidate(keep=["ingest"])
    monkeypatch.undo()
    manifest = read_manifest(run.path)
    assert list(manifest["stages"]) == ["ingest"] and (run / "a.json").exists()
    assert manifest["deleting"] == ["b.json", "c.json"] and calls == ["b.json"] and (run / "c.json").exists()
    assert run.invalidate(keep=["ingest"]) == []
    assert not (run / "c.json").exists() and "deleting" not in read_manifest(run.path)


def test_invalidate_leaves_a_folder_that_an_edited_manifest_names(tmp_path):
    run = _finished_run(tmp_path / "run")
    (run / "prepared").mkdir()
    (run / "prepared" / "mine.txt").write_text("x")
    manifest = read_manifest(run.path)
    manifest["stages"]["train"]["outputs"]["prepared"] = "0" * 64
    write_json(run / "manifest.json", manifest)
    assert run.invalidate(keep=[]) == ["ingest", "train"]
    assert (run / "prepared" / "mine.txt").exists() and not (run / "a.json").exists()


def test_claim_marks_the_run_incomplete_until_finish(tmp_path):
    run = _finished_run(tmp_path / "run")
    assert read_manifest(run.path)["complete"] is True
    with run.claimed(resume=True):  # a run that stops before its last stage
        assert read_manifest(run.path)["complete"] is False
    with pytest.raises(AstromlpError, match="holds an incomplete run"), finished_run(run.path):
        pass
    with run.claimed(resume=True):
        run.finish()
    with finished_run(run.path):
        assert read_manifest(run.path)["complete"] is True


@pytest.mark.parametrize("text, reason", [
    (b"", "not valid JSON"),
    (b'{"astromlp_run": 1, "comp', "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[" * 50_000, "not valid JSON"),
    (b"3", "holds a JSON int, not an object"),
    (b'{"ingest": {"key": "k", "outputs": {}, "seconds": 1}}', "'astromlp_run' is None, not 1"),
    (b'{"astromlp_run": 1, "complete": 1, "stages": {}}', "'complete' is 1, not true or false"),
    (b'{"astromlp_run": 1, "complete": false, "stages": []}', "'stages' is [], not an object"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {"x": {"key": 1, "outputs": {}, "seconds": 1}}}',
     "stage 'x': 'key' is 1, expected a str"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {"x": {"key": "k", "outputs": {}, "seconds": true}}}',
     "'seconds' is True"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {"x": {"key": "k", "outputs": {"/etc/passwd": "'
     + b"0" * 64 + b'"}, "seconds": 1}}}', "'/etc/passwd' is not a file inside the run directory"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {"x": {"key": "k", "outputs": {"a/../../b": "'
     + b"0" * 64 + b'"}, "seconds": 1}}}', "'a/../../b' is not a file inside"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {"x": {"key": "k", "outputs": {"manifest.json": "'
     + b"0" * 64 + b'"}, "seconds": 1}}}', "'manifest.json' is not a file inside"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {"x": {"key": "k", "outputs": {"a": "beef"}, '
     b'"seconds": 1}}}', "the hash of 'a' is not a SHA-256"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {}, "deleting": ["../x"]}', "'../x' is not a file inside"),
    (b'{"astromlp_run": 1, "complete": false, "stages": {}, "deleting": "a"}', "'deleting' is 'a', not a list"),
])
def test_a_damaged_manifest_is_one_line_or_replaced_with_force(tmp_path, text, reason):
    (tmp_path / "manifest.json").write_bytes(text)
    with pytest.raises(AstromlpError, match="damaged manifest.json") as error:
        read_manifest(tmp_path)
    assert reason in str(error.value) and "--force" in str(error.value) and "\n" not in str(error.value)
    assert read_manifest(tmp_path, force=True) == empty_manifest()


def test_a_second_lock_names_the_holders_pid_and_a_released_one_is_free(tmp_path):
    with locked(tmp_path):
        with pytest.raises(AstromlpError, match=rf"in use by another astromlp process \(pid {os.getpid()}\)"):
            with locked(tmp_path):
                pass
    with locked(tmp_path):
        pass


def test_claim_sweeps_temporaries_and_nothing_else(tmp_path):
    run = _finished_run(tmp_path / "run")
    (run / "prepared").mkdir()
    names = [temporary_name(run / "model.zip"), temporary_name(run / "prepared" / "X_train.npy")]
    for path in names:
        path.write_bytes(b"half")
    (run / ".hidden_but_not_ours").write_text("x")
    with run.claimed(resume=True):
        pass
    assert not any(path.exists() for path in names) and (run / ".hidden_but_not_ours").exists()


@pytest.mark.parametrize("contents, foreign", [
    ([], False), (["astromlp.lock"], False), (["manifest.json"], False), (["config.json"], True),
    ([".DS_Store"], True), (["sub/"], True),
])
def test_a_folder_is_ours_only_with_our_manifest(tmp_path, contents, foreign):
    for name in contents:
        (tmp_path / name).mkdir() if name.endswith("/") else (tmp_path / name).write_text("{}")
    assert RunDirectory.is_foreign(tmp_path) is foreign
    if foreign:
        with pytest.raises(AstromlpError, match="holds no astromlp run"):
            RunDirectory.refuse_foreign(tmp_path)
