"""Atomic file writes: a temporary name in the same directory, then os.replace, so no reader ever sees
half a file and a failure leaves the previous file (or none) in place."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(temporary_path)`, then move the result onto `path`; on any error remove the temporary."""
    path = Path(path)
    temporary = path.with_name(
        f".{path.name}.{uuid.uuid4().hex}.tmp"
    )  # created by `write` with the umask's mode
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
