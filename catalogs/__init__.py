"""Astronomy catalogs in and out: reading, cleaning, features, writing."""
