"""Judging a model: metrics, baselines and the HTML report."""
