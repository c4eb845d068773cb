"""Writing a file so that readers see either the old file or the complete new one, never a half."""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from astromlp.nn.errors import AstromlpError

# What the system says when the output side fails: disk or quota full, file too large, read-only, no permission.
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


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


@contextmanager
def atomic_path(path: Path, overwrite: bool = True) -> Iterator[Path]:
    """A temporary name beside `path` to write to; renamed onto `path` on success, removed on any error."""
    check_destination(path, overwrite)
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.partial"
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
