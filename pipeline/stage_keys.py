"""What a stage declares: the config entries and inputs its cache key covers and the files it writes.

The runner builds every key from these declarations, so a stage's key covers exactly what it declares; a
config entry is a section ("data") or one key of a section ("split.key").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CATALOGS = "catalogs"
"""The input naming the configured catalog files (their paths and content hashes)."""
LABELS = "labels"
"""The input naming the [data] labels catalog (its path and content hash), None without one."""


@dataclass(frozen=True)
class Stage:
    """One stage: its name, the config entries and inputs (CATALOGS, LABELS or an earlier stage) of its key, the files
    it writes (relative to the run directory) and `compute(run)`, which writes them."""

    name: str
    config: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    compute: Callable[[Any], None]


def key_inputs(stage: Stage, config, done: dict[str, Any]) -> dict[str, Any]:
    """What the stage's key hashes: its declared config entries, and the recorded outputs (or catalog files)
    of its declared inputs in `done`."""
    return {"config": {entry: config.value(entry) for entry in stage.config},
            "inputs": {name: done[name] for name in stage.inputs}}
