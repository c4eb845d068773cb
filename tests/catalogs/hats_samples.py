"""Small HATS catalogs written by lsdb itself from the bundled SDSS DR14 sample (no hand-made layouts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from astropy.table import Table

from astromlp.catalogs import sample_path


def sdss_frame(rows: int | None = None) -> pd.DataFrame:
    """The bundled sample as pandas (text as str), optionally its first `rows` rows."""
    table = Table.read(sample_path())
    frame = table.to_pandas()
    frame["class"] = np.char.strip(np.asarray(table["class"]).astype(str))
    return frame if rows is None else frame.iloc[:rows].reset_index(drop=True)


def write_hats(frame: pd.DataFrame, path: Path, *, partition_rows: int = 2000, collection: bool = False) -> Path:
    """`frame` as a HATS catalog at `path` (with a 5-arcsecond margin and as a collection when asked)."""
    import lsdb

    catalog = lsdb.from_dataframe(frame, ra_column="ra", dec_column="dec", lowest_order=0, highest_order=6,
                                  partition_rows=partition_rows, margin_threshold=5.0 if collection else None,
                                  use_pyarrow_types=False)
    catalog.write_catalog(path, catalog_name=path.name, as_collection=collection, progress_bar=False)
    return path
