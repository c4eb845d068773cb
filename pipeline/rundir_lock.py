"""One run per run directory at a time: an exclusive `flock` on a lock file inside it.

The kernel drops the lock when its holder exits or is killed, so a killed run never leaves the directory
locked; the file itself stays (removing a lock file races with the next taker) and holds the holder's pid.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from astromlp.errors import AstromlpError

LOCK = "astromlp.lock"


def _holder(descriptor: int) -> str:
    text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    return f"pid {text}" if text.isdigit() else "pid unknown"


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold `folder`'s run lock for the block; AstromlpError naming the holder's pid if another has it."""
    path = Path(folder) / LOCK
    # read-only: a file held open for writing would keep the folder's file system from being remounted read-only
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AstromlpError(f"run directory {folder} is in use by another astromlp process "
                                f"({_holder(descriptor)}); wait for it to finish or choose another --out") from None
        with open(path, "w", encoding="ascii") as holder:  # the same file, truncated: never replaced
            holder.write(f"{os.getpid()}\n")
        yield
    finally:
        os.close(descriptor)
