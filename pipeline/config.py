"""The run configuration: one TOML file validated into one frozen object before anything runs.

Every section is a dataclass whose fields carry their own rule (type, default, range, choices); one generic
validator walks those rules, so adding a key is adding a field. Errors name the file, the key and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astromlp.catalogs.paths import HATS_FILES, HATS_PREFIX, is_hats, not_regular
from astromlp.catalogs.selection import compile_select
from astromlp.errors import AstromlpError
from astromlp.nn.multiclass import STRATEGIES
from astromlp.pipeline.kinds import TASK_KINDS, TaskKind, task_kind
from astromlp.pipeline.models import MULTI_CLASS, check_params, estimator_class
from astromlp.pipeline.normalisers import NORMALISERS
from astromlp.pipeline.schedulers import check_scheduler

MISSING_POLICIES = ("drop", "impute", "error")
SAMPLE_CATALOG = "astromlp:sample"
REQUIRED = object()
# Parameters the pipeline sets itself: the seed comes from [run] seed so one number reproduces a run.
RESERVED_MODEL_KEYS = {"random_state": "set [run] seed instead"}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_select(value) -> bool:
    """A condition, a non-empty list of conditions, or a table of column = [exact values]."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) and v.strip() for v in value)
    return isinstance(value, dict) and all(
        isinstance(values, list) and values and all(isinstance(v, str) or _is_number(v) for v in values)
        for values in value.values())


def _select_value(value):
    """The stored form of [data] select: the text, a tuple of texts, or column -> tuple of values."""
    if isinstance(value, dict):
        return {str(k): tuple(vals) for k, vals in value.items()}
    return value if isinstance(value, str) else tuple(value)


def _is_class_targets(value) -> bool:
    """A table of class name = fraction in (0, 1]."""
    return isinstance(value, dict) and all(_is_number(v) and 0 < v <= 1 for v in value.values())


def _is_target_map(value) -> bool:
    """A table of class name = new class name (both non-empty text)."""
    return isinstance(value, dict) and bool(value) and all(isinstance(v, str) and v.strip() for v in value.values())


LABEL_DEFAULTS = {"radius_arcsec": 1.0, "ra": "ra", "dec": "dec"}


def _is_labels(value) -> bool:
    """A table naming the labelled catalog, with an optional positive radius (at most a degree) and the
    position columns."""
    if not isinstance(value, dict) or not isinstance(value.get("catalog"), str) or not value["catalog"].strip():
        return False
    if set(value) - {"catalog", *LABEL_DEFAULTS}:
        return False
    radius = value.get("radius_arcsec", 1.0)
    names = [value.get(key, "ra") for key in ("ra", "dec")]
    return _is_number(radius) and 0 < radius <= 3600 and all(isinstance(n, str) and n.strip() for n in names)


def _labels_value(value: dict) -> dict:
    """The stored form of [data] labels: every key present, the radius a float."""
    value = {**LABEL_DEFAULTS, **value}
    return {**value, "radius_arcsec": float(value["radius_arcsec"])}


# kind -> (check, what is expected, conversion to the stored frozen value)
KINDS: dict[str, tuple[Callable[[Any], bool], str, Callable[[Any], Any]]] = {
    "str": (lambda v: isinstance(v, str), "a string", str),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer", int),
    "float": (_is_number, "a number", float),
    "bool": (lambda v: isinstance(v, bool), "true or false", bool),
    "str_list": (_is_str_list, "a list of strings", tuple),
    "number_list": (lambda v: isinstance(v, list) and all(_is_number(x) for x in v), "a list of numbers",
                    lambda v: tuple(float(x) for x in v)),
    "int_or_str": (lambda v: isinstance(v, int | str) and not isinstance(v, bool), "an integer or a string",
                   lambda v: v),
    "class_targets": (_is_class_targets, "a table of class name = fraction in (0, 1], such as { QSO = 0.95 }",
                      lambda v: {str(k): float(x) for k, x in v.items()}),
    "target_map": (_is_target_map, "a table of class = \"new class\", such as { GALAXY = \"EXTRAGALACTIC\", QSO = "
                                   "\"EXTRAGALACTIC\" }", dict),
    "labels": (_is_labels, "a table { catalog = \"spec.fits\", radius_arcsec = 1.0, ra = \"ra\", dec = \"dec\" } "
                           "(radius from 0 to 3600 arcsec)", _labels_value),
    "select": (_is_select, "a condition such as \"(r < 19) & (0 < redshift < 2)\", a list of conditions, or a "
                           "table of column = [allowed values, ...]", _select_value),
}


@dataclass(frozen=True)
class Rule:
    """What one key accepts: a kind of KINDS, a default (REQUIRED if none), choices and an inclusive range,
    and what the key means (the configuration reference in docs/ is generated from these rules)."""

    kind: str
    default: Any = REQUIRED
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    below: float | None = None  # exclusive upper bound
    help: str = ""


def option(kind: str, default: Any = REQUIRED, *, help: str, **limits) -> Any:
    """A dataclass field carrying its validation rule and its meaning."""
    rule = Rule(kind, default, help=help, **limits)
    if default is REQUIRED:
        return field(metadata={"rule": rule})
    return field(default=default, metadata={"rule": rule})


@dataclass(frozen=True)
class RunSection:
    """Where the run directory goes, the one seed of the run and which Dask scheduler executes it."""

    out: str | None = option("str", None, help=(
        "The run directory, relative to the config file's folder; default: runs/<config file name>. "
        "`astromlp run --out` overrides it."))
    seed: int = option("int", 0, low=0, high=2**32 - 1, help=(
        "The one seed of the run: it fixes the split, the initial weights of every start and the bootstrap "
        "resamples, so the same config and seed give the same model and metrics."))
    scheduler: str | None = option("str", None, help=(
        "Where Dask computes: `threads` (the default), `synchronous` or `processes` for an embedded local "
        "scheduler, or `tcp://HOST:PORT` of a running cluster. `--scheduler` overrides it."))
    workers: int | None = option("int", None, low=1, high=1024, help=(
        "Start a local Dask cluster of this many single-threaded worker processes for the run (not together "
        "with a tcp:// scheduler). `--workers` overrides it."))


@dataclass(frozen=True)
class TaskSection:
    """What is learnt: the task kind and the catalog column that holds the target."""

    kind: str = option("str", choices=tuple(TASK_KINDS), help=(
        "`classification` learns labels; `regression` learns numbers; `photoz` is a regression of a redshift, "
        "judged with the photometric-redshift metrics (sigma_NMAD, bias, outlier fractions); `photoz-pdf` "
        "predicts a redshift PDF per object (point estimates, intervals, ODDS, a qp file), judged on its "
        "median; `stargalaxy` is a classification of two classes (stars and galaxies), with its own `astromlp "
        "init` template."))
    target: str = option("str", help=(
        "The catalog column holding the labels or values to learn (matched in any case). Rows where it is "
        "missing are dropped."))


@dataclass(frozen=True)
class DataSection:
    """Which catalogs are read and how rows are cleaned before features are derived."""

    catalogs: tuple[str, ...] = option("str_list", help=(
        "Catalog files or glob patterns (FITS, VOTable, ECSV, CSV, Parquet; gzip too) or a HATS catalog "
        "directory (`hats:PATH` too), relative to the config file's folder, read as one table; `astromlp:sample` "
        "is the bundled SDSS DR14 sample."))
    format: str | None = option("str", None, help=(
        "The catalog format (fits, parquet, votable, ecsv, csv) when neither the content nor the suffix "
        "tells it; default: recognised per file."))
    hdu: int | str | None = option("int_or_str", None, help=(
        "The FITS HDU (index or EXTNAME) or VOTable table to read; default: the first table."))
    select: str | tuple[str, ...] | dict | None = option("select", None, help=(
        "Keep only the rows that pass every cut, before the split: a condition such as "
        "`\"(r < 19) & (0 < redshift < 2) & ((flags & 4) == 0)\"` (comparisons, chained too, `& | ~`, "
        "`isin(x, [...])`, `isnan(x)`, integer flag tests), a list of conditions, or a table of exact values "
        "`{ class = [\"GALAXY\"] }`. Each `&` term, list entry or table entry is one cut; the report counts "
        "the rows each removes. A comparison is false where the value is missing, so `r < 19` also removes "
        "rows without r."))
    sentinels: tuple[float, ...] = option("number_list", (), help=(
        "Values that mean \"no measurement\" (e.g. -9999, 99.99) in any numeric column; they become missing "
        "before features are derived (float columns match to a relative 1e-6, integers exactly)."))
    labels: dict | None = option("labels", None, help=(
        "Build the training set by cross-matching a labelled catalog (e.g. spectroscopic redshifts or classes, "
        "any supported format, relative to the config file's folder) against [data] catalogs: each label takes "
        "its nearest object within `radius_arcsec` (default 1.0) with lsdb, the matched objects keep the labels' "
        "[task] target column, and the report counts matched and unmatched labels. `ra`/`dec` name the position "
        "columns in both catalogs (default ra, dec; a HATS catalog's own come from its properties). Needs "
        "`astromlp[hats]`."))
    missing: str = option("str", "drop", choices=MISSING_POLICIES, help=(
        "Rows with a missing feature: `drop` them, `impute` the training split's median of that feature "
        "(stored in the model for predict), or stop with an `error` naming the columns."))
    keep_columns: tuple[str, ...] = option("str_list", (), help=(
        "Catalog columns copied next to the test predictions and into `astromlp predict` output; default: "
        "the catalog's identifier columns (objid, source_id, id, ra, dec, ...)."))
    weight: str | None = option("str", None, help=(
        "A catalog column of per-row weights (numbers, finite, >= 0, not all zero; e.g. inverse selection "
        "probabilities): training and early stopping's validation loss weight each row by it (scikit-learn's "
        "sample_weight), times any [model] class_weight. The report's metrics count every test row once."))
    target_map: dict[str, str] | None = option("target_map", None, help=(
        "Classification: rename classes before training, e.g. `{ GALAXY = \"EXTRAGALACTIC\", QSO = "
        "\"EXTRAGALACTIC\" }` to classify stars against everything else; classes mapped to one name become one "
        "class, unnamed classes keep their label. Every key must be a class of the target; the model stores the "
        "map and predicts the new names."))
    chunk_rows: int | None = option("int", None, low=1, help=(
        "Rows per Dask partition when reading; default: about 8 MiB of table data (Parquet: its row groups, "
        "CSV: byte blocks)."))


@dataclass(frozen=True)
class SplitSection:
    """Fractions of rows held out for testing and validation; rows are assigned by a hash of `key` columns."""

    test: float = option("float", 0.2, low=0.0, below=1.0, help=(
        "Fraction of rows held out as the test split, on which the report judges every model; must be > 0, "
        "and test + validation < 1."))
    validation: float = option("float", 0.1, low=0.0, below=1.0, help=(
        "Fraction of rows for validation: early stopping, the best-epoch weights and the choice among starts "
        "use it, never the test split."))
    key: tuple[str, ...] = option("str_list", (), help=(
        "Columns identifying a row; its split comes from a hash of their values and the seed, whatever the "
        "file chunking or number of workers. Default: every column the run reads."))
    stratify: bool = option("bool", True, help=(
        "Classification only: give every split the same class mix (exact per class)."))


@dataclass(frozen=True)
class NormaliseSection:
    """How features are scaled, with statistics from the training split only."""

    method: str = option("str", "standard", choices=tuple(NORMALISERS), help=(
        "`standard` (mean and standard deviation), `robust` (median and interquartile range, for features with "
        "outliers), `minmax` (to [0, 1]) or `none`; fitted on the training split, stored in the model."))


@dataclass(frozen=True)
class ReportSection:
    """How the evaluation is judged: bootstrap resamples for the confidence intervals, magnitude column."""

    n_bootstrap: int = option("int", 200, low=0, high=100_000, help=(
        "Bootstrap resamples of the test rows for the 95 % intervals and the network-versus-baseline "
        "verdicts; 0 for none (faster, but no significance)."))
    magnitude: str | None = option("str", None, help=(
        "A catalog column (usually a magnitude) whose quantile bins get their own metric table and figure, "
        "to show where the model fails; default: none."))
    purity: dict[str, float] = option("class_targets", None, help=(
        "Classification: a purity target per class, e.g. `{ QSO = 0.95 }`. The evaluate stage chooses, on the "
        "validation split, the probability threshold reaching it with the most members (for the network and "
        "each baseline), and the report shows the test purity and completeness at it; a target no threshold "
        "reaches stops the run with the best purity found."))
    baselines: tuple[str, ...] | None = option("str_list", None, help=(
        "Which baselines the report compares the network with (default: the task's usual ones). Classification: "
        "`logistic` (multinomial, softmax), `logistic_ovr` (one-vs-rest), `logistic_ovo` (one-vs-one, scored as "
        "[model] multi_class = \"ovo\"), `majority`; regression and photo-z: `ols`, `ridge`."))
    completeness: dict[str, float] = option("class_targets", None, help=(
        "Classification: a completeness target per class, e.g. `{ GALAXY = 0.98 }`; the highest threshold "
        "reaching it on the validation split is chosen, and judged on the test split as for purity."))
    lr_find: bool = option("bool", False, help=(
        "Run the learning-rate range test (as `astromlp lr-find` does) on the training split and show its figure, "
        "loss against rate with the suggested rate, in the report's training section; costs a few hundred "
        "minibatches."))


SECTIONS: dict[str, type] = {
    "run": RunSection, "task": TaskSection, "data": DataSection, "split": SplitSection,
    "normalise": NormaliseSection, "report": ReportSection,
}
FREE_TABLES = ("features", "model")


@dataclass(frozen=True)
class Config:
    """One validated run configuration; paths are absolute, resolved against the config file's folder."""

    path: Path
    text: str
    run: RunSection
    task: TaskSection
    data: DataSection
    features: dict[str, str]
    split: SplitSection
    normalise: NormaliseSection
    model: dict[str, Any]
    report: ReportSection
    catalog_paths: tuple[Path, ...]

    def section(self, name: str) -> dict[str, Any]:
        """A JSON-able copy of one section, the unit whose change invalidates a cached stage."""
        value = getattr(self, name)
        return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else dict(value)

    def value(self, entry: str) -> Any:
        """A JSON-able copy of a section ("split") or of one key of it ("split.key")."""
        section, _, key = entry.partition(".")
        values = self.section(section)
        return values[key] if key else values

    def resolved(self) -> dict[str, Any]:
        """Every section with defaults filled in, plus the absolute catalog paths."""
        names = [*SECTIONS, *FREE_TABLES]
        return {"config_file": str(self.path), **{name: self.section(name) for name in names},
                "catalog_paths": [str(p) for p in self.catalog_paths]}

    @property
    def kind(self) -> TaskKind:
        """The declared task kind of [task] kind."""
        return task_kind(self.task.kind)

    @property
    def run_dir(self) -> Path:
        """The run directory: [run] out, else runs/<config name> beside the config file."""
        out = self.run.out or f"runs/{self.path.stem}"
        return (self.path.parent / out).resolve()


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config; every mistake raises AstromlpError naming file and key."""
    path = Path(path).resolve()
    return parse_config(read_config_text(path), path)


def read_config_text(path: Path) -> str:
    """The text of a config file (`astromlp run` or `sweep`); one AstromlpError line if it cannot be read."""
    kind = not_regular(path)
    if kind and kind != "a directory":  # a directory keeps the system's own "is a directory" message
        raise AstromlpError(f"{path}: the config is {kind}, not a file; save the TOML config to a file and give "
                            "that")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AstromlpError(f"{path}: cannot read the config file ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise AstromlpError(f"{path}: not a text file (a TOML config must be UTF-8 text); check the path") from None


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML text as if read from `path` (relative paths resolve against its folder)."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as some Windows editors write
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AstromlpError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    reject_unknown(raw, [*SECTIONS, *FREE_TABLES], path, "section", "")
    _reject_non_finite(raw, path, "")
    sections = {name: _build_section(cls, raw.get(name, {}), path, name) for name, cls in SECTIONS.items()}
    features = _features(raw.get("features"), path)
    model = _model(raw.get("model", {}), path, sections["task"].kind)
    _check_split(sections["split"], path)
    compile_select(sections["data"].select, None, role=f"{path}: [data] select")
    _check_run(sections["run"], path)
    _check_kind_keys(sections, path)
    catalogs = tuple(_expand_catalog(entry, path) for entry in sections["data"].catalogs)
    if not catalogs:
        raise AstromlpError(f"{path}: [data] catalogs is empty; list at least one catalog file")
    return Config(path=path, text=text, features=features, model=model,
                  catalog_paths=tuple(p for group in catalogs for p in group), **sections)


def _reject_non_finite(value: Any, path: Path, where: str) -> None:
    """No key of any section means anything with nan or inf (TOML allows both): refuse them everywhere, so
    e.g. `dropout = [nan]` cannot be accepted and then silently act as no dropout."""
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_non_finite(item, path, f"{where} {key}" if where.startswith("[") else f"[{key}]")
    elif isinstance(value, list):
        for item in value:
            _reject_non_finite(item, path, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise AstromlpError(f"{path}: {where} holds {value}, which is not a finite number; give a finite value")


def reject_unknown(table: dict, known: list[str], path: Path, what: str, where: str) -> None:
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(known)}"
            raise AstromlpError(f"{path}: {where}unknown {what} {name!r}; {hint}")


def _build_section(cls: type, table: Any, path: Path, name: str):
    if not isinstance(table, dict):
        raise AstromlpError(f"{path}: '{name}' must be a table ([{name}]), not {type(table).__name__}")
    fields = {f.name: f.metadata["rule"] for f in dataclasses.fields(cls)}
    reject_unknown(table, list(fields), path, "key", f"[{name}] ")
    values = {}
    for key_name, rule in fields.items():
        where = f"{path}: [{name}] {key_name}"
        if key_name not in table:
            if rule.default is REQUIRED:
                raise AstromlpError(f"{where} is required; expected {KINDS[rule.kind][1]}")
            continue
        values[key_name] = _check_value(table[key_name], rule, where)
    return cls(**values)


def check_option(section: str, key: str, value: Any, where: str) -> Any:
    """`value` checked by the rule of [section] key, so a command-line option that overrides a config key
    (e.g. `astromlp report --bootstrap`) accepts exactly what the config accepts."""
    rule = next(f.metadata["rule"] for f in dataclasses.fields(SECTIONS[section]) if f.name == key)
    return _check_value(value, rule, where)


def _check_value(value: Any, rule: Rule, where: str) -> Any:
    check, expected, convert = KINDS[rule.kind]
    if not check(value):
        raise AstromlpError(f"{where} = {_toml(value)} is {_TOML_TYPES.get(type(value), 'a value')}; "
                            f"expected {expected}")
    if rule.choices and value not in rule.choices:
        close = difflib.get_close_matches(str(value), rule.choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise AstromlpError(f"{where} = {_toml(value)} is not one of {', '.join(rule.choices)}{hint}")
    if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high) \
            or (rule.below is not None and value >= rule.below):
        raise AstromlpError(f"{where} = {_toml(value)} is out of range; expected {_range_text(rule)}")
    return convert(value)


_TOML_TYPES = {bool: "a boolean", str: "a string", int: "an integer", float: "a float", list: "an array",
               dict: "a table"}


def _toml(value: Any) -> str:
    """A value spelled as in the TOML file (true, "text", [1, 2])."""
    return json.dumps(value, default=str)


def _range_text(rule: Rule) -> str:
    parts = [f">= {rule.low}" if rule.low is not None else "",
             f"<= {rule.high}" if rule.high is not None else "",
             f"< {rule.below}" if rule.below is not None else ""]
    return " and ".join(part for part in parts if part)


def _features(table: Any, path: Path) -> dict[str, str]:
    """[features] maps a feature name to an expression over catalog columns (`r = "r"`, `u_g = "u - g"`)."""
    if table is None:
        raise AstromlpError(f"{path}: [features] is required; add lines like  u_g = \"u - g\"  or  r = \"r\"")
    if not isinstance(table, dict) or not table:
        raise AstromlpError(f"{path}: [features] must be a non-empty table of name = \"expression\"")
    for name, expression in table.items():
        if not isinstance(expression, str) or not expression.strip():
            raise AstromlpError(f"{path}: [features] {name} = {expression!r}; expected an expression string "
                                "over catalog columns such as \"u - g\"")
    return dict(table)


def _model(table: Any, path: Path, task: str) -> dict[str, Any]:
    """[model] holds MLPClassifier / MLPRegressor parameters; names are checked against the estimator."""
    if not isinstance(table, dict):
        raise AstromlpError(f"{path}: 'model' must be a table ([model]), not {type(table).__name__}")
    labelled = task_kind(task).labelled
    known = sorted([*estimator_class(task)().get_params(), *([MULTI_CLASS] if labelled else [])])
    if MULTI_CLASS in table and labelled and table[MULTI_CLASS] not in STRATEGIES:
        raise AstromlpError(f"{path}: [model] {MULTI_CLASS} = {_toml(table[MULTI_CLASS])} is not one of "
                            f"{', '.join(STRATEGIES)} (one softmax network, one-vs-rest or one-vs-one)")
    for name in table:
        if name in RESERVED_MODEL_KEYS:
            raise AstromlpError(f"{path}: [model] {name} is set by the pipeline; {RESERVED_MODEL_KEYS[name]}")
    reject_unknown(table, [k for k in known if k not in RESERVED_MODEL_KEYS], path, "key", "[model] ")
    params = {name: tuple(v) if isinstance(v, list) else v for name, v in table.items()}
    check_params(task, params, f"{path}: [model]")
    return params


def _check_split(split: SplitSection, path: Path) -> None:
    if split.test <= 0:
        raise AstromlpError(f"{path}: [split] test = {split.test} must be > 0 so the model can be evaluated")
    if split.test + split.validation >= 1:
        total = split.test + split.validation
        raise AstromlpError(f"{path}: [split] test + validation = {total:g} leaves no training rows; "
                            "make their sum < 1")


def _check_kind_keys(sections: dict, path: Path) -> None:
    """Keys that only some task kinds understand: target_map (labels) and the baselines the kind has."""
    kind, data, report = task_kind(sections["task"].kind), sections["data"], sections["report"]
    if data.target_map and not kind.labelled:
        raise AstromlpError(f"{path}: [data] target_map renames classes, but kind = \"{kind.name}\" learns numbers; "
                            "remove it")
    for name in report.baselines or ():
        if name not in kind.report.baseline_names:
            close = difflib.get_close_matches(name, list(kind.report.baseline_names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise AstromlpError(f"{path}: [report] baselines names {name!r}, which is not a {kind.name} baseline; "
                                f"expected some of {', '.join(kind.report.baseline_names)}{hint}")


def _check_run(run: RunSection, path: Path) -> None:
    check_scheduler(run.scheduler, f"{path}: [run] ")
    if run.workers and run.scheduler and "://" in run.scheduler:
        raise AstromlpError(f"{path}: [run] workers starts a local cluster but scheduler names an existing one; "
                            "keep only one of them")


def _expand_catalog(entry: str, path: Path) -> list[Path]:
    """One [data] catalogs entry: the bundled sample, a file, or a glob, relative to the config folder."""
    if entry == SAMPLE_CATALOG:
        from astromlp.catalogs import sample_path

        return [Path(sample_path())]
    pattern = Path(entry.removeprefix(HATS_PREFIX)).expanduser()
    pattern = pattern if pattern.is_absolute() else path.parent / pattern
    if is_hats(pattern):
        return [pattern.resolve()]
    kind = not_regular(pattern)
    if kind and kind != "a directory":
        raise AstromlpError(f"{path}: [data] catalogs '{entry}' is {kind}, not a file; save the catalog to a "
                            "file and give that")
    if glob.has_magic(str(pattern)) and not pattern.exists():  # an existing name is taken literally
        matches = sorted(Path(p).resolve() for p in glob.glob(str(pattern)))  # work/../data/a.fits -> data/a.fits
        if not matches:
            raise AstromlpError(f"{path}: [data] catalogs pattern '{entry}' matches no file")
        return matches
    if pattern.is_dir():
        raise AstromlpError(f"{path}: [data] catalogs '{entry}' is a directory but no HATS catalog (no "
                            f"{' or '.join(HATS_FILES)} in it); give files or a glob such as '{entry}/*.fits'")
    if not pattern.is_file():
        raise AstromlpError(f"{path}: [data] catalogs file '{entry}' not found (looked at {pattern.resolve()})")
    return [pattern.resolve()]
