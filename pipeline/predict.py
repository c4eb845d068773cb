"""`astromlp predict`: a saved model applied to new catalogs partition by partition, with the features,
sentinels, imputation values and normalisation stored in the model file at training time. The output
records where its predictions come from (model hash, astromlp version, features, training catalogs), and a
photo-z model flags rows outside its training domain.

Guarantee: a row's prediction equals, bit for bit, the one the evaluate stage wrote for the same row of the
same catalog, whatever the partitioning, scheduler or BLAS kernel. The normalisation is elementwise, and the
estimator pushes every row through matrix products of one fixed shape (full chunks of rows, the last one
zero-padded), so no result depends on how many rows came with it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from astromlp import __version__
from astromlp.catalogs import (
    apply_sentinels,
    compile_select,
    derive,
    describe_columns,
    identifier_columns,
    parse_expression,
    read,
    resolve_columns,
    select_rows,
    selected_columns,
    write,
)
from astromlp.catalogs.hats_writer import hats_output, write_hats
from astromlp.catalogs.paths import HATS_PREFIX, expand_paths
from astromlp.errors import AstromlpError
from astromlp.nn import load
from astromlp.nn.multiclass import class_scores
from astromlp.pipeline import domain as training_domain
from astromlp.pipeline.artifacts import features_from, ordered_features
from astromlp.pipeline.normalisers import Normaliser
from astromlp.pipeline.predict_pdf import (
    TABLE_DTYPE,
    column_names,
    count_true,
    is_density,
    pdf_column,
    pdf_columns,
    pdf_records,
    wants_qp,
    write_qp,
)
from astromlp.pipeline.rundir import sha256_file
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
    _check_operating_points(metadata.get("operating_points"), metadata["classes"], path)
    return model, {**metadata, "features": features_from(metadata["features"])}


def _check_operating_points(points, classes, path: Path) -> None:
    """Each stored threshold names one of the model's classes, a flag column and a finite probability."""
    for point in points or []:
        if not (isinstance(point, dict) and point.get("class") in (classes or [])
                and isinstance(point.get("column"), str) and type(point.get("threshold")) in (int, float)
                and 0 <= point["threshold"] <= 1):
            raise AstromlpError(f"model file {path}: metadata.operating_points entry {point!r} is not a class of "
                                "the model with a threshold in [0, 1] and a column name; the file was edited or "
                                "damaged: run the train stage again")


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


def provenance(model_path: Path, metadata: dict) -> dict[str, str]:
    """What the output file records about its predictions (ASCII text: FITS header cards, Parquet metadata)."""
    record = {"astromlp_version": __version__, "astromlp_model_sha256": sha256_file(model_path),
              "astromlp_model_trained_with": str(metadata.get("astromlp_version", "unknown")),
              "astromlp_task": metadata["task"], "astromlp_target": json.dumps(metadata["target"]),
              "astromlp_features": json.dumps(ordered_features(metadata["features"]))}
    if metadata.get("training_files") is not None:
        record["astromlp_training_files"] = json.dumps(metadata["training_files"])
    return record


def _domain_flags(part: pd.DataFrame, Z: np.ndarray, usable: np.ndarray, metadata: dict,
                  domain_columns: dict[str, str]) -> np.ndarray:
    """True for predicted rows outside the training domain (rows without a prediction are not flagged)."""
    domain = metadata["domain"]
    flags = np.zeros(len(part), dtype=bool)
    flags[usable] = training_domain.outside(Z, domain)
    return flags | (usable & training_domain.not_selected(part, domain_columns, domain))


def _check_keep(keep_columns: list[str], metadata: dict, requested: list[str]) -> None:
    """A kept column may not share its name (in any case: FITS ignores it) with a prediction column, which
    would overwrite it."""
    written = [*column_names(metadata["target"]), pdf_column(metadata["target"]),
               *(f"probability_{label}" for label in metadata["classes"] or []),
               *(point["column"] for point in metadata.get("operating_points") or []),
               *([training_domain.FLAG] if _domain_columns(metadata, []) is not None else [])]
    clashes = {name.casefold(): name for name in written}
    for column in keep_columns:
        if column.casefold() in clashes:
            how = "--keep" if column.casefold() in {r.casefold() for r in requested} else "the model's kept column"
            raise AstromlpError(f"{how} {column!r} has the name of the prediction column "
                                f"{clashes[column.casefold()]!r}, which would overwrite it; rename that column "
                                "in the catalog or do not keep it")


def _predict_partition(part: pd.DataFrame, model, normaliser: Normaliser, fill_values: dict | None,
                       keep: list[str], metadata: dict, domain_columns: dict[str, str] | None = None,
                       pdf_dtype: type = TABLE_DTYPE) -> pd.DataFrame:
    """The kept columns and the predictions of one partition; a density model's PDFs as one fixed-length array
    column of `pdf_dtype` bin probabilities."""
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
            proba[usable] = class_scores(model, Z)
            labels[usable] = np.asarray(classes, dtype=object)[np.argmax(proba[usable], axis=1)]
        out[f"{target}_predicted"] = pd.Series(labels, index=part.index, dtype="str")
        for k, label in enumerate(classes):
            out[f"probability_{label}"] = proba[:, k]
        for point in metadata.get("operating_points") or []:  # NaN (no prediction) is never selected
            out[point["column"]] = proba[:, classes.index(point["class"])] >= point["threshold"]
    elif is_density(model):
        out = out.assign(**{name: pd.Series(values, index=part.index)
                            for name, values in pdf_columns(model, Z, usable, target, pdf_dtype).items()})
    else:
        values = np.full(len(part), np.nan)
        if usable.any():
            values[usable] = model.predict(Z)
        out[f"{target}_predicted"] = values
    if domain_columns is not None:
        out[training_domain.FLAG] = _domain_flags(part, Z, usable, metadata, domain_columns)
    return out


def _check_qp(model, out, model_path: Path) -> bool:
    """Whether `out` is a qp file, which only a density model can fill."""
    if wants_qp(out) and not is_density(model):
        raise AstromlpError(f"{Path(out).name} is a qp PDF file, but model {model_path.name} predicts no PDFs "
                            "(train it with [task] kind = \"photoz-pdf\"); write .parquet or .fits instead")
    return wants_qp(out)


def _domain_columns(metadata: dict, available: list[str]) -> dict[str, str] | None:
    """select column -> its catalog spelling, for a model whose predictions carry the out_of_domain flag."""
    if metadata["task"] not in training_domain.DOMAIN_TASKS or not metadata.get("domain"):
        return None
    spelled = {name.casefold(): name for name in available}
    return {column: spelled[column.casefold()] for column in metadata["domain"].get("select", {})
            if column.casefold() in spelled}


def _warn_out_of_domain(out: Path, rows: int, metadata: dict, warn: Callable[[str], None]) -> None:
    """One line with the count of flagged rows, read back from the written file's flag column (a qp file's
    ancillary column)."""
    flagged = (count_true(out, training_domain.FLAG) if wants_qp(out) else
               int(read([out], columns=[training_domain.FLAG])[training_domain.FLAG].sum().compute()))
    if flagged:
        features = list(metadata["features"])
        warn(f"{flagged} of {rows} rows are outside the model's training domain "
             f"({training_domain.describe(metadata['domain'], features)}); their {training_domain.FLAG} "
             "column is true: treat those predictions with care")


def predict_catalogs(model_path: Path, catalogs: list[str], out: Path, keep: list[str] | None = None,
                     select: str | None = None, warn: Callable[[str], None] | None = None) -> int:
    """Write predictions for every row of `catalogs` (those passing the condition `select`, if given) to `out`
    (FITS or Parquet; a HATS catalog with the input's pixels when the input is one HATS catalog and `out` is
    a directory name without a file suffix, or `hats:DIR`); returns the row count. `select` is checked after
    the model's sentinels are applied.

    `warn(line)` receives the out-of-domain count (default: a UserWarning)."""
    model_path = Path(model_path)
    model, metadata = load_pipeline_model(model_path)
    paths = expand_paths(catalogs)
    source = str(paths[0]) if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more)"
    described = describe_columns(paths)
    available = list(described)
    inputs = _input_columns(metadata, available, source, model_path)
    cuts = compile_select(select, available, {name: info.dtype for name, info in described.items()}, source,
                          role="--select")
    stored_keep = [c for c in metadata.get("keep_columns") or identifier_columns(available)
                   if c.casefold() in {a.casefold() for a in available}]
    keep_columns = resolve_columns(list(dict.fromkeys([*stored_keep, *(keep or [])])), available, source)
    hats_source = hats_output(paths, Path(out))
    if hats_source is not None:  # lsdb needs the sky position and the HEALPix index in every HATS catalog
        keep_columns = list(dict.fromkeys([*keep_columns, *hats_source.spatial_columns]))
    _check_keep(keep_columns, metadata, keep or [])
    domain_columns = _domain_columns(metadata, available)
    frame = read(paths, columns=list(dict.fromkeys([*keep_columns, *inputs, *selected_columns(cuts),
                                                    *(domain_columns or {}).values()])))
    frame = apply_sentinels(frame, metadata["sentinels"] or None, source=source)
    frame = select_rows(frame, compile_select(select, list(frame.columns), frame.dtypes.to_dict(), source,
                                              role="--select"))
    derived = feature_columns(metadata["features"])
    frame = derive(frame, derived, source=source, labels={column: f"the model's feature {name!r}"
                                                          for column, name in zip(derived, metadata["features"],
                                                                                  strict=True)})
    normaliser = Normaliser.from_dict(metadata["normaliser"])
    to_qp = _check_qp(model, out, model_path)
    arguments = (model, normaliser, metadata["fill_values"], keep_columns, metadata, domain_columns,
                 np.float64 if to_qp else TABLE_DTYPE)
    meta = _predict_partition(frame._meta, *arguments)
    predictions = frame.map_partitions(_predict_partition, *arguments, meta=meta)
    records, info = provenance(model_path, metadata), {column: described[column] for column in keep_columns}
    if is_density(model):
        grid, pdf_info = pdf_records(model, metadata["target"])
        records, info = {**records, **grid}, {**info, **pdf_info}
    if to_qp:  # the row count first (a read of the inputs), as the qp file is allocated whole
        rows = write_qp(predictions, model.bin_edges_, int(frame.map_partitions(len).compute().sum()), Path(out),
                        pdf_column(metadata["target"]))
    elif hats_source is not None:
        out = Path(str(out).removeprefix(HATS_PREFIX))
        rows = write_hats(predictions, hats_source, out, metadata=records)
    else:
        rows = write(predictions, out, metadata=records, info=info)
    if domain_columns is not None:
        _warn_out_of_domain(Path(out), rows, metadata, warn or (lambda line: warnings.warn(line, stacklevel=3)))
    return rows
