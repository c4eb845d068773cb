"""The run directory's manifest, read as untrusted input: what a run finished, and whether it is complete.

{"astromlp_run": 1, "complete": bool, "stages": {stage: {"key", "outputs": {file name: sha256}, "seconds"}},
 "deleting": [file name] (only while forgotten stages' files are deleted)}
Output names are checked to stay inside the run directory, since invalidating a stage deletes them.
"""

from __future__ import annotations

import json
import re
from numbers import Real
from pathlib import Path, PurePosixPath

from astromlp.errors import AstromlpError
from astromlp.pipeline.rundir_lock import LOCK

MANIFEST = "manifest.json"
FORMAT = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


def empty_manifest() -> dict:
    return {"astromlp_run": FORMAT, "complete": False, "stages": {}}


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return f"output name {name!r} is not a file name"
    parts = PurePosixPath(name).parts
    if PurePosixPath(name).is_absolute() or ".." in parts or "\\" in name or parts[-1] in (MANIFEST, LOCK):
        return f"output {name!r} is not a file inside the run directory"
    return None


def _entry_problem(entry: object) -> str | None:
    """What is wrong with one stage's record, or None."""
    if not isinstance(entry, dict):
        return f"the record is a {type(entry).__name__}, not an object"
    checks = (("key", str), ("outputs", dict), ("seconds", Real))
    for field, kind in checks:
        if not isinstance(entry.get(field), kind) or isinstance(entry.get(field), bool):
            return f"{field!r} is {entry.get(field)!r}, expected a {kind.__name__}"
    for name, digest in entry["outputs"].items():
        problem = _name_problem(name)
        if problem or not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
            return problem or f"the hash of {name!r} is not a SHA-256 hex digest"
    return None


def manifest_problem(manifest: object) -> str | None:
    """Why `manifest` is not one this version writes, or None."""
    if not isinstance(manifest, dict):
        return f"it holds a JSON {type(manifest).__name__}, not an object"
    if manifest.get("astromlp_run") != FORMAT:
        return f"'astromlp_run' is {manifest.get('astromlp_run')!r}, not {FORMAT}"
    if not isinstance(manifest.get("complete"), bool):
        return f"'complete' is {manifest.get('complete')!r}, not true or false"
    if not isinstance(manifest.get("stages"), dict):
        return f"'stages' is {manifest.get('stages')!r}, not an object"
    for stage, entry in manifest["stages"].items():
        if problem := _entry_problem(entry):
            return f"stage {stage!r}: {problem}"
    deleting = manifest.get("deleting", [])
    if not isinstance(deleting, list):
        return f"'deleting' is {deleting!r}, not a list of file names"
    return next(filter(None, map(_name_problem, deleting)), None)


def read_manifest(folder: Path, *, force: bool = False) -> dict:
    """`folder`'s manifest (an empty one if absent); a damaged one is one AstromlpError line, or with `force`
    an empty manifest, so the run starts over."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return empty_manifest()
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
        problem = manifest_problem(manifest)
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, or nested too deep
        problem = f"it is not valid JSON ({str(exc)[:80] or type(exc).__name__})"
    if problem is None:
        return manifest
    if force:
        return empty_manifest()
    raise AstromlpError(f"run directory {folder} has a damaged {MANIFEST}: {problem}; pass --force to start the "
                        "run over in it (its stages are recomputed), or choose another --out")
