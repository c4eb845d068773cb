"""Turning what the user typed (a path, a glob, a list of both) into readable catalog files."""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from astromlp.errors import AstromlpError

_GLOB_CHARACTERS = set("*?[")
# st_mode file type -> what the user handed us instead of a file; opening most of them blocks or never ends
_NOT_REGULAR = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a character device",
                stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


HATS_PREFIX = "hats:"
HATS_FILES = ("hats.properties", "properties", "collection.properties")


def is_hats(path: Path) -> bool:
    """Whether `path` is a HATS catalog or collection directory (it holds a HATS properties file)."""
    return path.is_dir() and any((path / name).is_file() for name in HATS_FILES)


def _expand_one(item: str | os.PathLike) -> list[Path]:
    """An existing path is taken literally (a name may hold `[`); otherwise a glob, matches sorted.
    `hats:PATH` names a HATS catalog directory explicitly."""
    text = os.fspath(item)
    if text.startswith(HATS_PREFIX):
        path = Path(text[len(HATS_PREFIX):])
        if path.exists() and not is_hats(path):
            raise AstromlpError(f"{text!r} is not a HATS catalog: {str(path)!r} holds none of "
                                f"{', '.join(HATS_FILES)}; give the catalog's top directory")
        return [path]
    if _GLOB_CHARACTERS & set(text) and not os.path.lexists(text):
        matches = sorted(glob.glob(text))
        if not matches:
            raise AstromlpError(f"no files match {text!r}; check the pattern and the directory")
        return [Path(m) for m in matches]
    return [Path(text)]


def not_regular(path: Path) -> str | None:
    """What `path` is when it exists but is no regular file (a FIFO, device, socket, directory), else None;
    checked before opening, since opening a FIFO waits forever for a writer."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")


def check_readable(path: Path) -> None:
    """AstromlpError unless `path` is an existing, readable regular file."""
    if not path.exists():
        raise AstromlpError(f"catalog file {str(path)!r} does not exist; check the path")
    if is_hats(path):
        return
    if path.is_dir():
        raise AstromlpError(f"{str(path)!r} is a directory, not a catalog file; give the files inside it "
                            f"(e.g. {str(path / '*.fits')!r}), or a HATS catalog directory (it holds hats.properties)")
    kind = not_regular(path)
    if kind:
        raise AstromlpError(f"catalog {str(path)!r} is {kind}, not a file; save the catalog to a file and give "
                            "that")
    if not os.access(path, os.R_OK):
        raise AstromlpError(f"catalog file {str(path)!r} is not readable (permission denied); "
                            "fix its permissions with chmod")


def expand_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Every file named by `paths` (globs expanded in sorted order), each checked to be readable."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise AstromlpError("no catalog files given; name at least one file")
    files = [p for item in items for p in _expand_one(item)]
    for path in files:
        check_readable(path)
    return files
