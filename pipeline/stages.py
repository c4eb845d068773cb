"""The pipeline's data stages as plain functions: ingest reads lazily, prepare cleans, derives features,
splits and normalises, returning in-memory arrays ready for training."""

from __future__ import annotations

from dataclasses import dataclass, field

import dask.dataframe as dd
import numpy as np
import pandas as pd

from astromlp.catalogs import (
    ColumnInfo,
    apply_sentinels,
    columns_of,
    compile_select,
    count_removed,
    cut_report,
    derive,
    fill_values_from,
    frame_of,
    handle_missing,
    identifier_columns,
    open_sources,
    parse_expression,
    resolve_columns,
    select_rows,
    selected_columns,
)
from astromlp.catalogs.cleaning import is_numeric
from astromlp.errors import AstromlpError
from astromlp.pipeline.config import Config
from astromlp.pipeline.labels import labels_path, match_labels, open_labels, with_target
from astromlp.pipeline.normalisers import Normaliser
from astromlp.pipeline.rundir import sha256_file
from astromlp.pipeline.schedulers import Executor
from astromlp.pipeline.splits import SPLITS, TRAIN, assign_splits, row_uniforms, split_counts

FEATURE_PREFIX = "feature:"  # derived columns get this prefix so `r = "r"` cannot clash with column r


def feature_columns(features: dict[str, str]) -> dict[str, str]:
    """Internal column name -> expression for every configured feature."""
    return {FEATURE_PREFIX + name: expression for name, expression in features.items()}


@dataclass(frozen=True)
class ColumnRoles:
    """Catalog spellings of every column the config names, by role: the target, the columns the features
    read, the kept columns, the [data] select columns, the magnitude of the report's bins (or None) and the
    columns whose values key a row's split."""

    target: str
    feature_sources: list[str]
    keep: list[str]
    select: list[str]
    magnitude: str | None
    key: list[str]
    warnings: list[str] = field(default_factory=list)  # what the run reports without stopping
    weight: str | None = None  # the [data] weight column

    @property
    def weights(self) -> list[str]:
        """The weight column as a list: empty without one."""
        return [self.weight] if self.weight else []

    @property
    def magnitudes(self) -> list[str]:
        """The magnitude column as a list: empty when the report bins by none."""
        return [self.magnitude] if self.magnitude else []

    @property
    def needed(self) -> list[str]:
        """Every column the run reads, each once, in a fixed order."""
        return list(dict.fromkeys([self.target, *self.feature_sources, *self.keep, *self.select, *self.key,
                                   *self.magnitudes, *self.weights]))


@dataclass
class Ingested:
    """The catalogs as one lazy frame of the columns the run needs, with what the files say about them; its
    frame reads from the sources ingest opened, so prepare opens no file again."""

    frame: dd.DataFrame
    files: list[dict]
    columns: dict[str, ColumnInfo]
    roles: ColumnRoles
    labels: dict | None = None  # the [data] labels cross-match: counts and separations


def catalog_files(config: Config) -> list[dict]:
    """Each configured catalog file with its content hash (the identity of the data for resuming)."""
    return [{"path": str(path), "sha256": sha256_file(path)} for path in config.catalog_paths]


def labels_file(config: Config) -> dict | None:
    """The [data] labels catalog with its content hash (None without labels): editing it alone reruns ingest.
    A missing file has no hash here; ingest then says in one line that it cannot be read."""
    if not config.data.labels:
        return None
    path = labels_path(config)
    return {"path": str(path), "sha256": sha256_file(path) if path.exists() else None}


def ingest(config: Config, files: list[dict]) -> Ingested:
    """Open each catalog once, lazily, keeping only the columns the target, features, keys and reports use."""
    paths = [entry["path"] for entry in files]
    data = config.data
    sources = open_sources(paths, hdu=data.hdu, format=data.format, chunk_rows=data.chunk_rows)
    available = columns_of(sources)
    labels = open_labels(config) if data.labels else None
    if labels is not None:
        available = with_target(available, labels)
    roles = column_roles(config, list(available), source=_source(paths),
                         dtypes={name: info.dtype for name, info in available.items()})
    if labels is not None:
        frame, match = match_labels(config, labels, sources, roles.needed)
    else:
        frame, match = frame_of(sources, columns=roles.needed, chunk_rows=data.chunk_rows), None
    check_roles(config, roles, frame.dtypes, _source(paths))
    return Ingested(frame, files, {name: available[name] for name in roles.needed}, roles, match)


def output_columns(target: str) -> tuple[str, ...]:
    """Columns the run writes beside the kept ones in predictions.parquet (and `predict` in its output);
    `probability_<class>` columns too, one per class."""
    return ("row", f"{target}_true", f"{target}_predicted")


def check_roles(config: Config, roles: ColumnRoles, dtypes: pd.Series, source: str) -> None:
    """Refuse, before any training, a column that cannot play its role: a text magnitude or regression
    target, and kept columns that the predictions would overwrite."""
    numeric = {"[report] magnitude": roles.magnitude, "[data] weight": roles.weight,
               "[task] target": None if config.kind.labelled else roles.target}
    for key, column in numeric.items():
        if column is not None and not is_numeric(dtypes[column]):
            raise AstromlpError(f"{key} column {column!r} of {source} is {dtypes[column]}, not numeric; choose a "
                                "column of numbers (see `astromlp inspect`)")
    reserved = {name.casefold() for name in output_columns(roles.target)}
    prefix = "probability_" if config.kind.labelled else None
    for column in roles.keep:
        if column.casefold() in reserved or (prefix and column.casefold().startswith(prefix)):
            raise AstromlpError(f"[data] keep_columns {column!r} of {source} has the name of a column the "
                                "predictions are written to (row, <target>_true, <target>_predicted, "
                                "probability_<class>); leave it out of keep_columns")


def _warnings(target: str, feature_sources: dict[str, list[str]], features: dict[str, str]) -> list[str]:
    """What the run should shout about without stopping: the target among the features' inputs."""
    using = [name for name, expression in features.items() if target in feature_sources.get(name, ())]
    if not using:
        return []
    return [f"the target column {target!r} is an input of feature {', '.join(map(repr, using))}: the network "
            "sees the answer, so its scores say nothing about new data; remove it from [features]"]


def _source(paths: list[str]) -> str:
    return paths[0] if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more)"


def column_roles(config: Config, available: list[str], source: str,
                 dtypes: dict[str, str] | None = None) -> ColumnRoles:
    """Catalog spellings of every column the config names, matched case-insensitively, by role."""
    data = config.data
    per_feature = {name: parse_expression(expression, available, source, role=f"feature {name!r}")
                   for name, expression in config.features.items()}
    feature_sources = list(dict.fromkeys(column for columns in per_feature.values() for column in columns))
    target = resolve_columns([config.task.target], available, source)[0]
    keep = (resolve_columns(list(data.keep_columns), available, source) if data.keep_columns
            else identifier_columns(available))
    select = selected_columns(compile_select(data.select, available, dtypes, source))
    magnitude = (resolve_columns([config.report.magnitude], available, source)[0] if config.report.magnitude
                 else None)
    key = resolve_columns(list(config.split.key), available, source) if config.split.key else None
    weight = resolve_columns([data.weight], available, source)[0] if data.weight else None
    return ColumnRoles(target, feature_sources, keep, select,
                       magnitude, key or sorted({target, *feature_sources, *keep}),
                       _warnings(target, per_feature, config.features), weight)


@dataclass
class Prepared:
    """Normalised feature arrays and targets per split, plus everything `predict` and the report need."""

    task: str
    target: str
    features: dict[str, str]
    X: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    classes: list[str] | None
    normaliser: Normaliser
    fill_values: dict[str, float] | None
    test_rows: pd.DataFrame
    rows: dict[str, np.ndarray]
    summary: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    weights: dict[str, np.ndarray] | None = None  # per split, from the [data] weight column; None: equal weights


def prepare(config: Config, ingested: Ingested, executor: Executor) -> Prepared:
    """Clean, derive features, split by row content and normalise with training statistics only."""
    roles, source = ingested.roles, _source([f["path"] for f in ingested.files])
    cleaned = apply_sentinels(ingested.frame, list(config.data.sentinels) or None, source=source)
    derived = feature_columns(config.features)
    cuts = compile_select(config.data.select, list(cleaned.columns), cleaned.dtypes.to_dict(), source)
    frame = derive(select_rows(cleaned, cuts), derived, source=source, labels=_feature_names(derived))
    columns = list(dict.fromkeys([*roles.key, roles.target, *derived, *roles.keep, *roles.magnitudes,
                                  *roles.weights]))
    counting = [count_removed(cleaned, cuts)] if cuts else []  # in the same pass as the rows
    table, n_read, *removed = executor.compute(frame[columns], ingested.frame.index.size, *counting)
    selected = cut_report(cuts, removed[0]) if cuts else []
    _check_rows_left(table, int(n_read), selected, source)
    table, dropped = _clean(config, table, roles.target, list(derived), source)
    _check_counts(config, len(table), n_read, dropped, source)
    if roles.weight:
        check_weights(table[roles.weight].to_numpy(), roles.weight, source)
    labels = _class_labels(config, table[roles.target], source)
    codes = assign_splits(row_uniforms(table, roles.key, config.run.seed),
                          labels if config.split.stratify else None, config.split.test, config.split.validation)
    _check_classes_in_training(codes, labels, roles.target, source)
    fill_values = None
    if config.data.missing == "impute":
        fill_values = fill_values_from(table[codes == TRAIN], list(derived))
        _check_fill_values(fill_values, source)
        table = handle_missing(table, list(derived), "impute", fill_values=fill_values, source=source,
                               names=_feature_names(derived)).frame
    return _assemble(config, table, codes, labels, roles, fill_values,
                     {"rows": {**_label_rows(ingested.labels), "read": int(n_read), "select": selected,
                               "used": len(table), "dropped": dropped},
                      **({"labels": ingested.labels} if ingested.labels else {}),
                      "warnings": list(roles.warnings)})


def _label_rows(labels: dict | None) -> dict:
    """The [data] labels counts as rows of the report's row table (before `read`, the matched rows)."""
    if labels is None:
        return {}
    within = f"{labels['radius_arcsec']:g} arcsec"
    return {f"labels {labels['catalog']}": {f"matched within {within}": labels["matched"],
                                            f"no object within {within}": labels["unmatched"]}}


def _clean(config: Config, table: pd.DataFrame, target: str, features: list[str],
           source: str) -> tuple[pd.DataFrame, dict]:
    """Drop rows without a target, and rows with missing features unless they are to be imputed."""
    missing = table[target].isna().to_numpy()
    table, dropped = table[~missing], {"missing target": int(missing.sum())}
    if config.data.missing != "impute":
        outcome = handle_missing(table, features, config.data.missing, source=source,
                                 names=_feature_names(features))
        table, dropped["missing features"] = outcome.frame, outcome.dropped
    return table, dropped


def _check_counts(config: Config, n_left: int, n_read: int, dropped: dict, source: str) -> None:
    """One line with the row counts when cleaning leaves no rows (scikit-learn and the network would
    fail later with a traceback about a 0-sample array); `assign_splits` checks that each split gets rows."""
    if n_left:
        return
    removed = ", ".join(f"{reason}: {count}" for reason, count in dropped.items())
    raise AstromlpError(f"{source}: no rows are left ({n_read} read; dropped {removed}; left 0); check the "
                        f"target column {config.task.target!r}, [data] select and missing, or give more rows")


def check_weights(values: np.ndarray, column: str, source: str) -> None:
    """Per-row weights are numbers, finite and >= 0, and not all zero (scikit-learn's sample_weight rules)."""
    try:
        weights = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise AstromlpError(f"[data] weight column {column!r} of {source} holds values that are not numbers; "
                            "give a column of numbers >= 0") from None
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        raise AstromlpError(f"[data] weight column {column!r} of {source} has {int(bad.sum())} missing, infinite or "
                            f"negative values among the rows used (first: {weights[bad][0]}); weights must be "
                            "finite and >= 0: fix them or remove those rows with [data] select")
    if not (weights > 0).any():
        raise AstromlpError(f"[data] weight column {column!r} of {source} is zero in every row used; give some "
                            "rows a positive weight")


def _check_classes_in_training(codes: np.ndarray, labels: pd.Categorical | None, target: str,
                               source: str) -> None:
    """A class the network never sees in training cannot be predicted; refuse before training."""
    if labels is None:
        return
    trained = np.bincount(labels.codes[codes == TRAIN], minlength=len(labels.categories)) > 0
    for label in labels.categories[~trained]:
        raise AstromlpError(f"class {label!r} of target column {target!r} in {source} has no row in the "
                            f"training split ({int((labels == label).sum())} rows, all held out); add rows of "
                            "it, leave it out with [data] select, or set [split] stratify = true")


def _feature_names(columns) -> dict[str, str]:
    """How messages name a derived column: by the name it has under [features]."""
    return {column: f"feature {column.removeprefix(FEATURE_PREFIX)!r}" for column in columns}


def _check_fill_values(fill_values: dict[str, float], source: str) -> None:
    """Imputation needs at least one training value per feature."""
    for name, value in fill_values.items():
        if not np.isfinite(value):
            raise AstromlpError(f"feature {name.removeprefix(FEATURE_PREFIX)!r} is missing in every training row "
                                f"of {source}, so there is no value to impute; remove it from [features] or "
                                "fix the file")


def _check_rows_left(table: pd.DataFrame, n_read: int, selected: list[dict], source: str) -> None:
    """No row after [data] select is the user's cut, not a failure of training: say which cut took them."""
    if len(table) or not selected:
        return
    counts = ", ".join(f"{cut['removed']:,} by {cut['cut']!r}" for cut in selected)
    raise AstromlpError(f"{source}: no rows are left after [data] select ({n_read:,} read; removed {counts}; "
                        "left 0); loosen the cuts (a comparison is false where the value is missing)")


def _class_labels(config: Config, target: pd.Series, source: str) -> pd.Categorical | None:
    """Each row's class label as text, the categories sorted (classification), or None; one class is a user
    error."""
    if not config.kind.labelled:
        if not pd.api.types.is_numeric_dtype(target.dtype):
            raise AstromlpError(f"target column {target.name!r} of {source} is {target.dtype}, not numeric; a "
                                f"{config.task.kind} task needs numbers (use kind = \"classification\" for labels)")
        return None
    codes, distinct = pd.factorize(target.astype(str), sort=True)  # hashing: one pass, no sort of the rows
    if config.data.target_map:
        codes, distinct = _renamed(codes, distinct, config.data.target_map, target.name, source)
    classes = [str(label) for label in distinct]
    if len(classes) < 2:
        found = f"only the class {classes[0]!r}" if classes else "no rows"
        raise AstromlpError(f"target column {target.name!r} of {source} has {found} after cleaning; "
                            "classification needs at least two classes")
    return pd.Categorical.from_codes(codes, classes)


def _renamed(codes: np.ndarray, distinct, target_map: dict[str, str], target: str, source: str):
    """Class codes after [data] target_map (classes mapped to one name merge); every key must be a class."""
    found = [str(label) for label in distinct]
    unknown = [name for name in target_map if name not in found]
    if unknown:
        raise AstromlpError(f"[data] target_map names class {unknown[0]!r}, which target column {target!r} of "
                            f"{source} does not hold (classes: {', '.join(found)}); name only those classes")
    renamed = np.asarray([target_map.get(label, label) for label in found], dtype=object)
    merged, new_codes = np.unique(renamed.astype(str), return_inverse=True)
    return (new_codes[codes] if len(codes) else codes), merged


def _assemble(config: Config, table: pd.DataFrame, codes: np.ndarray, labels: pd.Categorical | None, roles,
              fill_values, summary: dict) -> Prepared:
    raw = table[list(feature_columns(config.features))].to_numpy(dtype=np.float64)
    normaliser = Normaliser.fit(config.normalise.method, raw[codes == TRAIN])
    X_all = normaliser.transform(raw)
    classes = None if labels is None else list(labels.categories)
    y_all = (np.asarray(classes, dtype=str)[labels.codes] if classes
             else table[roles.target].to_numpy(dtype=np.float64))
    X = {name: X_all[codes == code] for code, name in enumerate(SPLITS)}
    y = {name: y_all[codes == code] for code, name in enumerate(SPLITS)}
    test_columns = list(dict.fromkeys([*roles.keep, *roles.magnitudes]))
    test_rows = table.loc[codes == SPLITS.index("test"), test_columns].reset_index(names="row")
    counts = split_counts(codes, labels)
    summary = {**summary, "split": {name: counts[name] for name in SPLITS},
               "class_balance": counts.get("per_class", {}),
               "features": [{"name": name, "expression": expr} for name, expr in config.features.items()],
               "magnitude_column": roles.magnitude}
    rows = {name: table.index.to_numpy()[codes == code] for code, name in enumerate(SPLITS)}
    weights = None
    if roles.weight:
        w_all = table[roles.weight].to_numpy(dtype=np.float64)
        weights = {name: w_all[codes == code] for code, name in enumerate(SPLITS)}
        summary["weight"] = {"column": roles.weight, **{name: float(w.sum()) for name, w in weights.items()}}
    return Prepared(config.task.kind, roles.target, dict(config.features), X, y, classes, normaliser,
                    fill_values, test_rows, rows, summary, counts, weights)
