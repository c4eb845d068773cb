"""The run directory: every stage's artifacts, written atomically, and a manifest of content hashes.

A stage's key is a hash of its config sections and of its inputs' content (upstream outputs, catalog
files); a finished stage whose key is unchanged and whose outputs still hash as recorded is reused.
Timestamps play no part, so copying a run directory keeps it resumable.

A folder is a run directory only if it holds our manifest: a run never writes into, nor deletes from, a
non-empty folder without one. Only files a manifest lists are ever removed (stale outputs of a stage about
to be recomputed, and everything after it), and the manifest says `complete: false` from the moment a run
takes the directory until its last stage finishes, so files of two runs are never presented as one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from astromlp.errors import AstromlpError
from astromlp.files import is_temporary, write_json
from astromlp.pipeline.rundir_lock import LOCK, locked
from astromlp.pipeline.rundir_manifest import MANIFEST, read_manifest

LOG = "log.txt"
__all__ = ["LOCK", "LOG", "MANIFEST", "RunDirectory", "content_key", "finished_run", "read_json", "sha256_file"]


def sha256_file(path: Path) -> str:
    """The content hash of a file, or of a directory (a HATS catalog): its files' names and contents in
    sorted order."""
    digest = hashlib.sha256()
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if file != path:
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def content_key(payload: Any) -> str:
    """A hash of a JSON-able value, independent of dict order."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class RunDirectory:
    """One run's folder: artifacts by file name, the manifest of finished stages and a plain-text log."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path):  # a unique name: concurrent probes never collide
                pass
        except OSError as exc:
            raise AstromlpError(f"output directory {self.path} is not writable ({exc.strerror}); "
                                "choose another with --out or [run] out") from None

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def _read(self, force: bool = False) -> dict:
        return read_manifest(self.path, force=force)

    @property
    def manifest(self) -> dict[str, dict]:
        """The finished stages, by name."""
        return self._read()["stages"]

    @staticmethod
    def is_foreign(path: Path) -> bool:
        """A non-empty folder without our manifest holds someone else's files: never ours to write."""
        path = Path(path)
        if not path.is_dir() or (path / MANIFEST).exists():
            return False
        return any(entry.name != LOCK for entry in os.scandir(path))

    @staticmethod
    def refuse_foreign(path: Path) -> None:
        if RunDirectory.is_foreign(path):
            raise AstromlpError(f"{path} is not empty and holds no astromlp run (no {MANIFEST}); a run never "
                                "writes into a folder it did not create: choose another --out or [run] out, "
                                "or an empty folder")

    @contextmanager
    def claimed(self, *, resume: bool = False, force: bool = False) -> Iterator[RunDirectory]:
        """Take the directory for one run: refuse a foreign folder, lock it, check (or with `force` replace) a
        damaged manifest, sweep a killed run's temporaries and mark the run incomplete until `finish`."""
        self.refuse_foreign(self.path)
        with locked(self.path):
            self.refuse_foreign(self.path)  # another process may have changed it before we held the lock
            manifest = self._read(force=force)
            if manifest["stages"] and not (resume or force):
                raise AstromlpError(f"run directory {self.path} already holds a run; pass --resume to reuse its "
                                    "finished stages or --force to recompute them")
            self.sweep_temporaries()
            write_json(self.path / MANIFEST, {**manifest, "complete": False})
            yield self

    def sweep_temporaries(self) -> list[Path]:
        """Remove what killed writers left behind (names from `astromlp.files.temporary_name`)."""
        swept = []
        for folder, _, names in os.walk(self.path):
            for name in filter(is_temporary, names):
                path = Path(folder) / name
                path.unlink(missing_ok=True)
                swept.append(path)
        return swept

    def stage_key(self, stage: str, inputs: dict[str, Any]) -> str:
        """The identity of a stage's work: its name, the package version, its config and input hashes."""
        return content_key({"stage": stage, "astromlp": version("astromlp"), **inputs})

    def reusable(self, stage: str, key: str) -> dict | None:
        """The manifest entry of `stage` if it finished with this key and its outputs are intact."""
        entry = self.manifest.get(stage)
        if not entry or entry["key"] != key:
            return None
        for name, digest in entry["outputs"].items():
            path = self.path / name
            if not path.is_file() or sha256_file(path) != digest:
                return None
        return entry

    def invalidate(self, keep: list[str]) -> list[str]:
        """Delete the outputs of every finished stage not in `keep` and forget those stages: called before a
        stage recomputes, so its stale downstream files never sit beside its new ones. Returns the stages.
        The stages are forgotten before their files go, with the files listed under "deleting" until they are
        gone (and deleted here on the next call if a kill came first): a killed run's manifest never records a
        missing file, and no stale file is left unrecorded."""
        manifest = self._read()
        stale = [stage for stage in manifest["stages"] if stage not in keep]
        doomed = [*manifest.get("deleting", []),
                  *(name for stage in stale for name in manifest["stages"][stage]["outputs"])]
        if not doomed and not stale:
            return stale
        kept = {key: value for key, value in manifest.items() if key != "deleting"}
        kept.update(stages={stage: entry for stage, entry in manifest["stages"].items() if stage in keep},
                    complete=False)
        write_json(self.path / MANIFEST, {**kept, "deleting": doomed})
        for name in doomed:
            path = self.path / name
            if path.is_file() or path.is_symlink():  # an edited manifest may name a folder: left alone
                path.unlink()
        write_json(self.path / MANIFEST, kept)
        return stale

    def record(self, stage: str, key: str, outputs: list[str], seconds: float) -> dict:
        """Mark `stage` finished: hash its outputs into the manifest (the last write of the stage)."""
        entry = {"key": key, "outputs": {name: sha256_file(self.path / name) for name in outputs},
                 "seconds": round(seconds, 3)}
        manifest = self._read()
        manifest["stages"][stage] = entry
        write_json(self.path / MANIFEST, {**manifest, "complete": False})
        return entry

    def finish(self) -> None:
        """Mark the run complete: every stage finished and its files belong to this one run."""
        write_json(self.path / MANIFEST, {**self._read(), "complete": True})

    def log(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(self.path / LOG, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")



@contextmanager
def finished_run(path: Path) -> Iterator[None]:
    """Hold a run directory's lock while a command rewrites files of its finished run; refuse an incomplete
    run (its files may not all belong to one run). A folder without a manifest is not checked."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        yield
        return
    with locked(path):
        if not read_manifest(path)["complete"]:
            raise AstromlpError(f"run directory {path} holds an incomplete run (it stopped before its last stage); "
                                "finish it first with `astromlp run CONFIG --resume`")
        yield
