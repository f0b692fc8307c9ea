"""Lotty: feature flags and A/B experiments, warehouse-first on DuckDB."""

__version__ = "0.1.0"
