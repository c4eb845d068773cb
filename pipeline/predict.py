"""`astromlp predict`: a saved model applied to new catalogs partition by partition, with the features,
sentinels, imputation values and normalisation stored in the model file at training time.

Guarantee: a row's prediction equals, bit for bit, the one the evaluate stage wrote for the same row of the
same catalog, whatever the partitioning, scheduler or BLAS kernel. The normalisation is elementwise, and the
estimator pushes every row through matrix products of one fixed shape (full chunks of rows, the last one
zero-padded), so no result depends on how many rows came with it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from astromlp.catalogs import (
    apply_sentinels,
    derive,
    describe_columns,
    identifier_columns,
    parse_expression,
    read,
    resolve_columns,
    write,
)
from astromlp.catalogs.paths import expand_paths
from astromlp.errors import AstromlpError
from astromlp.nn import load
from astromlp.pipeline.artifacts import features_from
from astromlp.pipeline.normalisers import Normaliser
from astromlp.pipeline.stages import feature_columns

REQUIRED_METADATA = ("task", "target", "features", "normaliser", "classes", "sentinels", "fill_values")


def load_pipeline_model(path: Path):
    """A model written by `astromlp run`, checked to carry what predict needs."""
    model = load(path)
    metadata = getattr(model, "metadata_", None) or {}
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise AstromlpError(f"model file {path} lacks the pipeline record ({', '.join(missing)}); predict "
                            "takes the model.zip that `astromlp run` writes into its run directory")
    return model, {**metadata, "features": features_from(metadata["features"])}


def _input_columns(metadata: dict, available: list[str], source: str, model_path: Path) -> list[str]:
    """Catalog columns the model's features use; a catalog without them is for another model."""
    columns = []
    for name, expression in metadata["features"].items():
        try:
            columns += parse_expression(expression, available, source)
        except AstromlpError as exc:
            raise AstromlpError(f"model {model_path.name} needs feature {name} = {expression!r}, which "
                                f"{source} cannot provide ({exc}); use a catalog with those columns") from None
    return list(dict.fromkeys(columns))


def _check_keep(keep_columns: list[str], metadata: dict, requested: list[str]) -> None:
    """A kept column may not share its name (in any case: FITS ignores it) with a prediction column, which
    would overwrite it."""
    written = [f"{metadata['target']}_predicted", *(f"probability_{label}" for label in metadata["classes"] or [])]
    clashes = {name.casefold(): name for name in written}
    for column in keep_columns:
        if column.casefold() in clashes:
            how = "--keep" if column.casefold() in {r.casefold() for r in requested} else "the model's kept column"
            raise AstromlpError(f"{how} {column!r} has the name of the prediction column "
                                f"{clashes[column.casefold()]!r}, which would overwrite it; rename that column "
                                "in the catalog or do not keep it")


def _predict_partition(part: pd.DataFrame, model, normaliser: Normaliser, fill_values: dict | None,
                       keep: list[str], metadata: dict) -> pd.DataFrame:
    internal = list(feature_columns(metadata["features"]))
    X = part[internal].to_numpy(dtype=np.float64, na_value=np.nan)
    if fill_values:
        X = np.where(np.isnan(X), np.array([fill_values[name] for name in internal]), X)
    usable = np.all(np.isfinite(X), axis=1)
    out = part[keep].copy()
    target, classes = metadata["target"], metadata["classes"]
    Z = normaliser.transform(X[usable])
    if classes:
        proba = np.full((len(part), len(classes)), np.nan)
        labels = np.full(len(part), "", dtype=object)
        if usable.any():
            proba[usable] = model.predict_proba(Z)
            labels[usable] = np.asarray(classes, dtype=object)[np.argmax(proba[usable], axis=1)]
        out[f"{target}_predicted"] = pd.Series(labels, index=part.index, dtype="str")
        for k, label in enumerate(classes):
            out[f"probability_{label}"] = proba[:, k]
    else:
        values = np.full(len(part), np.nan)
        if usable.any():
            values[usable] = model.predict(Z)
        out[f"{target}_predicted"] = values
    return out


def predict_catalogs(model_path: Path, catalogs: list[str], out: Path, keep: list[str] | None = None) -> int:
    """Write predictions for every row of `catalogs` to `out` (FITS or Parquet); returns the row count."""
    model_path = Path(model_path)
    model, metadata = load_pipeline_model(model_path)
    paths = expand_paths(catalogs)
    source = str(paths[0]) if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more)"
    available = list(describe_columns(paths))
    inputs = _input_columns(metadata, available, source, model_path)
    stored_keep = [c for c in metadata.get("keep_columns") or identifier_columns(available)
                   if c.casefold() in {a.casefold() for a in available}]
    keep_columns = resolve_columns(list(dict.fromkeys([*stored_keep, *(keep or [])])), available, source)
    _check_keep(keep_columns, metadata, keep or [])
    frame = read(paths, columns=list(dict.fromkeys([*keep_columns, *inputs])))
    frame = apply_sentinels(frame, metadata["sentinels"] or None, source=source)
    frame = derive(frame, feature_columns(metadata["features"]), source=source)
    normaliser = Normaliser.from_dict(metadata["normaliser"])
    meta = _predict_partition(frame._meta, model, normaliser, metadata["fill_values"], keep_columns, metadata)
    predictions = frame.map_partitions(_predict_partition, model, normaliser, metadata["fill_values"],
                                       keep_columns, metadata, meta=meta)
    return write(predictions, out)
