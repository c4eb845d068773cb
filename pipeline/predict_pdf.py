"""The PDF part of `astromlp predict` for an MLPDensity model: point-estimate, interval and ODDS columns, and the
PDFs themselves as a `qp` histogram ensemble (`-o pdfs.hdf5`) that `qp.read` opens, one PDF per row in input
order, written partition by partition (flat memory) through one temporary file renamed into place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from astromlp.catalogs.partitions import iter_chunks
from astromlp.errors import AstromlpError
from astromlp.files import atomic_path, check_destination, output_errors
from astromlp.nn import MLPDensity
from astromlp.nn.density import point_estimates

#: Suffixes written as a qp ensemble rather than a table.
QP_SUFFIXES = (".hdf5", ".h5")
#: point_estimates key -> output column suffix (the median is the `<target>_predicted` column itself).
COLUMNS = {"median": "predicted", "mode": "mode", "mean": "mean", "lo68": "lo68", "hi68": "hi68",
           "lo95": "lo95", "hi95": "hi95", "odds": "odds"}


def is_density(model) -> bool:
    return isinstance(model, MLPDensity)


def column_names(target: str) -> list[str]:
    return [f"{target}_{suffix}" for suffix in COLUMNS.values()]


def pdf_columns(model: MLPDensity, Z: np.ndarray, usable: np.ndarray, target: str
                ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The point-estimate columns (NaN where a row has no usable features) and the bin probabilities (NaN rows
    there too), for the rows of one partition."""
    prob = np.full((len(usable), len(model.bin_edges_) - 1), np.nan)
    columns = {name: np.full(len(usable), np.nan) for name in column_names(target)}
    if usable.any():
        prob[usable] = model.predict_bins(Z)
        for key, values in point_estimates(prob[usable], model.bin_edges_).items():
            columns[f"{target}_{COLUMNS[key]}"][usable] = values
    return columns, prob


def wants_qp(out: Path) -> bool:
    return Path(out).suffix.lower() in QP_SUFFIXES


def _qp():
    try:
        import qp
    except ImportError:
        raise AstromlpError("writing PDFs as a qp file needs the qp package: pip install 'astromlp[pdf]' "
                            "(or write .parquet / .fits for the point estimates only)") from None
    return qp


def write_qp(predictions, edges: np.ndarray, n_rows: int, out: Path, pdf_prefix: str) -> int:
    """Stream `predictions` (point columns plus one `pdf_prefix<k>` column per bin) into a qp hist ensemble at
    `out`; numeric non-PDF columns become its ancillary table. Returns rows written."""
    qp = _qp()
    out = Path(out)
    check_destination(out, True)
    with output_errors(str(out), f"free some space or choose another output (any previous {out.name} is "
                                 "unchanged)"), atomic_path(out) as temporary:
        groups, handle, start = None, None, 0
        for part in iter_chunks(predictions):
            ensemble = _ensemble(qp, part, edges, pdf_prefix)
            if groups is None:
                groups, handle = ensemble.initializeHdf5Write(str(temporary), n_rows)
            ensemble.writeHdf5Chunk(groups, start, start + len(part))
            start += len(part)
        if groups is None:
            raise AstromlpError(f"no rows to write to {out.name}: the catalogs (after --select) are empty")
        ensemble.finalizeHdf5Write(handle)
    return start


def _ensemble(qp, part: pd.DataFrame, edges: np.ndarray, pdf_prefix: str):
    pdf_names = [f"{pdf_prefix}{k}" for k in range(len(edges) - 1)]
    prob = part[pdf_names].to_numpy(np.float64)
    ancil = {name: part[name].to_numpy() for name in part.columns
             if name not in pdf_names and pd.api.types.is_numeric_dtype(part[name])}
    return qp.Ensemble(qp.hist, data={"bins": edges, "pdfs": prob / np.diff(edges)}, ancil=ancil)
