"""Sourced data shipped with hidsim (CSV files; see hidsim.datasets)."""
