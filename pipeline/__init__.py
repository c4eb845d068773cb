"""Joins catalogs, nn and reports into stages, a Dask graph and the command line."""
