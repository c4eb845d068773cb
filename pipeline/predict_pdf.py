"""The PDF part of `astromlp predict` for an MLPDensity model: point-estimate, interval and ODDS columns, and the
PDFs themselves: a fixed-length array column `<target>_pdf` (bin probabilities, the grid's edges in the file's
metadata) in Parquet/FITS, or a `qp` histogram ensemble (`-o pdfs.hdf5`) that `qp.read` opens, one PDF per row
in input order. Both are written partition by partition (flat memory) through one temporary file renamed into
place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from astromlp.catalogs.columns import ColumnInfo
from astromlp.catalogs.partitions import iter_chunks
from astromlp.catalogs.vector_columns import vector_array, vector_values
from astromlp.errors import AstromlpError
from astromlp.files import atomic_path, check_destination, output_errors
from astromlp.nn import MLPDensity
from astromlp.nn.density import point_estimates

#: Suffixes written as a qp ensemble rather than a table.
QP_SUFFIXES = (".hdf5", ".h5")
#: point_estimates key -> output column suffix (the median is the `<target>_predicted` column itself).
COLUMNS = {"median": "predicted", "mode": "mode", "mean": "mean", "lo68": "lo68", "hi68": "hi68",
           "lo95": "lo95", "hi95": "hi95", "odds": "odds"}
#: The file-metadata key (FITS HIERARCH card, Parquet key-value) holding the grid's B + 1 bin edges as JSON.
EDGES_KEY = "astromlp_pdf_bin_edges"
#: The PDF column's element type in Parquet/FITS (FITS TFORM "<B>E"); the qp file keeps float64.
TABLE_DTYPE = np.float32


def is_density(model) -> bool:
    return isinstance(model, MLPDensity)


def column_names(target: str) -> list[str]:
    """The point-estimate, interval and ODDS columns."""
    return [f"{target}_{suffix}" for suffix in COLUMNS.values()]


def pdf_column(target: str) -> str:
    return f"{target}_pdf"


def pdf_columns(model: MLPDensity, Z: np.ndarray, usable: np.ndarray, target: str, dtype=np.float64
                ) -> dict[str, object]:
    """The point-estimate columns (NaN where a row has no usable features) and the PDF column of bin
    probabilities in `dtype` (all NaN there too), for the rows of one partition."""
    prob = np.full((len(usable), len(model.bin_edges_) - 1), np.nan)
    columns = {name: np.full(len(usable), np.nan) for name in column_names(target)}
    if usable.any():
        prob[usable] = model.predict_bins(Z)
        for key, values in point_estimates(prob[usable], model.bin_edges_).items():
            columns[f"{target}_{COLUMNS[key]}"][usable] = values
    return {**columns, pdf_column(target): vector_array(prob.astype(dtype, copy=False))}


def pdf_records(model: MLPDensity, target: str) -> tuple[dict[str, str], dict[str, ColumnInfo]]:
    """The file metadata (the grid's edges) and the PDF column's description, for a Parquet/FITS output."""
    column = pdf_column(target)
    described = ColumnInfo(column, "float32", description=f"probability of each of the {len(model.bin_edges_) - 1} "
                           f"bins of {target} whose edges are the file's {EDGES_KEY} record (JSON); sums to 1")
    return {EDGES_KEY: json.dumps(model.bin_edges_.tolist())}, {column: described}


def wants_qp(out: Path) -> bool:
    return Path(out).suffix.lower() in QP_SUFFIXES


def _qp():
    try:
        import qp
    except ImportError:
        raise AstromlpError("writing PDFs as a qp file needs the qp package: pip install 'astromlp[pdf]' "
                            "(or write .parquet / .fits for the point estimates only)") from None
    return qp


def write_qp(predictions, edges: np.ndarray, n_rows: int, out: Path, pdf_name: str) -> int:
    """Stream `predictions` (point columns plus the PDF column `pdf_name`) into a qp hist ensemble at `out`;
    numeric non-PDF columns become its ancillary table. Returns rows written."""
    qp = _qp()
    out = Path(out)
    check_destination(out, True)
    with output_errors(str(out), f"free some space or choose another output (any previous {out.name} is "
                                 "unchanged)"), atomic_path(out) as temporary:
        groups, handle, start = None, None, 0
        for part in iter_chunks(predictions):
            ensemble = _ensemble(qp, part, edges, pdf_name)
            if groups is None:
                groups, handle = ensemble.initializeHdf5Write(str(temporary), n_rows)
            ensemble.writeHdf5Chunk(groups, start, start + len(part))
            start += len(part)
        if groups is None:
            raise AstromlpError(f"no rows to write to {out.name}: the catalogs (after --select) are empty")
        ensemble.finalizeHdf5Write(handle)
    return start


def count_true(path: Path, column: str) -> int:
    """True values of the boolean ancillary column `column` of the qp file at `path`, read alone (h5py, which
    qp writes with), not the PDFs."""
    import h5py

    with h5py.File(path, "r") as handle:
        return int(np.count_nonzero(handle["ancil"][column][()]))


def _ensemble(qp, part: pd.DataFrame, edges: np.ndarray, pdf_name: str):
    prob = vector_values(part[pdf_name])
    ancil = {name: part[name].to_numpy() for name in part.columns
             if name != pdf_name and pd.api.types.is_numeric_dtype(part[name])}
    return qp.Ensemble(qp.hist, data={"bins": edges, "pdfs": prob / np.diff(edges)}, ancil=ancil)
