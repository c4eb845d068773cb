"""The run directory: every stage's artifacts, written atomically, and a manifest of content hashes.

A stage's key is a hash of its config sections and of its inputs' content (upstream outputs, catalog
files); a finished stage whose key is unchanged and whose outputs still hash as recorded is reused.
Timestamps play no part, so copying a run directory keeps it resumable.
"""

from __future__ import annotations

import hashlib
import json
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from astromlp.errors import AstromlpError
from astromlp.files import write_bytes, write_json

MANIFEST = "manifest.json"
LOG = "log.txt"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
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
            write_bytes(self.path / ".write-probe", b"ok")
            (self.path / ".write-probe").unlink()
        except OSError as exc:
            raise AstromlpError(f"output directory {self.path} is not writable ({exc.strerror}); "
                                "choose another with --out or [run] out") from None

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def manifest(self) -> dict[str, dict]:
        path = self.path / MANIFEST
        return read_json(path) if path.exists() else {}

    def holds_a_run(self) -> bool:
        return bool(self.manifest)

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
            if not path.exists() or sha256_file(path) != digest:
                return None
        return entry

    def record(self, stage: str, key: str, outputs: list[str], seconds: float) -> dict:
        """Mark `stage` finished: hash its outputs into the manifest (the last write of the stage)."""
        entry = {"key": key, "outputs": {name: sha256_file(self.path / name) for name in outputs},
                 "seconds": round(seconds, 3)}
        manifest = self.manifest
        manifest[stage] = entry
        write_json(self.path / MANIFEST, manifest)
        return entry

    def log(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(self.path / LOG, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")
