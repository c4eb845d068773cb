"""Fixed-length vector columns (B numbers per row, e.g. a redshift PDF over B bins): held in pandas as an Arrow
fixed-size list, so a frame's empty meta already knows B, and written as a Parquet fixed-size list or a FITS
vector column (TFORM ``BE`` with TDIM), both of which astropy's Table.read returns as an (n, B) column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def vector_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An (n, B) array as a pandas column of n fixed-length lists of B numbers (no row is null)."""
    values = np.ascontiguousarray(values)
    flat = pa.array(values.reshape(-1))
    return pd.arrays.ArrowExtensionArray(pa.FixedSizeListArray.from_arrays(flat, values.shape[1]))


def vector_length(dtype: object) -> int | None:
    """B for a column of fixed-length lists, None for any other column."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return arrow.list_size if arrow is not None and pa.types.is_fixed_size_list(arrow) else None


def item_dtype(dtype: object) -> np.dtype:
    """The numpy dtype of one element of a fixed-length list column."""
    return np.dtype(dtype.pyarrow_dtype.value_type.to_pandas_dtype())


def vector_values(series: pd.Series) -> np.ndarray:
    """A fixed-length list column as an (n, B) numpy array (a null row, which astromlp never writes, is NaN)."""
    length = vector_length(series.dtype)
    if not len(series):
        return np.zeros((0, length), item_dtype(series.dtype))
    lists = pa.chunked_array([pa.array(series.array)]).combine_chunks()
    if lists.null_count:
        lists = lists.fill_null(pa.scalar([np.nan] * length, lists.type))
    return list_matrix(lists)[0]


def list_matrix(lists: pa.FixedSizeListArray) -> tuple[np.ndarray, np.ndarray | None]:
    """An Arrow array of fixed-size lists as an (n, B) numpy array, and which rows are null (None: none)."""
    length = lists.type.list_size
    flat = lists.values.slice(lists.offset * length, len(lists) * length)
    nulls = lists.is_null().to_numpy(zero_copy_only=False) if lists.null_count else None
    return flat.to_numpy(zero_copy_only=False).reshape(len(lists), length), nulls
