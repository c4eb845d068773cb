"""Astronomy catalogs in and out: reading, cleaning, features, writing.

FITS (any table HDU, gzipped too), VOTable, ECSV, CSV and Parquet become one lazy Dask DataFrame indexed by
global row number; sentinels and masks become missing values; derived features come from a safe expression
language; frames go back out to FITS or Parquet atomically. Knows nothing of networks.
"""

from astromlp.catalogs.cleaning import (
                                        DEFAULT_SENTINELS,
                                        MissingOutcome,
                                        MissingPolicy,
                                        MissingSummary,
                                        apply_sentinels,
                                        count_missing,
                                        fill_values_from,
                                        handle_missing,
                                        resolve_features,
                                        summarize_missing,
)
from astromlp.catalogs.columns import ColumnInfo, resolve_columns
from astromlp.catalogs.features import FUNCTIONS, compile_expression, derive, parse_expression
from astromlp.catalogs.formats import FORMATS
from astromlp.catalogs.inspection import inspect_text
from astromlp.catalogs.joining import identifier_columns, join_predictions
from astromlp.catalogs.readers import describe_columns, read
from astromlp.catalogs.sample import sample_path
from astromlp.catalogs.selection import Cut, compile_select, count_removed, cut_report, select_rows, selected_columns
from astromlp.catalogs.writers import write

__all__ = [
    "DEFAULT_SENTINELS", "FORMATS", "FUNCTIONS", "ColumnInfo", "Cut", "compile_select", "count_removed",
    "cut_report", "select_rows", "selected_columns", "MissingOutcome", "MissingPolicy",
    "MissingSummary", "apply_sentinels", "compile_expression", "count_missing", "derive", "describe_columns",
    "fill_values_from", "handle_missing", "identifier_columns", "inspect_text", "join_predictions",
    "parse_expression", "read", "resolve_columns", "resolve_features", "sample_path", "summarize_missing",
    "write",
]
