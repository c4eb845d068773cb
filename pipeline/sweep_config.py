"""The [sweep] section: a grid and/or random draws over [model], [normalise] and named [features] sets,
expanded into trials, each an ordinary run config text that `astromlp run` accepts as it is.

    [sweep]
    metric = "accuracy"            # default: the task kind's headline metric, on the validation split
    n_trials = 8                   # random draws (each crossed with every grid point)
    cv = 5                         # optional: rank by the mean over 5 folds of the training split
    [sweep.grid.model]
    hidden_layer_sizes = [[16], [32, 16]]
    [sweep.random.model]
    learning_rate = { low = 1e-4, high = 1e-2, log = true }
    [sweep.features.colours]       # named alternatives replacing [features] as a whole
    u_g = "u - g"

The split is never swept: trials are compared on the same validation rows.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from astromlp.errors import AstromlpError
from astromlp.nn import MLPDensity
from astromlp.pipeline.config import (
    RESERVED_MODEL_KEYS,
    SAMPLE_CATALOG,
    Config,
    NormaliseSection,
    parse_config,
    read_config_text,
    reject_unknown,
)
from astromlp.pipeline.models import estimator_class
from astromlp.reports.sweep import default_metric, sweep_metrics

SWEEP_KEYS = ("metric", "n_trials", "cv", "grid", "random", "features")
MAX_TRIALS = 10_000
RANDOM_SEED_SALT = 0x5EE9  # random draws use [run] seed and this salt, apart from the training streams
FEATURES = "features"


def _model_keys(task: str) -> list[str]:
    return [key for key in sorted(estimator_class(task)().get_params()) if key not in RESERVED_MODEL_KEYS]


# section -> the keys a sweep may vary in it (the split and data are fixed: trials share their rows)
SWEEPABLE = {
    "model": _model_keys,
    "normalise": lambda task: [f.name for f in dataclasses.fields(NormaliseSection)],
}


@dataclass(frozen=True)
class Trial:
    """One point of the sweep: its index, the swept values ("model.learning_rate" -> value, "features" ->
    set name) and the run config text with them applied."""

    index: int
    params: dict[str, Any]
    text: str

    @property
    def name(self) -> str:
        return f"trial-{self.index:03d}"


@dataclass(frozen=True)
class Sweep:
    """A validated sweep config: the base run config, the ranking metric and every trial."""

    path: Path
    base: Config
    metric: str
    trials: tuple[Trial, ...]
    swept: tuple[str, ...]
    log_scaled: tuple[str, ...]
    cv: int | None = None

    @property
    def out(self) -> Path:
        """The sweep directory: [run] out, else runs/<config name> beside the config file."""
        return self.base.run_dir


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep config; every mistake is one AstromlpError line naming the file and the key."""
    path = Path(path).resolve()
    return parse_sweep(read_config_text(path).removeprefix("\ufeff"), path)


def parse_sweep(text: str, path: Path) -> Sweep:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AstromlpError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    table = raw.pop("sweep", None)
    if not isinstance(table, dict):
        raise AstromlpError(f"{path}: no [sweep] table; add one with [sweep.grid.model] or [sweep.random.model] "
                            "entries (see the sweeps guide), or use `astromlp run` for a single run")
    _reject_unknown(table, SWEEP_KEYS, path, "[sweep] ")
    feature_sets = _feature_sets(table.get(FEATURES), path)
    if feature_sets and FEATURES not in raw:
        raw[FEATURES] = next(iter(feature_sets.values()))
    raw = _absolute_catalogs(raw, path)
    base = parse_config(tomli_w.dumps(raw), path)
    kind = base.task.kind
    grid = _axes(table.get("grid", {}), kind, path, "grid", _grid_values)
    random = _axes(table.get("random", {}), kind, path, "random", _check_range)
    if feature_sets:
        grid = {FEATURES: list(feature_sets), **grid}
    metric = _metric(table.get("metric"), kind, path)
    n_trials = _n_trials(table.get("n_trials"), random, path)
    cv = _cv(table.get("cv"), path)
    points = _points(grid, random, n_trials, base.run.seed)
    if len(points) > MAX_TRIALS:
        raise AstromlpError(f"{path}: [sweep] makes {len(points):,} trials, more than {MAX_TRIALS:,}; sweep fewer "
                            "values or draw random trials (n_trials)")
    trials = tuple(_trial(k, point, raw, feature_sets, path) for k, point in enumerate(points))
    log_scaled = tuple(key for key, spec in random.items() if spec.get("log"))
    return Sweep(path, base, metric, trials, tuple([*grid, *random]), log_scaled, cv)


def _reject_unknown(table: dict, known, path: Path, where: str) -> None:
    """The run config's one-line refusal of an unknown key, with its "did you mean" hint."""
    reject_unknown(table, list(known), path, "key", where)


def _feature_sets(table: Any, path: Path) -> dict[str, dict[str, str]]:
    """[sweep.features.NAME] tables, each a whole [features] table."""
    if table is None:
        return {}
    if not isinstance(table, dict) or not table or not all(isinstance(v, dict) and v for v in table.values()):
        raise AstromlpError(f"{path}: [sweep] features must hold named feature sets, each a non-empty table such "
                            "as [sweep.features.colours] with lines like  u_g = \"u - g\"")
    return {str(name): dict(features) for name, features in table.items()}


def _absolute_catalogs(raw: dict, path: Path) -> dict:
    """The catalogs as absolute paths, so a trial's config (and best.toml) runs from any folder."""
    raw = copy.deepcopy(raw)
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("catalogs"), list):
        data["catalogs"] = [entry if not isinstance(entry, str) or entry == SAMPLE_CATALOG
                            else os.path.normpath(path.parent / Path(entry).expanduser())
                            for entry in data["catalogs"]]
    return raw


def _axes(table: Any, kind: str, path: Path, what: str, check) -> dict[str, Any]:
    """[sweep.WHAT.SECTION] key = ... entries as "section.key" -> checked value."""
    if not isinstance(table, dict):
        raise AstromlpError(f"{path}: [sweep] {what} must be a table of sections such as [sweep.{what}.model]")
    axes = {}
    for section, keys in table.items():
        if section not in SWEEPABLE:
            raise AstromlpError(f"{path}: [sweep.{what}] cannot sweep [{section}]; sweepable are "
                                f"{', '.join(SWEEPABLE)} and named [sweep.features.NAME] sets (the split and data "
                                "stay fixed so trials are compared on the same rows)")
        if not isinstance(keys, dict):
            raise AstromlpError(f"{path}: [sweep.{what}.{section}] must be a table of key = values")
        _reject_unknown(keys, SWEEPABLE[section](kind), path, f"[sweep.{what}.{section}] ")
        for key, value in keys.items():
            axes[f"{section}.{key}"] = check(value, f"{path}: [sweep.{what}.{section}] {key}")
    return axes


def _grid_values(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise AstromlpError(f"{where} must be a list of the values to try, e.g. [0.01, 0.001]")
    if not value:
        raise AstromlpError(f"{where} is empty; give at least one value to try")
    return value


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_range(value: Any, where: str) -> dict:
    """{ low, high, log? } (floats uniform or log-uniform, two integers an integer range) or { choices }."""
    if isinstance(value, dict) and set(value) == {"choices"}:
        return {"choices": _grid_values(value["choices"], f"{where} choices")}
    if not isinstance(value, dict) or not {"low", "high"} <= set(value) <= {"low", "high", "log"}:
        raise AstromlpError(f"{where} must be {{ low = ..., high = ..., log = true|false }} or {{ choices = [...] }}")
    low, high, log = value["low"], value["high"], value.get("log", False)
    if not (_number(low) and _number(high)) or not isinstance(log, bool):
        raise AstromlpError(f"{where}: low and high must be numbers and log true or false")
    if not low < high:
        raise AstromlpError(f"{where} = [{low}, {high}] is an empty range; give low < high")
    if log and low <= 0:
        raise AstromlpError(f"{where}: a log-uniform range needs low > 0 (got {low})")
    return {"low": low, "high": high, "log": log}


def _metric(value: Any, kind: str, path: Path) -> str:
    density = issubclass(estimator_class(kind), MLPDensity)
    metrics = sweep_metrics(kind, density)
    if value is None:
        return default_metric(kind, density)
    if value not in metrics:
        close = difflib.get_close_matches(str(value), list(metrics), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(metrics)}"
        raise AstromlpError(f"{path}: [sweep] metric {value!r} is not a {kind} metric; {hint}")
    return value


def _n_trials(value: Any, random: dict, path: Path) -> int:
    if value is None:
        if random:
            raise AstromlpError(f"{path}: [sweep.random] needs [sweep] n_trials, the number of random draws")
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AstromlpError(f"{path}: [sweep] n_trials = {value!r}; expected an integer >= 1")
    if not random:
        raise AstromlpError(f"{path}: [sweep] n_trials is set but nothing is drawn; add [sweep.random.model] ranges")
    return value


def _cv(value: Any, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise AstromlpError(f"{path}: [sweep] cv = {value!r}; expected the number of folds, an integer >= 2 "
                            "(or leave it out to rank on the validation split)")
    return value


def _points(grid: dict, random: dict, n_trials: int, seed: int) -> list[dict]:
    """Every grid point crossed with each of n_trials random draws, in a fixed order."""
    rng = np.random.default_rng([seed, RANDOM_SEED_SALT])
    draws = [{key: _draw(rng, spec) for key, spec in random.items()} for _ in range(n_trials)]
    return [{**dict(zip(grid, values, strict=True)), **draw}
            for values in itertools.product(*grid.values()) for draw in draws]


def _draw(rng: np.random.Generator, spec: dict):
    if "choices" in spec:
        return spec["choices"][int(rng.integers(len(spec["choices"])))]
    low, high = spec["low"], spec["high"]
    if spec["log"]:
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    if isinstance(low, int) and isinstance(high, int):
        return int(rng.integers(low, high + 1))
    return float(rng.uniform(low, high))


def _trial(index: int, point: dict, raw: dict, feature_sets: dict, path: Path) -> Trial:
    """The base config with this point's values, checked as a run config."""
    raw = copy.deepcopy(raw)
    raw.get("run", {}).pop("out", None)  # [run] out names the sweep directory; a trial's is given explicitly
    for entry, value in point.items():
        if entry == FEATURES:
            raw[FEATURES] = dict(feature_sets[value])
        else:
            section, key = entry.split(".", 1)
            raw.setdefault(section, {})[key] = value
    text = tomli_w.dumps(raw)
    try:
        parse_config(text, path)
    except AstromlpError as exc:
        raise AstromlpError(f"sweep trial {index} ({_describe(point)}): {exc}") from None
    return Trial(index, point, text)


def _describe(point: dict) -> str:
    return ", ".join(f"{key} = {value!r}" for key, value in point.items())
