"""The one atomic writer: readers see the old file or the complete new one, never half of one.

Every write goes to a unique temporary name in the target's directory (so two processes never share one),
is flushed to disk, then renamed onto the target; any error removes the temporary. A directory output (a HATS
catalog) is built the same way in a temporary directory beside the target (`atomic_directory`).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from astromlp.errors import AstromlpError

# What the system says when the output side fails: disk or quota full, file too large, read-only, no permission.
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
PARTIAL = ".partial"


@contextmanager
def output_errors(where: str, advice: str) -> Iterator[None]:
    """Turn a failed write (full disk, read-only folder, ...) into one AstromlpError line about `where`."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRNOS:
            raise
        name = f" ({exc.filename})" if exc.filename else ""
        raise AstromlpError(f"cannot write {where}: {os.strerror(exc.errno)}{name}; {advice}") from None


def check_destination(path: Path, overwrite: bool) -> None:
    """AstromlpError unless `path` can be (re)written: its directory exists and is writable."""
    parent = path.parent
    if not parent.is_dir():
        raise AstromlpError(f"cannot write {str(path)!r}: directory {str(parent)!r} does not exist; create it first")
    if path.is_dir():
        raise AstromlpError(f"cannot write {str(path)!r}: it is a directory; give a file name")
    if path.exists() and not overwrite:
        raise AstromlpError(f"{str(path)!r} already exists; remove it or allow overwriting")
    if not os.access(parent, os.W_OK):
        raise AstromlpError(f"cannot write into {str(parent)!r} (permission denied); choose another directory")


def temporary_name(path: Path) -> Path:
    """A unique hidden name beside `path` that keeps its suffixes (writers such as astropy choose by them)."""
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    stem = path.name[: len(path.name) - len(suffix)]
    return path.with_name(f".{stem}.{uuid.uuid4().hex[:12]}{PARTIAL}{suffix}")


def is_temporary(name: str) -> bool:
    """Whether a file name is one of `temporary_name`'s (left behind by a killed process)."""
    return name.startswith(".") and PARTIAL in name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path for a library writer (pyarrow, astropy); renamed onto `path` once the block succeeds.

    A failing write raises the OSError itself (wrap the call in `output_errors` to make it one line)."""
    path = Path(path)
    if not overwrite and path.exists():
        raise AstromlpError(f"{str(path)!r} already exists; remove it or allow overwriting")
    temporary = temporary_name(path)
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_directory(path: Path, *, overwrite: bool = True, replaceable: Callable[[Path], bool] | None = None,
                     kind: str = "an output of this writer") -> Iterator[Path]:
    """A new temporary directory beside `path` for a writer that builds a directory; moved into place once
    the block succeeds, removed (with all it holds) on any error.

    An existing `path` is replaced only when `overwrite` and `replaceable(path)` say it is this writer's kind
    of output (`kind`, say "a HATS catalog"): a folder or file the writer did not create is never removed. The old
    directory is moved aside, the new one moved in, then the old one removed, so `path` never holds half of
    either; if moving in fails the old one is put back."""
    path = Path(path)
    check = partial(_check_directory_target, path, overwrite, replaceable, kind)
    check()
    temporary = temporary_name(path)
    temporary.mkdir()
    try:
        yield temporary
        check()  # again: something may have appeared at `path` meanwhile
        _swap_in(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _check_directory_target(path: Path, overwrite: bool, replaceable: Callable[[Path], bool] | None,
                            kind: str) -> None:
    """AstromlpError unless `path`'s directory is writable and `path` is absent or replaceable."""
    parent = path.parent
    if not parent.is_dir():
        raise AstromlpError(f"cannot write {str(path)!r}: directory {str(parent)!r} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise AstromlpError(f"cannot write into {str(parent)!r} (permission denied); choose another directory")
    if not (path.exists() or path.is_symlink()):
        return
    if not overwrite:
        raise AstromlpError(f"{str(path)!r} already exists; remove it or allow overwriting")
    if replaceable is None or path.is_symlink() or not path.is_dir() or not replaceable(path):
        raise AstromlpError(f"{str(path)!r} already exists and is not {kind}; remove it or choose another output")


def _swap_in(temporary: Path, path: Path) -> None:
    """Move the finished directory onto `path`; an older output there is removed only after the move."""
    old = temporary_name(path) if path.exists() else None
    if old is not None:
        os.rename(path, old)
    try:
        os.rename(temporary, path)
    except OSError:
        if old is not None:
            os.rename(old, path)
        raise
    if old is not None:
        shutil.rmtree(old)


def write_with(path: Path, write: Callable[[Path], Any], *, overwrite: bool = True) -> Path:
    """Let `write(temporary_path)` create the file, then move it onto `path` atomically."""
    with atomic_path(path, overwrite=overwrite) as temporary:
        write(temporary)
    return Path(path)


def write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    return write_with(path, lambda temporary: temporary.write_bytes(data), overwrite=overwrite)


def write_text(path: Path, text: str, *, overwrite: bool = True) -> Path:
    return write_with(path, lambda temporary: temporary.write_text(text, encoding="utf-8"), overwrite=overwrite)


def write_json(path: Path, value: Any, *, indent: int = 2, sort_keys: bool = True, overwrite: bool = True) -> Path:
    """`value` as JSON text (keys sorted, so equal values give equal bytes); unknown types as their str."""
    text = json.dumps(value, indent=indent, sort_keys=sort_keys, default=str, ensure_ascii=False) + "\n"
    return write_text(path, text, overwrite=overwrite)
